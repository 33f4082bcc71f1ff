"""Typed collections on DynamoDB Local: one query over a partition returns every model's items,
each as its model, paged with (signed) cursors; items of no model of the collection are reported;
parallel scans decode each item into its model."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import (
    DB,
    CollectionQuery,
    CollectionScan,
    HashKey,
    InvalidCursor,
    Model,
    Path,
    RangeKey,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from dynamorm_async.marshal import Item
    from tests.integration.conftest import TableFactory

pytestmark = pytest.mark.anyio

_TABLE = f"collections-{uuid.uuid4().hex[:8]}"
SECRET = "collection-cursor-secret-0123456789"


class Customer(Model, table=_TABLE, discriminator="CUSTOMER"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    email: str


class Order(Model, table=_TABLE, discriminator="ORDER"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    total: int = 0


class Line(Model, table=_TABLE, discriminator="LINE"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    sku: str
    qty: int = 1


#: Sort keys of C#1's items of the three models, in key order, and of its items of no model.
C1_MODELS = ["ORDER#0", "ORDER#0#LINE#1", "ORDER#0#LINE#2", "ORDER#1", "ORDER#2", "ORDER#3", "PROFILE"]
C1_STRAYS = ["LEGACY#1", "RETURN#1"]


async def _fill(db: DB, boto3_client: DynamoDBClient) -> None:
    customers, orders, lines = db.manager(Customer), db.manager(Order), db.manager(Line)
    await customers.put(Customer(pk="C#1", sk="PROFILE", email="one@example.com"))
    await customers.put(Customer(pk="C#2", sk="PROFILE", email="two@example.com"))
    await orders.batch_write(put=[Order(pk="C#1", sk=f"ORDER#{i}", total=i) for i in range(4)])
    await orders.put(Order(pk="C#2", sk="ORDER#9", total=9))
    await lines.batch_write(
        put=[Line(pk="C#1", sk="ORDER#0#LINE#1", sku="x"), Line(pk="C#1", sk="ORDER#0#LINE#2", sku="y")]
    )
    # Written by other code: a model this collection does not list, and an item with no discriminator.
    boto3_client.put_item(
        TableName=_TABLE, Item={"pk": {"S": "C#1"}, "sk": {"S": "RETURN#1"}, "entity": {"S": "RETURN"}}
    )
    boto3_client.put_item(TableName=_TABLE, Item={"pk": {"S": "C#1"}, "sk": {"S": "LEGACY#1"}})


def _key(item: Model | Item) -> tuple[str, str]:
    if isinstance(item, Model):
        return str(getattr(item, "pk")), str(getattr(item, "sk"))  # noqa: B009 - every model has them
    return str(item["pk"]["S"]), str(item["sk"]["S"])


def _sk(item: Model | Item) -> str:
    return _key(item)[1]


async def test_a_query_returns_each_models_items_as_that_model(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient, caplog: pytest.LogCaptureFixture
) -> None:
    await tables(Customer)
    await _fill(db, boto3_client)
    query = db.collection(Customer, Order, Line).query(pk="C#1")
    with caplog.at_level(logging.WARNING, logger="dynamorm_async.query"):
        customers, orders, lines = await query.all()
    assert customers == [Customer(pk="C#1", sk="PROFILE", email="one@example.com")]
    assert [(o.sk, o.total) for o in orders] == [(f"ORDER#{i}", i) for i in range(4)]
    assert [(x.sku, x.qty) for x in lines] == [("x", 1), ("y", 1)]
    assert sorted(_sk(u) for u in query.unknown) == C1_STRAYS
    assert query.unknown[0]["pk"] == {"S": "C#1"}  # the raw item, as stored
    warnings = [r for r in caplog.records if r.name == "dynamorm_async.query"]
    assert len(warnings) == 1 and "2 item(s)" in warnings[0].getMessage()

    items = [item async for item in query.descending()]
    assert [type(i).__name__ for i in items][:2] == ["Customer", "Order"]  # PROFILE sorts last
    assert [_sk(i) for i in items] == sorted((_sk(i) for i in items), reverse=True)
    assert await query.count() == 9  # COUNT cannot tell models apart: every item of the partition
    assert len([i async for i in query.limit(3)]) == 3
    # The other partition is not read.
    two_customers, two_orders = await db.collection(Customer, Order).query(pk="C#2").all()
    assert [c.email for c in two_customers] == ["two@example.com"] and [o.total for o in two_orders] == [9]


async def test_pages_and_cursors_walk_the_partition_exactly_once(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Customer)
    await _fill(db, boto3_client)
    for size in (1, 2, 3, 4):
        for query in (
            db.collection(Customer, Order, Line).query(pk="C#1").page_size(size),
            db.collection(Customer, Order, Line).query(pk="C#1").limit(size),
        ):
            seen: list[str] = []
            unknown: list[str] = []
            cursor: str | None = None
            pages = 0
            while True:
                page = await query.page(cursor)
                pages += 1
                assert len(page.items) + len(page.unknown) <= size
                seen += [_sk(i) for i in page.items]
                unknown += [_sk(u) for u in page.unknown]
                assert {type(i) for i in page.of(Order)} <= {Order}
                cursor = page.cursor
                if cursor is None:
                    break
            assert seen == C1_MODELS  # in key order, none twice
            assert sorted(unknown) == C1_STRAYS
            assert pages >= -(-9 // size)


async def test_signed_cursors_are_bound_to_the_partition_and_the_collection(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Customer)
    async with DB(region="us-east-1", endpoint_url=dynamodb_local, cursor_secret=SECRET) as db:
        await _fill(db, boto3_client)
        both = db.collection(Customer, Order)
        first = await both.query(pk="C#1").page_size(3).page()
        assert first.cursor is not None and "." in first.cursor  # signed
        second = await both.query(pk="C#1").page_size(3).page(first.cursor)
        assert {_sk(i) for i in second.items}.isdisjoint({_sk(i) for i in first.items})

        body, _, tag = first.cursor.partition(".")
        altered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + tag
        refused: list[tuple[CollectionQuery[Any, Any] | CollectionScan[Any, Any], str]] = [
            (both.query(pk="C#1"), altered),  # edited
            (both.query(pk="C#2"), first.cursor),  # another partition
            (db.collection(Customer, Order, Line).query(pk="C#1"), first.cursor),  # another collection
            (both.query(pk="C#1").descending(), first.cursor),  # another direction
            (both.scan(), first.cursor),
        ]
        for query, cursor in refused:
            with pytest.raises(InvalidCursor):
                await query.page(cursor)
        with pytest.raises(InvalidCursor):  # a model's own query does not take a collection's cursor
            await db.manager(Order).query(Order.attr.pk == "C#1").page(first.cursor)
        plain = await db.manager(Order).query(Order.attr.pk == "C#1").page_size(1).page()
        assert plain.cursor is not None
        with pytest.raises(InvalidCursor):  # nor the other way round
            await both.query(pk="C#1").page(plain.cursor)
    async with DB(region="us-east-1", endpoint_url=dynamodb_local) as unsigned:
        with pytest.raises(InvalidCursor):
            await unsigned.collection(Customer, Order).query(pk="C#1").page(first.cursor)


async def test_a_filter_applies_to_every_model(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Customer)
    await _fill(db, boto3_client)
    query = db.collection(Customer, Order).query(pk="C#1")
    customers, orders = await query.filter(Order.attr.total >= 2).all()
    assert customers == [] and [o.total for o in orders] == [2, 3]
    entity: Path[Any] = Path(("entity",))
    customers, orders = await query.filter((Order.attr.total >= 2) | (entity == "CUSTOMER")).all()
    assert [c.sk for c in customers] == ["PROFILE"] and [o.total for o in orders] == [2, 3]


async def test_scans_decode_each_item_into_its_model(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Customer)
    await _fill(db, boto3_client)
    collection = db.collection(Customer, Order, Line)
    for segments in (1, 3):
        scan = collection.scan().page_size(2).parallel(segments)
        customers, orders, lines = await scan.all()
        assert sorted(c.email for c in customers) == ["one@example.com", "two@example.com"]
        assert sorted(o.total for o in orders) == [0, 1, 2, 3, 9]
        assert sorted(x.sku for x in lines) == ["x", "y"]
        assert sorted(_sk(u) for u in scan.unknown) == C1_STRAYS
        async with scan.stream() as items:
            streamed = [item async for item in items]
        assert len(streamed) == 9 and len(scan.unknown) == 2
        assert await scan.count() == 11

    two_models = db.collection(Customer, Order).scan().page_size(3)
    customers_only, orders_only = await two_models.all()
    assert len(customers_only) == 2 and len(orders_only) == 5
    assert sorted(_sk(u) for u in two_models.unknown) == sorted(
        [*C1_STRAYS, "ORDER#0#LINE#1", "ORDER#0#LINE#2"]
    )
    keys: list[tuple[str, str]] = []
    cursor: str | None = None
    while True:
        page = await collection.scan().limit(4).page(cursor)
        assert len(page.items) + len(page.unknown) <= 4
        keys += [_key(i) for i in page.items] + [_key(u) for u in page.unknown]
        cursor = page.cursor
        if cursor is None:
            break
    assert len(keys) == len(set(keys)) == 11


class _PastDeadline:
    """Lambda's context with the deadline already passed (less time left than the buffer)."""

    def get_remaining_time_in_millis(self) -> int:
        return 100


async def test_a_collection_read_past_the_lambda_deadline_raises_lambda_timeout_error(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    from dynamorm_async import LambdaTimeoutError
    from dynamorm_async.aws_lambda import with_lambda_timeout

    await tables(Customer)
    await _fill(db, boto3_client)
    both = db.collection(Customer, Order)
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "page": lambda: both.query(pk="C#1").page(),
        "all": lambda: both.query(pk="C#1").all(),
        "count": lambda: both.query(pk="C#1").count(),
        "scan.all": lambda: both.scan().all(),
        "parallel.all": lambda: both.scan().parallel(2).all(),
    }
    for call in calls.values():
        with (
            pytest.raises(LambdaTimeoutError, match=r"was not sent|no AWS call"),
            with_lambda_timeout(_PastDeadline(), buffer=1.0),
        ):
            await call()
