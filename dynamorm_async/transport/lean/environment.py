"""Whether the lean transport is complete for an environment: can it find the same credentials
and endpoint that botocore's full chain would, by itself? ``auto`` selection uses the answer.

Complete: explicit or environment credentials, or the container endpoint when nothing botocore
would consult first is present; a region from arguments or ``AWS_REGION``/``AWS_DEFAULT_REGION``;
an endpoint this package resolves; no HTTP proxy for it. Anything else (profiles, SSO, web
identity, IMDS, config files, proxies) needs the aiobotocore transport.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .credentials import container_configured, from_environment
from .endpoints import endpoint_from_environment, region_from_environment
from .errors import LeanError


@dataclass(frozen=True, slots=True)
class Completeness:
    """The answer and, when incomplete, why (for a DEBUG log line or debug stats)."""

    complete: bool
    reason: str

    def __bool__(self) -> bool:
        return self.complete


def _files_present(environ: Mapping[str, str]) -> str | None:
    for variable, default in (
        ("AWS_CONFIG_FILE", "~/.aws/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    ):
        path = os.path.expanduser(environ.get(variable) or default)
        if os.path.exists(path):
            return f"an AWS {'config' if variable == 'AWS_CONFIG_FILE' else 'credentials'} file exists"
    return None


def _proxy_for(environ: Mapping[str, str], url: str) -> bool:
    parts = urlsplit(url)
    names = ("https_proxy", "HTTPS_PROXY") if parts.scheme == "https" else ("http_proxy", "HTTP_PROXY")
    if not any(environ.get(n) for n in (*names, "all_proxy", "ALL_PROXY")):
        return False
    host = (parts.hostname or "").lower()
    no_proxy = environ.get("no_proxy") or environ.get("NO_PROXY") or ""
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return False
        name = entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry
        name = name.lstrip(".")
        if host == name or host.endswith("." + name):
            return False
    return True


def lean_completeness(
    environ: Mapping[str, str] | None = None,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    credentials_given: bool = False,
) -> Completeness:
    """Whether :class:`~.transport.LeanTransport` alone serves this environment like botocore would.

    ``credentials_given``: the caller passes its own credentials provider (e.g. a partner's).
    """
    env = os.environ if environ is None else environ
    region = region or region_from_environment(env)
    if not region:
        return Completeness(False, "no region in the arguments or environment")
    try:
        url = endpoint_from_environment(env, region, endpoint_url=endpoint_url)
    except LeanError as exc:
        return Completeness(False, f"endpoint not resolvable: {exc}")
    if _proxy_for(env, url):
        return Completeness(False, "an HTTP proxy is configured for the endpoint")
    if credentials_given or from_environment(env) is not None:
        if (files := _files_present(env)) is not None and not endpoint_url:
            return Completeness(False, f"{files} (it may set endpoints or other options)")
        return Completeness(True, "credentials given" if credentials_given else "environment credentials")
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        if env.get(variable):
            return Completeness(False, f"{variable} is set (profiles and web identity need botocore)")
    if (files := _files_present(env)) is not None:
        return Completeness(False, files)
    if container_configured(env):
        try:
            from .credentials import ContainerProvider

            ContainerProvider(env)
        except LeanError as exc:
            return Completeness(False, str(exc))
        return Completeness(True, "container credentials endpoint")
    return Completeness(False, "no environment or container credentials (IMDS needs botocore)")
