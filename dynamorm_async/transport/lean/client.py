"""What every lean AWS client shares: region, signing credentials, the keep-alive pool and one
signed POST. :class:`~.transport.LeanTransport` (DynamoDB, JSON 1.0) and :class:`~.sts.LeanSts`
(STS, the Query protocol) differ only in how a request's body is written and its answer read.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, ClassVar
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
from .endpoints import region_from_environment
from .errors import LeanConfigurationError, LeanCredentialsError
from .http import ConnectionPool, Response
from .sigv4 import amz_date, sign

USER_AGENT = f"dynamorm_async-lean/1 Python/{sys.version_info[0]}.{sys.version_info[1]}"


def default_credentials(environ: Mapping[str, str]) -> StaticCredentials | RefreshingCredentials | None:
    """The lean credential chain: environment variables, then the container endpoint; else None."""
    found = from_environment(environ)
    if found is not None:
        return StaticCredentials(found)
    if container_configured(environ):
        return RefreshingCredentials(ContainerProvider(environ))
    return None


def host_header(url: str) -> tuple[str, str]:
    """The ``Host`` header (port only when not the scheme's) and the path of an endpoint URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != {"http": 80, "https": 443}[parts.scheme]:
        host = f"{host}:{port}"
    return host, parts.path or "/"


def resolve_region(region: str | None, environ: Mapping[str, str]) -> str:
    """``region``, else the environment's; :class:`LeanConfigurationError` when there is none."""
    resolved = region or region_from_environment(environ)
    if not resolved:
        raise LeanConfigurationError("no region: pass region= or set AWS_REGION")
    return resolved


class LeanClient:
    """One AWS service at one endpoint: credentials (given, else environment, else container),
    a bounded keep-alive pool with TLS always verified (``AWS_CA_BUNDLE`` honoured), and
    :meth:`send` of one SigV4-signed POST. ``repr`` shows region and endpoint only."""

    #: The SigV4 service name and the body's content type.
    service: ClassVar[str]
    content_type: ClassVar[str]

    def __init__(
        self,
        *,
        region: str,
        endpoint_url: str,
        credentials: Credentials | CredentialsProvider | None,
        environ: Mapping[str, str],
        max_connections: int = 10,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        idle_timeout: float = 30.0,
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self._credentials: StaticCredentials | RefreshingCredentials | None
        if isinstance(credentials, Credentials):
            self._credentials = StaticCredentials(credentials)
        elif credentials is not None:
            self._credentials = RefreshingCredentials(credentials)
        else:
            self._credentials = default_credentials(environ)
        host, self._path = host_header(endpoint_url)
        self._head = (
            f"POST {self._path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {self.content_type}\r\n"
            f"User-Agent: {USER_AGENT}\r\nAccept-Encoding: identity\r\n"
        )
        self._sign_headers = {"Host": host, "Content-Type": self.content_type}
        self.pool = ConnectionPool(
            endpoint_url,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            idle_timeout=idle_timeout,
            cafile=environ.get("AWS_CA_BUNDLE") or None,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(region={self.region!r}, endpoint_url={self.endpoint_url!r})"

    def invalidate_credentials(self) -> None:
        """Drop cached refreshable credentials so the next call fetches them again."""
        if isinstance(self._credentials, RefreshingCredentials):
            self._credentials.invalidate()

    async def credentials(self) -> Credentials:
        """The signing credentials; :class:`LeanCredentialsError` when there are none."""
        if self._credentials is None:
            raise LeanCredentialsError(
                "no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the container endpoint, "
                "or pass credentials="
            )
        if isinstance(self._credentials, StaticCredentials):
            found = await self._credentials()
        else:
            found = await self._credentials.get()
        for value in (found.access_key, found.token or ""):
            if "\r" in value or "\n" in value:
                raise LeanCredentialsError("credentials contain a line break")
        return found

    async def send(self, body: bytes, extra_headers: Mapping[str, str]) -> Response:
        """One signed POST of ``body`` with ``extra_headers`` (signed too); the raw answer."""
        found = await self.credentials()
        signed = sign(
            method="POST",
            path=self._path,
            headers={**self._sign_headers, **extra_headers} if extra_headers else self._sign_headers,
            body=body,
            access_key=found.access_key,
            secret_key=found.secret_key,
            token=found.token,
            region=self.region,
            service=self.service,
            timestamp=amz_date(),
        )
        head = [self._head]
        for name, value in extra_headers.items():
            head += (name, ": ", value, "\r\n")
        for name, value in signed.items():
            head += (name, ": ", value, "\r\n")
        head += ("Content-Length: ", str(len(body)), "\r\n\r\n")
        return await self.pool.request("".join(head).encode("utf-8") + body)

    async def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request of ``operation``, one attempt; the answer shaped as botocore shapes it."""
        raise NotImplementedError

    async def close(self) -> None:
        """Close the pool's idle connections; the client can still be used afterwards."""
        await self.pool.close()


__all__ = ["USER_AGENT", "LeanClient", "default_credentials", "host_header", "resolve_region"]
