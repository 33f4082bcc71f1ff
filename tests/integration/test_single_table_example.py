"""examples/single_table: every access pattern the example lists is answered by one request.

The example's three models share one table; each pattern runs under a call observer that records
what was sent, so "one query" is checked on the wire, and the answers are checked item by item.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest

from dynamorm_async import DB, TableNotFound
from dynamorm_async.transport import observe_calls

pytestmark = pytest.mark.anyio

T = TypeVar("T")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "single_table" / "shop.py"


@pytest.fixture(scope="module")
def shop() -> ModuleType:
    """``examples/single_table/shop.py``, imported under its own name."""
    spec = importlib.util.spec_from_file_location("single_table_shop", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Calls:
    """Records the operation of every call made while installed."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def call_started(self, operation: str, table: str | None) -> object:
        self.operations.append(operation)
        return None

    def call_ended(self, token: object, error: BaseException | None) -> None:
        return None


async def one_request(operation: str, call: Awaitable[T]) -> T:
    """Await ``call`` and check it sent exactly one request, of ``operation``."""
    calls = Calls()
    with observe_calls(calls):
        result = await call
    assert calls.operations == [operation]
    return result


@pytest.fixture
async def seeded(shop: ModuleType, dynamodb_local: str) -> AsyncIterator[DB]:
    async with DB(region="us-east-1", endpoint_url=dynamodb_local) as db:
        try:
            await db.manager(shop.Customer).delete_table()
        except TableNotFound:
            pass
        await shop.seed(db)
        yield db
        await db.manager(shop.Customer).delete_table(wait=False)


async def test_the_table_is_made_from_all_three_models(shop: ModuleType, seeded: DB) -> None:
    description = await seeded.manager(shop.Order).describe_table()
    assert {k["AttributeName"] for k in description["KeySchema"]} == {"pk", "sk"}
    (index,) = description["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "gsi1"
    assert {k["AttributeName"] for k in index["KeySchema"]} == {"gsi1pk", "gsi1sk"}


async def test_1_profile_is_one_get(shop: ModuleType, seeded: DB) -> None:
    customer = await one_request("GetItem", shop.profile(seeded, "c1"))
    assert (customer.customer_id, customer.email) == ("c1", "ada@example.com")


async def test_2_customer_with_orders_and_lines_is_one_query(shop: ModuleType, seeded: DB) -> None:
    customers, orders, lines = await one_request("Query", shop.customer_with_orders(seeded, "c1"))
    assert [c.name for c in customers] == ["Ada"]
    assert [o.order_id for o in orders] == ["o1", "o2"]  # sort key order: by time placed
    assert [(line.order_id, line.line_no) for line in lines] == [("o1", 1), ("o1", 2), ("o1", 3), ("o2", 1)]
    assert all(type(o) is shop.Order for o in orders)


async def test_3_orders_in_a_period_is_one_query(shop: ModuleType, seeded: DB) -> None:
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    found = await one_request("Query", shop.orders_between(seeded, "c1", start, start + dt.timedelta(days=5)))
    assert [o.order_id for o in found] == ["o1"]
    # Bounds are inclusive, to the microsecond.
    placed = found[0].placed_at
    again = await shop.orders_between(seeded, "c1", placed, placed)
    assert [o.order_id for o in again] == ["o1"]
    later = await shop.orders_between(
        seeded, "c1", placed + dt.timedelta(microseconds=1), start.replace(month=4)
    )
    assert [o.order_id for o in later] == ["o2"]


async def test_4_lines_of_an_order_is_one_query(shop: ModuleType, seeded: DB) -> None:
    lines = await one_request("Query", shop.order_lines(seeded, "c1", "o1"))
    assert [line.sku for line in lines] == ["tea", "cups", "pot"]


async def test_5_orders_in_a_status_is_one_query_on_the_shared_index(shop: ModuleType, seeded: DB) -> None:
    placed = await one_request("Query", shop.orders_in_status(seeded, "placed"))
    assert [o.order_id for o in placed] == ["o1", "o3"]  # oldest first, across customers
    shipped = await shop.orders_in_status(seeded, "shipped")
    assert [o.order_id for o in shipped] == ["o2"]


async def test_6_customer_by_email_is_one_query_on_the_shared_index(shop: ModuleType, seeded: DB) -> None:
    found = await one_request("Query", shop.customer_by_email(seeded, "bob@example.com"))
    assert found is not None and found.customer_id == "c2"
    assert await shop.customer_by_email(seeded, "nobody@example.com") is None


async def test_keys_are_stored_as_the_templates_say(shop: ModuleType, seeded: DB) -> None:
    """The stored items carry the composed keys and the discriminator next to the fields."""
    transport: Any = seeded.transport
    answer = await transport.call(
        "Query",
        {
            "TableName": shop.TABLE,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "CUSTOMER#c1"}},
        },
    )
    by_sk = {item["sk"]["S"]: item for item in answer["Items"]}
    assert by_sk["PROFILE"]["entity"] == {"S": "CUSTOMER"}
    assert by_sk["PROFILE"]["gsi1pk"] == {"S": "EMAIL#ada@example.com"}
    assert "ORDER#2026-03-01T09:00:00.000000Z#o1" in by_sk
    assert by_sk["LINE#o1#001"]["entity"] == {"S": "LINE"}
    order = by_sk["ORDER#2026-03-01T09:00:00.000000Z#o1"]
    assert order["gsi1pk"] == {"S": "STATUS#placed"}
    assert order["order_id"] == {"S": "o1"}


async def test_the_example_runs_as_a_script(
    shop: ModuleType, dynamodb_local: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python examples/single_table/shop.py`` seeds the table and prints each pattern's answer."""
    monkeypatch.setenv("DYNAMODB_ENDPOINT", dynamodb_local)
    async with DB(region="us-east-1", endpoint_url=dynamodb_local) as db:
        try:
            await db.manager(shop.Customer).delete_table()
        except TableNotFound:
            pass
        await shop.main()
        await db.manager(shop.Customer).delete_table(wait=False)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["1", "2", "3", "4", "5", "6"]
    assert lines[1] == "2 1 customer, 2 orders, 4 lines"
    assert lines[3] == "4 ['tea', 'cups', 'pot']"
