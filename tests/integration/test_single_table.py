"""Several models in one table on DynamoDB Local: the discriminator is written by every kind of
write, reads decode into the right model, and a read through the wrong model is a typed error."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import DB, ConditionCheckFailed, HashKey, Model, RangeKey, TransactionCanceled, WrongModel

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from tests.integration.conftest import TableFactory

pytestmark = pytest.mark.anyio

_TABLE = f"single-app-{uuid.uuid4().hex[:8]}"


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


def _raw(client: DynamoDBClient, pk: str, sk: str) -> dict[str, Any]:
    item = client.get_item(TableName=_TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
    assert "Item" in item, f"no item {pk}/{sk}"
    return dict(item["Item"])


async def _fill(db: DB) -> None:
    await db.manager(Customer).put(Customer(pk="C#1", sk="PROFILE", email="a@example.com"))
    await db.manager(Order).batch_write(put=[Order(pk="C#1", sk=f"ORDER#{i}", total=i) for i in range(5)])
    async with db.transact_write() as tx:
        tx.put(Line(pk="C#1", sk="ORDER#0#LINE#1", sku="x"))
        tx.put(Line(pk="C#1", sk="ORDER#0#LINE#2", sku="y", qty=2))


async def test_every_write_stores_the_discriminator_boto3_sees_it(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Customer)
    await _fill(db)
    async with db.batch_writer() as writer:
        await writer.put(Order(pk="C#2", sk="ORDER#9", total=9))
    await db.manager(Order).update(("C#3", "ORDER#1"), Order.attr.total.set(4), upsert=True)
    orders = db.manager(Order)
    await orders.update(("C#4", "ORDER#1"), Order.attr.total.set(5), upsert=True, exactly_once=True)
    await db.manager(Order).put(Order(pk="C#5", sk="ORDER#1"), exactly_once=True)

    assert _raw(boto3_client, "C#1", "PROFILE")["entity"] == {"S": "CUSTOMER"}
    assert _raw(boto3_client, "C#1", "ORDER#3")["entity"] == {"S": "ORDER"}
    assert _raw(boto3_client, "C#1", "ORDER#0#LINE#2")["entity"] == {"S": "LINE"}
    assert _raw(boto3_client, "C#2", "ORDER#9")["entity"] == {"S": "ORDER"}
    assert _raw(boto3_client, "C#3", "ORDER#1")["entity"] == {"S": "ORDER"}
    assert _raw(boto3_client, "C#4", "ORDER#1")["entity"] == {"S": "ORDER"}
    assert _raw(boto3_client, "C#5", "ORDER#1")["entity"] == {"S": "ORDER"}
    # An update through another model is refused by DynamoDB: the item is neither relabelled nor touched.
    before = _raw(boto3_client, "C#1", "PROFILE")
    with pytest.raises(WrongModel) as caught:
        await db.manager(Order).update(("C#1", "PROFILE"), Order.attr.total.set(1), upsert=True)
    assert isinstance(caught.value.__context__, ConditionCheckFailed)
    assert _raw(boto3_client, "C#1", "PROFILE") == before


async def test_reads_decode_into_the_right_model(db: DB, tables: TableFactory) -> None:
    await tables(Customer)
    await _fill(db)
    customer = await db.manager(Customer).get("C#1", "PROFILE")
    assert customer == Customer(pk="C#1", sk="PROFILE", email="a@example.com")
    assert await db.manager(Order).get("C#1", "ORDER#2") == Order(pk="C#1", sk="ORDER#2", total=2)
    got = await db.manager(Line).batch_get([("C#1", "ORDER#0#LINE#1"), ("C#1", "ORDER#0#LINE#2")])
    assert sorted(x.sku for x in got) == ["x", "y"]
    both = await db.transact_get([(Customer, ("C#1", "PROFILE")), (Order, ("C#1", "ORDER#4"))])
    assert isinstance(both[0], Customer) and isinstance(both[1], Order) and both[1].total == 4


async def test_a_read_through_the_wrong_model_is_a_wrong_model_error(db: DB, tables: TableFactory) -> None:
    await tables(Customer)
    await _fill(db)
    with pytest.raises(WrongModel) as caught:
        await db.manager(Order).get("C#1", "PROFILE")
    err = caught.value
    assert (err.table, err.expected, err.found) == (_TABLE, "ORDER", "CUSTOMER")
    assert err.key == {"pk": {"S": "C#1"}, "sk": {"S": "PROFILE"}}
    with pytest.raises(WrongModel):  # a projection that leaves the discriminator out reads it anyway
        await db.manager(Order).get("C#1", "PROFILE", projection=["total"])
    with pytest.raises(WrongModel):
        await db.manager(Order).batch_get([("C#1", "ORDER#1"), ("C#1", "PROFILE")])
    with pytest.raises(WrongModel):
        await db.transact_get([(Order, ("C#1", "ORDER#1")), (Order, ("C#1", "ORDER#0#LINE#1"))])


async def test_a_failed_condition_on_another_models_item_is_a_wrong_model_error(
    db: DB, tables: TableFactory
) -> None:
    await tables(Customer)
    await _fill(db)
    with pytest.raises(WrongModel) as caught:
        await db.manager(Order).put(Order(pk="C#1", sk="PROFILE"), condition=Order.attr.pk.not_exists())
    assert caught.value.found == "CUSTOMER"
    # In a transaction the reason carries no item rather than a wrongly decoded one.
    tx = db.transact_write()
    tx.put(Order(pk="C#1", sk="PROFILE"), condition=Order.attr.pk.not_exists())
    with pytest.raises(TransactionCanceled) as cancelled:
        await tx.commit()
    assert cancelled.value.reasons[0].failed and cancelled.value.reasons[0].item is None


async def test_query_and_scan_through_one_model_return_only_its_items(db: DB, tables: TableFactory) -> None:
    await tables(Customer)
    await _fill(db)
    orders = db.manager(Order)
    found = await orders.query(Order.attr.pk == "C#1").all()
    assert sorted(o.total for o in found) == [0, 1, 2, 3, 4]
    assert all(isinstance(o, Order) for o in found)
    assert await orders.query(Order.attr.pk == "C#1").count() == 5
    # Pages of two: the filter is applied by DynamoDB, the cursor carries on past other models.
    seen: list[Order] = []
    cursor = None
    while True:
        page = await orders.query(Order.attr.pk == "C#1").page_size(2).page(cursor)
        seen.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(o.sk for o in seen) == [f"ORDER#{i}" for i in range(5)]
    filtered = await orders.query(Order.attr.pk == "C#1").filter(Order.attr.total >= 3).all()
    assert sorted(o.total for o in filtered) == [3, 4]
    lines = await db.manager(Line).scan().all()
    assert sorted(x.sku for x in lines) == ["x", "y"]
    customers = await db.manager(Customer).scan().parallel(2).all()
    assert [c.email for c in customers] == ["a@example.com"]
