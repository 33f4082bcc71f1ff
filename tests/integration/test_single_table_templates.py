"""Key templates on DynamoDB Local: models compose their keys from fields, keys are written on
every kind of write, reads take the fields, key conditions on fields select what they say, index
keys are overloaded across models and rewritten by updates, and a value that would break its key
is refused with nothing sent."""

from __future__ import annotations

import datetime as dt
import operator
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import DB, GSI, ConditionCheckFailed, InvalidKey, Key, KeyText, KeyUpdateError, Model
from dynamorm_async.transport import debug_stats

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from tests.integration.conftest import TableFactory

pytestmark = pytest.mark.anyio

_TABLE = f"templates-{uuid.uuid4().hex[:8]}"


class Customer(
    Model,
    table=_TABLE,
    discriminator="CUSTOMER",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),
    range_key=Key("sk", "PROFILE"),
):
    customer_id: str
    email: str


class Order(
    Model,
    table=_TABLE,
    discriminator="ORDER",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),
    range_key=Key("sk", "ORDER#{created_at}#{order_id}"),
    indexes=[GSI("gsi1", hash=Key("gsi1pk", "STATUS#{status}"), range=Key("gsi1sk", "{created_at}"))],
):
    customer_id: str
    order_id: str
    created_at: dt.datetime
    status: str = "new"
    total: int = 0


class Line(  # overloads gsi1: its partitions are SKUs, its sort keys order and line
    Model,
    table=_TABLE,
    discriminator="LINE",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),
    range_key=Key("sk", "LINE#{order_id}#{line_no}"),
    indexes=[GSI("gsi1", hash=Key("gsi1pk", "SKU#{sku}"), range=Key("gsi1sk", "{order_id}#{line_no}"))],
):
    customer_id: str
    order_id: str
    line_no: Annotated[int, KeyText(width=3)]
    sku: str
    qty: int = 1


BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
TIMES = [BASE + dt.timedelta(days=d, hours=h) for d in (0, 9, 30, 31, 45) for h in (0, 12)]


def _raw(client: DynamoDBClient, pk: str, sk: str) -> dict[str, Any]:
    item = client.get_item(TableName=_TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
    return dict(item.get("Item", {}))


async def _fill(db: DB) -> list[Order]:
    await db.manager(Customer).put(Customer(customer_id="c1", email="a@example.com"))
    orders = [
        Order(customer_id="c1", order_id=f"o{i}", created_at=t, total=i, status="paid" if i % 3 else "new")
        for i, t in enumerate(TIMES)
    ]
    await db.manager(Order).batch_write(put=orders[:6])
    async with db.transact_write() as tx:
        for o in orders[6:]:
            tx.put(o)
    async with db.batch_writer() as writer:
        await writer.put(Line(customer_id="c1", order_id="o1", line_no=1, sku="apple"))
        await writer.put(Line(customer_id="c1", order_id="o1", line_no=2, sku="pear", qty=2))
        await writer.put(Line(customer_id="c2", order_id="o9", line_no=1, sku="apple"))
    return orders


async def test_writes_store_the_composed_keys_and_reads_take_the_fields(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    orders = await _fill(db)
    raw = _raw(boto3_client, "CUSTOMER#c1", "ORDER#2024-01-01T12:00:00.000000Z#o1")
    assert raw["gsi1pk"] == {"S": "STATUS#paid"} and raw["gsi1sk"] == {"S": "2024-01-01T12:00:00.000000Z"}
    assert raw["order_id"] == {"S": "o1"} and raw["entity"] == {"S": "ORDER"}
    assert _raw(boto3_client, "CUSTOMER#c1", "PROFILE")["email"] == {"S": "a@example.com"}
    assert _raw(boto3_client, "CUSTOMER#c1", "LINE#o1#002")["gsi1pk"] == {"S": "SKU#pear"}

    manager = db.manager(Order)
    key = {"customer_id": "c1", "created_at": TIMES[1], "order_id": "o1"}
    assert await manager.get(key) == orders[1]
    assert await manager.get({**key, "created_at": "2024-01-01T13:00:00+01:00"}) == orders[1]
    customer = Customer(customer_id="c1", email="a@example.com")
    assert await db.manager(Customer).get({"customer_id": "c1"}) == customer
    got = await manager.batch_get([key, {"customer_id": "c1", "created_at": TIMES[0], "order_id": "o0"}])
    assert sorted(o.order_id for o in got) == ["o0", "o1"]
    line_key = {"customer_id": "c1", "order_id": "o1", "line_no": 2}
    both = await db.transact_get([(Order, key), (Line, line_key)])
    assert both[0] == orders[1] and both[1].qty == 2
    # A projection that leaves the key fields out gets them from the stored keys.
    projected = await manager.get(key, projection=["total"])
    assert (projected.customer_id, projected.created_at, projected.order_id) == ("c1", TIMES[1], "o1")

    # An upsert through update creates a whole item: the fields of the key are stored too.
    new_key = {"customer_id": "c3", "created_at": BASE, "order_id": "o100"}
    created = await manager.update(new_key, Order.attr.total.set(7), upsert=True)
    assert created == Order(customer_id="c3", order_id="o100", created_at=BASE, total=7)
    assert _raw(boto3_client, "CUSTOMER#c3", "ORDER#2024-01-01T00:00:00.000000Z#o100")["gsi1sk"] == {
        "S": "2024-01-01T00:00:00.000000Z"
    }
    await manager.delete(new_key)
    assert await manager.get_or_none(new_key) is None
    with pytest.raises(KeyUpdateError):
        await manager.update(key, Order.attr.order_id.set("o2"))
    with pytest.raises(ConditionCheckFailed):  # insert-only: the composed key exists already
        await manager.put(orders[1], overwrite=False)


async def test_a_partition_query_reads_only_the_models_items(db: DB, tables: TableFactory) -> None:
    await tables(Order)
    orders = await _fill(db)
    manager = db.manager(Order)
    found = await manager.query(Order.attr.customer_id == "c1").all()
    assert found == orders  # time order, no profile, no lines
    assert await manager.query(Order.attr.customer_id == "c1").descending().all() == orders[::-1]
    assert await db.manager(Customer).query(Customer.attr.customer_id == "c1").all() == [
        Customer(customer_id="c1", email="a@example.com")
    ]
    lines = await db.manager(Line).query(Line.attr.customer_id == "c1").all()
    assert [(x.order_id, x.line_no) for x in lines] == [("o1", 1), ("o1", 2)]
    # Pages of three with cursors, across the whole partition.
    seen: list[Order] = []
    cursor = None
    while True:
        page = await manager.query(Order.attr.customer_id == "c1").page_size(3).page(cursor)
        seen.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == orders


#: Each builds a condition from a path and compares Python values alike.
COMPARISONS: list[Callable[[Any, Any], Any]] = [operator.lt, operator.le, operator.gt, operator.ge]


async def test_sort_conditions_on_fields_select_what_they_say(db: DB, tables: TableFactory) -> None:
    await tables(Order)
    orders = await _fill(db)
    manager = db.manager(Order)
    a = Order.attr
    c1 = a.customer_id == "c1"

    async def ids(condition: Any) -> list[str]:
        return [o.order_id for o in await manager.query(condition).all()]

    for t in (TIMES[3], BASE + dt.timedelta(days=5), TIMES[-1]):
        for fn in COMPARISONS:
            expected = [o.order_id for o in orders if fn(o.created_at, t)]
            assert await ids(c1 & fn(a.created_at, t)) == expected, (fn, t)
    low, high = TIMES[2], TIMES[6]
    assert await ids(c1 & a.created_at.between(low, high)) == [
        o.order_id for o in orders if low <= o.created_at <= high
    ]
    assert await ids(c1 & a.created_at.begins_with("2024-01")) == [
        o.order_id for o in orders if o.created_at.month == 1
    ]
    assert await ids(c1 & (a.created_at == TIMES[4])) == ["o4"]
    assert await ids(c1 & (a.created_at == TIMES[4]) & (a.order_id == "o4")) == ["o4"]
    # The last field of the key: comparisons on the whole key, strict where they say so.
    for fn in COMPARISONS:
        for other in ("o3", "o4", "o5", "o40"):
            expected = ["o4"] if fn("o4", other) else []
            assert await ids(c1 & (a.created_at == TIMES[4]) & fn(a.order_id, other)) == expected, (fn, other)
    assert await manager.query(c1 & a.created_at.between(low, high)).count() == 5


async def test_one_index_overloaded_by_two_models(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    orders = await _fill(db)
    manager = db.manager(Order)
    new = await manager.query(Order.attr.status == "new").all()
    assert new == [o for o in orders if o.status == "new"]
    paid_since = (Order.attr.status == "paid") & (Order.attr.created_at > TIMES[4])
    since = await manager.query(paid_since).index("gsi1").all()
    assert since == [o for o in orders if o.status == "paid" and o.created_at > TIMES[4]]
    apples = await db.manager(Line).query(Line.attr.sku == "apple").all()
    assert sorted((x.customer_id, x.order_id) for x in apples) == [("c1", "o1"), ("c2", "o9")]
    # An update of the status moves the order to its new index partition.
    key = {"customer_id": "c1", "created_at": TIMES[0], "order_id": "o0"}
    await manager.update(key, Order.attr.status.set("shipped"))
    assert _raw(boto3_client, "CUSTOMER#c1", "ORDER#2024-01-01T00:00:00.000000Z#o0")["gsi1pk"] == {
        "S": "STATUS#shipped"
    }
    assert [o.order_id for o in await manager.query(Order.attr.status == "shipped").all()] == ["o0"]
    assert "o0" not in [o.order_id for o in await manager.query(Order.attr.status == "new").all()]


async def test_a_value_that_would_break_its_key_sends_nothing(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    await _fill(db)
    lines = db.manager(Line)
    bad = Line(customer_id="c1", order_id="o#1", line_no=1, sku="apple")  # '#' ends order_id
    bad_key = {"customer_id": "c1", "order_id": "o#1", "line_no": 1}

    async def transaction() -> None:
        async with db.transact_write() as tx:
            tx.put(bad)

    async def writer() -> None:
        async with db.batch_writer() as w:
            await w.put(bad)

    calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: lines.put(bad),
        lambda: lines.get(bad_key),
        lambda: lines.update(bad_key, Line.attr.qty.set(3)),
        lambda: lines.delete(bad_key),
        lambda: lines.batch_write(put=[bad]),
        lambda: lines.batch_get([bad_key]),
        transaction,
        writer,
        lambda: lines.query((Line.attr.customer_id == "c1") & (Line.attr.order_id == "o#1")).all(),
        lambda: db.manager(Order).get(
            {"customer_id": "c1", "created_at": BASE.replace(tzinfo=None), "order_id": "x"}
        ),
    ]
    before = boto3_client.scan(TableName=_TABLE)["Items"]
    for call in calls:
        sent = debug_stats().calls
        with pytest.raises(InvalidKey):
            await call()
        assert debug_stats().calls == sent, "nothing may be sent for a key that would break"
    assert boto3_client.scan(TableName=_TABLE)["Items"] == before
