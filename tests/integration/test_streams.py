"""Stream records read from DynamoDB Local's real streams, decoded into typed changes.

Items are written through the ORM (and with boto3 for foreign items); the records are read with
boto3's ``dynamodbstreams`` client, wrapped into Lambda events and decoded or processed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import pytest
from pydantic import BaseModel

from dynamorm_async import DB, TTL, Attribute, CreatedAt, HashKey, Model, RangeKey
from dynamorm_async.streams import (
    Change,
    EventName,
    as_ttl_removal,
    lambda_event,
    parse_record,
    process_batch,
    read_stream,
)
from dynamorm_async.tables import StreamView

from .conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio


class Address(BaseModel):
    city: str
    zip_code: Annotated[str, Attribute("zip")]


class TrackedFields(BaseModel):
    """The fields of every tracked model: renamed, nested, binary, TTL and timestamp fields."""

    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    customer: Annotated[str, Attribute("cust")]
    total: int = 0
    blob: bytes | None = None
    address: Address | None = None
    expires: Annotated[dt.datetime | None, TTL()] = None
    created_at: Annotated[dt.datetime | None, CreatedAt()] = None


class KeysOnly(TrackedFields, Model, table="streams_keys_only"):
    pass


class NewImage(TrackedFields, Model, table="streams_new_image"):
    pass


class OldImage(TrackedFields, Model, table="streams_old_image"):
    pass


class NewAndOld(TrackedFields, Model, table="streams_new_and_old"):
    pass


Tracked = TypeVar("Tracked", KeysOnly, NewImage, OldImage, NewAndOld)

VIEWS: dict[StreamView, type[KeysOnly | NewImage | OldImage | NewAndOld]] = {
    "KEYS_ONLY": KeysOnly,
    "NEW_IMAGE": NewImage,
    "OLD_IMAGE": OldImage,
    "NEW_AND_OLD_IMAGES": NewAndOld,
}


@pytest.fixture(scope="module")
def streams_client(dynamodb_local: str) -> Any:
    """A boto3 ``dynamodbstreams`` client on DynamoDB Local (same port as DynamoDB)."""
    import boto3

    return boto3.session.Session(region_name="us-east-1").client(
        "dynamodbstreams", endpoint_url=dynamodb_local
    )


async def stream_table(db: DB, tables: TableFactory, model: type[Model], view: StreamView) -> str:
    """Create ``model``'s table fresh with a stream of ``view``; returns the stream's ARN."""
    await tables(model)  # fresh, and deleted after the test
    manager = db.manager(model)
    await manager.delete_table()
    description = await manager.create_table(stream=view)
    arn = description.get("LatestStreamArn")
    assert isinstance(arn, str), description
    return arn


def records_for(streams_client: Any, arn: str, *partners: str) -> list[dict[str, Any]]:
    """This test's records (its partners'), in stream order."""
    records = read_stream(streams_client, arn)
    return [r for r in records if r["dynamodb"]["Keys"]["partner_id"]["S"] in partners]


def as_lambda_would_send(records: list[dict[str, Any]], arn: str) -> dict[str, Any]:
    """The Lambda event for these records, through JSON as Lambda delivers it."""
    event = lambda_event(records, stream_arn=arn)
    result: dict[str, Any] = json.loads(json.dumps(event))
    return result


@pytest.mark.parametrize("view", list(VIEWS))
async def test_real_records_of_every_view_type_decode_into_typed_changes(
    db: DB, tables: TableFactory, streams_client: Any, view: StreamView
) -> None:
    model: Any = VIEWS[view]  # each model is checked by check_view's constrained type variable
    await check_view(db, tables, streams_client, model, view)


async def check_view(
    db: DB, tables: TableFactory, streams_client: Any, model: type[Tracked], view: StreamView
) -> None:
    """Insert, modify and remove one item through the ORM; its three records decode as ``view`` says."""
    arn = await stream_table(db, tables, model, view)
    manager = db.manager(model)
    partner = f"p-{uuid.uuid4().hex[:8]}"
    expires = dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    order = model(
        partner_id=partner,
        order_id="o1",
        customer="Ada",
        total=3,
        blob=b"\x00\xffbinary",
        address=Address(city="Oslo", zip_code="0150"),
        expires=expires,
    )
    await manager.put(order)
    await manager.update(order, model.attr.total.set(9))
    await manager.delete(order)

    records = records_for(streams_client, arn, partner)
    event = as_lambda_would_send(records, arn)
    assert all(
        isinstance(r["dynamodb"]["ApproximateCreationDateTime"], int | float) for r in event["Records"]
    )
    changes = [parse_record(r, model) for r in event["Records"]]

    assert [c.event_name for c in changes] == [EventName.INSERT, EventName.MODIFY, EventName.REMOVE]
    assert all(c.keys == {"partner_id": partner, "order_id": "o1"} for c in changes)
    assert all(c.view_type == view and c.table == model.__dynamorm_schema__.table for c in changes)
    assert [c.sequence_number for c in changes] == [r["dynamodb"]["SequenceNumber"] for r in records]
    assert all(c.approximate_creation_time is not None for c in changes)
    now = dt.datetime.now(dt.UTC)
    for c in changes:
        assert c.approximate_creation_time is not None
        assert abs(c.approximate_creation_time - now) < dt.timedelta(minutes=5)
    assert not any(c.by_ttl for c in changes)

    inserted, modified, removed = changes
    with_new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    with_old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    assert (inserted.new is not None, modified.new is not None, removed.new is not None) == (
        with_new,
        with_new,
        False,
    )
    assert (inserted.old is not None, modified.old is not None, removed.old is not None) == (
        False,
        with_old,
        with_old,
    )
    if with_new:
        new = modified.new
        assert isinstance(new, model)
        assert (new.customer, new.total, new.blob, new.expires) == ("Ada", 9, b"\x00\xffbinary", expires)
        assert new.address == Address(city="Oslo", zip_code="0150")
        assert new.created_at is not None and new.created_at.tzinfo is not None
        assert inserted.new is not None and inserted.new.total == 3
    if with_old:
        assert modified.old is not None and modified.old.total == 3
        assert removed.old is not None and removed.old.total == 9 and removed.old.blob == b"\x00\xffbinary"

    # The records as boto3 gives them (bytes, datetimes, no stream ARN) decode to the same changes.
    from_boto3 = [parse_record(r, model) for r in records]
    assert all(c.table is None and c.approximate_creation_time is not None for c in from_boto3)
    assert all(
        c.approximate_creation_time.tzinfo is dt.UTC for c in from_boto3 if c.approximate_creation_time
    )
    assert [dataclasses.replace(c, table=model.__dynamorm_schema__.table) for c in from_boto3] == changes


async def test_a_ttl_removal_is_flagged(db: DB, tables: TableFactory, streams_client: Any) -> None:
    arn = await stream_table(db, tables, NewAndOld, "NEW_AND_OLD_IMAGES")
    manager = db.manager(NewAndOld)
    partner = f"p-{uuid.uuid4().hex[:8]}"
    await manager.put(NewAndOld(partner_id=partner, order_id="o1", customer="Ada"))
    await manager.delete(partner, "o1")
    inserted, removed = records_for(streams_client, arn, partner)
    # DynamoDB Local never expires items: mark the real REMOVE record as TTL's, as DynamoDB does.
    event = as_lambda_would_send([inserted, removed, as_ttl_removal(removed)], arn)
    by_writer, by_ttl = (
        parse_record(event["Records"][1], NewAndOld),
        parse_record(event["Records"][2], NewAndOld),
    )
    assert (by_writer.by_ttl, by_ttl.by_ttl) == (False, True)
    assert by_ttl.old is not None and by_ttl.old.customer == "Ada"
    # Only removals can be TTL's: an insert with DynamoDB's identity is not.
    assert parse_record(as_ttl_removal(event["Records"][0]), NewAndOld).by_ttl is False


async def test_an_undecodable_foreign_item_is_reported_and_the_others_succeed(
    db: DB, tables: TableFactory, streams_client: Any, boto3_client: DynamoDBClient
) -> None:
    arn = await stream_table(db, tables, NewAndOld, "NEW_AND_OLD_IMAGES")
    manager = db.manager(NewAndOld)
    partner, foreign = f"p-{uuid.uuid4().hex[:8]}", f"f-{uuid.uuid4().hex[:8]}"
    await manager.put(NewAndOld(partner_id=partner, order_id="o1", customer="Ada", total=1))
    boto3_client.put_item(  # a wrong type in an int field, under its own partition key
        TableName="streams_new_and_old",
        Item={
            "partner_id": {"S": foreign},
            "order_id": {"S": "o2"},
            "cust": {"S": "Bob"},
            "total": {"S": "abc"},
        },
    )
    await manager.put(NewAndOld(partner_id=partner, order_id="o3", customer="Cy", total=3))
    boto3_client.put_item(  # a foreign item that decodes fine
        TableName="streams_new_and_old",
        Item={
            "partner_id": {"S": partner},
            "order_id": {"S": "o4"},
            "cust": {"S": "Di"},
            "total": {"N": "4"},
        },
    )
    records = records_for(streams_client, arn, partner, foreign)
    assert len(records) == 4
    seen: list[tuple[str, int]] = []

    async def on_change(change: Change[NewAndOld]) -> None:
        assert change.new is not None
        seen.append((change.new.order_id, change.new.total))

    result = await process_batch(as_lambda_would_send(records, arn), on_change, NewAndOld)
    bad = records[1]["dynamodb"]["SequenceNumber"]
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": bad}]}
    (failure,) = result.failures
    assert failure.reason == "undecodable" and "total" in str(failure.error)
    assert seen == [("o1", 1), ("o3", 3), ("o4", 4)]
