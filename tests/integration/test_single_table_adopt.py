"""Adopting an existing table on DynamoDB Local: items written by another tool with only their
keys and data (no discriminator, no template fields of their own) are read at once (collections
route them by key shape, gets parse their fields from the keys), and a backfill writes the
discriminator and the fields into them, conditionally, reporting what it could not tag."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import (
    DB,
    BackfillResult,
    ConditionCheckFailed,
    HashKey,
    InvalidInput,
    Key,
    Model,
    ModelError,
    RangeKey,
)
from dynamorm_async.query.backfill import tag_request
from dynamorm_async.schema import schema_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from tests.integration.conftest import TableFactory

pytestmark = pytest.mark.anyio

_TABLE = f"adopt-{uuid.uuid4().hex[:8]}"
_AMBIGUOUS = f"adopt-two-{uuid.uuid4().hex[:8]}"
_PLAIN = f"adopt-plain-{uuid.uuid4().hex[:8]}"


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
):
    customer_id: str
    order_id: str
    created_at: dt.datetime
    total: int = 0


class User(
    Model,
    table=_AMBIGUOUS,
    discriminator="USER",
    hash_key=Key("pk", "USER#{user_id}"),
    range_key=Key("sk", "META"),
):
    user_id: str


class Tenant(
    Model,
    table=_AMBIGUOUS,
    discriminator="TENANT",
    hash_key=Key("pk", "{tenant}"),
    range_key=Key("sk", "META"),
):
    tenant: str


class Shop(Model, table=_PLAIN, discriminator="SHOP"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]


class Sale(Model, table=_PLAIN, discriminator="SALE"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]


T = [dt.datetime(2024, 1, d, 10, tzinfo=dt.UTC) for d in (1, 2, 3)]


def _sk(i: int) -> str:
    return f"ORDER#{T[i]:%Y-%m-%dT%H:%M:%S}.000000Z#o{i}"


def _raw(client: DynamoDBClient, pk: str, sk: str, table: str = _TABLE) -> dict[str, Any]:
    got = client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
    return dict(got.get("Item", {}))


def _legacy(client: DynamoDBClient) -> None:
    """What another tool wrote: keys and data only."""
    put = client.put_item
    put(TableName=_TABLE, Item={"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "PROFILE"}, "email": {"S": "a@x.io"}})
    for i in range(3):
        put(TableName=_TABLE, Item={"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": _sk(i)}, "total": {"N": str(i)}})
    put(TableName=_TABLE, Item={"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "NOTE#1"}, "text": {"S": "hi"}})
    put(TableName=_TABLE, Item={"pk": {"S": "CUSTOMER#c2"}, "sk": {"S": "PROFILE"}})  # no email: won't read


async def test_legacy_items_read_at_once_and_a_backfill_tags_them(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    _legacy(boto3_client)
    await db.manager(Order).put(Order(customer_id="c3", order_id="o9", created_at=T[0]))  # already tagged

    # Read immediately: a collection routes them by key shape; the note fits no model.
    query = db.collection(Customer, Order).query(customer_id="c1")
    customers, orders = await query.all()
    assert customers == [Customer(customer_id="c1", email="a@x.io")]
    assert orders == [Order(customer_id="c1", order_id=f"o{i}", created_at=T[i], total=i) for i in range(3)]
    assert [item["sk"]["S"] for item in query.unknown] == ["NOTE#1"]
    got = await db.manager(Order).get({"customer_id": "c1", "created_at": T[1], "order_id": "o1"})
    assert got == orders[1]
    assert [o async for o in db.manager(Order).query(Order.attr.customer_id == "c1")] == orders

    # A dry run counts and writes nothing.
    collection = db.collection(Customer, Order)
    dry = await collection.backfill(segments=3, dry_run=True)
    assert (dry.updated, dry.already_set, dry.dry_run) == (4, 1, True)
    assert "entity" not in _raw(boto3_client, "CUSTOMER#c1", "PROFILE")

    result = await collection.backfill(segments=3)
    assert isinstance(result, BackfillResult)
    assert (result.scanned, result.updated, result.already_set, result.gone) == (7, 4, 1, 0)
    assert result.unmatched == ({"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "NOTE#1"}},)
    assert result.invalid == ({"pk": {"S": "CUSTOMER#c2"}, "sk": {"S": "PROFILE"}},)
    assert result.ambiguous == () and not result.complete
    raw = _raw(boto3_client, "CUSTOMER#c1", _sk(2))
    assert raw == {
        "pk": {"S": "CUSTOMER#c1"},
        "sk": {"S": _sk(2)},
        "total": {"N": "2"},
        "entity": {"S": "ORDER"},
        "customer_id": {"S": "c1"},
        "order_id": {"S": "o2"},
        "created_at": {"S": T[2].isoformat()},
    }
    # stored as the library stores the field itself
    assert _raw(boto3_client, "CUSTOMER#c3", _sk(0).replace("o0", "o9"))["created_at"] == {
        "S": T[0].isoformat()
    }
    profile = _raw(boto3_client, "CUSTOMER#c1", "PROFILE")
    assert profile["entity"] == {"S": "CUSTOMER"} and profile["customer_id"] == {"S": "c1"}
    assert "entity" not in _raw(boto3_client, "CUSTOMER#c1", "NOTE#1")
    assert "entity" not in _raw(boto3_client, "CUSTOMER#c2", "PROFILE")

    again = await collection.backfill(segments=2)
    assert (again.updated, again.already_set, len(again.unmatched), len(again.invalid)) == (0, 5, 1, 1)


async def test_a_table_scan_through_one_model_reads_only_its_own_untagged_items(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    """Before a backfill, a scan through ``Order`` keeps the customer profiles and the note out
    (their keys do not begin as an order's), instead of failing on them."""
    await tables(Order)
    _legacy(boto3_client)
    await db.manager(Order).put(Order(customer_id="c3", order_id="o9", created_at=T[0]))
    orders = await db.manager(Order).scan().all()
    assert sorted((o.customer_id, o.order_id) for o in orders) == [
        ("c1", "o0"),
        ("c1", "o1"),
        ("c1", "o2"),
        ("c3", "o9"),
    ]
    customers = await db.manager(Customer).scan().filter(Customer.attr.email.exists()).all()
    assert customers == [Customer(customer_id="c1", email="a@x.io")]


async def test_the_update_never_clobbers_a_value_written_meanwhile_nor_revives_a_deleted_item(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Order)
    _legacy(boto3_client)
    manager = db.manager(Order)
    schema = schema_of(Order)
    raw = _raw(boto3_client, "CUSTOMER#c1", _sk(0))
    params = tag_request(schema, raw, _TABLE)  # built from the scanned item ...
    boto3_client.update_item(  # ... then someone else names the item first
        TableName=_TABLE,
        Key={"pk": raw["pk"], "sk": raw["sk"]},
        UpdateExpression="SET entity = :e",
        ExpressionAttributeValues={":e": {"S": "RETURN"}},
    )
    with pytest.raises(ConditionCheckFailed) as caught:
        await manager.transport.call("UpdateItem", params, table=_TABLE)
    assert caught.value.item and _raw(boto3_client, "CUSTOMER#c1", _sk(0))["entity"] == {"S": "RETURN"}

    raw = _raw(boto3_client, "CUSTOMER#c1", _sk(1))
    params = tag_request(schema, raw, _TABLE)
    boto3_client.delete_item(TableName=_TABLE, Key={"pk": raw["pk"], "sk": raw["sk"]})
    with pytest.raises(ConditionCheckFailed) as caught:
        await manager.transport.call("UpdateItem", params, table=_TABLE)
    assert not caught.value.item and _raw(boto3_client, "CUSTOMER#c1", _sk(1)) == {}


async def test_keys_that_fit_several_models_are_reported_as_ambiguous(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(User)
    boto3_client.put_item(TableName=_AMBIGUOUS, Item={"pk": {"S": "USER#u1"}, "sk": {"S": "META"}})
    boto3_client.put_item(TableName=_AMBIGUOUS, Item={"pk": {"S": "acme"}, "sk": {"S": "META"}})
    result = await db.collection(User, Tenant).backfill(segments=1)
    assert result.ambiguous == ({"pk": {"S": "USER#u1"}, "sk": {"S": "META"}},)
    assert (result.updated, result.unmatched) == (1, ())
    assert _raw(boto3_client, "acme", "META", _AMBIGUOUS)["entity"] == {"S": "TENANT"}
    assert "entity" not in _raw(boto3_client, "USER#u1", "META", _AMBIGUOUS)


@pytest.mark.parametrize(
    "kwargs", [{"segments": 0}, {"segments": "4"}, {"concurrency": 0}, {"dry_run": "yes"}]
)
async def test_bad_backfill_arguments_are_refused_before_anything_is_sent(
    db: DB, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput):  # the table does not even exist: nothing was sent
        await db.collection(Customer, Order).backfill(**kwargs)


async def test_a_backfill_needs_models_with_key_templates(db: DB) -> None:
    with pytest.raises(ModelError, match="key templates"):
        await db.collection(Shop, Sale).backfill()
