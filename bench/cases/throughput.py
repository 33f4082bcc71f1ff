"""Case 4: throughput, 1,000 GetItems with 32 in flight: ours, raw aiobotocore, boto3 in 32 threads.

The async sides run 32 workers in one anyio task group pulling from one shared counter; boto3
runs the same reads on one client (boto3 clients are thread-safe) in a pool of 32 threads.
Every side has at least 32 pooled connections. Ours uses the transport ``BENCH_OURS_HTTP``
names (aiobotocore by default). Each round runs all three back to back (the
order rotates); the figures are operations per second and client CPU per operation, and the
ratios are ours / raw and ours / boto3 per round (above 1 means ours is faster).

DynamoDB Local answers from one JVM on the same machine, so the absolute rates say more about
it than about the clients; the ratios are the point.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from .common import GET_ITEMS, GET_PK, REGION, TABLE, Figure, ratios, sk

SIDES = ("ours", "raw", "boto3")


async def _async_run(get: Callable[[int], Awaitable[object]], total: int, concurrency: int) -> None:
    import anyio

    counter = iter(range(total))

    async def worker() -> None:
        for i in counter:  # a shared iterator: each index is taken by exactly one worker
            await get(i)

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)


def _thread_run(client: Any, total: int, concurrency: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def get(i: int) -> object:
        return client.get_item(TableName=TABLE, Key={"pk": {"S": GET_PK}, "sk": {"S": sk(i % GET_ITEMS)}})

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for _ in pool.map(get, range(total)):
            pass


async def run(endpoint: str, *, rounds: int = 5, total: int = 1000, concurrency: int = 32) -> dict[str, Any]:
    """Measure the three sides; returns ops/s and CPU ms/op figures per side, and the ratios."""
    import anyio.to_thread
    import boto3
    from aiobotocore.session import AioSession
    from botocore.config import Config

    from dynamorm_async import DB

    from .model import BenchItem, ours_http_from_env, ours_options
    from .raw import client_kwargs

    boto_client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(max_pool_connections=max(concurrency, 10)),
    )
    samples: dict[str, list[float]] = {f"{s}_{k}": [] for s in SIDES for k in ("ops", "cpu")}
    async with (
        DB(endpoint_url=endpoint, **ours_options(ours_http_from_env()), region=REGION) as db,
        AioSession().create_client("dynamodb", **client_kwargs(endpoint)) as raw,
    ):
        items = db.manager(BenchItem)

        async def ours_get(i: int) -> object:
            return await items.get(GET_PK, sk(i % GET_ITEMS))

        async def raw_get(i: int) -> object:
            from .raw import from_av

            r = await raw.get_item(TableName=TABLE, Key={"pk": {"S": GET_PK}, "sk": {"S": sk(i % GET_ITEMS)}})
            return from_av(r["Item"])

        async def one(side: str, n: int) -> tuple[float, float]:
            w0, c0 = time.perf_counter(), time.process_time()
            if side == "ours":
                await _async_run(ours_get, n, concurrency)
            elif side == "raw":
                await _async_run(raw_get, n, concurrency)
            else:
                await anyio.to_thread.run_sync(_thread_run, boto_client, n, concurrency)
            return time.perf_counter() - w0, time.process_time() - c0

        for side in SIDES:  # warm-up: open the pools' connections on every side
            await one(side, concurrency * 2)
        for r in range(rounds):
            order = SIDES[r % 3 :] + SIDES[: r % 3]
            for side in order:
                wall, cpu = await one(side, total)
                samples[f"{side}_ops"].append(total / wall)
                samples[f"{side}_cpu"].append(cpu / total * 1000)
    boto_client.close()
    out: dict[str, Any] = {"settings": {"rounds": rounds, "total": total, "concurrency": concurrency}}
    for side in SIDES:
        out[f"{side}_ops_per_s"] = Figure.of(samples[f"{side}_ops"], "ops/s")
        out[f"{side}_cpu_ms_per_op"] = Figure.of(samples[f"{side}_cpu"], "ms")
    out["ours_vs_raw"] = ratios(samples["ours_ops"], samples["raw_ops"])
    out["ours_vs_boto3"] = ratios(samples["ours_ops"], samples["boto3_ops"])
    return out
