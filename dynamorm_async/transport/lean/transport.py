"""The lean DynamoDB transport: JSON 1.0 + SigV4 over a keep-alive connection pool, stdlib only.

One :meth:`LeanTransport.call` is one attempt; retries, deadlines and the mapping of the
exceptions in :mod:`.errors` onto the library's error tree belong to the layer above.
"""

from __future__ import annotations

import os
import sys
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .credentials import (
    ContainerProvider,
    Credentials,
    CredentialsProvider,
    RefreshingCredentials,
    StaticCredentials,
    container_configured,
    from_environment,
)
from .endpoints import endpoint_from_environment, region_from_environment
from .errors import (
    LeanChecksumError,
    LeanConfigurationError,
    LeanConnectionError,
    LeanCredentialsError,
    LeanServiceError,
)
from .http import ConnectionPool
from .sigv4 import amz_date, sign
from .wire import decode_response, encode_request, error_fields

_TARGET_PREFIX = "DynamoDB_20120810."
_CONTENT_TYPE = "application/x-amz-json-1.0"
_USER_AGENT = f"dynamorm_async-lean/1 Python/{sys.version_info[0]}.{sys.version_info[1]}"


def default_credentials(environ: Mapping[str, str]) -> StaticCredentials | RefreshingCredentials | None:
    """The lean credential chain: environment variables, then the container endpoint; else None."""
    found = from_environment(environ)
    if found is not None:
        return StaticCredentials(found)
    if container_configured(environ):
        return RefreshingCredentials(ContainerProvider(environ))
    return None


def _host_header(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != {"http": 80, "https": 443}[parts.scheme]:
        host = f"{host}:{port}"
    return host, parts.path or "/"


class LeanTransport:
    """DynamoDB's data plane without aiobotocore: ``call(operation, params)`` -> botocore-shaped dict.

    ``region`` and ``endpoint_url`` default to the environment (see :mod:`.endpoints`);
    ``credentials`` may be :class:`Credentials`, an async provider (see
    :data:`~.credentials.CredentialsProvider`; refreshed before expiry) or None for the environment
    variables, then the container endpoint. ``environ`` replaces ``os.environ`` (tests).
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        credentials: Credentials | CredentialsProvider | None = None,
        max_connections: int = 10,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        idle_timeout: float = 30.0,
        use_fips: bool | None = None,
        use_dualstack: bool | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        resolved = region or region_from_environment(env)
        if not resolved:
            raise LeanConfigurationError("no region: pass region= or set AWS_REGION")
        self.region: str = resolved
        self.endpoint_url = endpoint_from_environment(
            env, self.region, endpoint_url=endpoint_url, use_fips=use_fips, use_dualstack=use_dualstack
        )
        self._credentials: StaticCredentials | RefreshingCredentials | None
        if isinstance(credentials, Credentials):
            self._credentials = StaticCredentials(credentials)
        elif credentials is not None:
            self._credentials = RefreshingCredentials(credentials)
        else:
            self._credentials = default_credentials(env)
        host, self._path = _host_header(self.endpoint_url)
        self._head = (
            f"POST {self._path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {_CONTENT_TYPE}\r\n"
            f"User-Agent: {_USER_AGENT}\r\nAccept-Encoding: identity\r\n"
        )
        self._sign_headers = {"Host": host, "Content-Type": _CONTENT_TYPE}
        self.pool = ConnectionPool(
            self.endpoint_url,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            idle_timeout=idle_timeout,
            cafile=env.get("AWS_CA_BUNDLE") or None,
        )

    def __repr__(self) -> str:
        return f"LeanTransport(region={self.region!r}, endpoint_url={self.endpoint_url!r})"

    def invalidate_credentials(self) -> None:
        """Drop cached refreshable credentials so the next call fetches them again."""
        if isinstance(self._credentials, RefreshingCredentials):
            self._credentials.invalidate()

    async def _get_credentials(self) -> Credentials:
        if self._credentials is None:
            raise LeanCredentialsError(
                "no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the container endpoint, "
                "or pass credentials="
            )
        if isinstance(self._credentials, StaticCredentials):
            credentials = await self._credentials()
        else:
            credentials = await self._credentials.get()
        for value in (credentials.access_key, credentials.token or ""):
            if "\r" in value or "\n" in value:
                raise LeanCredentialsError("credentials contain a line break")
        return credentials

    async def call(
        self, operation: str, params: Mapping[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        """Send one DynamoDB request, one attempt, and return the answer as botocore shapes it.

        ``table`` is informational (for the layers above); the table travels in ``params``.

        :raises LeanServiceError: DynamoDB answered with an error (code, message, parsed body).
        :raises LeanConnectionError: no answer (``request_sent`` says whether it is in doubt).
        :raises LeanChecksumError: the answer does not match its ``x-amz-crc32``.
        :raises LeanCredentialsError: no credentials.
        :raises LeanConfigurationError: a bad operation name or a value JSON cannot carry.
        """
        if not (operation.isascii() and operation.isalnum()):
            raise LeanConfigurationError(f"invalid operation name {operation[:40]!r}")
        body = encode_request(params)
        credentials = await self._get_credentials()
        target = _TARGET_PREFIX + operation
        headers = {**self._sign_headers, "X-Amz-Target": target}
        signed = sign(
            method="POST",
            path=self._path,
            headers=headers,
            body=body,
            access_key=credentials.access_key,
            secret_key=credentials.secret_key,
            token=credentials.token,
            region=self.region,
            service="dynamodb",
            timestamp=amz_date(),
        )
        head = [self._head, "X-Amz-Target: ", target, "\r\n"]
        for name, value in signed.items():
            head += (name, ": ", value, "\r\n")
        head += ("Content-Length: ", str(len(body)), "\r\n\r\n")
        response = await self.pool.request("".join(head).encode("utf-8") + body)
        request_id = response.headers.get("x-amzn-requestid")
        expected = response.headers.get("x-amz-crc32")
        if expected is not None:
            actual = zlib.crc32(response.body) & 0xFFFFFFFF
            if not expected.isdigit() or int(expected) != actual:
                raise LeanChecksumError(int(expected) if expected.isdigit() else -1, actual, request_id)
        try:
            data = decode_response(response.body)
        except ValueError as exc:
            if response.status < 300:
                raise LeanConnectionError(
                    f"DynamoDB answered HTTP {response.status} with a body that is not JSON",
                    cause=exc,
                    request_sent=True,
                    reused_connection=False,
                ) from exc
            data = {}
        if response.status >= 300:
            code, message = error_fields(response.status, data)
            raise LeanServiceError(response.status, code, message, request_id, data)
        data["ResponseMetadata"] = {
            "RequestId": request_id or "",
            "HTTPStatusCode": response.status,
            "HTTPHeaders": response.headers,
            "RetryAttempts": 0,
        }
        return data

    async def close(self) -> None:
        """Close the pool's idle connections; the transport can still be used afterwards."""
        await self.pool.close()
