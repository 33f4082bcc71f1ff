"""Run the orders API under AWS's Lambda runtime client, locally, against an embedded DynamoDB Local.

    python examples/lambda/run_local.py              # 1 cold + 50 warm invocations
    python examples/lambda/run_local.py --warm 200 --memory 1024

What happens: DynamoDB Local starts (or ``--endpoint`` names a running one), the orders table is
created from the handler's model, and ``awslambdaric`` (the runtime interface client of AWS's
managed Python runtime) runs ``handler.handler`` in a subprocess against a local Lambda Runtime
API. One cold invocation, then ``--warm`` warm ones (create, get, list and summary requests for two
partners) go to that one process; every answer is checked, and the library's own counters, read
through ``debug_handler.py``, must show one event loop and one DynamoDB client for all of them.
Prints each kind of request with its timing, then cold and warm timings. Exits non-zero if
anything was wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TABLE = "orders_local"
PARTNERS = ("acme", "globex")


def api_event(
    method: str,
    route: str,
    path_parameters: dict[str, str],
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event for ``route``, as Lambda would receive it."""
    raw_path = route
    for name, value in path_parameters.items():
        raw_path = raw_path.replace("{" + name + "}", value)
    query = query or {}
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": raw_path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in query.items()),
        "headers": {"content-type": "application/json", "host": "local"},
        "requestContext": {
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": f"local-{time.time_ns()}",
            "routeKey": f"{method} {route}",
            "stage": "$default",
        },
        "pathParameters": path_parameters or None,
        "queryStringParameters": query or None,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def create_event(partner: str, customer: str, total_cents: int) -> dict[str, Any]:
    """``POST /partners/{partner}/orders``."""
    body = {"customer": customer, "total_cents": total_cents, "items": ["sku-1", "sku-2"]}
    return api_event("POST", "/partners/{partner}/orders", {"partner": partner}, body=body)


def get_event(partner: str, order_id: str) -> dict[str, Any]:
    """``GET /partners/{partner}/orders/{order}``."""
    return api_event("GET", "/partners/{partner}/orders/{order}", {"partner": partner, "order": order_id})


def list_event(partner: str, limit: int = 5) -> dict[str, Any]:
    """``GET /partners/{partner}/orders?limit=``."""
    return api_event("GET", "/partners/{partner}/orders", {"partner": partner}, query={"limit": str(limit)})


def summary_event(partner: str) -> dict[str, Any]:
    """``GET /partners/{partner}/summary``."""
    return api_event("GET", "/partners/{partner}/summary", {"partner": partner})


def body_of(response: Any) -> Any:
    """The decoded JSON body of an API Gateway proxy response."""
    return json.loads(response["body"])


class Ledger:
    """What the run created for each partner, to check every answer against.

    (A plain class, not a dataclass, so this file also loads with ``runpy`` or ``importlib``
    without being registered in ``sys.modules``.)
    """

    def __init__(self, partners: Sequence[str] = PARTNERS) -> None:
        self.partners = tuple(partners)
        self.orders: dict[str, list[dict[str, Any]]] = {p: [] for p in self.partners}


Check = Callable[[Any], str | None]


def workload(count: int, ledger: Ledger) -> list[tuple[str, Callable[[], dict[str, Any]], Check]]:
    """``count`` requests cycling through create, get, list and summary for the ledger's partners.

    Each entry is (label, event factory, check); events are built lazily because a get needs
    an order created by an earlier request. A check returns ``None`` or what was wrong.
    """
    plan: list[tuple[str, Callable[[], dict[str, Any]], Check]] = []
    for i in range(count):
        turn, slot = divmod(i, len(ledger.partners))
        partner = ledger.partners[slot]
        kind = ("create", "get", "list", "summary")[turn % 4]
        if kind == "create":
            plan.append(_create(partner, i, ledger))
        elif kind == "get":
            plan.append(_get(partner, ledger))
        elif kind == "list":
            plan.append(_list(partner, ledger))
        else:
            plan.append(_summary(partner, ledger))
    return plan


def _create(partner: str, i: int, ledger: Ledger) -> tuple[str, Callable[[], dict[str, Any]], Check]:
    customer, total = f"customer-{i}", 100 * (i + 1)

    def check(response: Any) -> str | None:
        if response.get("statusCode") != 201:
            return f"expected 201, got {response}"
        order = body_of(response)
        if (order["partner_id"], order["customer"], order["total_cents"], order["version"]) != (
            partner,
            customer,
            total,
            1,
        ):
            return f"unexpected order {order}"
        ledger.orders[partner].append(order)
        return None

    return f"POST /partners/{partner}/orders", lambda: create_event(partner, customer, total), check


def _get(partner: str, ledger: Ledger) -> tuple[str, Callable[[], dict[str, Any]], Check]:
    wanted: dict[str, Any] = {}

    def event() -> dict[str, Any]:
        wanted.update(ledger.orders[partner][-1])
        return get_event(partner, wanted["order_id"])

    def check(response: Any) -> str | None:
        if response.get("statusCode") != 200:
            return f"expected 200, got {response}"
        got = body_of(response)
        return None if got == wanted else f"read {got}, expected {wanted}"

    return f"GET  /partners/{partner}/orders/{{order}}", event, check


def _list(partner: str, ledger: Ledger) -> tuple[str, Callable[[], dict[str, Any]], Check]:
    def check(response: Any) -> str | None:
        if response.get("statusCode") != 200:
            return f"expected 200, got {response}"
        ids = [o["order_id"] for o in body_of(response)["items"]]
        expected = [o["order_id"] for o in reversed(ledger.orders[partner])][:5]
        return None if ids == expected else f"listed {ids}, expected newest first {expected}"

    return f"GET  /partners/{partner}/orders?limit=5", lambda: list_event(partner), check


def _summary(partner: str, ledger: Ledger) -> tuple[str, Callable[[], dict[str, Any]], Check]:
    def check(response: Any) -> str | None:
        if response.get("statusCode") != 200:
            return f"expected 200, got {response}"
        body = body_of(response)
        created = ledger.orders[partner]
        newest = [o["order_id"] for o in reversed(created)][:3]
        if body["orders"] != len(created) or [o["order_id"] for o in body["newest"]] != newest:
            return f"summary {body} does not match {len(created)} orders, newest {newest}"
        return None

    return f"GET  /partners/{partner}/summary", lambda: summary_event(partner), check


def order_model() -> Any:
    """The function's ``Order`` model on table :data:`TABLE`: ``handler.py`` loaded under a private name.

    Loading it connects nothing (``LambdaDB`` connects early only inside Lambda), and leaves
    ``sys.path`` and the environment as they were.
    """
    import importlib.util

    name = "_orders_example_handler"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "handler.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        previous = os.environ.get("ORDERS_TABLE")
        os.environ["ORDERS_TABLE"] = TABLE  # read when the model class is made
        try:
            sys.modules[name] = module
            spec.loader.exec_module(module)
        finally:
            if previous is None:
                del os.environ["ORDERS_TABLE"]
            else:
                os.environ["ORDERS_TABLE"] = previous
    return sys.modules[name].Order


def create_table(endpoint: str) -> None:
    """(Re)create the orders table on ``endpoint`` from the handler's model, and warm the engine.

    DynamoDB Local is a Java program: the first request of each kind is slow while its JIT warms
    up (about 130 ms for the first PutItem on a fresh engine). One throwaway item written, read,
    queried and deleted here keeps that out of the function's cold-start figures.
    """
    import asyncio

    from dynamorm_async import DB, TableNotFound

    Order = order_model()

    async def make() -> None:
        async with DB(region=os.environ["AWS_REGION"], endpoint_url=endpoint) as db:
            manager = db.manager(Order)
            try:
                await manager.delete_table()
            except TableNotFound:
                pass
            await manager.create_table()
            sample = Order(partner_id="warm-up", order_id="0", customer="warm-up")
            await manager.put(sample, overwrite=False)
            await manager.get("warm-up", "0")
            await manager.query(Order.attr.partner_id == "warm-up").descending().limit(3).page()
            await manager.query(Order.attr.partner_id == "warm-up").count()
            await manager.delete("warm-up", "0")

    asyncio.run(make())


def use_local_credentials() -> None:
    """Dummy credentials and a region unless set: DynamoDB Local accepts any, but needs them to match."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])


def ms(value: float | None) -> str:
    return "      -" if value is None else f"{value:8.1f} ms"


def run(endpoint: str, *, warm: int = 50, memory_mb: int = 512, out: Callable[[str], None] = print) -> bool:
    """Create the table on ``endpoint``, run one cold and ``warm`` warm invocations; True if all was right."""
    from dynamorm_async.testing.lambda_runtime import LambdaProcess

    use_local_credentials()
    start = time.perf_counter()
    create_table(endpoint)
    elapsed = (time.perf_counter() - start) * 1000
    out(f"{ms(elapsed)}  table {TABLE} made from the handler's model; DynamoDB Local warmed up")

    env = {
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "ORDERS_TABLE": TABLE,
        "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
    }
    ledger = Ledger()
    plan = workload(warm + 1, ledger)
    failures: list[str] = []
    durations: dict[str, list[float]] = {}
    with LambdaProcess(
        "debug_handler.handler", task_root=HERE, env=env, memory_mb=memory_mb, timeout=10.0
    ) as function:
        label, make_event, check = plan[0]
        cold = function.invoke(make_event())  # queued at spawn: its answer ends the cold start
        out(f"{ms(function.init_ms)}  init: spawn, imports, LambdaDB (compile, tune, connect, warm)")
        out(f"{ms(cold.duration_ms)}  cold invocation  {label}")
        out(f"{ms(function.cold_start_ms)}  spawn -> first response")
        problem = check(cold.json()) if cold.outcome == "response" else f"{cold.outcome}: {cold.error}"
        if problem:
            failures.append(f"cold {label}: {problem}")
        for label, make_event, check in plan[1:]:
            invocation = function.invoke(make_event())
            if invocation.outcome != "response":
                failures.append(f"{label}: {invocation.outcome} {invocation.error}")
                continue
            problem = check(invocation.json())
            if problem:
                failures.append(f"{label}: {problem}")
            assert invocation.duration_ms is not None
            kind = re.sub(r"/partners/[^/]+/", "/partners/{partner}/", label)
            durations.setdefault(kind, []).append(invocation.duration_ms)
        stats = function.invoke({"debug": "stats"}).json()
        if not function.alive:
            failures.append(f"the runtime process died:\n{function.output()}")

    all_warm = [d for ds in durations.values() for d in ds]
    out(f"warm invocations by request ({memory_mb} MB):")
    for label, values in durations.items():
        out(f"  {len(values):4d} x {label:38s} median {statistics.median(values):6.2f} ms")
    if all_warm:
        out(
            f"warm: {len(all_warm)} invocations, median {statistics.median(all_warm):.2f} ms, "
            f"min {min(all_warm):.2f} ms, max {max(all_warm):.2f} ms"
        )
    out(
        f"one environment: {stats['invocations']} invocations ({stats['cold_starts']} cold), "
        f"{stats['loops_created']} event loop, {stats['clients_created']} DynamoDB client, "
        f"{stats['calls']} DynamoDB calls"
    )
    if stats["loops_created"] != 1 or stats["clients_created"] != 1:
        failures.append(f"expected one loop and one client for every invocation, counters say {stats}")
    for failure in failures:
        out(f"FAILED: {failure}")
    return not failures


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 when every answer was right)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--warm", type=int, default=50, help="warm invocations after the cold one (50)")
    parser.add_argument("--memory", type=int, default=512, help="AWS_LAMBDA_FUNCTION_MEMORY_SIZE (512)")
    parser.add_argument("--endpoint", help="use this DynamoDB Local instead of starting one")
    args = parser.parse_args(argv)
    use_local_credentials()
    if args.endpoint:
        ok = run(args.endpoint, warm=args.warm, memory_mb=args.memory)
    else:
        from dynamorm_async.testing.dynamodb_local import DynamoDBLocal

        start = time.perf_counter()
        with DynamoDBLocal() as engine:
            elapsed = (time.perf_counter() - start) * 1000
            print(f"{ms(elapsed)}  DynamoDB Local answering at {engine.endpoint_url}")
            ok = run(engine.endpoint_url, warm=args.warm, memory_mb=args.memory)
    print("all answers correct" if ok else "some answers were wrong")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
