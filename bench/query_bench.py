"""Query throughput: a 1,000-item query read to the end, ours against aiobotocore by hand.

Run with ``python -m bench.query_bench`` (``--quick`` for 3 repeats, ``--repeats N``,
``--items N``, ``--page-size N``, ``--endpoint URL``). Without ``--endpoint`` a DynamoDB Local
is started for the run and stopped after it.

What is compared, on the same table, the same session and the same client configuration (the
``AioConfig`` our transport builds from :class:`~dynamorm_async.TransportConfig`):

* **ours**: ``[o async for o in manager.query(Item.attr.pk == "bench").page_size(n)]``, i.e.
  every page, each item decoded into a validated pydantic model;
* **aiobotocore + TypeDeserializer**: the same Query by hand, paginating with
  ``ExclusiveStartKey`` and turning each item into a plain ``dict`` with boto3's
  ``TypeDeserializer`` (the fair baseline: both sides hand Python values to the caller);
* **aiobotocore raw**: the same requests, items left as DynamoDB JSON (the floor: network and
  botocore parsing only).

Each repeat runs the three back to back, in rotating order, so they share the machine's noise;
the figures are medians over the repeats. ``ratio`` is ours' time over the baseline's time
(1.00 = as fast, lower is better). :func:`run` returns the figures as a flat dict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from bench.cases.cli import comparison_table, engine
from dynamorm_async import DB, HashKey, Model, RangeKey, TransportConfig

DEFAULT_ITEMS = 1000
DEFAULT_REPEATS = 9
DEFAULT_PAGE_SIZE = 100
WARMUP_PASSES = 5
PARTITION = "bench"


class BenchItem(Model, table="bench_query_items"):
    """A realistic item of 11 attributes (the table name is replaced per run)."""

    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str
    email: str
    age: int
    balance: Decimal
    active: bool
    tags: set[str]
    scores: list[int]
    address: dict[str, str]
    created: dt.datetime


def _items(n: int) -> list[BenchItem]:
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return [
        BenchItem(
            pk=PARTITION,
            sk=f"item#{i:06d}",
            name=f"Customer {i}",
            email=f"customer{i}@example.com",
            age=18 + i % 70,
            balance=Decimal(i * 37 % 100_000).scaleb(-2),
            active=i % 3 != 0,
            tags={"alpha", f"t{i % 7}"},
            scores=[i % 10, i % 100, i % 1000],
            address={"street": f"{i} Main Street", "city": "Springfield", "zip": f"{i % 100_000:05d}"},
            created=base + dt.timedelta(minutes=i),
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


async def _measure(endpoint: str, repeats: int, n_items: int, page_size: int) -> dict[str, float]:
    from aiobotocore.session import AioSession
    from boto3.dynamodb.types import TypeDeserializer

    session = AioSession()
    session.set_credentials("bench", "bench")  # DynamoDB Local takes any credentials
    config = TransportConfig(region="us-east-1", endpoint_url=endpoint)
    table = f"bench_query_{uuid.uuid4().hex[:10]}"

    db = DB(session=session, config=config)
    manager = db.manager(BenchItem)
    manager.table = table  # a fresh table per run; the model's own table name is a placeholder
    schema = manager.schema

    async with session.create_client(
        "dynamodb", region_name="us-east-1", endpoint_url=endpoint, config=_aio_config(config)
    ) as client:
        from dynamorm_async.tables import table_definition

        await client.create_table(**{**table_definition(schema), "TableName": table})
        await client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1})
        try:
            items = _items(n_items)
            for start in range(0, n_items, 25):
                batch = [{"PutRequest": {"Item": schema.encode(o)}} for o in items[start : start + 25]]
                pending: dict[str, Any] = {table: batch}
                while pending:
                    response = await client.batch_write_item(RequestItems=pending)
                    pending = response.get("UnprocessedItems") or {}

            query = manager.query(BenchItem.attr.pk == PARTITION).page_size(page_size)
            deserialize = TypeDeserializer().deserialize
            request: dict[str, Any] = {
                "TableName": table,
                "KeyConditionExpression": "#n0 = :v0",
                "ExpressionAttributeNames": {"#n0": "pk"},
                "ExpressionAttributeValues": {":v0": {"S": PARTITION}},
                "Limit": page_size,
            }

            async def ours() -> int:
                return len([o async for o in query])

            async def by_hand(decode: bool) -> int:
                out: list[Any] = []
                kwargs = dict(request)
                while True:
                    response = await client.query(**kwargs)
                    if decode:
                        out.extend({k: deserialize(v) for k, v in raw.items()} for raw in response["Items"])
                    else:
                        out.extend(response["Items"])
                    last = response.get("LastEvaluatedKey")
                    if not last:
                        return len(out)
                    kwargs["ExclusiveStartKey"] = last

            async def typed() -> int:
                return await by_hand(True)

            async def raw() -> int:
                return await by_hand(False)

            runners: list[tuple[str, Callable[[], Awaitable[int]]]] = [
                ("ours", ours),
                ("aiobotocore", typed),
                ("aiobotocore_raw", raw),
            ]
            # Correctness first: a benchmark of wrong output would be worthless.
            got = [o async for o in query]
            if got != items:
                raise AssertionError("our query did not return the items written")
            # Warm up connections, caches, lazy imports and, above all, DynamoDB Local's JIT:
            # its first passes over a new table are several times slower than the later ones.
            for _ in range(WARMUP_PASSES):
                for name, fn in runners:
                    if await fn() != n_items:
                        raise AssertionError(f"{name} did not read {n_items} items")

            samples: dict[str, list[float]] = {name: [] for name, _ in runners}
            cpu: dict[str, list[float]] = {name: [] for name, _ in runners}
            for i in range(repeats):
                order = runners[i % len(runners) :] + runners[: i % len(runners)]
                for name, fn in order:
                    start_at, start_cpu = time.perf_counter(), time.process_time()
                    count = await fn()
                    samples[name].append(time.perf_counter() - start_at)
                    cpu[name].append(time.process_time() - start_cpu)
                    if count != n_items:
                        raise AssertionError(f"{name} read {count} items, not {n_items}")
        finally:
            await client.delete_table(TableName=table)
            await db.close()

    out = {f"query_{name}_ms": statistics.median(values) * 1000 for name, values in samples.items()}
    out.update({f"query_{name}_cpu_ms": statistics.median(values) * 1000 for name, values in cpu.items()})
    out["query_ratio"] = out["query_ours_ms"] / out["query_aiobotocore_ms"]
    out["query_ratio_raw"] = out["query_ours_ms"] / out["query_aiobotocore_raw_ms"]
    out["query_cpu_ratio"] = out["query_ours_cpu_ms"] / out["query_aiobotocore_cpu_ms"]
    out["query_cpu_ratio_raw"] = out["query_ours_cpu_ms"] / out["query_aiobotocore_raw_cpu_ms"]
    out["items"] = float(n_items)
    out["pages"] = float(-(-n_items // page_size))
    return out


def run(
    endpoint: str,
    repeats: int = DEFAULT_REPEATS,
    *,
    n_items: int = DEFAULT_ITEMS,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict[str, float]:
    """Time a full ``n_items`` query three ways on DynamoDB Local at ``endpoint``; medians in ms.

    Keys: ``query_ours_ms``, ``query_aiobotocore_ms`` (by hand + TypeDeserializer),
    ``query_aiobotocore_raw_ms`` (by hand, items left raw): wall time per full query;
    the same with ``_cpu_ms``: this process's CPU time per query (the client-side cost, free of
    the engine's own time, which dominates the wall time on DynamoDB Local); ``query_ratio``,
    ``query_ratio_raw``, ``query_cpu_ratio``, ``query_cpu_ratio_raw`` (ours / baseline; lower
    is better); ``items`` and ``pages``.
    """
    import anyio

    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    return anyio.run(_measure, endpoint, repeats, n_items, page_size)


def format_table(result: Mapping[str, float]) -> str:
    """The figures from :func:`run` as a small fixed-width table."""
    rows = [
        ("dynamorm_async (models)", "ours"),
        ("aiobotocore + TypeDeserializer", "aiobotocore"),
        ("aiobotocore, raw items", "aiobotocore_raw"),
    ]
    return comparison_table(result, "query", rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 repeats (smoke run)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS)
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE)
    parser.add_argument("--endpoint", help="a running DynamoDB Local; started for the run when omitted")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats

    with engine(args.endpoint) as endpoint:
        result = run(endpoint, repeats, n_items=args.items, page_size=args.page_size)
    print(
        f"Query of {int(result['items'])} items in {int(result['pages'])} pages of {args.page_size}, "
        f"median of {repeats} interleaved repeat(s), DynamoDB Local"
    )
    print(format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
