"""Every manager operation against DynamoDB Local, read back independently with boto3."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from pydantic import BaseModel

from dynamorm_async import (
    DB,
    TTL,
    Attribute,
    ConditionCheckFailed,
    CreatedAt,
    HashKey,
    ItemNotFound,
    Model,
    RangeKey,
    UpdatedAt,
    Version,
)
from dynamorm_async.transport import debug_stats

from .conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio


class Stage(enum.Enum):
    NEW = "new"
    PAID = "paid"


class Line(BaseModel):
    sku: str
    qty: int = 1
    note: Annotated[str, Attribute("n")] = ""


class Order(Model, table="crud_orders"):
    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    name: str = ""  # reserved word in DynamoDB
    status: Stage = Stage.NEW  # reserved word
    size: int = 0  # reserved word
    total: Decimal = Decimal("0")
    display: Annotated[str, Attribute("dn")] = ""
    tags: set[str] = set()
    lines: list[Line] = []
    meta: dict[str, Any] = {}
    version: Annotated[int, Version()] = 0
    created_at: Annotated[dt.datetime | None, CreatedAt()] = None
    updated_at: Annotated[dt.datetime | None, UpdatedAt()] = None
    expires: Annotated[dt.datetime | None, TTL()] = None


class Plain(Model, table="crud_plain"):
    pk: Annotated[str, HashKey()]
    value: str = ""


@pytest.fixture
async def orders(db: DB, tables: TableFactory) -> Any:
    await tables(Order)
    return db.manager(Order)


def raw(client: DynamoDBClient, pk: str, sk: str) -> dict[str, Any] | None:
    item = client.get_item(
        TableName="crud_orders", Key={"partner_id": {"S": pk}, "order_id": {"S": sk}}, ConsistentRead=True
    ).get("Item")
    return dict(item) if item is not None else None


async def test_put_get_round_trip(orders: Any, boto3_client: DynamoDBClient) -> None:
    o = Order(
        partner_id="p1",
        order_id="o1",
        name="Ada",
        total=Decimal("10.50"),
        display="shown",
        tags={"a", "b"},
        lines=[Line(sku="x", qty=2, note="gift")],
        meta={"deep": {"list": [1, "two", None, True]}},
    )
    await orders.put(o)
    stored = raw(boto3_client, "p1", "o1")
    assert stored is not None
    assert stored["dn"] == {"S": "shown"}
    assert stored["status"] == {"S": "new"}
    assert stored["version"] == {"N": "1"}
    assert stored["lines"] == {"L": [{"M": {"sku": {"S": "x"}, "qty": {"N": "2"}, "n": {"S": "gift"}}}]}
    got = await orders.get("p1", "o1", consistent=True)
    assert got == o
    assert got.version == 1 and got.created_at is not None and got.created_at == got.updated_at
    assert got.meta == {"deep": {"list": [1, "two", None, True]}}


async def test_get_missing_raises_and_get_or_none(orders: Any) -> None:
    with pytest.raises(ItemNotFound) as info:
        await orders.get("p1", "missing")
    assert info.value.table == "crud_orders"
    assert await orders.get_or_none("p1", "missing") is None
    assert await orders.get_or_none(("p1", "missing")) is None


async def test_projection_reads_only_some_attributes(orders: Any) -> None:
    await orders.put(Order(partner_id="p", order_id="o", name="n", size=3, display="d"))
    got = await orders.get("p", "o", projection=[Order.attr.size, "display"])
    assert (got.partner_id, got.order_id, got.size, got.display) == ("p", "o", 3, "d")
    assert got.name == ""  # not read: default


async def test_insert_only_put(orders: Any) -> None:
    await orders.put(Order(partner_id="p", order_id="o"), overwrite=False)
    with pytest.raises(ConditionCheckFailed) as info:
        await orders.put(Order(partner_id="p", order_id="o", name="second"), overwrite=False)
    assert info.value.item is not None and info.value.item.name == ""  # the item as it is now
    assert (await orders.get("p", "o")).name == ""


async def test_version_checked_and_incremented(orders: Any, boto3_client: DynamoDBClient) -> None:
    first = Order(partner_id="p", order_id="v")
    await orders.put(first)
    a = await orders.get("p", "v")
    b = await orders.get("p", "v")
    a.name = "a"
    await orders.put(a)
    assert a.version == 2
    b.name = "b"
    with pytest.raises(ConditionCheckFailed) as info:
        await orders.put(b)  # stale
    assert b.version == 1  # a failed write changes nothing on the instance
    assert info.value.item.name == "a" and info.value.item.version == 2
    stored = raw(boto3_client, "p", "v")
    assert stored is not None and stored["name"] == {"S": "a"}
    with pytest.raises(ConditionCheckFailed):
        await orders.update(b, Order.attr.size.add(1))
    with pytest.raises(ConditionCheckFailed):
        await orders.delete(b)
    await orders.delete(a)
    assert await orders.get_or_none("p", "v") is None


async def test_update_with_condition_and_return_values(orders: Any) -> None:
    o = Order(partner_id="p", order_id="u", size=1, tags={"a"}, lines=[Line(sku="a")])
    await orders.put(o)
    new = await orders.update(
        o,
        Order.attr.size.add(4),
        Order.attr.total.set(Order.attr.total.if_not_exists(Decimal(0)) + Decimal("2.5")),
        Order.attr.tags.add({"b"}),
        Order.attr.status.set(Stage.PAID),
        Order.attr.meta["k"].set("v"),
        condition=Order.attr.status == Stage.NEW,
    )
    assert new is not None
    assert (new.size, new.total, new.tags, new.status, new.meta) == (
        5,
        Decimal("2.5"),
        {"a", "b"},
        Stage.PAID,
        {"k": "v"},
    )
    assert o.version == 2 and o.size == 5  # the instance is refreshed
    assert o.updated_at is not None and o.created_at is not None and o.updated_at > o.created_at
    with pytest.raises(ConditionCheckFailed) as info:
        await orders.update(o, Order.attr.size.add(1), condition=Order.attr.status == Stage.NEW)
    assert info.value.item.size == 5
    old = await orders.update(
        ("p", "u"), Order.attr.tags.delete({"a"}), Order.attr.name.remove(), return_values="ALL_OLD"
    )
    assert old is not None and old.tags == {"a", "b"}
    assert await orders.update(("p", "u"), Order.attr.size.set(0), return_values="NONE") is None
    got = await orders.get("p", "u")
    assert (got.tags, got.size, got.version) == ({"b"}, 0, 4)


async def test_list_append_both_ways_and_nested_paths(orders: Any) -> None:
    await orders.put(Order(partner_id="p", order_id="l", meta={"a": {"b": [0, 1, {"c": 1}]}, "xs": [2]}))
    await orders.update(
        ("p", "l"),
        Order.attr.meta["xs"].append([3]),
        Order.attr.meta["a"]["b"][2]["c"].set(Order.attr.meta["a"]["b"][2]["c"] + 10),
    )
    await orders.update(("p", "l"), Order.attr.meta["xs"].prepend([1]))
    got = await orders.get("p", "l")
    assert got.meta == {"a": {"b": [0, 1, {"c": 11}]}, "xs": [1, 2, 3]}


async def test_delete_with_condition_and_return_old(orders: Any) -> None:
    await orders.put(Order(partner_id="p", order_id="d", size=2))
    with pytest.raises(ConditionCheckFailed):
        await orders.delete("p", "d", condition=Order.attr.size > 5)
    old = await orders.delete("p", "d", condition=Order.attr.size <= 5, return_old=True)
    assert old is not None and old.size == 2
    assert await orders.get_or_none("p", "d") is None


async def test_ttl_from_seconds_and_datetime(orders: Any, boto3_client: DynamoDBClient) -> None:
    before = int(dt.datetime.now(dt.UTC).timestamp())
    o = Order(partner_id="p", order_id="t")
    await orders.put(o, ttl=3600)
    stored = raw(boto3_client, "p", "t")
    assert stored is not None
    assert before + 3600 <= int(stored["expires"]["N"]) <= before + 3600 + 60
    when = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    o2 = Order(partner_id="p", order_id="t2", expires=when)
    await orders.put(o2)
    assert (await orders.get("p", "t2")).expires == when


async def test_conditions_with_reserved_words_and_hostile_values(
    orders: Any, boto3_client: DynamoDBClient
) -> None:
    hostile = [":v0", "#n0", ") OR (1=1", "attribute_exists(pk)"]
    for i, text in enumerate(hostile):
        await orders.put(Order(partner_id="h", order_id=str(i), name=text, display=text))
    for i, text in enumerate(hostile):
        stored = raw(boto3_client, "h", str(i))
        assert stored is not None and stored["name"] == {"S": text} and stored["dn"] == {"S": text}
        await orders.update(("h", str(i)), Order.attr.size.set(i), condition=Order.attr.name == text)
        with pytest.raises(ConditionCheckFailed):
            await orders.update(
                ("h", str(i)), Order.attr.size.set(99), condition=Order.attr.name == text + "x"
            )
        assert (await orders.get("h", str(i))).size == i


async def test_one_client_is_reused(db: DB, tables: TableFactory) -> None:
    await tables(Plain)
    plain = db.manager(Plain)
    made = debug_stats().clients_created
    for i in range(20):
        await plain.put(Plain(pk=str(i)))
    assert debug_stats().clients_created == made
    assert db.manager(Plain) is plain
