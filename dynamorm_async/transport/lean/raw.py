"""The lean way to the wire as a :class:`~dynamorm_async.transport.base.RawTransport`.

:class:`LeanRawTransport` sends one attempt through a :class:`~.transport.LeanTransport` and
raises what goes wrong through the shared error table (:mod:`dynamorm_async.transport.errortable`),
so the retrying transport treats both ways to the wire alike: an error answer becomes
:func:`~..errortable.aws_error` (``.code`` is AWS's), a lost or refused connection
:func:`~..errortable.connection_failed` with ``may_have_reached_aws`` from the lean pool's own
knowledge of whether the request was written, a damaged answer ``CHECKSUM_MISMATCH`` (retried),
a certificate or handshake failure ``TLS_FAILED``. Nothing here retries, waits or hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ... import errors
from ..base import STATS, TransportConfig
from ..errortable import (
    CHECKSUM_MISMATCH,
    CONNECT_FAILED,
    READ_TIMEOUT,
    TLS_FAILED,
    aws_error,
    connection_failed,
)
from .client import LeanClient
from .credentials import Credentials, CredentialsProvider
from .errors import (
    LeanChecksumError,
    LeanConfigurationError,
    LeanConnectionError,
    LeanCredentialsError,
    LeanServiceError,
)
from .transport import LeanTransport


class LeanRawTransport:
    """One attempt per :meth:`send` on the lean transport; its errors in the library's tree.

    ``credentials`` is optional lean :class:`~.credentials.Credentials` or an async provider
    (refreshed before expiry); without it the environment, then the container endpoint, is used.
    The lean transport is made on first use, so a missing region is reported by the first call
    (as botocore's ``NoRegion``), never by the constructor.
    """

    service = "dynamodb"
    #: Which way to the wire this is (also :attr:`RetryingTransport.http`).
    http = "lean"
    #: How this transport names itself in configuration errors.
    label = "lean transport"
    #: The lean client it sends through (a subclass names another service's).
    client_type: ClassVar[Callable[..., LeanClient]] = LeanTransport

    def __init__(
        self,
        config: TransportConfig | None = None,
        *,
        credentials: Credentials | CredentialsProvider | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config or TransportConfig()
        self._credentials = credentials
        self._environ = environ
        self._lean: LeanClient | None = None
        self._open = False

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self._lean!r})" if self._lean else f"{name}(unconnected)"

    @property
    def has_client(self) -> bool:
        """Whether the connection pool is open (made by the first send or :meth:`connect`)."""
        return self._open

    def _new_client(self) -> LeanClient:
        cfg = self.config
        return self.client_type(
            region=cfg.region,
            endpoint_url=cfg.endpoint_url,
            credentials=self._credentials,
            max_connections=cfg.max_pool_connections,
            connect_timeout=cfg.connect_timeout,
            read_timeout=cfg.read_timeout,
            environ=self._environ,
        )

    def lean(self) -> LeanClient:
        """The lean client, made on first use (resolves region, endpoint and credentials)."""
        if self._lean is None:
            try:
                self._lean = self._new_client()
            except LeanConfigurationError as exc:
                code = "NoRegion" if "region" in str(exc) else "InvalidEndpoint"
                raise errors.CredentialsError(f"{self.label}: {exc}", code=code) from None
        if not self._open:
            self._open = True
            STATS.clients_created += 1
        return self._lean

    def invalidate_credentials(self) -> None:
        """Fetch credentials from their provider again on the next send (they were refreshed)."""
        if self._lean is not None:
            self._lean.invalidate_credentials()

    async def connect(self) -> None:
        """Resolve region, endpoint and credentials now (connections open on first send)."""
        lean = self.lean()
        try:
            await lean.credentials()
        except LeanCredentialsError as exc:
            raise _credentials_error(exc, "CreateClient") from None

    async def send(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one attempt; every failure leaves as one of the library's errors."""
        lean = self.lean()
        try:
            return await lean.call(operation, params)
        except LeanServiceError as exc:
            raise aws_error(
                exc.status, exc.code, exc.message, exc.request_id, exc.body, operation=operation
            ) from None
        except LeanConnectionError as exc:
            raise _connection_error(exc, operation) from exc
        except LeanChecksumError as exc:
            raise connection_failed(
                None, may_have_reached_aws=True, operation=operation, code=CHECKSUM_MISMATCH
            ) from exc
        except LeanCredentialsError as exc:
            raise _credentials_error(exc, operation) from None
        except LeanConfigurationError as exc:
            raise errors.InvalidInput(f"{operation}: {exc}") from None

    async def close(self) -> None:
        """Close the pool's connections; the next send opens new ones."""
        if self._lean is not None and self._open:
            self._open = False
            STATS.clients_closed += 1
            await self._lean.close()


def _connection_error(exc: LeanConnectionError, operation: str) -> errors.ConnectionFailed:
    cause = exc.cause
    names = {cls.__name__ for cls in type(cause).__mro__} if cause is not None else set()
    code: str | None
    if "SSLError" in names or "CertificateError" in names:
        code = TLS_FAILED
    elif not exc.request_sent:
        code = CONNECT_FAILED if not exc.reused_connection else None
    elif isinstance(cause, TimeoutError):
        code = READ_TIMEOUT
    else:
        code = None
    failed = connection_failed(cause, may_have_reached_aws=exc.request_sent, operation=operation, code=code)
    failed.args = (str(exc), *failed.args[1:])
    return failed


def _credentials_error(exc: LeanCredentialsError, operation: str) -> errors.CredentialsError:
    text = str(exc)
    code = "NoCredentials" if text.startswith("no credentials") else "CredentialRetrievalFailed"
    return errors.CredentialsError(f"{operation}: {text}", code=code)


__all__ = ["LeanRawTransport"]
