"""Case 3: the cost of one operation, ours against raw aiobotocore doing the same by hand.

One process, one event loop, two clients made with the same configuration (ours on the transport
``BENCH_OURS_HTTP`` names, aiobotocore by default: the raw side's own HTTP stack). Each round runs
``ops`` operations of each kind with ours and with raw aiobotocore back to back (the order
alternates between rounds), measuring wall time and this process's CPU time (``process_time``:
DynamoDB Local runs in its own JVM, so this is the client's CPU alone). Figures are per
operation; ratios are ours / raw per round, so 1.05x means ours costs 5 % more.

Operations: GetItem of one item; PutItem of a whole item; UpdateItem with a condition
(``ADD count 1`` if ``status = "active"``, returning the new item); Query of 100 items.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .common import GET_ITEMS, GET_PK, PUT_PK, QUERY_ITEMS, QUERY_PK, TABLE, Figure, item_values, ratios, sk

OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "Query100")

Op = Callable[[int], Awaitable[object]]


async def _timed(op: Op, n: int) -> tuple[float, float]:
    """Run ``op`` ``n`` times; wall and CPU seconds per operation."""
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(n):
        await op(i)
    return (time.perf_counter() - w0) / n, (time.process_time() - c0) / n


def _ours_ops(db: Any) -> dict[str, Op]:
    from .model import BenchItem

    items = db.manager(BenchItem)
    attr = BenchItem.attr

    async def get(i: int) -> object:
        return await items.get(GET_PK, sk(i % GET_ITEMS))

    async def put(i: int) -> object:
        return await items.put(BenchItem(**item_values(PUT_PK, i % GET_ITEMS)))

    async def update(i: int) -> object:
        return await items.update(
            (PUT_PK, sk(i % GET_ITEMS)), attr.count.add(1), condition=attr.status == "active"
        )

    async def query(i: int) -> object:
        found = await items.query(attr.pk == QUERY_PK).all()
        assert len(found) == QUERY_ITEMS
        return found

    return {"GetItem": get, "PutItem": put, "UpdateItem": update, "Query100": query}


def _raw_ops(client: Any) -> dict[str, Op]:
    from .raw import from_av, query_all, to_av

    async def get(i: int) -> object:
        r = await client.get_item(TableName=TABLE, Key={"pk": {"S": GET_PK}, "sk": {"S": sk(i % GET_ITEMS)}})
        return from_av(r["Item"])

    async def put(i: int) -> object:
        return await client.put_item(TableName=TABLE, Item=to_av(item_values(PUT_PK, i % GET_ITEMS)))

    async def update(i: int) -> object:
        r = await client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": PUT_PK}, "sk": {"S": sk(i % GET_ITEMS)}},
            UpdateExpression="ADD #c :one",
            ConditionExpression="#s = :active",
            ExpressionAttributeNames={"#c": "count", "#s": "status"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":active": {"S": "active"}},
            ReturnValues="ALL_NEW",
        )
        return from_av(r["Attributes"])

    async def query(i: int) -> object:
        out = await query_all(client, TABLE, QUERY_PK)
        assert len(out) == QUERY_ITEMS
        return out

    return {"GetItem": get, "PutItem": put, "UpdateItem": update, "Query100": query}


async def run(endpoint: str, *, rounds: int = 15, ops: int = 20, query_ops: int = 5) -> dict[str, Any]:
    """Measure every operation; returns figures per operation and side, and the ratios.

    Result: ``{"GetItem": {"ours_wall_ms": Figure, "raw_wall_ms": ..., "ours_cpu_ms": ...,
    "raw_cpu_ms": ..., "wall_ratio": ..., "cpu_ratio": ...}, ...}`` plus ``"settings"``.
    """
    from aiobotocore.session import AioSession

    from dynamorm_async import DB

    from .model import ours_http_from_env, ours_options
    from .raw import client_kwargs

    async with (
        DB(
            endpoint_url=endpoint,
            **ours_options(ours_http_from_env()),
            region=client_kwargs(endpoint)["region_name"],
        ) as db,
        AioSession().create_client("dynamodb", **client_kwargs(endpoint)) as client,
    ):
        sides = {"ours": _ours_ops(db), "raw": _raw_ops(client)}
        # Warm up: clients made, connections open, first-use caches filled, on both sides.
        for table in sides.values():
            for op in table.values():
                await op(0)
                await op(1)
        samples: dict[str, dict[str, list[float]]] = {
            name: {k: [] for k in ("ours_wall", "raw_wall", "ours_cpu", "raw_cpu")} for name in OPERATIONS
        }
        for r in range(rounds):
            order = ("ours", "raw") if r % 2 == 0 else ("raw", "ours")
            for name in OPERATIONS:
                n = query_ops if name == "Query100" else ops
                for side in order:
                    wall, cpu = await _timed(sides[side][name], n)
                    samples[name][f"{side}_wall"].append(wall * 1000)
                    samples[name][f"{side}_cpu"].append(cpu * 1000)

    result: dict[str, Any] = {"settings": {"rounds": rounds, "ops": ops, "query_ops": query_ops}}
    for name, s in samples.items():
        result[name] = {
            "ours_wall_ms": Figure.of(s["ours_wall"], "ms"),
            "raw_wall_ms": Figure.of(s["raw_wall"], "ms"),
            "ours_cpu_ms": Figure.of(s["ours_cpu"], "ms"),
            "raw_cpu_ms": Figure.of(s["raw_cpu"], "ms"),
            "wall_ratio": ratios(s["ours_wall"], s["raw_wall"]),
            "cpu_ratio": ratios(s["ours_cpu"], s["raw_cpu"]),
        }
    return result
