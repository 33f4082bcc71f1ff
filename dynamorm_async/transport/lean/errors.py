"""The lean transport's own exceptions, small and plain, to be mapped onto the library's tree.

::

    LeanError
    ├── LeanServiceError        DynamoDB answered with an HTTP error (status, AWS code, body)
    ├── LeanConnectionError     no usable answer: connect, TLS, write, read or timeout failure
    ├── LeanChecksumError       an answer arrived but its ``x-amz-crc32`` does not match
    ├── LeanCredentialsError    no credentials, or the credential source failed
    └── LeanConfigurationError  bad region / endpoint / request value; nothing was sent

None of them ever carries a secret: credentials, signatures and tokens stay out of every message.
"""

from __future__ import annotations

from typing import Any


class LeanError(Exception):
    """Root of the lean transport's exceptions."""


class LeanServiceError(LeanError):
    """DynamoDB answered with an HTTP error status.

    ``code`` is the part of the body's ``__type`` after ``#`` (e.g. ``ConditionalCheckFailedException``),
    ``body`` the parsed answer with binary values decoded to ``bytes``: it holds e.g.
    ``CancellationReasons`` for a cancelled transaction, or ``Item`` for a failed condition asked
    with ``ReturnValuesOnConditionCheckFailure``.
    """

    def __init__(
        self, status: int, code: str, message: str, request_id: str | None, body: dict[str, Any]
    ) -> None:
        super().__init__(f"{code} (HTTP {status}): {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.body = body


class LeanConnectionError(LeanError):
    """The request got no usable answer because of the connection (or a timeout).

    ``request_sent`` is True when every byte of the request had been written: DynamoDB may have
    received and applied it, so the outcome is in doubt. When False, DynamoDB cannot have acted on
    it. ``reused_connection`` says whether the connection came from the pool (a keep-alive
    connection the server may have closed meanwhile); such a request is never re-sent silently.
    ``cause`` is the original exception (also ``__cause__``).
    """

    def __init__(
        self, message: str, *, cause: BaseException | None, request_sent: bool, reused_connection: bool
    ) -> None:
        super().__init__(message)
        self.cause = cause
        self.request_sent = request_sent
        self.reused_connection = reused_connection

    @property
    def in_doubt(self) -> bool:
        """Whether DynamoDB may have applied the request (it was fully written)."""
        return self.request_sent


class LeanChecksumError(LeanError):
    """The answer's body does not match its ``x-amz-crc32`` header: DynamoDB answered, the bytes
    were damaged on the way. A write's outcome is in doubt (``in_doubt`` is always True)."""

    in_doubt = True

    def __init__(self, expected: int, actual: int, request_id: str | None) -> None:
        super().__init__(f"CRC32 mismatch on the answer: header {expected}, body {actual}")
        self.expected = expected
        self.actual = actual
        self.request_id = request_id


class LeanCredentialsError(LeanError):
    """No credentials could be found, or the credential source (e.g. the container endpoint) failed."""


class LeanConfigurationError(LeanError, ValueError):
    """A region, endpoint or request value the lean transport cannot use; nothing was sent."""
