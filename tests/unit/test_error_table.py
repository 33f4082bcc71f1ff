"""The one error table: AWS error answers and connection-level exceptions to the library's errors.

The exceptions are the real classes botocore, aiohttp and the standard library raise; the table
recognises them by class name (it imports none of them) along the class hierarchy.
"""

from __future__ import annotations

import socket
import ssl
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from botocore import exceptions as bx

from dynamorm_async import errors
from dynamorm_async.transport import errortable as t

URL = "https://dynamodb.us-east-1.amazonaws.com/"
KEY: Any = SimpleNamespace(host="dynamodb.us-east-1.amazonaws.com", port=443, ssl=True)
CONNECT = aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(111, "Connection refused"))
RESET = aiohttp.ClientOSError(104, "Connection reset by peer")


@pytest.mark.parametrize(
    ("exc", "code", "reached"),
    [
        (bx.EndpointConnectionError(endpoint_url=URL, error=CONNECT), t.CONNECT_FAILED, False),
        # aiobotocore also wraps a connection reset mid-request in EndpointConnectionError.
        (bx.EndpointConnectionError(endpoint_url=URL, error=RESET), t.CONNECTION_LOST, True),
        (bx.ConnectTimeoutError(endpoint_url=URL, error="timed out"), t.CONNECT_FAILED, False),
        (bx.ProxyConnectionError(proxy_url="http://proxy:3128", error="refused"), t.CONNECT_FAILED, False),
        (bx.SSLError(endpoint_url=URL, error=ssl.SSLError("bad certificate")), t.TLS_FAILED, False),
        (bx.ConnectionClosedError(endpoint_url=URL), t.CONNECTION_LOST, True),
        (bx.ReadTimeoutError(endpoint_url=URL, error="read timed out"), t.READ_TIMEOUT, True),
        (CONNECT, t.CONNECT_FAILED, False),
        (RESET, t.CONNECTION_LOST, True),
        (aiohttp.ServerDisconnectedError(), t.CONNECTION_LOST, True),
        (aiohttp.ServerTimeoutError("timeout"), t.READ_TIMEOUT, True),
        (aiohttp.ClientPayloadError("truncated"), t.CONNECTION_LOST, True),
        (ConnectionRefusedError(111, "refused"), t.CONNECT_FAILED, False),
        (socket.gaierror(-2, "Name or service not known"), t.CONNECT_FAILED, False),
        (ssl.SSLCertVerificationError("certificate verify failed"), t.TLS_FAILED, False),
        (ConnectionResetError(104, "reset"), t.CONNECTION_LOST, True),
        (BrokenPipeError(32, "broken pipe"), t.CONNECTION_LOST, True),
        (TimeoutError("timed out"), t.READ_TIMEOUT, True),
        (OSError(5, "i/o error"), t.CONNECTION_LOST, True),
        (RuntimeError("something nobody expected"), t.UNKNOWN_FAILURE, True),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_connection_level_exceptions_become_connection_failed(
    exc: BaseException, code: str, reached: bool
) -> None:
    err = t.library_error(exc, operation="GetItem")
    assert type(err) is errors.ConnectionFailed
    assert err.code == code and code in t.CONNECTION_CODES
    assert err.may_have_reached_aws is reached
    assert err.operation == "GetItem"
    assert isinstance(err, errors.ServiceError)  # one branch of the tree, as before


def _client_error(code: str, status: int, **extra: Any) -> bx.ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"RequestId": "REQ1", "HTTPStatusCode": status},
        **extra,
    }
    return bx.ClientError(response, "GetItem")


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("ConditionalCheckFailedException", 400, errors.ConditionCheckFailed),
        ("TransactionCanceledException", 400, errors.TransactionCanceled),
        ("ProvisionedThroughputExceededException", 400, errors.Throttled),
        ("ThrottlingException", 400, errors.Throttled),
        ("RequestLimitExceeded", 400, errors.Throttled),
        ("ResourceNotFoundException", 400, errors.TableNotFound),
        ("ValidationException", 400, errors.ServiceValidationError),
        ("InternalServerError", 500, errors.ServiceError),
        ("ItemCollectionSizeLimitExceededException", 400, errors.ServiceError),
    ],
)
def test_aws_error_answers_map_by_code(code: str, status: int, cls: type[errors.ServiceError]) -> None:
    err = t.library_error(_client_error(code, status), operation="GetItem")
    assert type(err) is cls
    assert isinstance(err, errors.ServiceError)
    assert (err.code, err.status, err.request_id, err.message) == (code, status, "REQ1", f"{code} happened")


def test_the_lean_transport_entry_point_gives_the_same_errors() -> None:
    body = {"CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Message": "no"}]}
    err = t.aws_error(
        400, "TransactionCanceledException", "cancelled", "R2", body, operation="TransactWriteItems"
    )
    assert isinstance(err, errors.TransactionCanceled)
    assert [r.code for r in err.reasons] == ["None", "ConditionalCheckFailed"]
    lost = t.connection_failed(
        ConnectionResetError(104, "reset"), may_have_reached_aws=True, operation="PutItem"
    )
    assert (lost.code, lost.may_have_reached_aws) == (t.CONNECTION_LOST, True)
    refused = t.connection_failed(None, may_have_reached_aws=False, operation="PutItem")
    assert refused.code == t.CONNECT_FAILED


def test_resource_in_use_and_credentials() -> None:
    exists = t.aws_error(
        400, "ResourceInUseException", "Table already exists: x", None, None, operation="CreateTable"
    )
    assert isinstance(exists, errors.TableAlreadyExists)
    busy = t.aws_error(
        400, "ResourceInUseException", "Table is being updated", None, None, operation="UpdateTable"
    )
    assert type(busy) is errors.TableInUse
    expired = t.library_error(_client_error("ExpiredTokenException", 400), operation="GetItem")
    assert isinstance(expired, errors.CredentialsError) and expired.code == "ExpiredTokenException"
    missing = t.library_error(bx.NoCredentialsError(), operation="GetItem")
    assert isinstance(missing, errors.CredentialsError) and missing.code == "NoCredentials"
    bad = t.library_error(bx.ParamValidationError(report="Missing Key"), operation="GetItem")
    assert isinstance(bad, errors.InvalidInput)


def test_library_errors_pass_unchanged_and_validation_error_is_a_deprecated_alias() -> None:
    mine = errors.Throttled("slow", code="ThrottlingException")
    assert t.library_error(mine, operation="GetItem") is mine
    with pytest.warns(DeprecationWarning, match="ServiceValidationError"):
        assert errors.ValidationError is errors.ServiceValidationError


def test_deadline_errors_form_one_family() -> None:
    assert issubclass(errors.LambdaTimeoutError, errors.DeadlineExceeded)
    assert issubclass(errors.DeadlinePartialFailure, errors.DeadlineExceeded)  # batches at the deadline
    assert issubclass(errors.DeadlineExceeded, TimeoutError)
    assert issubclass(errors.ConnectionFailed, errors.ServiceError)
