"""The example app behind Mangum, invoked many times in one process (a warm Lambda environment).

The Mangum handler of ``examples/fastapi/lambda_app.py`` must serve every warm invocation with the
one client (and connection pool) made in the init phase; ``Mangum(app, lifespan="auto")`` shows
what it avoids: a client made and closed around every invocation.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from .conftest import ROOT, example_environment

pytestmark = pytest.mark.anyio

Invoke = Callable[..., Awaitable[dict[str, Any]]]


@asynccontextmanager
async def warm_environment(
    endpoint: str, mode: str, log_path: Path
) -> AsyncIterator[tuple[dict[str, Any], Invoke]]:
    """Start the driver (init phase); yield what it reported when ready, and ``invoke(method, path, ...)``."""
    command = [sys.executable, "-m", "tests.fastapi.mangum_driver", mode]
    with log_path.open("wb") as log:
        process = await anyio.open_process(command, cwd=ROOT, env=example_environment(endpoint), stderr=log)
    async with process:
        assert process.stdin is not None and process.stdout is not None
        stdin, stdout = process.stdin, BufferedByteReceiveStream(process.stdout)

        async def read() -> dict[str, Any]:
            while True:
                try:
                    line = (await stdout.receive_until(b"\n", 1 << 20)).decode()
                except (anyio.EndOfStream, anyio.IncompleteRead):
                    log = await anyio.Path(log_path).read_text()
                    raise AssertionError(f"the driver stopped:\n{log}") from None
                if line.startswith("@@ "):
                    answer: dict[str, Any] = json.loads(line[3:])
                    return answer

        async def invoke(
            method: str,
            path: str,
            *,
            body: Any = None,
            query: dict[str, Any] | None = None,
            remaining_ms: int = 30_000,
        ) -> dict[str, Any]:
            request = {"method": method, "path": path, "body": body, "query": query}
            request["remaining_ms"] = remaining_ms
            await stdin.send((json.dumps(request) + "\n").encode())
            with anyio.fail_after(30):
                return await read()

        try:
            with anyio.fail_after(60):
                ready = await read()
            yield ready, invoke
        finally:
            await stdin.aclose()
            with anyio.fail_after(15):
                await process.wait()


async def test_mangum_handler_reuses_one_client_across_invocations(
    dynamodb_local: str, orders_table: str, tmp_path: Path
) -> None:
    partner = f"lambda-{uuid.uuid4().hex[:12]}"
    base = f"/partners/{partner}/orders"
    async with warm_environment(dynamodb_local, "off", tmp_path / "driver.log") as (ready, invoke):
        assert ready["clients_created"] == 1  # made in the init phase

        created = await invoke("POST", base, body={"order_id": "o-1", "total": 3})
        assert created["status"] == 201, created
        assert created["body"]["version"] == 1

        got = await invoke("GET", f"{base}/o-1")
        assert (got["status"], got["body"]) == (200, created["body"])

        changed = await invoke("PATCH", f"{base}/o-1", body={"status": "paid", "version": 1})
        assert (changed["status"], changed["body"]["version"]) == (200, 2)
        stale = await invoke("PATCH", f"{base}/o-1", body={"status": "void", "version": 1})
        assert (stale["status"], stale["body"]["error"]) == (409, "ConditionCheckFailed")

        missing = await invoke("GET", f"{base}/nope")
        assert missing["status"] == 404

        for order_id in ("o-2", "o-3", "o-4"):
            assert (await invoke("POST", base, body={"order_id": order_id}))["status"] == 201
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            query: dict[str, Any] = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
            page = await invoke("GET", base, query=query)
            assert page["status"] == 200, page
            pages += 1
            seen.extend(item["order_id"] for item in page["body"]["items"])
            cursor = page["body"]["cursor"]
            if cursor is None:
                break
        assert seen == ["o-1", "o-2", "o-3", "o-4"]
        assert pages >= 2

        # An invocation with less time left than the smallest deadline buffer (0.1 s): nothing is
        # sent to DynamoDB, the caller gets a 503 in time; the next invocation is served as usual.
        late = await invoke("GET", f"{base}/o-1", remaining_ms=50)
        assert (late["status"], late["body"]["error"]) == (503, "LambdaTimeoutError")
        assert late["headers"]["retry-after"] == "1"
        assert (await invoke("GET", f"{base}/o-1"))["status"] == 200

        # Every one of the invocations above ran on the client made at init: none made, none closed.
        last = await invoke("GET", f"{base}/o-2")
        assert (last["clients_created"], last["clients_closed"]) == (1, 0)


async def test_mangum_lifespan_auto_would_remake_the_client_each_time(
    dynamodb_local: str, orders_table: str, tmp_path: Path
) -> None:
    """Why lambda_app.py turns Mangum's lifespan off: with it on, every invocation pays for a new client."""
    async with warm_environment(dynamodb_local, "auto", tmp_path / "driver.log") as (ready, invoke):
        assert ready["clients_created"] == 0
        for n in range(3):
            answer = await invoke("GET", f"/partners/lambda-{uuid.uuid4().hex[:8]}/orders/o-{n}")
            assert answer["status"] == 404
        assert (answer["clients_created"], answer["clients_closed"]) == (3, 3)
