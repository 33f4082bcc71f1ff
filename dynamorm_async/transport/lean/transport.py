"""The lean DynamoDB transport: JSON 1.0 + SigV4 over a keep-alive connection pool, stdlib only.

One :meth:`LeanTransport.call` is one attempt; retries, deadlines and the mapping of the
exceptions in :mod:`.errors` onto the library's error tree belong to the layer above.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from typing import Any, ClassVar

from .client import LeanClient, resolve_region
from .credentials import Credentials, CredentialsProvider
from .endpoints import endpoint_from_environment
from .errors import (
    LeanChecksumError,
    LeanConfigurationError,
    LeanConnectionError,
    LeanServiceError,
)
from .wire import decode_response, encode_request, error_fields

_TARGET_PREFIX = "DynamoDB_20120810."


class LeanTransport(LeanClient):
    """DynamoDB's data plane without aiobotocore: ``call(operation, params)`` -> botocore-shaped dict.

    ``region`` and ``endpoint_url`` default to the environment (see :mod:`.endpoints`);
    ``credentials`` may be :class:`Credentials`, an async provider (see
    :data:`~.credentials.CredentialsProvider`; refreshed before expiry) or None for the environment
    variables, then the container endpoint. ``environ`` replaces ``os.environ`` (tests).
    """

    service: ClassVar[str] = "dynamodb"
    content_type: ClassVar[str] = "application/x-amz-json-1.0"

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
        resolved = resolve_region(region, env)
        super().__init__(
            region=resolved,
            endpoint_url=endpoint_from_environment(
                env, resolved, endpoint_url=endpoint_url, use_fips=use_fips, use_dualstack=use_dualstack
            ),
            credentials=credentials,
            environ=env,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            idle_timeout=idle_timeout,
        )

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
        response = await self.send(body, {"X-Amz-Target": _TARGET_PREFIX + operation})
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
