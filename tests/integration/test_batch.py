"""Batch get and batch write on DynamoDB Local, checked with plain boto3."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import TYPE_CHECKING, Annotated, Any, assert_type

import pytest

from dynamorm_async import (
    DB,
    BatchGetResult,
    BatchWriteResult,
    CreatedAt,
    DuplicateKey,
    HashKey,
    ItemTooLarge,
    Model,
    RangeKey,
    TableNotFound,
    UpdatedAt,
    Version,
)
from dynamorm_async.transport import debug_stats
from tests.integration.conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

_SUFFIX = uuid.uuid4().hex[:8]


class Order(Model, table=f"batch-orders-{_SUFFIX}"):
    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[int, RangeKey()]
    total: int = 0
    note: str = ""
    version: Annotated[int, Version()] = 0
    created_at: Annotated[dt.datetime | None, CreatedAt()] = None
    updated_at: Annotated[dt.datetime | None, UpdatedAt()] = None


class Tag(Model, table=f"batch-tags-{_SUFFIX}"):
    name: Annotated[str, HashKey()]
    weight: int = 1


def _orders(partner: str, n: int) -> list[Order]:
    return [Order(partner_id=partner, order_id=i, total=i * 3, note=f"n{i}") for i in range(n)]


def _stored(client: DynamoDBClient, partner: str) -> dict[int, dict[str, Any]]:
    """Every stored order of a partner, read with plain boto3 (paginated query)."""
    out: dict[int, dict[str, Any]] = {}
    for page in client.get_paginator("query").paginate(
        TableName=Order.__dynamorm_schema__.require_table(),
        KeyConditionExpression="partner_id = :p",
        ExpressionAttributeValues={":p": {"S": partner}},
        ConsistentRead=True,
    ):
        for item in page["Items"]:
            out[int(item["order_id"]["N"])] = item
    return out


@pytest.mark.parametrize("n", [1, 25, 26, 100, 101, 1000])
async def test_batch_write_then_get_round_trip(
    n: int, db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    orders = db.manager(Order)
    partner = f"p-{n}"
    items = _orders(partner, n)
    writes_before = debug_stats().by_operation.get("BatchWriteItem", 0)

    result = await orders.batch_write(put=items)

    assert result.put == items and result.unprocessed == []
    assert debug_stats().by_operation.get("BatchWriteItem", 0) - writes_before == -(-n // 25)  # chunks of 25
    # Timestamps and the version were set on the instances, as put() sets them.
    assert all(o.version == 1 and o.created_at is not None and o.updated_at is not None for o in items)

    stored = _stored(boto3_client, partner)
    assert sorted(stored) == list(range(n))
    for i, item in stored.items():
        assert item["total"] == {"N": str(i * 3)}
        assert item["note"] == {"S": f"n{i}"}
        assert item["version"] == {"N": "1"}
        assert "created_at" in item and "updated_at" in item

    keys = [(partner, i) for i in range(n)]
    random.Random(n).shuffle(keys)
    gets_before = debug_stats().by_operation.get("BatchGetItem", 0)
    got = await orders.batch_get(keys, consistent=True)
    assert debug_stats().by_operation.get("BatchGetItem", 0) - gets_before == -(-n // 100)  # chunks of 100
    # In the order of the requested keys.
    assert [(o.partner_id, o.order_id) for o in got] == keys
    by_id = {o.order_id: o for o in items}
    assert all(o == by_id[o.order_id] for o in got)


async def test_batch_get_orders_dedups_and_omits_missing_keys(db: DB, tables: TableFactory) -> None:
    await tables(Order)
    orders = db.manager(Order)
    items = _orders("p", 5)
    await orders.batch_write(put=items)

    keys: list[Any] = [("p", 4), items[1], ("p", 99), ("p", 4), ("p", 0), ("nobody", 1), items[1]]
    got = await orders.batch_get(keys)
    assert [o.order_id for o in got] == [4, 1, 0]

    assert await orders.batch_get([]) == []
    assert await orders.batch_get([("p", 77)]) == []


async def test_batch_get_hash_only_keys_and_projection(db: DB, tables: TableFactory) -> None:
    await tables(Tag)
    tags = db.manager(Tag)
    await tags.batch_write(put=[Tag(name=f"t{i}", weight=i) for i in range(30)])

    got = await tags.batch_get([f"t{i}" for i in range(29, -1, -1)])
    assert_type(got, list[Tag])
    assert [t.weight for t in got] == list(range(29, -1, -1))

    await tables(Order)
    orders = db.manager(Order)
    await orders.batch_write(put=_orders("proj", 3))
    partial = await orders.batch_get([("proj", 2), ("proj", 1)], projection=["total"])
    assert [(o.order_id, o.total, o.note) for o in partial] == [(2, 6, ""), (1, 3, "")]  # note not read


async def test_on_unprocessed_return_gives_a_result_object(db: DB, tables: TableFactory) -> None:
    await tables(Tag)
    tags = db.manager(Tag)
    written = await tags.batch_write(put=[Tag(name="a"), Tag(name="b")], on_unprocessed="return")
    assert_type(written, BatchWriteResult[Tag])
    assert [t.name for t in written.put] == ["a", "b"] and written.unprocessed == []

    result = await tags.batch_get(["a", "zz", "b"], on_unprocessed="return")
    assert_type(result, BatchGetResult[Tag])
    assert isinstance(result, BatchGetResult)
    assert [t.name for t in result.items] == ["a", "b"]
    assert result.unprocessed == [] and result.reason is None


async def test_batch_delete_and_mixed_writes(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    orders = db.manager(Order)
    items = _orders("d", 60)
    await orders.batch_write(put=items)

    fresh = [Order(partner_id="d", order_id=100 + i) for i in range(10)]
    result = await orders.batch_write(put=fresh, delete=[("d", i) for i in range(0, 60, 2)] + [items[1]])
    assert len(result.deleted) == 31 and len(result.put) == 10

    expected = {i for i in range(3, 60, 2)} | {100 + i for i in range(10)}
    assert set(_stored(boto3_client, "d")) == expected


async def test_duplicate_keys_are_rejected_before_sending(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    orders = db.manager(Order)
    before = debug_stats().by_operation.get("BatchWriteItem", 0)

    with pytest.raises(DuplicateKey, match="twice") as caught:
        await orders.batch_write(put=[*_orders("dup", 30), Order(partner_id="dup", order_id=7)])
    assert caught.value.key == {"partner_id": {"S": "dup"}, "order_id": {"N": "7"}}
    with pytest.raises(DuplicateKey, match="a put and a delete"):
        await orders.batch_write(put=_orders("dup", 3), delete=[("dup", 2)])
    with pytest.raises(DuplicateKey):  # 1 and 1.0 are the same number, so the same key
        await orders.batch_write(delete=[("dup", 1), ("dup", 1.0)])

    assert debug_stats().by_operation.get("BatchWriteItem", 0) == before
    assert _stored(boto3_client, "dup") == {}


async def test_duplicate_text_keys_are_refused_before_anything_is_sent(db: DB, tables: TableFactory) -> None:
    await tables(Tag)
    tags = db.manager(Tag)
    before = debug_stats().by_operation.get("BatchWriteItem", 0)
    with pytest.raises(DuplicateKey, match="a put and a put"):
        await tags.batch_write(put=[Tag(name="a"), Tag(name="b"), Tag(name="a", weight=2)])
    with pytest.raises(DuplicateKey, match="a put and a delete"):
        await tags.batch_write(put=[Tag(name="a")], delete=["b", "a"])
    assert debug_stats().by_operation.get("BatchWriteItem", 0) == before
    result = await tags.batch_write(put=[Tag(name="a")], delete=["b"])
    assert [t.name for t in result.put] == ["a"] and result.deleted == ["b"]


async def test_an_item_too_large_is_rejected_before_anything_is_sent(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    orders = db.manager(Order)
    before = debug_stats().by_operation.get("BatchWriteItem", 0)
    items = _orders("big", 40)
    items[33].note = "x" * (400 * 1024)

    with pytest.raises(ItemTooLarge):
        await orders.batch_write(put=items)

    assert debug_stats().by_operation.get("BatchWriteItem", 0) == before
    assert _stored(boto3_client, "big") == {}
    assert items[0].version == 0 and items[0].created_at is None  # nothing applied to the instances


async def test_batch_put_increments_the_version_without_checking_it(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    orders = db.manager(Order)
    current = await orders.put(Order(partner_id="v", order_id=1))
    await orders.update(current, Order.attr.total.add(1))
    await orders.update(current, Order.attr.total.add(1))
    assert current.version == 3

    stale = Order(partner_id="v", order_id=1, version=0)
    await orders.batch_write(put=[stale])  # put() would refuse this stale instance

    assert stale.version == 1
    stored = _stored(boto3_client, "v")[1]
    assert stored["version"] == {"N": "1"} and stored["total"] == {"N": "0"}


async def test_errors_that_are_not_transient_are_raised_as_they_are(db: DB) -> None:
    class Missing(Model, table=f"batch-missing-{_SUFFIX}"):
        pk: Annotated[str, HashKey()]

    missing = db.manager(Missing)
    with pytest.raises(TableNotFound):
        await missing.batch_write(put=[Missing(pk=str(i)) for i in range(60)])
    with pytest.raises(TableNotFound):
        await missing.batch_get([str(i) for i in range(250)])
