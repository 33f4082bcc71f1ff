"""The one table from what can go wrong on the wire to the library's errors.

Every way to the wire reports failures in one of two shapes, and this module turns both into
the library's errors (:mod:`dynamorm_async.errors`):

* an **error answer** from AWS: :func:`aws_error` (HTTP status, AWS error code, message, request
  id, parsed body), by the code: throttling codes to :class:`~dynamorm_async.errors.Throttled`,
  ``ConditionalCheckFailedException`` to :class:`~dynamorm_async.errors.ConditionCheckFailed`, ...;
* **no usable answer**: :func:`connection_failed` (the exception, and whether the request may
  have reached AWS) to :class:`~dynamorm_async.errors.ConnectionFailed`, whose ``code`` is one of
  the constants below.

:func:`library_error` maps any exception a way to the wire lets out (botocore's and aiohttp's,
recognised by class name so that this module imports neither; ``OSError``; ``TimeoutError``).
The retrying transport (:mod:`dynamorm_async.transport.core`) applies it to every attempt: it
is the one place errors are mapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import errors

# --------------------------------------------------------------------------- documented codes
#: ``ConnectionFailed.code``: the connection could not be made (refused, DNS, connect timeout,
#: proxy); the request certainly did not reach AWS.
CONNECT_FAILED = "ConnectFailed"
#: The connection was closed or reset after the request was (maybe) sent; the answer is lost.
CONNECTION_LOST = "ConnectionLost"
#: No answer within the read timeout; the request was sent.
READ_TIMEOUT = "ReadTimeout"
#: The answer's ``x-amz-crc32`` did not match its body (corrupted on the way); it was sent.
CHECKSUM_MISMATCH = "ResponseChecksumMismatch"
#: TLS failed (certificate or handshake); nothing was sent.
TLS_FAILED = "TLSFailed"
#: A failure the table does not know: treated as a lost connection (sent, answer lost).
UNKNOWN_FAILURE = "TransportFailure"

#: Every ``code`` a :class:`~dynamorm_async.errors.ConnectionFailed` can carry.
CONNECTION_CODES = frozenset(
    {CONNECT_FAILED, CONNECTION_LOST, READ_TIMEOUT, CHECKSUM_MISMATCH, TLS_FAILED, UNKNOWN_FAILURE}
)

# --------------------------------------------------------------------------- AWS error codes
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "Throttling",
        "TooManyRequestsException",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "AccessDenied",
        "AccessDeniedException",
        "SignatureDoesNotMatch",
    }
)

# --------------------------------------------------------------------------- exception classes
#: Exception class names (botocore, aiohttp, stdlib), looked up along the exception's MRO, most
#: specific first: (code, whether the request may have reached AWS).
EXCEPTION_TABLE: Mapping[str, tuple[str, bool]] = {
    # botocore (what aiobotocore raises, having wrapped aiohttp's errors)
    "ConnectTimeoutError": (CONNECT_FAILED, False),
    "EndpointConnectionError": (CONNECT_FAILED, False),
    "ProxyConnectionError": (CONNECT_FAILED, False),
    "SSLError": (TLS_FAILED, False),
    "ConnectionClosedError": (CONNECTION_LOST, True),
    "ReadTimeoutError": (READ_TIMEOUT, True),
    "ResponseStreamingError": (CONNECTION_LOST, True),
    "IncompleteReadError": (CONNECTION_LOST, True),
    "HTTPClientError": (CONNECTION_LOST, True),
    # aiohttp, should one escape unwrapped
    "ClientConnectorError": (CONNECT_FAILED, False),
    "ClientProxyConnectionError": (CONNECT_FAILED, False),
    "ClientSSLError": (TLS_FAILED, False),
    "ServerDisconnectedError": (CONNECTION_LOST, True),
    "ServerTimeoutError": (READ_TIMEOUT, True),
    "ClientPayloadError": (CONNECTION_LOST, True),
    "ClientOSError": (CONNECTION_LOST, True),
    "ClientConnectionError": (CONNECTION_LOST, True),
    "ClientError": (CONNECTION_LOST, True),
    # the standard library
    "ConnectionRefusedError": (CONNECT_FAILED, False),
    "gaierror": (CONNECT_FAILED, False),
    "SSLCertVerificationError": (TLS_FAILED, False),
    "ConnectionResetError": (CONNECTION_LOST, True),
    "BrokenPipeError": (CONNECTION_LOST, True),
    "IncompleteRead": (CONNECTION_LOST, True),
    "TimeoutError": (READ_TIMEOUT, True),
    "OSError": (CONNECTION_LOST, True),
}

#: botocore exceptions meaning no usable credentials or region, and the documented ``.code`` of each
#: (a constant of ours, never the Python class name).
CREDENTIAL_EXCEPTIONS = {
    "NoCredentialsError": "NoCredentials",
    "PartialCredentialsError": "PartialCredentials",
    "CredentialRetrievalError": "CredentialRetrievalFailed",
    "NoRegionError": "NoRegion",
}
#: botocore exceptions raised before anything is sent because the request is malformed.
INVALID_REQUEST_EXCEPTIONS = frozenset({"ParamValidationError", "ValidationError"})


def aws_error(
    status: int | None,
    code: str,
    message: str,
    request_id: str | None,
    body: Mapping[str, Any] | None,
    *,
    operation: str,
) -> errors.DynamORMError:
    """The library error for an error answer from AWS (what a way to the wire raises on one)."""
    common: dict[str, Any] = {
        "code": code,
        "operation": operation,
        "request_id": request_id,
        "status": status,
    }
    body = body or {}
    if code == "ConditionalCheckFailedException":
        out = errors.ConditionCheckFailed(message, **common)
        out.item = body.get("Item")  # raw; the manager decodes it into the model
        return out
    if code == "TransactionCanceledException":
        tc = errors.TransactionCanceled(message, **common)
        tc.reasons = [
            errors.CancellationReason(i, str(r.get("Code", "None")), r.get("Message"), r.get("Item"))
            for i, r in enumerate(body.get("CancellationReasons", []) or [])
        ]
        return tc
    if code in THROTTLING_CODES:
        return errors.Throttled(message, **common)
    if code == "ResourceNotFoundException":
        return errors.TableNotFound(message, **common)
    if code == "ResourceInUseException":
        if "exist" in message.lower():
            return errors.TableAlreadyExists(message, **common)
        return errors.TableInUse(message, **common)
    if code == "ValidationException":
        return errors.ServiceValidationError(message, **common)
    if code in CREDENTIAL_CODES:
        return errors.CredentialsError(f"{operation}: {code}: {message}", code=code)
    return errors.ServiceError(message, **common)


def connection_failed(
    exc: BaseException | None, *, may_have_reached_aws: bool, operation: str, code: str | None = None
) -> errors.ConnectionFailed:
    """The library error for a request that got no usable answer.

    ``code`` defaults to what :data:`EXCEPTION_TABLE` says for ``exc`` (or
    :data:`CONNECTION_LOST` / :data:`CONNECT_FAILED` by ``may_have_reached_aws``).
    """
    if code is None:
        found = _lookup(exc) if exc is not None else None
        code = found[0] if found else (CONNECTION_LOST if may_have_reached_aws else CONNECT_FAILED)
    what = f"{type(exc).__name__}: {exc}" if exc is not None else "no usable answer"
    return errors.ConnectionFailed(
        what, code=code, operation=operation, may_have_reached_aws=may_have_reached_aws
    )


def library_error(exc: BaseException, *, operation: str) -> errors.DynamORMError:
    """Map any exception of a way to the wire to the library's error tree (ours pass unchanged)."""
    if isinstance(exc, errors.DynamORMError):
        return exc
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and "Error" in response:  # botocore's ClientError
        err = response.get("Error") or {}
        meta = response.get("ResponseMetadata") or {}
        status = meta.get("HTTPStatusCode")
        return aws_error(
            status if isinstance(status, int) else None,
            str(err.get("Code", "")),
            str(err.get("Message", "")),
            meta.get("RequestId"),
            response,
            operation=operation,
        )
    names = [cls.__name__ for cls in type(exc).__mro__]
    if names[0] in CREDENTIAL_EXCEPTIONS:
        return errors.CredentialsError(f"{operation}: {exc}", code=CREDENTIAL_EXCEPTIONS[names[0]])
    if names[0] in INVALID_REQUEST_EXCEPTIONS:
        return errors.InvalidInput(f"{operation}: {exc}")
    found = _lookup(exc)
    if found is not None:
        return connection_failed(exc, may_have_reached_aws=found[1], operation=operation, code=found[0])
    # Unknown: we cannot tell whether it was sent, so say it may have been.
    return connection_failed(exc, may_have_reached_aws=True, operation=operation, code=UNKNOWN_FAILURE)


def _lookup(exc: BaseException) -> tuple[str, bool] | None:
    if type(exc).__name__ == "EndpointConnectionError":
        # aiobotocore wraps both a failed connect (aiohttp's ClientConnectorError) and a connection
        # lost mid-request (ClientOSError, "connection reset") in it: the wrapped error decides.
        inner = (getattr(exc, "kwargs", None) or {}).get("error")
        if isinstance(inner, BaseException) and inner is not exc:
            found = _lookup(inner)
            if found is not None:
                return found
    for cls in type(exc).__mro__:
        found = EXCEPTION_TABLE.get(cls.__name__)
        if found is not None:
            return found
    return None


__all__ = [
    "CHECKSUM_MISMATCH",
    "CONNECTION_CODES",
    "CONNECTION_LOST",
    "CONNECT_FAILED",
    "CREDENTIAL_CODES",
    "EXCEPTION_TABLE",
    "READ_TIMEOUT",
    "THROTTLING_CODES",
    "TLS_FAILED",
    "UNKNOWN_FAILURE",
    "aws_error",
    "connection_failed",
    "library_error",
]
