"""Typed collections: what mypy infers (``assert_type``, checked by the project's mypy run), the
request a collection query sends, and the errors a bad collection raises before sending anything.

Run through ``DB(transport=MockTransport(handler))``; behaviour against a real engine (pages,
cursors, parallel scans) is in ``tests/integration/test_single_table_collections.py``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, assert_type, cast

import pytest

from dynamorm_async import (
    DB,
    Collection,
    CollectionPage,
    HashKey,
    InvalidInput,
    InvalidKey,
    Model,
    ModelError,
    RangeKey,
    UnknownAttribute,
)
from dynamorm_async.marshal import Item
from dynamorm_async.query.collection import Collection2, Collection3
from dynamorm_async.testing import MockTransport

pytestmark = pytest.mark.anyio

_TABLE = "collection-types"


class Customer(Model, table=_TABLE, discriminator="CUSTOMER"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    email: str = ""


class Order(Model, table=_TABLE, discriminator="ORDER"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    total: int = 0


class Line(Model, table=_TABLE, discriminator="LINE"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    sku: str = ""


class Plain(Model, table=_TABLE):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]


class Elsewhere(Model, table="collection-types-other", discriminator="ELSEWHERE"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]


class VipCustomer(Customer):
    """Inherits ``CUSTOMER``: it cannot sit in one collection with ``Customer``."""


def _item(entity: str | None, sk: str, **extra: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": "C#1"}, "sk": {"S": sk}, **extra}
    if entity is not None:
        item["entity"] = {"S": entity}
    return item


ITEMS = [
    _item("CUSTOMER", "PROFILE", email={"S": "a@example.com"}),
    _item("ORDER", "ORDER#1", total={"N": "3"}),
    _item("RETURN", "RETURN#1"),  # a model this code does not know (yet)
    _item(None, "LEGACY#1"),  # written before the table had a discriminator
    _item("ORDER", "ORDER#2", total={"N": "4"}),
]


def _db() -> tuple[DB, MockTransport]:
    transport = MockTransport(lambda operation, params: {"Items": ITEMS, "Count": len(ITEMS)})
    return DB(transport=cast(Any, transport)), transport


async def _typed(db: DB) -> None:
    """What users write; mypy checks each ``assert_type`` (at run time it returns its argument)."""
    collection = db.collection(Customer, Order)
    assert_type(collection, Collection2[Customer, Order])
    assert_type(db.collection(Customer, Order, Line), Collection3[Customer, Order, Line])
    customers, orders = await collection.query(pk="C#1").all()
    assert_type(customers, list[Customer])
    assert_type(orders, list[Order])
    assert [c.email for c in customers] == ["a@example.com"]
    assert [o.total for o in orders] == [3, 4]
    async for item in collection.query(pk="C#1"):
        assert_type(item, Customer | Order)
    page = await collection.query(pk="C#1").page()
    assert_type(page, CollectionPage[Customer | Order])
    assert_type(page.of(Order), list[Order])
    assert_type(page.items, list[Customer | Order])
    assert_type(page.cursor, str | None)
    assert_type(page.unknown, list[Item])
    _, _, lines = await db.collection(Customer, Order, Line).query(pk="C#1").all()
    assert_type(lines, list[Line])
    async with collection.scan().parallel(2).stream() as items:
        async for scanned in items:
            assert_type(scanned, Customer | Order)
    everything = db.collection(*[Customer, Order])
    assert_type(everything, Collection[Any, tuple[list[Any], ...]])


async def test_the_typed_api_runs() -> None:
    db, _ = _db()
    await _typed(db)


async def test_a_query_reads_the_partition_with_no_discriminator_filter() -> None:
    db, transport = _db()
    query = db.collection(Customer, Order).query(pk="C#1")
    page = await query.page()
    (call,) = transport.calls
    assert call.operation == "Query" and call.table == _TABLE
    assert call.params["KeyConditionExpression"] == "#n0 = :v0"
    assert call.params["ExpressionAttributeNames"] == {"#n0": "pk"}
    assert call.params["ExpressionAttributeValues"] == {":v0": {"S": "C#1"}}
    assert "FilterExpression" not in call.params
    assert [type(i) for i in page.items] == [Customer, Order, Order]
    assert [u["sk"]["S"] for u in page.unknown] == ["RETURN#1", "LEGACY#1"]
    assert [o.sk for o in page.of(Order)] == ["ORDER#1", "ORDER#2"]

    filtered = query.filter(Order.attr.total > 3).descending().consistent().page_size(10)
    await filtered.page()
    params = transport.calls[-1].params
    assert "entity" not in params["ExpressionAttributeNames"].values()
    assert params["ScanIndexForward"] is False and params["ConsistentRead"] is True and params["Limit"] == 10
    assert "FilterExpression" in params


async def test_iteration_sets_unknown_items_aside_with_one_warning_per_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db, _ = _db()
    query = db.collection(Customer, Order).query(pk="C#1")
    with caplog.at_level(logging.WARNING, logger="dynamorm_async.query"):
        customers, orders = await query.all()
    assert (len(customers), len(orders)) == (1, 2)
    assert [u["sk"]["S"] for u in query.unknown] == ["RETURN#1", "LEGACY#1"]
    (record,) = [r for r in caplog.records if r.name == "dynamorm_async.query"]
    assert record.levelno == logging.WARNING and "2 item(s)" in record.getMessage()
    assert "a@example.com" not in record.getMessage()
    await query.all()  # a second run reports its own strays, not twice the first's
    assert len(query.unknown) == 2
    assert query.limit(1).unknown == []  # each builder call starts a fresh list


async def test_parallel_scan_decodes_each_item_and_reports_unknown() -> None:
    db, transport = _db()
    scan = db.collection(Customer, Order).scan().parallel(2)
    customers, orders = await scan.all()
    assert (len(customers), len(orders)) == (2, 4)  # two segments, each answered with every item
    assert len(scan.unknown) == 4
    assert {c.params["Segment"] for c in transport.calls} == {0, 1}
    assert all("FilterExpression" not in c.params for c in transport.calls)


@pytest.mark.parametrize(
    ("models", "error", "match"),
    [
        ((Customer, Plain), ModelError, "declares no discriminator"),
        ((Customer, Elsewhere), ModelError, "is in table"),
        ((Customer, VipCustomer), ModelError, "share the discriminator"),
        ((Customer, Customer), InvalidInput, "given twice"),
        ((Customer, "Order"), InvalidInput, "takes model classes"),
        ((), InvalidInput, "at least one model"),
    ],
)
def test_a_bad_collection_is_refused_when_made(
    models: tuple[Any, ...], error: type[Exception], match: str
) -> None:
    db, transport = _db()
    with pytest.raises(error, match=match):
        db.collection(*models)
    assert transport.calls == []


async def test_bad_input_is_refused_before_anything_is_sent() -> None:
    db, transport = _db()
    collection = db.collection(Customer, Order)
    with pytest.raises(InvalidKey):
        collection.query(customer_id="c1")
    with pytest.raises(InvalidKey):
        collection.query()
    with pytest.raises(InvalidKey):
        collection.query(pk="")
    with pytest.raises(UnknownAttribute):
        collection.query(pk="C#1").filter(Line.attr.sku == "x")
    with pytest.raises(InvalidInput):
        collection.query(pk="C#1").filter("total > 3")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        collection.query(pk="C#1").limit(0)
    assert transport.calls == []
    page = await collection.query(pk="C#1").page()
    with pytest.raises(InvalidInput, match="not a model of this collection"):
        page.of(Line)


async def test_a_filter_may_name_any_models_attribute() -> None:
    db, transport = _db()
    await db.collection(Customer, Order).query(pk="C#1").filter(Customer.attr.email == "a@example.com").page()
    assert "FilterExpression" in transport.calls[-1].params
