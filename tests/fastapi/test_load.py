"""A bounded load test of the example service: 2,000 requests at concurrency 50, no errors allowed.

Requests/s is reported in pytest's terminal summary; it is not asserted (speed is for benchmarks).
"""

from __future__ import annotations

import statistics
import time
import uuid
from typing import TYPE_CHECKING

import anyio
import pytest

from .conftest import LOAD_REPORTS, LoadReport

if TYPE_CHECKING:
    import httpx

pytestmark = pytest.mark.anyio

REQUESTS = 2_000
CONCURRENCY = 50
SEEDED = 50


async def test_load(client: httpx.AsyncClient, service_url: str) -> None:
    import httpx

    partner = f"load-{uuid.uuid4().hex[:12]}"
    for i in range(SEEDED):
        response = await client.post(f"/partners/{partner}/orders", json={"order_id": f"seed-{i:03d}"})
        assert response.status_code == 201

    # The mix: 80% reads of existing orders, 10% creates, 10% first pages of the listing.
    def request_for(n: int) -> tuple[str, str, dict[str, object] | None, int]:
        kind = n % 10
        if kind == 0:
            return "POST", f"/partners/{partner}/orders", {"order_id": f"new-{n:05d}"}, 201
        if kind == 1:
            return "GET", f"/partners/{partner}/orders?limit=10", None, 200
        return "GET", f"/partners/{partner}/orders/seed-{n % SEEDED:03d}", None, 200

    next_request = iter(range(REQUESTS))
    latencies: list[float] = []
    failures: list[str] = []

    async def worker() -> None:
        # One client (one keep-alive connection) per worker, like 50 separate callers; one shared
        # pool of 50 would make httpx's own pool bookkeeping the bottleneck of the test.
        async with httpx.AsyncClient(
            base_url=service_url, trust_env=False, timeout=30.0, limits=httpx.Limits(max_connections=1)
        ) as http:
            for n in next_request:  # shared iterator: each request number is taken once
                method, url, body, expected = request_for(n)
                started = time.perf_counter()
                try:
                    response = await http.request(method, url, json=body)
                except httpx.HTTPError as exc:
                    failures.append(f"{method} {url}: {exc!r}")
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code != expected:
                    failures.append(f"{method} {url}: {response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            for _ in range(CONCURRENCY):
                tg.start_soon(worker)
    elapsed = time.perf_counter() - started

    latencies.sort()
    report = LoadReport(
        requests=REQUESTS,
        concurrency=CONCURRENCY,
        errors=len(failures),
        seconds=elapsed,
        p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
    )
    LOAD_REPORTS.append(report)
    assert failures == [], failures[:10]
    assert len(latencies) == REQUESTS

    # Every create of the run is really stored: 50 seeded + one in ten of the requests.
    listing = await client.get(f"/partners/{partner}/orders", params={"limit": 100})
    first = listing.json()
    count = len(first["items"])
    cursor = first["cursor"]
    while cursor:
        response = await client.get(f"/partners/{partner}/orders", params={"limit": 100, "cursor": cursor})
        page = response.json()
        count += len(page["items"])
        cursor = page["cursor"]
    assert count == SEEDED + REQUESTS // 10
