"""Several models in one table on DynamoDB Local: a put through the wrong model is refused rather
than overwriting another model's item (single, exactly-once, in a transaction), and ``DB.batch_get``
reads keys of several models in one BatchGetItem stream, each into the model asked for."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import (
    DB,
    HashKey,
    Model,
    RangeKey,
    TransactionCanceled,
    TransactionWrongModel,
    Version,
    WrongModel,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from tests.integration.conftest import TableFactory

pytestmark = pytest.mark.anyio

_TABLE = f"mixed-puts-{uuid.uuid4().hex[:8]}"


class Member(Model, table=_TABLE, discriminator="MEMBER"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    email: str


class Booking(Model, table=_TABLE, discriminator="BOOKING"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    seats: int = 1
    version: Annotated[int, Version()] = 0


def _raw(client: DynamoDBClient, pk: str, sk: str) -> dict[str, Any] | None:
    found = client.get_item(TableName=_TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
    return dict(found["Item"]) if "Item" in found else None


async def test_a_put_through_the_wrong_model_is_refused_and_overwrites_nothing(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Member)
    members, bookings = db.manager(Member), db.manager(Booking)
    await members.put(Member(pk="M#1", sk="PROFILE", email="a@example.com"))
    before = _raw(boto3_client, "M#1", "PROFILE")
    # A new booking (version 0: "no version yet", which the member has not either) under its key.
    stray = Booking(pk="M#1", sk="PROFILE", seats=2)
    with pytest.raises(WrongModel) as caught:
        await bookings.put(stray)
    assert (caught.value.expected, caught.value.found) == ("BOOKING", "MEMBER")
    assert caught.value.key == {"pk": {"S": "M#1"}, "sk": {"S": "PROFILE"}}
    assert stray.version == 0  # not applied to the instance
    with pytest.raises(WrongModel):
        await bookings.put(stray, condition=Booking.attr.pk.exists())  # true of the member too
    with pytest.raises(WrongModel):
        await bookings.put(stray, exactly_once=True)
    with pytest.raises(WrongModel):
        await bookings.put(stray, overwrite=False)
    tx = db.transact_write()
    tx.put(Booking(pk="M#1", sk="BOOKING#1"))
    tx.put(stray)
    with pytest.raises(TransactionWrongModel) as in_tx:
        await tx.commit()
    assert isinstance(in_tx.value, TransactionCanceled)
    assert (in_tx.value.index, in_tx.value.found) == (1, "MEMBER")
    assert _raw(boto3_client, "M#1", "BOOKING#1") is None  # the whole transaction was cancelled
    assert _raw(boto3_client, "M#1", "PROFILE") == before
    # Through its own model the item is replaced as ever, and a booking is written where none is.
    await members.put(Member(pk="M#1", sk="PROFILE", email="b@example.com"))
    assert (await members.get("M#1", "PROFILE")).email == "b@example.com"
    await bookings.put(Booking(pk="M#1", sk="BOOKING#2"), exactly_once=True)
    assert (_raw(boto3_client, "M#1", "BOOKING#2") or {})["entity"] == {"S": "BOOKING"}
    # An item written before the models had a discriminator is read as, and replaced through, either.
    boto3_client.put_item(TableName=_TABLE, Item={"pk": {"S": "M#2"}, "sk": {"S": "PROFILE"}})
    await members.put(Member(pk="M#2", sk="PROFILE", email="c@example.com"))
    assert (_raw(boto3_client, "M#2", "PROFILE") or {})["entity"] == {"S": "MEMBER"}


async def test_a_batch_put_cannot_be_guarded_and_replaces_any_model(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    # BatchWriteItem takes no condition (a DynamoDB limit): documented, and shown here.
    await tables(Member)
    await db.manager(Member).put(Member(pk="M#3", sk="PROFILE", email="d@example.com"))
    await db.manager(Booking).batch_write(put=[Booking(pk="M#3", sk="PROFILE")])
    assert (_raw(boto3_client, "M#3", "PROFILE") or {})["entity"] == {"S": "BOOKING"}


async def test_batch_get_reads_two_models_of_one_table_into_the_model_asked_for(
    db: DB, tables: TableFactory
) -> None:
    await tables(Member)
    await db.manager(Member).batch_write(
        put=[Member(pk=f"M#{i}", sk="PROFILE", email=f"{i}@example.com") for i in range(60)]
    )
    await db.manager(Booking).batch_write(
        put=[Booking(pk=f"M#{i}", sk="BOOKING#1", seats=i) for i in range(60)]
    )
    asked: list[Any] = []
    for i in range(60):  # 120 keys of two models, interleaved: two BatchGetItem requests
        asked += [(Member, (f"M#{i}", "PROFILE")), (Booking, (f"M#{i}", "BOOKING#1"))]
    instance = Booking(pk="M#7", sk="BOOKING#1")
    asked += [
        (Booking, ("M#1", "BOOKING#9")),
        (Member, ("M#99", "PROFILE")),
        instance,
        (Member, ("M#3", "PROFILE")),
    ]
    got = await db.batch_get(asked, consistent=True)
    assert len(got) == len(asked)
    assert [type(x).__name__ for x in got[:4]] == ["Member", "Booking", "Member", "Booking"]
    assert [m.email for m in got[0:120:2]] == [f"{i}@example.com" for i in range(60)]
    assert [b.seats for b in got[1:120:2]] == list(range(60))
    assert got[120:122] == [None, None]  # missing keys
    assert got[122] == Booking(pk="M#7", sk="BOOKING#1", seats=7, version=1) and got[122] is not instance
    assert got[123] == got[6] and got[123] is not got[6]
    # A key of one model asked for as another is refused, not decoded wrongly.
    with pytest.raises(WrongModel) as caught:
        await db.batch_get([(Member, ("M#1", "PROFILE")), (Member, ("M#1", "BOOKING#1"))])
    assert (caught.value.expected, caught.value.found) == ("MEMBER", "BOOKING")
    assert await db.batch_get([(Booking, ("none", "none"))]) == [None]
