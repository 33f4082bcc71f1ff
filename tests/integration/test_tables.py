"""Table management from models, checked against DynamoDB Local's own description."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import pytest

from dynamorm_async import DB, GSI, LSI, TTL, HashKey, Model, RangeKey, TableAlreadyExists, TableNotFound

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio


class Event(
    Model,
    table="tables_events",
    indexes=[
        GSI("by_kind", hash="kind", range="at", projection=["payload"]),
        GSI("by_size", hash="size", projection="KEYS_ONLY"),
        LSI("by_at", range="at"),
    ],
):
    stream: Annotated[str, HashKey()]
    seq: Annotated[int, RangeKey()]
    kind: str = "k"
    at: str = ""
    size: int = 0
    payload: str = ""
    expires: Annotated[dt.datetime | None, TTL()] = None


async def test_create_describe_delete(db: DB, boto3_client: DynamoDBClient) -> None:
    events = db.manager(Event)
    description = await events.create_table(
        billing="PROVISIONED", read_capacity=3, write_capacity=4, stream="NEW_IMAGE"
    )
    assert description["TableStatus"] == "ACTIVE"
    real = boto3_client.describe_table(TableName="tables_events")["Table"]
    assert real["KeySchema"] == [
        {"AttributeName": "stream", "KeyType": "HASH"},
        {"AttributeName": "seq", "KeyType": "RANGE"},
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in real["AttributeDefinitions"]}
    assert types == {"stream": "S", "seq": "N", "kind": "S", "at": "S", "size": "N"}
    gsis = {g["IndexName"]: g for g in real["GlobalSecondaryIndexes"]}
    assert gsis["by_kind"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["payload"]}
    assert gsis["by_size"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert real["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert real["LocalSecondaryIndexes"][0]["IndexName"] == "by_at"
    assert real["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    ttl = boto3_client.describe_time_to_live(TableName="tables_events")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires" and ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING")

    with pytest.raises(TableAlreadyExists):
        await events.create_table()
    again = await events.ensure_table()  # exists: no error, same table
    assert again["TableName"] == "tables_events"
    assert (await events.describe_table())["ItemCount"] == 0

    await events.delete_table()
    with pytest.raises(TableNotFound):
        await events.describe_table()
    assert "tables_events" not in boto3_client.list_tables()["TableNames"]


async def test_ensure_table_creates_when_missing(db: DB, boto3_client: DynamoDBClient) -> None:
    events = db.manager(Event)
    description = await events.ensure_table()
    assert description["TableStatus"] == "ACTIVE"
    assert "tables_events" in boto3_client.list_tables()["TableNames"]
    await events.enable_ttl()  # already enabled: a no-op, no error
    await events.delete_table()
