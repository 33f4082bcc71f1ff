"""Invoke the example's Mangum handler like a warm Lambda execution environment does: one process,
one import (the init phase), then one synchronous handler call per event.

Run as ``python -m tests.fastapi.mangum_driver off|auto``: ``off`` uses ``examples/fastapi/lambda_app.py``
as shipped, ``auto`` wraps the same app in ``Mangum(app, lifespan="auto")`` for contrast.

Protocol, one JSON object per line: the driver prints ``@@ {"ready": ...}`` once initialised;
then for each request line on stdin (``{"method", "path", "query", "body", "headers", "remaining_ms"}``) it
builds an API Gateway HTTP API (payload 2.0) event, calls the handler and prints
``@@ {"status", "body", "headers", "clients_created", "clients_closed"}``. Counters come from
``dynamorm_async.transport.debug_stats()``.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "fastapi"
MARK = "@@ "


class FakeContext:
    """The parts of a Lambda context object that Mangum and the app may read."""

    function_name = "orders"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
    memory_limit_in_mb = 512
    log_group_name = "/aws/lambda/orders"
    log_stream_name = "stream"

    def __init__(self, request_id: str, timeout_s: float = 30.0) -> None:
        self.aws_request_id = request_id
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def http_api_event(request: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event for one request."""
    body = request.get("body")
    query = urlencode(request.get("query") or {})
    headers = {"host": "orders.example.com", "content-type": "application/json"}
    headers.update(request.get("headers") or {})
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request["path"],
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "orders.example.com",
            "http": {
                "method": request["method"],
                "path": request["path"],
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.1",
                "userAgent": "test",
            },
            "requestId": "request",
            "routeKey": "$default",
            "stage": "$default",
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def emit(payload: dict[str, Any]) -> None:
    from dynamorm_async.transport import debug_stats

    stats = debug_stats()
    payload.update(clients_created=stats.clients_created, clients_closed=stats.clients_closed)
    sys.stdout.write(MARK + json.dumps(payload) + "\n")
    sys.stdout.flush()


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def load_handler(mode: str) -> Handler:
    sys.path.insert(0, str(EXAMPLE_DIR))
    if mode == "off":
        # Importing it is the init phase: models compiled, client made.
        lambda_app = importlib.import_module("lambda_app")
        handler: Handler = lambda_app.handler
        return handler
    from mangum import Mangum

    return Mangum(importlib.import_module("app").app, lifespan="auto")


def main() -> None:
    handler = load_handler(sys.argv[1])
    emit({"ready": True})
    for n, line in enumerate(sys.stdin):
        request = json.loads(line)
        context = FakeContext(f"invocation-{n}", request.get("remaining_ms", 30_000) / 1000)
        response = handler(http_api_event(request), context)
        body = response.get("body") or ""
        emit(
            {
                "status": response["statusCode"],
                "headers": response.get("headers") or {},
                "body": json.loads(body) if body else None,
            }
        )


if __name__ == "__main__":
    main()
