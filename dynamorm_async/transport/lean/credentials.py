"""Credentials for the lean transport: environment variables, the container endpoint, or any async
provider (e.g. a partner's refreshable AssumeRole credentials), refreshed before they expire.

Secrets never appear in a ``repr``, a log line or an error message.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ...errors import DynamORMError
from .errors import LeanConnectionError, LeanCredentialsError


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access key, its secret, an optional session token and expiry (epoch seconds, or None)."""

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    expiry: float | None = None


#: An async callable giving credentials: a :class:`Credentials` or a tuple
#: ``(access_key, secret_key, token, expiry)`` whose expiry is epoch seconds, a datetime or None.
CredentialsProvider = Callable[
    [], Awaitable["Credentials | tuple[str, str, str | None, float | datetime.datetime | None]"]
]

#: Refresh this long before expiry (botocore's advisory window is 15 minutes, its mandatory 10).
REFRESH_MARGIN = 15 * 60.0
#: Past this point before expiry, old credentials are never used even if a refresh fails.
MANDATORY_MARGIN = 60.0


def _expiry_seconds(value: float | datetime.datetime | str | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.timestamp()


def normalize(value: object) -> Credentials:
    """A provider's answer as :class:`Credentials`."""
    if isinstance(value, Credentials):
        return value
    if isinstance(value, tuple) and len(value) == 4:
        access_key, secret_key, token, expiry = value
        if isinstance(access_key, str) and isinstance(secret_key, str) and access_key and secret_key:
            return Credentials(access_key, secret_key, token or None, _expiry_seconds(expiry))
    raise LeanCredentialsError("the credentials provider returned something that is not credentials")


def from_environment(environ: Mapping[str, str]) -> Credentials | None:
    """``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN`` (what Lambda sets)."""
    access_key = environ.get("AWS_ACCESS_KEY_ID")
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        return None
    token = environ.get("AWS_SESSION_TOKEN") or environ.get("AWS_SECURITY_TOKEN") or None
    return Credentials(access_key, secret_key, token)


_ECS_HOST = "169.254.170.2"
_ALLOWED_HTTP_HOSTS = frozenset({"169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost"})


def container_configured(environ: Mapping[str, str]) -> bool:
    """Whether the container credential endpoint is configured."""
    return bool(
        environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        or environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    )


class ContainerProvider:
    """Credentials from the container endpoint (ECS, Lambda SnapStart, EKS pod identity).

    ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` (on ``169.254.170.2``) or
    ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (https, or http to a loopback or the ECS/EKS link-local
    hosts, as botocore allows), with ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`` (read at every
    fetch) or ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` as the ``Authorization`` header.
    """

    def __init__(self, environ: Mapping[str, str], *, timeout: float = 2.0, attempts: int = 2) -> None:
        self._environ = dict(environ)
        self.timeout = timeout
        self.attempts = attempts
        relative = self._environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        full = self._environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        if relative:
            self.url = f"http://{_ECS_HOST}{relative}"
        elif full:
            _check_full_uri(full)
            self.url = full
        else:
            raise LeanCredentialsError("no container credentials endpoint is configured")

    def __repr__(self) -> str:
        parts = urlsplit(self.url)
        return f"ContainerProvider({parts.scheme}://{parts.netloc}{parts.path})"

    def _authorization(self) -> str | None:
        token_file = self._environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        if token_file:
            try:
                with open(token_file, encoding="utf-8") as fh:
                    token = fh.read().strip()
            except OSError as exc:
                raise LeanCredentialsError(
                    f"cannot read the container authorization token file: {exc.strerror}"
                ) from None
        else:
            token = self._environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN", "")
        if any(c in token for c in "\r\n"):
            raise LeanCredentialsError("the container authorization token contains a line break")
        return token or None

    async def __call__(self) -> Credentials:
        """Fetch credentials from the endpoint (a few tries, each bounded by ``timeout``)."""
        from .http import get_once

        headers = {}
        if (token := self._authorization()) is not None:
            headers["Authorization"] = token
        last: Exception | None = None
        for _ in range(self.attempts):
            try:
                response = await get_once(
                    self.url,
                    headers,
                    seconds=self.timeout,
                    cafile=self._environ.get("AWS_CA_BUNDLE") or None,
                )
            except LeanConnectionError as exc:
                last = exc
                continue
            if response.status != 200:
                last = LeanCredentialsError(f"container credentials endpoint answered HTTP {response.status}")
                if response.status < 500:
                    break
                continue
            return _parse_container_answer(response.body)
        raise LeanCredentialsError(f"container credentials unavailable: {last}") from None


def _check_full_uri(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        if host in _ALLOWED_HTTP_HOSTS:
            return
        import ipaddress  # only this check needs it: not on every cold start

        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
    raise LeanCredentialsError(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or container host"
    )


def _parse_container_answer(body: bytes) -> Credentials:
    try:
        data = json.loads(body)
        return Credentials(
            str(data["AccessKeyId"]),
            str(data["SecretAccessKey"]),
            str(data["Token"]) if data.get("Token") else None,
            _expiry_seconds(data.get("Expiration")),
        )
    except (ValueError, KeyError, TypeError):
        raise LeanCredentialsError("container credentials endpoint answered without credentials") from None


class RefreshingCredentials:
    """Caches a provider's credentials and refreshes them before they expire.

    Refreshing starts :data:`REFRESH_MARGIN` before expiry; concurrent callers share one refresh
    (single flight). If a refresh fails while the old credentials have more than
    :data:`MANDATORY_MARGIN` left, the old ones are used and the next call tries again.
    """

    def __init__(self, provider: CredentialsProvider, *, clock: Callable[[], float] = time.time) -> None:
        self._provider = provider
        self._clock = clock
        self._current: Credentials | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.refreshes = 0

    def __repr__(self) -> str:
        # The provider's type only: a custom provider's repr might show what it holds.
        return f"RefreshingCredentials({type(self._provider).__name__})"

    def invalidate(self) -> None:
        """Forget the cached credentials: the next :meth:`get` asks the provider (e.g. after AWS
        refused them as expired and the provider's source was refreshed)."""
        self._current = None

    def _fresh(self, credentials: Credentials | None) -> bool:
        return credentials is not None and (
            credentials.expiry is None or self._clock() < credentials.expiry - REFRESH_MARGIN
        )

    async def get(self) -> Credentials:
        """Current credentials, refreshed first when they are close to expiry.

        :raises LeanCredentialsError: the provider failed and no usable credentials are cached.
        """
        current = self._current
        if current is not None and self._fresh(current):
            return current
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        async with self._lock:  # single flight: waiters find the fresh credentials below
            current = self._current
            if current is not None and self._fresh(current):
                return current
            try:
                credentials = normalize(await self._provider())
            except Exception as exc:
                if (
                    current is not None
                    and current.expiry is not None
                    and (self._clock() < current.expiry - MANDATORY_MARGIN)
                ):
                    return current
                if isinstance(exc, LeanCredentialsError | DynamORMError):
                    raise  # ours, or the library's own typed error (e.g. a partner's AssumeRoleError)
                # A custom provider's own error: name its type only, its message may hold secrets.
                raise LeanCredentialsError(f"the credentials provider failed: {type(exc).__name__}") from None
            self.refreshes += 1
            self._current = credentials
            return credentials


class StaticCredentials:
    """A provider that always gives the same credentials (environment variables)."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def __repr__(self) -> str:
        return f"StaticCredentials(access_key={self._credentials.access_key!r})"

    async def __call__(self) -> Credentials:
        """The credentials given at construction."""
        return self._credentials
