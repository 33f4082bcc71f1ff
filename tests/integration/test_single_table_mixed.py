"""Several models in one table on DynamoDB Local, used together: the table made from all of them,
batches and transactions mixing them, versions and timestamps per model, and writes through the
wrong model refused (a delete or condition check never touches another model's item)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import (
    DB,
    GSI,
    ConditionCheckFailed,
    CreatedAt,
    HashKey,
    Model,
    RangeKey,
    TransactionCanceled,
    UpdatedAt,
    Version,
    WrongModel,
)
from dynamorm_async.errors import TableMismatch, TransactionWrongModel
from dynamorm_async.schema import schema_of
from dynamorm_async.tables import table_definition

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from tests.integration.conftest import TableFactory

pytestmark = pytest.mark.anyio

_TABLE = f"mixed-app-{uuid.uuid4().hex[:8]}"


class Customer(Model, table=_TABLE, discriminator="CUSTOMER"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    email: str
    created_at: Annotated[dt.datetime | None, CreatedAt()] = None
    updated_at: Annotated[dt.datetime | None, UpdatedAt()] = None


class Order(
    Model, table=_TABLE, discriminator="ORDER", indexes=[GSI("by_status", hash="status", range="sk")]
):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    total: int = 0
    status: str = "new"
    version: Annotated[int, Version()] = 0


class Line(
    Model, table=_TABLE, discriminator="LINE", indexes=[GSI("by_sku", hash="sku", projection=["qty"])]
):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    sku: str
    qty: int = 1


def _raw(client: DynamoDBClient, pk: str, sk: str, table: str = _TABLE) -> dict[str, Any] | None:
    found = client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
    return dict(found["Item"]) if "Item" in found else None


async def _fill(db: DB) -> None:
    await db.manager(Customer).put(Customer(pk="C#1", sk="PROFILE", email="a@example.com"))
    await db.manager(Order).put(Order(pk="C#1", sk="ORDER#1", total=10))
    await db.manager(Line).put(Line(pk="C#1", sk="ORDER#1#LINE#1", sku="apple", qty=3))


# --------------------------------------------------------------------------- the table


async def test_ensure_table_through_any_model_creates_the_indexes_of_all(
    db: DB, boto3_client: DynamoDBClient
) -> None:
    try:
        description = await db.manager(Customer).ensure_table()  # Customer declares no index itself
        gsis = {g["IndexName"]: g for g in description.get("GlobalSecondaryIndexes", [])}
        assert set(gsis) == {"by_status", "by_sku"}
        assert gsis["by_sku"]["Projection"] == {
            "ProjectionType": "INCLUDE",
            "NonKeyAttributes": ["qty", "entity"],
        }
        types = {d["AttributeName"]: d["AttributeType"] for d in description["AttributeDefinitions"]}
        assert types == {"pk": "S", "sk": "S", "status": "S", "sku": "S"}
        # Through another model: the table is there and has what every model needs.
        again = await db.manager(Line).ensure_table()
        assert again["TableName"] == _TABLE
        # Each index answers through its model.
        await _fill(db)
        lines = await db.manager(Line).query(Line.attr.sku == "apple").all()
        assert [(x.sk, x.qty) for x in lines] == [("ORDER#1#LINE#1", 3)]
        orders = await db.manager(Order).query(Order.attr.status == "new").all()
        assert [o.sk for o in orders] == ["ORDER#1"]
    finally:
        boto3_client.delete_table(TableName=_TABLE)


_OTHER = f"mixed-old-{uuid.uuid4().hex[:8]}"


class Ticket(Model, table=_OTHER, discriminator="TICKET", indexes=[GSI("by_owner", hash="owner")]):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    owner: str = ""


class Comment(Model, table=_OTHER, discriminator="COMMENT"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    text: str = ""


async def test_an_existing_table_lacking_what_the_models_need_is_reported_not_altered(
    db: DB, boto3_client: DynamoDBClient
) -> None:
    # Made before Ticket had its index: the key schema fits, the GSI is missing.
    params = table_definition(schema_of(Comment))
    params.pop("GlobalSecondaryIndexes")
    params["AttributeDefinitions"] = [
        d for d in params["AttributeDefinitions"] if d["AttributeName"] != "owner"
    ]
    boto3_client.create_table(**params)
    try:
        for model in (Comment, Ticket):
            with pytest.raises(TableMismatch) as caught:
                await db.manager(model).ensure_table()
            assert caught.value.table == _OTHER
            assert caught.value.differences == ["it has no GSI 'by_owner'"]
        after = boto3_client.describe_table(TableName=_OTHER)["Table"]
        assert "GlobalSecondaryIndexes" not in after
    finally:
        boto3_client.delete_table(TableName=_OTHER)
    # Another key schema: a table keyed by the hash key alone.
    boto3_client.create_table(
        TableName=_OTHER,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        with pytest.raises(TableMismatch) as caught:
            await db.manager(Comment).ensure_table()
        assert any("key is ('pk', None)" in d for d in caught.value.differences)
    finally:
        boto3_client.delete_table(TableName=_OTHER)


# --------------------------------------------------------------------------- batches


async def test_batches_mix_models_and_each_item_reads_as_its_own(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    await _fill(db)
    # One BatchWriteItem: puts of three models and a delete of a fourth item, in one partition.
    async with db.batch_writer() as writer:
        await writer.put(Customer(pk="C#2", sk="PROFILE", email="b@example.com"))
        await writer.put(Order(pk="C#2", sk="ORDER#1", total=5))
        await writer.put(Order(pk="C#2", sk="ORDER#2", total=6))
        await writer.put(Line(pk="C#2", sk="ORDER#1#LINE#1", sku="pear"))
        await writer.delete(Line, ("C#1", "ORDER#1#LINE#1"))
    assert len(writer.result.done) == 5
    assert _raw(boto3_client, "C#1", "ORDER#1#LINE#1") is None
    entities = {
        sk: (_raw(boto3_client, "C#2", sk) or {})["entity"]["S"]
        for sk in ("PROFILE", "ORDER#1", "ORDER#2", "ORDER#1#LINE#1")
    }
    assert entities == {
        "PROFILE": "CUSTOMER",
        "ORDER#1": "ORDER",
        "ORDER#2": "ORDER",
        "ORDER#1#LINE#1": "LINE",
    }
    # Per-model batches on the shared table: each decodes into its own model.
    await db.manager(Line).batch_write(
        put=[Line(pk="C#1", sk=f"ORDER#1#LINE#{i}", sku=f"s{i}") for i in (2, 3)]
    )
    orders = await db.manager(Order).batch_get([("C#1", "ORDER#1"), ("C#2", "ORDER#1"), ("C#2", "ORDER#2")])
    customers = await db.manager(Customer).batch_get([("C#1", "PROFILE"), ("C#2", "PROFILE")])
    lines = await db.manager(Line).batch_get([("C#1", "ORDER#1#LINE#2"), ("C#2", "ORDER#1#LINE#1")])
    assert [(type(o).__name__, o.total) for o in orders] == [("Order", 10), ("Order", 5), ("Order", 6)]
    assert [c.email for c in customers] == ["a@example.com", "b@example.com"]
    assert all(isinstance(c, Customer) for c in customers)
    assert [(type(x).__name__, x.sku) for x in lines] == [("Line", "s2"), ("Line", "pear")]
    # A key of another model in a model's batch is refused, not decoded wrongly.
    with pytest.raises(WrongModel) as caught:
        await db.manager(Order).batch_get([("C#2", "ORDER#1"), ("C#2", "PROFILE")])
    assert (caught.value.expected, caught.value.found) == ("ORDER", "CUSTOMER")


# --------------------------------------------------------------------------- transactions


async def test_a_transaction_puts_one_model_updates_another_and_checks_a_third(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    await _fill(db)
    order = await db.manager(Order).get("C#1", "ORDER#1")
    async with db.transact_write() as tx:
        tx.put(Customer(pk="C#3", sk="PROFILE", email="c@example.com"))
        tx.update(order, Order.attr.total.add(5), Order.attr.status.set("paid"))
        tx.condition_check(Line, ("C#1", "ORDER#1#LINE#1"), Line.attr.qty >= 3)
    assert tx.committed and order.version == 2
    got = await db.transact_get(
        [(Customer, ("C#3", "PROFILE")), (Order, ("C#1", "ORDER#1")), (Line, ("C#1", "ORDER#1#LINE#1"))]
    )
    assert [type(x).__name__ for x in got] == ["Customer", "Order", "Line"]
    assert got[0].created_at is not None and (got[1].total, got[1].status, got[1].version) == (15, "paid", 2)
    # A condition check through the wrong model cancels the whole transaction.
    before = _raw(boto3_client, "C#1", "PROFILE")
    tx = db.transact_write()
    tx.put(Line(pk="C#1", sk="ORDER#1#LINE#9", sku="kiwi"))
    tx.condition_check(Order, ("C#1", "PROFILE"), Order.attr.pk.exists())  # true of the customer too
    with pytest.raises(TransactionWrongModel) as caught:
        await tx.commit()
    err = caught.value
    assert isinstance(err, TransactionCanceled) and isinstance(err, WrongModel)
    assert (err.index, err.expected, err.found) == (1, "ORDER", "CUSTOMER")
    assert err.key == {"pk": {"S": "C#1"}, "sk": {"S": "PROFILE"}}
    assert err.reasons[1].failed and err.reasons[1].item is None and not err.reasons[0].failed
    assert _raw(boto3_client, "C#1", "ORDER#1#LINE#9") is None
    assert _raw(boto3_client, "C#1", "PROFILE") == before
    # The same check on an order (or on no item) is not refused by the guard.
    tx = db.transact_write()
    tx.condition_check(Order, ("C#1", "ORDER#1"), Order.attr.total >= 0)
    tx.put(Line(pk="C#1", sk="ORDER#1#LINE#9", sku="kiwi"))
    await tx.commit()
    assert _raw(boto3_client, "C#1", "ORDER#1#LINE#9") is not None


# --------------------------------------------------------------------------- versions and timestamps


async def test_versions_and_timestamps_are_each_models_own(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    orders, customers, lines = db.manager(Order), db.manager(Customer), db.manager(Line)
    order = Order(pk="C#4", sk="ORDER#1")
    await orders.put(order)
    await orders.put(order)
    assert order.version == 2
    stale = Order(pk="C#4", sk="ORDER#1", version=1)
    with pytest.raises(ConditionCheckFailed) as caught:
        await orders.put(stale)
    assert isinstance(caught.value.item, Order) and caught.value.item.version == 2
    customer = Customer(pk="C#4", sk="PROFILE", email="d@example.com")
    await customers.put(customer)
    assert customer.created_at is not None and customer.updated_at is not None
    await lines.put(Line(pk="C#4", sk="ORDER#1#LINE#1", sku="fig"))
    raw_order, raw_customer, raw_line = (
        _raw(boto3_client, "C#4", sk) or {} for sk in ("ORDER#1", "PROFILE", "ORDER#1#LINE#1")
    )
    assert (
        raw_order["version"] == {"N": "2"} and "created_at" not in raw_order and "updated_at" not in raw_order
    )
    assert "version" not in raw_customer and {"created_at", "updated_at"} <= set(raw_customer)
    assert not {"version", "created_at", "updated_at"} & set(raw_line)
    # An update of the customer moves its updated_at and leaves created_at; the order's version is untouched.
    first = customer.created_at
    updated = await customers.update(customer, Customer.attr.email.set("e@example.com"))
    assert updated is not None and updated.created_at == first and updated.updated_at != first
    assert (await orders.get("C#4", "ORDER#1")).version == 2
    # A versioned delete of the order checks its version; the customer's has none to check.
    with pytest.raises(ConditionCheckFailed):
        await orders.delete(stale)
    await orders.delete(order)
    assert _raw(boto3_client, "C#4", "ORDER#1") is None


# --------------------------------------------------------------------------- deletes through the wrong model


async def test_a_delete_through_the_wrong_model_is_refused_and_deletes_nothing(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    await _fill(db)
    before = _raw(boto3_client, "C#1", "PROFILE")
    orders = db.manager(Order)
    with pytest.raises(WrongModel) as caught:
        await orders.delete("C#1", "PROFILE")
    assert (caught.value.expected, caught.value.found) == ("ORDER", "CUSTOMER")
    assert isinstance(caught.value.__context__, ConditionCheckFailed)
    with pytest.raises(WrongModel):
        await orders.delete(("C#1", "PROFILE"), condition=Order.attr.total >= 0, return_old=True)
    with pytest.raises(WrongModel):
        await orders.delete(("C#1", "PROFILE"), exactly_once=True)
    tx = db.transact_write()
    tx.delete(Order, ("C#1", "PROFILE"))
    with pytest.raises(TransactionWrongModel):
        await tx.commit()
    tx = db.transact_write()
    tx.update(Order, ("C#1", "PROFILE"), Order.attr.total.set(1))
    with pytest.raises(TransactionWrongModel) as caught_update:
        await tx.commit()
    assert caught_update.value.found == "CUSTOMER"
    assert _raw(boto3_client, "C#1", "PROFILE") == before
    # The right model deletes; a missing key deletes nothing and is no error.
    assert await db.manager(Customer).delete("C#1", "PROFILE", return_old=True) is not None
    await orders.delete("C#9", "ORDER#9")
    assert _raw(boto3_client, "C#1", "PROFILE") is None
    # An item written before its model had a discriminator is that model's: it can be deleted.
    boto3_client.put_item(
        TableName=_TABLE, Item={"pk": {"S": "C#1"}, "sk": {"S": "ORDER#0"}, "total": {"N": "1"}}
    )
    await orders.delete("C#1", "ORDER#0")
    assert _raw(boto3_client, "C#1", "ORDER#0") is None
