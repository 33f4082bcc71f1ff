"""Items written by other tools read into models, or fail typed naming table, key and attribute."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from pydantic import BaseModel

from dynamorm_async import (
    DB,
    ConditionCheckFailed,
    CreatedAt,
    HashKey,
    InvalidStoredItem,
    Model,
)
from dynamorm_async.schema import schema_of

from .conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

TABLE = "data_reads"


class Color(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    city: str
    zip: str | None = None


class Thing(Model, table=TABLE):
    pk: Annotated[str, HashKey()]
    count: int = 0
    name: str | None = None
    address: Address | None = None
    tags: set[str] | None = None
    when: dt.datetime | None = None
    ident: uuid.UUID | None = None
    color: Color | None = None
    homes: list[Address] = []


@pytest.fixture
async def things(db: DB, tables: TableFactory) -> Any:
    await tables(Thing)
    return db.manager(Thing)


@pytest.mark.parametrize(
    ("attribute", "stored"),
    [
        ("count", {"S": "abc"}),
        ("address", {"S": "Main street"}),
        ("tags", {"L": [{"S": "a"}]}),
        ("count", {"NULL": True}),
        ("homes", {"L": [{"S": "nowhere"}]}),
        ("when", {"N": "5"}),
    ],
)
async def test_a_value_of_another_type_fails_typed(
    things: Any, boto3_client: DynamoDBClient, attribute: str, stored: dict[str, Any]
) -> None:
    boto3_client.put_item(TableName=TABLE, Item={"pk": {"S": "k"}, attribute: stored})
    with pytest.raises(InvalidStoredItem) as info:
        await things.get("k")
    err = info.value
    assert err.table == TABLE and err.key == {"pk": {"S": "k"}} and err.attribute == attribute
    assert TABLE in str(err) and attribute in str(err)
    # an insert-only put over that item fails as a failed condition, not while decoding the old item
    with pytest.raises(ConditionCheckFailed) as failed:
        await things.put(Thing(pk="k"), overwrite=False)
    assert failed.value.item is None


async def test_null_reads_as_none_wherever_allowed(things: Any, boto3_client: DynamoDBClient) -> None:
    nulls = {a: {"NULL": True} for a in ("name", "address", "tags", "when", "ident", "color")}
    boto3_client.put_item(TableName=TABLE, Item={"pk": {"S": "n"}, **nulls})
    boto3_client.put_item(
        TableName=TABLE,
        Item={"pk": {"S": "m"}, "address": {"M": {"city": {"S": "Oslo"}, "zip": {"NULL": True}}}},
    )
    got = await things.get("n")
    assert got == Thing(pk="n")
    assert (await things.get("m")).address == Address(city="Oslo")


async def test_projected_reads_are_typed(things: Any) -> None:
    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    ident = uuid.uuid4()
    full = Thing(pk="p", when=when, ident=ident, color=Color.BLUE, address=Address(city="Rome"), count=3)
    await things.put(full)
    got = await things.get("p", projection=["when", "ident", "color", "address", "count"])
    assert got.when == when and isinstance(got.when, dt.datetime)
    assert got.ident == ident and isinstance(got.ident, uuid.UUID)
    assert got.color is Color.BLUE
    assert got.address == Address(city="Rome")
    assert got.count == 3
    (scanned,) = await things.scan().project("when", "color", "address").all()
    assert (scanned.when, scanned.color, scanned.address) == (when, Color.BLUE, Address(city="Rome"))
    (batched,) = await things.batch_get(["p"], projection=["ident"])
    assert batched.ident == ident


def test_optional_annotated_marker_is_kept() -> None:
    class Stamped(Model, table="data_stamped"):
        pk: Annotated[str, HashKey()]
        created: Annotated[dt.datetime, CreatedAt()] | None = None

    created = schema_of(Stamped).created_at
    assert created is not None and created.name == "created"


async def test_numbers_round_trip_the_whole_range(things: Any, boto3_client: DynamoDBClient) -> None:
    class Num(Model, table=TABLE):
        pk: Annotated[str, HashKey()]
        d: Decimal | None = None
        i: int | None = None

    numbers = [
        Decimal("9.9999999999999999999999999999999999999E+125"),
        Decimal("-9.9999999999999999999999999999999999999E+125"),
        Decimal("1E-130"),
        Decimal("-1E-130"),
        Decimal("1E+38"),
        Decimal("1.2345678901234567890123456789012345678"),
    ]
    manager = things.__class__(Num, things.transport)
    for n, value in enumerate(numbers):
        await manager.put(Num(pk=f"n{n}", d=value))
        assert (await manager.get(f"n{n}")).d == value
    await manager.put(Num(pk="big", i=10**38))
    assert (await manager.get("big")).i == 10**38
    assert boto3_client.get_item(TableName=TABLE, Key={"pk": {"S": "big"}})["Item"]["i"]["N"] == str(10**38)
