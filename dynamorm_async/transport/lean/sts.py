"""STS AssumeRole on the lean transport: the AWS Query protocol (form-encoded POST, XML answer).

The one STS operation the library calls (a partner's AssumeRole) is sent with the lean SigV4
signer (service ``sts``) over the lean connection pool, so a multi-account function on the lean
path imports none of aiobotocore, botocore or aiohttp. Answers are parsed with ``xml.etree``;
a document type declaration is refused before parsing. Errors leave through the shared error
table exactly as :class:`~.raw.LeanRawTransport`'s do.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from .client import LeanClient, resolve_region
from .credentials import Credentials, CredentialsProvider
from .endpoints import (
    check_endpoint_url,
    checked_region,
    partition_of,
    region_from_environment,
)
from .errors import (
    LeanConfigurationError,
    LeanConnectionError,
    LeanServiceError,
)
from .raw import LeanRawTransport

#: The STS API version every Query request names.
STS_VERSION = "2011-06-15"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
#: The operations this module knows how to shape the answer of.
OPERATIONS = frozenset({"AssumeRole"})
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() == "true"


def resolve_sts_endpoint(
    region: str | None,
    *,
    endpoint_url: str | None = None,
    use_fips: bool = False,
    use_dualstack: bool = False,
) -> str:
    """The regional STS endpoint for ``region`` (botocore's STS rules with regional endpoints,
    its default), or ``endpoint_url`` when one is given.

    :raises LeanConfigurationError: no region, a malformed one, or one in a partition the lean
        transport does not serve.
    """
    if endpoint_url:
        check_endpoint_url(endpoint_url)
        return endpoint_url
    region = checked_region(region)
    partition = partition_of(region)
    if region in partition.regions:  # aws-global and its peers: the global endpoint
        raise LeanConfigurationError(f"the global STS region {region!r} needs botocore's endpoint rules")
    if use_fips and use_dualstack:
        return f"https://sts-fips.{region}.{partition.dualstack_dns_suffix}"
    if use_fips:
        if partition.name == "aws-us-gov":  # GovCloud's STS endpoints are FIPS endpoints already
            return f"https://sts.{region}.{partition.dns_suffix}"
        return f"https://sts-fips.{region}.{partition.dns_suffix}"
    if use_dualstack:
        return f"https://sts.{region}.{partition.dualstack_dns_suffix}"
    return f"https://sts.{region}.{partition.dns_suffix}"


def sts_endpoint_from_environment(
    environ: Mapping[str, str], region: str | None, *, endpoint_url: str | None = None
) -> str:
    """As botocore resolves it: an explicit URL, ``AWS_ENDPOINT_URL_STS``, ``AWS_ENDPOINT_URL``
    (unless ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``), then the regional endpoint with
    ``AWS_USE_FIPS_ENDPOINT`` / ``AWS_USE_DUALSTACK_ENDPOINT``."""
    if not endpoint_url and not _flag(environ, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        endpoint_url = environ.get("AWS_ENDPOINT_URL_STS") or environ.get("AWS_ENDPOINT_URL") or None
    if not endpoint_url and environ.get("AWS_STS_REGIONAL_ENDPOINTS", "").strip().lower() == "legacy":
        raise LeanConfigurationError("AWS_STS_REGIONAL_ENDPOINTS=legacy needs botocore's global endpoint")
    return resolve_sts_endpoint(
        region,
        endpoint_url=endpoint_url,
        use_fips=_flag(environ, "AWS_USE_FIPS_ENDPOINT"),
        use_dualstack=_flag(environ, "AWS_USE_DUALSTACK_ENDPOINT"),
    )


def encode_form(operation: str, params: Mapping[str, Any]) -> bytes:
    """The Query protocol body: ``Action``, ``Version``, then each parameter (None ones left out),
    percent-encoded as botocore encodes them (unreserved characters kept)."""
    if operation not in OPERATIONS:
        raise LeanConfigurationError(f"the lean STS transport does not send {operation[:40]!r}")
    pairs = [("Action", operation), ("Version", STS_VERSION)]
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise LeanConfigurationError(f"{operation}: {name} must be a string or an int")
        pairs.append((name, str(value)))
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs).encode("ascii")


def _parse(body: bytes) -> Any:
    """The XML document's root element; a DOCTYPE or ENTITY declaration is refused.

    :raises ValueError: a declaration, or a body that is not well-formed XML.
    """
    from xml.etree import ElementTree

    if _DOCTYPE.search(body):
        raise ValueError("the answer declares a document type")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:  # a SyntaxError: give callers one ValueError to catch
        raise ValueError(f"the answer is not well-formed XML ({exc.position})") from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _to_dict(element: Any) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    return {_local(child.tag): _to_dict(child) for child in children}


def parse_result(operation: str, body: bytes) -> dict[str, Any]:
    """A successful answer as botocore shapes it (``Expiration`` a datetime, sizes ints).

    :raises ValueError: the body is not the operation's XML answer.
    """
    root = _parse(body)
    if _local(root.tag) != f"{operation}Response":
        raise ValueError(f"the answer is not an {operation}Response")
    result = next((c for c in root if _local(c.tag) == f"{operation}Result"), None)
    if result is None:
        raise ValueError(f"the answer has no {operation}Result")
    data = _to_dict(result)
    if not isinstance(data, dict) or not isinstance(data.get("Credentials"), dict):
        raise ValueError("the answer carries no credentials")
    creds = data["Credentials"]
    for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"):
        if not isinstance(creds.get(name), str) or not creds[name]:
            raise ValueError(f"the answer's credentials have no {name}")
    creds["Expiration"] = datetime.datetime.fromisoformat(creds["Expiration"].replace("Z", "+00:00"))
    if isinstance(size := data.get("PackedPolicySize"), str) and size.isdigit():
        data["PackedPolicySize"] = int(size)
    meta = next((c for c in root if _local(c.tag) == "ResponseMetadata"), None)
    request_id = _to_dict(meta).get("RequestId", "") if meta is not None and len(meta) else ""
    data["ResponseMetadata"] = {"RequestId": request_id}
    return data


def parse_error(status: int, body: bytes) -> tuple[str, str, str | None, dict[str, Any]]:
    """``(code, message, request id, parsed body)`` of an error answer; a body that is not STS's
    error XML gives the HTTP status as the code (as botocore does)."""
    try:
        root = _parse(body)
    except ValueError:  # a balancer's page, a truncated or hostile body
        return str(status), "", None, {}
    error = next((c for c in root if _local(c.tag) == "Error"), None)
    fields = _to_dict(error) if error is not None else {}
    if not isinstance(fields, dict):
        fields = {}
    request_id = next((c.text for c in root if _local(c.tag) == "RequestId"), None)
    code = fields.get("Code") or str(status)
    return str(code), str(fields.get("Message", "")), request_id, {"Error": fields}


class LeanSts(LeanClient):
    """STS over the lean pool: ``call("AssumeRole", params)`` -> botocore-shaped dict, one attempt.

    Credentials as :class:`~.transport.LeanTransport`'s (given, else environment, else container);
    ``repr`` shows region and endpoint only.
    """

    service: ClassVar[str] = "sts"
    content_type: ClassVar[str] = CONTENT_TYPE

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        credentials: Credentials | CredentialsProvider | None = None,
        max_connections: int = 10,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        resolved = resolve_region(region, env)
        super().__init__(
            region=resolved,
            endpoint_url=sts_endpoint_from_environment(env, resolved, endpoint_url=endpoint_url),
            credentials=credentials,
            environ=env,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    async def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one STS request, one attempt.

        :raises LeanServiceError: STS answered with an error (code, message, parsed body).
        :raises LeanConnectionError: no answer, or an answer that is not the operation's XML.
        :raises LeanCredentialsError: no base credentials.
        :raises LeanConfigurationError: an operation or parameter this module does not send.
        """
        body = encode_form(operation, params)
        response = await self.send(body, {})
        if response.status >= 300:
            code, message, request_id, data = parse_error(response.status, response.body)
            raise LeanServiceError(response.status, code, message, request_id, data)
        try:
            data = parse_result(operation, response.body)
        except ValueError as exc:  # never a secret in the message
            raise LeanConnectionError(
                f"STS answered HTTP {response.status} with a body that is not an {operation} answer",
                cause=exc,
                request_sent=True,
                reused_connection=False,
            ) from None
        meta = data["ResponseMetadata"]
        meta.update(HTTPStatusCode=response.status, HTTPHeaders=response.headers, RetryAttempts=0)
        meta["RequestId"] = meta["RequestId"] or response.headers.get("x-amzn-requestid", "")
        return data


class LeanStsRawTransport(LeanRawTransport):
    """The lean STS way to the wire: the lean raw transport (one attempt, errors through the shared
    error table) sending through :class:`LeanSts`."""

    service = "sts"
    label = "lean STS transport"
    client_type = LeanSts


def sts_lean_reason(environ: Mapping[str, str], region: str | None, endpoint_url: str | None) -> str | None:
    """Why STS cannot go lean here (its endpoint needs botocore's rules, or a proxy is set for
    it), or None when it can."""
    from .environment import _proxy_for

    try:
        url = sts_endpoint_from_environment(
            environ, region or region_from_environment(environ), endpoint_url=endpoint_url
        )
    except LeanConfigurationError as exc:
        if "Missing Region" in str(exc):
            return None  # reported by the first call, as on the DynamoDB path
        return f"STS endpoint: {exc}"
    if _proxy_for(environ, url):
        return "an HTTP proxy is configured for the STS endpoint"
    return None


__all__ = [
    "LeanSts",
    "LeanStsRawTransport",
    "encode_form",
    "parse_error",
    "parse_result",
    "resolve_sts_endpoint",
    "sts_endpoint_from_environment",
    "sts_lean_reason",
]
