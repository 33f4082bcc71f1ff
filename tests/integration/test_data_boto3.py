"""The ORM and boto3 read each other's items: generated values, NULLs, Decimals and sets included.

boto3's usual style writes ``None`` as NULL and every number as a ``Decimal``; the ORM leaves
``None`` fields out and writes ints as ints. Either way the other side must read the same values.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from dynamorm_async import DB, HashKey, Model

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE = "data_boto3"


class Address(BaseModel):
    city: str
    zip: str | None = None


class Mixed(Model, table=TABLE):
    pk: Annotated[str, HashKey()]
    name: str | None = None
    count: int | None = None
    price: Decimal | None = None
    flag: bool | None = None
    tags: set[str] | None = None
    nums: set[int] | None = None
    blob: bytes | None = None
    scores: list[int] | None = None
    meta: dict[str, str] | None = None
    address: Address | None = None


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": optional(st.text(max_size=20)),
    "count": optional(st.integers(-(10**30), 10**30)),
    "price": optional(st.decimals(min_value=-(10**20), max_value=10**20, places=6, allow_nan=False)),
    "flag": optional(st.booleans()),
    "tags": optional(st.sets(st.text(max_size=8), min_size=1, max_size=4)),
    "nums": optional(st.sets(st.integers(-1000, 1000), min_size=1, max_size=4)),
    "blob": optional(st.binary(max_size=16)),
    "scores": optional(st.lists(st.integers(-(10**6), 10**6), max_size=4)),
    "meta": optional(st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=3)),
    "address": optional(st.builds(Address, city=st.text(max_size=5), zip=optional(st.text(max_size=5)))),
}
VALUES = st.fixed_dictionaries(FIELDS)
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def boto_style(value: Any) -> Any:
    """A value as boto3 code usually holds it: numbers as Decimal, nested models as dicts."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, BaseModel):
        return {k: boto_style(v) for k, v in value.model_dump().items()}
    if isinstance(value, dict):
        return {k: boto_style(v) for k, v in value.items()}
    if isinstance(value, (set, list)):
        return type(value)(boto_style(v) for v in value)
    return value


def without_nones(value: Any) -> Any:
    """What the ORM writes: None fields (also inside nested models) are left out."""
    if isinstance(value, dict):
        return {k: without_nones(v) for k, v in value.items() if v is not None}
    return value


@pytest.fixture(scope="module")
def mixed_table(boto3_client: DynamoDBClient) -> str:
    try:
        boto3_client.delete_table(TableName=TABLE)
    except boto3_client.exceptions.ResourceNotFoundException:
        pass
    boto3_client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return TABLE


async def _orm(endpoint: str, action: str, item: Mixed | str) -> Mixed | None:
    async with DB(region="us-east-1", endpoint_url=endpoint) as db:
        manager = db.manager(Mixed)
        if isinstance(item, Mixed):
            await manager.put(item)
            return None
        return await manager.get(item, consistent=True)


@SETTINGS
@given(VALUES)
def test_what_the_orm_writes_boto3_reads(
    mixed_table: str, dynamodb_local: str, boto3_client: DynamoDBClient, values: dict[str, Any]
) -> None:
    pk = str(uuid.uuid4())
    anyio.run(_orm, dynamodb_local, "put", Mixed(pk=pk, **values))
    stored = boto3_client.get_item(TableName=TABLE, Key={"pk": {"S": pk}}, ConsistentRead=True)["Item"]
    de = TypeDeserializer()
    read = {k: de.deserialize(v) for k, v in stored.items()}
    read = {k: (v.value if hasattr(v, "value") else v) for k, v in read.items()}  # Binary -> bytes
    expected = without_nones({"pk": pk, **{k: boto_style(v) for k, v in values.items()}})
    assert read == expected


@SETTINGS
@given(VALUES)
def test_what_boto3_writes_the_orm_reads(
    mixed_table: str, dynamodb_local: str, boto3_client: DynamoDBClient, values: dict[str, Any]
) -> None:
    pk = str(uuid.uuid4())
    ser = TypeSerializer()
    raw = {"pk": pk, **{k: boto_style(v) for k, v in values.items()}}  # None stays: boto3 writes NULL
    boto3_client.put_item(TableName=TABLE, Item={k: ser.serialize(v) for k, v in raw.items()})
    got = anyio.run(_orm, dynamodb_local, "get", pk)
    assert got == Mixed(pk=pk, **values)
