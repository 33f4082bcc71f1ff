"""The main job: an embedded DynamoDB Local, a model round trip, then the Lambda example for real.

Run with ``make demo``. Part 1 makes a table from a model and does put/get/update/delete,
printing each step and how long it took. Part 2 runs ``examples/lambda/handler.py`` under AWS's
Lambda runtime interface client against the same DynamoDB Local: one cold invocation, then warm
ones, with their timings (see ``examples/lambda/run_local.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import runpy
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Annotated, TypeVar

from dynamorm_async import (
    DB,
    GSI,
    ConditionCheckFailed,
    CreatedAt,
    HashKey,
    Model,
    RangeKey,
    UpdatedAt,
    Version,
)
from dynamorm_async.testing.dynamodb_local import DynamoDBLocal

T = TypeVar("T")


class Order(Model, table="demo_orders", indexes=[GSI("by_status", hash="status", range="created_at")]):
    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    status: str = "new"
    total: int = 0
    version: Annotated[int, Version()] = 0
    created_at: Annotated[dt.datetime | None, CreatedAt()] = None
    updated_at: Annotated[dt.datetime | None, UpdatedAt()] = None


async def step(label: str, work: Awaitable[T]) -> T:
    start = time.perf_counter()
    try:
        return await work
    finally:
        print(f"  {(time.perf_counter() - start) * 1000:8.1f} ms  {label}")


async def round_trip(endpoint: str) -> None:
    async with DB(region="us-east-1", endpoint_url=endpoint) as db:
        orders = db.manager(Order)
        await step("create table demo_orders (with GSI by_status)", orders.ensure_table())
        order = Order(partner_id="acme", order_id="o-1")
        await step("put    acme/o-1 (insert only)", orders.put(order, overwrite=False))
        got = await step("get    acme/o-1", orders.get("acme", "o-1", consistent=True))
        print(f"              -> status={got.status} total={got.total} version={got.version}")
        updated = await step(
            "update acme/o-1 total += 5 if status = new",
            orders.update(got, Order.attr.total.add(5), condition=Order.attr.status == "new"),
        )
        assert updated is not None
        print(f"              -> total={updated.total} version={updated.version}")
        try:
            await step("put    acme/o-1 with a stale version", orders.put(order))
        except ConditionCheckFailed as exc:
            print(f"              -> refused as expected: {exc.code}; stored version is {exc.item.version}")
        await step("delete acme/o-1 (version checked)", orders.delete(got))
        gone = await step("get    acme/o-1 again", orders.get_or_none("acme", "o-1"))
        print(f"              -> {gone}")
        await step("delete table", orders.delete_table())


def main() -> int:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
    start = time.perf_counter()
    print("Starting an embedded DynamoDB Local ...")
    with DynamoDBLocal() as engine:
        elapsed = (time.perf_counter() - start) * 1000
        print(f"  {elapsed:8.1f} ms  DynamoDB Local answering at {engine.endpoint_url}")
        total = time.perf_counter()
        print("\n1. A model round trip through the async manager")
        asyncio.run(round_trip(engine.endpoint_url))
        print(f"Round trip done in {(time.perf_counter() - total) * 1000:.1f} ms")
        print("\n2. The Lambda example under the real runtime interface client (awslambdaric)")
        run_local = runpy.run_path(str(Path(__file__).parent / "lambda" / "run_local.py"))
        status: int = run_local["main"](["--endpoint", engine.endpoint_url, "--warm", "50"])
    return status


if __name__ == "__main__":
    sys.exit(main())
