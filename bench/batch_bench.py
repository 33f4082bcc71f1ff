"""Batch write throughput: a 1,000-item batch write, ours against aiobotocore by hand.

Run with ``python -m bench.batch_bench`` (``--quick`` for 3 repeats, ``--repeats N``,
``--items N``, ``--concurrency N``, ``--endpoint URL``). Without ``--endpoint`` a DynamoDB Local
is started for the run and stopped after it.

What is compared, on the same table, the same session and the same client configuration (the
``AioConfig`` our transport builds from :class:`~dynamorm_async.TransportConfig`):

* **ours**: ``await manager.batch_write(put=models, concurrency=c)``: pydantic models encoded
  and size-checked, duplicate keys checked, chunks of 25, ``c`` requests at a time, unprocessed
  items retried with backoff;
* **aiobotocore + TypeSerializer**: the same by hand, starting from plain ``dict`` items:
  boto3's ``TypeSerializer``, chunks of 25, an anyio task group and a ``CapacityLimiter(c)``,
  ``UnprocessedItems`` resent until none are left (the fair baseline: both start from Python
  values);
* **aiobotocore raw**: the same requests with the items already in DynamoDB JSON (the floor:
  network, botocore and the engine only).

Each repeat runs the three back to back, in rotating order, so they share the machine's noise;
the figures are medians over the repeats. ``ratio`` is ours' time over the baseline's time
(1.00 = as fast, lower is better). :func:`run` returns the figures as a flat dict.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from bench.cases.cli import comparison_table, engine
from dynamorm_async import DB, HashKey, Model, RangeKey, TransportConfig

DEFAULT_ITEMS = 1000
DEFAULT_REPEATS = 7
DEFAULT_CONCURRENCY = 8
WARMUP_PASSES = 3
CHUNK = 25


class BenchOrder(Model, table="bench_batch_orders"):
    """A realistic item of 10 attributes (the table name is replaced per run)."""

    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    customer: str
    email: str
    quantity: int
    price: Decimal
    paid: bool
    tags: set[str]
    lines: list[int]
    address: dict[str, str]


def _orders(n: int, partition: str) -> list[BenchOrder]:
    return [
        BenchOrder(
            pk=partition,
            sk=f"order#{i:06d}",
            customer=f"Customer {i}",
            email=f"customer{i}@example.com",
            quantity=1 + i % 9,
            price=Decimal(i * 37 % 100_000).scaleb(-2),
            paid=i % 3 != 0,
            tags={"web", f"t{i % 7}"},
            lines=[i % 10, i % 100, i % 1000],
            address={"street": f"{i} Main Street", "city": "Springfield", "zip": f"{i % 100_000:05d}"},
        )
        for i in range(n)
    ]


def _aio_config(cfg: TransportConfig) -> Any:
    """The AioConfig our transport builds, so the baseline client is configured the same."""
    from aiobotocore.config import AioConfig

    return AioConfig(
        region_name=cfg.region,
        max_pool_connections=cfg.max_pool_connections,
        connect_timeout=cfg.connect_timeout,
        read_timeout=cfg.read_timeout,
        retries={"mode": cfg.retry_mode, "total_max_attempts": cfg.max_attempts},
        tcp_keepalive=cfg.tcp_keepalive,
    )


async def _write_by_hand(client: Any, table: str, items: list[dict[str, Any]], concurrency: int) -> None:
    """What a careful aiobotocore user writes: chunks of 25, bounded concurrency, resend leftovers."""
    import anyio

    limiter = anyio.CapacityLimiter(concurrency)

    async def one(chunk: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        delay = 0.05
        while pending:
            async with limiter:
                response = await client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if pending:
                await anyio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async with anyio.create_task_group() as tg:
        for start in range(0, len(items), CHUNK):
            tg.start_soon(one, items[start : start + CHUNK])


async def _measure(endpoint: str, repeats: int, n_items: int, concurrency: int) -> dict[str, float]:
    from aiobotocore.session import AioSession
    from boto3.dynamodb.types import TypeSerializer

    from dynamorm_async.tables import table_definition

    session = AioSession()
    session.set_credentials("bench", "bench")  # DynamoDB Local takes any credentials
    config = TransportConfig(region="us-east-1", endpoint_url=endpoint)
    table = f"bench_batch_{uuid.uuid4().hex[:10]}"

    db = DB(session=session, config=config)
    manager = db.manager(BenchOrder)
    manager.table = table  # a fresh table per run; the model's own table name is a placeholder
    schema = manager.schema
    serialize = TypeSerializer().serialize

    async with session.create_client(
        "dynamodb", region_name="us-east-1", endpoint_url=endpoint, config=_aio_config(config)
    ) as client:
        await client.create_table(**{**table_definition(schema), "TableName": table})
        await client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1})
        try:
            # Each side writes its own partition, the same keys on every repeat (overwrites).
            models = _orders(n_items, "ours")
            plain = [o.model_dump() | {"pk": "typed"} for o in _orders(n_items, "typed")]
            wire = [schema.encode(o) | {"pk": {"S": "raw"}} for o in _orders(n_items, "raw")]

            async def ours() -> None:
                await manager.batch_write(put=models, concurrency=concurrency)

            async def typed() -> None:
                items = [{k: serialize(v) for k, v in item.items()} for item in plain]
                await _write_by_hand(client, table, items, concurrency)

            async def raw() -> None:
                await _write_by_hand(client, table, wire, concurrency)

            runners: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                ("ours", ours),
                ("aiobotocore", typed),
                ("aiobotocore_raw", raw),
            ]

            async def count(partition: str) -> int:
                total = 0
                kwargs: dict[str, Any] = {
                    "TableName": table,
                    "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": partition}},
                    "Select": "COUNT",
                }
                while True:
                    response = await client.query(**kwargs)
                    total += response["Count"]
                    if "LastEvaluatedKey" not in response:
                        return total
                    kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

            # Warm up connections, caches, lazy imports and DynamoDB Local's JIT.
            for _ in range(WARMUP_PASSES):
                for _name, fn in runners:
                    await fn()
            # Correctness first: a benchmark of incomplete writes would be worthless.
            for partition in ("ours", "typed", "raw"):
                if await count(partition) != n_items:
                    raise AssertionError(f"the {partition!r} side did not write {n_items} items")

            samples: dict[str, list[float]] = {name: [] for name, _ in runners}
            cpu: dict[str, list[float]] = {name: [] for name, _ in runners}
            for i in range(repeats):
                order = runners[i % len(runners) :] + runners[: i % len(runners)]
                for name, fn in order:
                    start_at, start_cpu = time.perf_counter(), time.process_time()
                    await fn()
                    samples[name].append(time.perf_counter() - start_at)
                    cpu[name].append(time.process_time() - start_cpu)
        finally:
            await client.delete_table(TableName=table)
            await db.close()

    out = {f"batch_write_{name}_ms": statistics.median(v) * 1000 for name, v in samples.items()}
    out.update({f"batch_write_{name}_cpu_ms": statistics.median(v) * 1000 for name, v in cpu.items()})
    for suffix, baseline in (("", "aiobotocore"), ("_raw", "aiobotocore_raw")):
        out[f"batch_write_ratio{suffix}"] = out["batch_write_ours_ms"] / out[f"batch_write_{baseline}_ms"]
        out[f"batch_write_cpu_ratio{suffix}"] = (
            out["batch_write_ours_cpu_ms"] / out[f"batch_write_{baseline}_cpu_ms"]
        )
    out["items"] = float(n_items)
    out["concurrency"] = float(concurrency)
    return out


def run(
    endpoint: str,
    repeats: int = DEFAULT_REPEATS,
    *,
    n_items: int = DEFAULT_ITEMS,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict[str, float]:
    """Time an ``n_items`` batch write three ways on DynamoDB Local at ``endpoint``; medians in ms.

    Keys: ``batch_write_ours_ms``, ``batch_write_aiobotocore_ms`` (by hand + TypeSerializer),
    ``batch_write_aiobotocore_raw_ms`` (by hand, items already marshalled): wall time per
    batch; the same with ``_cpu_ms``: this process's CPU time per batch (the client-side cost,
    free of the engine's own time); ``batch_write_ratio``, ``batch_write_ratio_raw``,
    ``batch_write_cpu_ratio``, ``batch_write_cpu_ratio_raw`` (ours / baseline; lower is
    better); ``items`` and ``concurrency``.
    """
    import anyio

    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    return anyio.run(_measure, endpoint, repeats, n_items, concurrency)


def format_table(result: Mapping[str, float]) -> str:
    """The figures from :func:`run` as a small fixed-width table."""
    rows = [
        ("dynamorm_async (models)", "ours"),
        ("aiobotocore + TypeSerializer", "aiobotocore"),
        ("aiobotocore, raw items", "aiobotocore_raw"),
    ]
    return comparison_table(result, "batch_write", rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 repeats (smoke run)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--endpoint", help="a running DynamoDB Local; started for the run when omitted")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats

    with engine(args.endpoint) as endpoint:
        result = run(endpoint, repeats, n_items=args.items, concurrency=args.concurrency)
    print(
        f"Batch write of {int(result['items'])} items in chunks of {CHUNK}, {int(result['concurrency'])} "
        f"requests at a time, median of {repeats} interleaved repeat(s), DynamoDB Local"
    )
    print(format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
