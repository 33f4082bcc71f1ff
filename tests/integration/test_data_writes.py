"""Writes are checked before they are sent: a typed error, nothing sent, the table unchanged."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from pydantic import BaseModel

from dynamorm_async import (
    DB,
    GSI,
    TTL,
    DynamORMError,
    HashKey,
    InvalidInput,
    InvalidKey,
    InvalidValue,
    ItemNotFound,
    Model,
    ModelError,
    RangeKey,
    UpdatedAt,
    Version,
)
from dynamorm_async.markers import Attribute
from dynamorm_async.transport import debug_stats

from .conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

TABLE = "data_writes"


class Plain(enum.Enum):
    RED = "red"


class Kid(BaseModel):
    name: str


class Rec(Model, table=TABLE, indexes=[GSI("by_tag", hash="tag")]):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    note: str
    count: int = 0
    label: str = ""
    maybe: str | None = None
    tag: str | None = None
    data: dict[str, Any] = {}
    tags: set[Any] | None = None
    kids: list[Kid | None] = []
    pair: tuple[Kid, int] | None = None
    version: Annotated[int, Version()] = 0
    updated: Annotated[dt.datetime, UpdatedAt()] | None = None
    expires: Annotated[dt.datetime, TTL()] | None = None


R = Rec.attr
KEY = ("k", "s")


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def keyless() -> Rec:
    construct: Any = Rec.model_construct
    rec: Rec = construct(note="n")
    return rec


def mutated(**changes: Any) -> Rec:
    rec = Rec(pk="k", sk="new", note="n")
    for name, value in changes.items():
        object.__setattr__(rec, name, value)
    return rec


Case = tuple[str, Callable[[Any], Awaitable[Any]], type[DynamORMError]]
CASES: list[Case] = [
    ("int field set to 1.5", lambda m: m.update(KEY, R.count.set(1.5)), InvalidValue),
    ("str field set to 5", lambda m: m.update(KEY, R.label.set(5)), InvalidValue),
    ("str field == None", lambda m: m.update(KEY, R.count.set(1), condition=R.label == None), InvalidValue),  # noqa: E711
    ("str field == 5", lambda m: m.update(KEY, R.count.set(1), condition=R.label == 5), InvalidValue),
    ("int field set from a str field", lambda m: m.update(KEY, R.count.set(R.label)), InvalidValue),
    ("removing a required field", lambda m: m.update(KEY, R.note.remove()), InvalidInput),
    ("setting the version", lambda m: m.update(KEY, R.version.set(7)), InvalidInput),
    ("partition key over 2048 bytes", lambda m: m.get("é" * 1025, "s"), InvalidKey),
    ("put partition key over 2048", lambda m: m.put(Rec(pk="x" * 2049, sk="s", note="n")), InvalidKey),
    ("sort key over 1024 bytes", lambda m: m.get("k", "x" * 1025), InvalidKey),
    ("empty string in a GSI key", lambda m: m.put(Rec(pk="k", sk="t", note="n", tag="")), InvalidValue),
    ("update a GSI key to empty", lambda m: m.update(KEY, R.tag.set("")), InvalidValue),
    ("nesting deeper than 32", lambda m: m.put(Rec(pk="k", sk="t", note="n", data=nested(32))), InvalidValue),
    (
        "map key over 65535 bytes",
        lambda m: m.put(Rec(pk="k", sk="t", note="n", data={"a" * 65536: 1})),
        InvalidValue,
    ),
    ("empty map key", lambda m: m.put(Rec(pk="k", sk="t", note="n", data={"": 1})), InvalidValue),
    (
        "set {0.1, Decimal('0.1')}",
        lambda m: m.put(Rec(pk="k", sk="t", note="n", tags={0.1, Decimal("0.1")})),
        InvalidValue,
    ),
    (
        "set {Plain.RED, 'red'}",
        lambda m: m.put(Rec(pk="k", sk="t", note="n", tags={Plain.RED, "red"})),
        InvalidValue,
    ),
    ("lone surrogate", lambda m: m.put(Rec(pk="k", sk="t", note="n", label="\ud800")), InvalidValue),
    ("lone surrogate in an update", lambda m: m.update(KEY, R.label.set("a\udfff")), InvalidValue),
    ("model_construct() without a key", lambda m: m.put(keyless()), InvalidKey),
    ("mutated: str in an int field", lambda m: m.put(mutated(count="abc")), InvalidValue),
    ("mutated: int in a str field", lambda m: m.put(mutated(label=5)), InvalidValue),
    ("mutated: int in a nested model list", lambda m: m.put(mutated(kids=[3])), InvalidValue),
    ("a 3,000-deep dict", lambda m: m.put(Rec(pk="k", sk="t", note="n", data=nested(3000))), InvalidValue),
    ("put(ttl=nan)", lambda m: m.put(Rec(pk="k", sk="t", note="n"), ttl=float("nan")), InvalidInput),
    ("put(ttl=inf)", lambda m: m.put(Rec(pk="k", sk="t", note="n"), ttl=float("inf")), InvalidInput),
    ("put(ttl=1e20)", lambda m: m.put(Rec(pk="k", sk="t", note="n"), ttl=1e20), InvalidInput),
    (
        "upsert missing a required field",
        lambda m: m.update(("k", "new"), R.count.set(1), upsert=True),
        InvalidInput,
    ),
]


def scan(client: DynamoDBClient) -> list[dict[str, Any]]:
    return [dict(i) for i in client.scan(TableName=TABLE, ConsistentRead=True)["Items"]]


@pytest.fixture
async def recs(db: DB, tables: TableFactory) -> Any:
    await tables(Rec)
    manager = db.manager(Rec)
    await manager.put(Rec(pk="k", sk="s", note="keep", label="x"))
    return manager


@pytest.mark.parametrize(("case", "call", "error"), CASES, ids=[c[0] for c in CASES])
async def test_refused_before_sending(
    recs: Any, boto3_client: DynamoDBClient, case: str, call: Callable[[Any], Awaitable[Any]], error: type
) -> None:
    before = scan(boto3_client)
    sent = debug_stats().calls
    with pytest.raises(error):
        await call(recs)
    assert debug_stats().calls == sent, "nothing may be sent for bad input"
    assert scan(boto3_client) == before


async def test_update_of_a_missing_item_creates_nothing(recs: Any, boto3_client: DynamoDBClient) -> None:
    before = scan(boto3_client)
    with pytest.raises(ItemNotFound) as info:
        await recs.update(("k", "missing"), R.count.set(1))
    assert info.value.table == TABLE
    assert scan(boto3_client) == before
    created = await recs.update(("k", "missing"), R.count.set(1), R.note.set("made"), upsert=True)
    assert created == await recs.get("k", "missing")
    assert (created.note, created.count) == ("made", 1)


async def test_models_in_lists_and_tuples_round_trip(recs: Any) -> None:
    rec = Rec(pk="k", sk="kids", note="n", kids=[Kid(name="a"), None], pair=(Kid(name="b"), 3))
    await recs.put(rec)
    got = await recs.get("k", "kids")
    assert got.kids == [Kid(name="a"), None] and got.pair == (Kid(name="b"), 3)


class Stamped(Model, table="data_stamped"):
    pk: Annotated[str, HashKey()]
    n: int = 0
    updated: Annotated[dt.datetime | None, UpdatedAt()] = None
    expires: Annotated[int | None, TTL()] = None


@pytest.mark.parametrize("ttl", [float("nan"), float("inf"), 1e20, "5"])
async def test_a_ttl_that_is_not_a_finite_duration_is_refused(db: DB, ttl: Any) -> None:
    sent = debug_stats().calls
    with pytest.raises(InvalidInput, match="ttl"):
        await db.manager(Stamped).put(Stamped(pk="k"), ttl=ttl)
    assert debug_stats().calls == sent


async def test_setting_updated_at_explicitly(db: DB, tables: TableFactory) -> None:
    await tables(Stamped)
    manager = db.manager(Stamped)
    await manager.put(Stamped(pk="k"))
    when = dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    got = await manager.update("k", Stamped.attr.updated.set(when), Stamped.attr.n.set(1))
    assert got is not None and got.updated == when
    got = await manager.update("k", Stamped.attr.n.set(2))  # without it, the update sets it to now
    assert got is not None and got.updated is not None and got.updated > when


async def test_the_instance_equals_what_get_returns_after_a_ttl_put(recs: Any) -> None:
    rec = Rec(pk="k", sk="ttl", note="n")
    await recs.put(rec, ttl=dt.timedelta(minutes=5, microseconds=1234))
    assert rec.expires is not None and rec.expires.microsecond == 0
    assert await recs.get("k", "ttl") == rec


async def test_datetimes_compare_as_instants(recs: Any) -> None:
    utc = dt.UTC
    for hour in (3, 5, 7):
        await recs.put(Rec(pk="t", sk=str(hour), note="n", updated=None))
        await recs.update(("t", str(hour)), R.updated.set(dt.datetime(2024, 1, 1, hour, tzinfo=utc)))
    plus5 = dt.timezone(dt.timedelta(hours=5))
    later = R.updated > dt.datetime(2024, 1, 1, 9, tzinfo=plus5)  # 04:00Z
    found = await recs.query(R.pk == "t").filter(later).all()
    assert sorted(r.sk for r in found) == ["5", "7"]
    naive = R.updated.between(dt.datetime(2024, 1, 1, 4), dt.datetime(2024, 1, 1, 6))  # naive is UTC
    assert [r.sk for r in await recs.query(R.pk == "t").filter(naive).all()] == ["5"]


async def test_items_in_the_old_datetime_form_still_read(recs: Any, boto3_client: DynamoDBClient) -> None:
    boto3_client.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "o"},
            "sk": {"S": "s"},
            "note": {"S": "n"},
            "updated": {"S": "2024-01-01T09:00:00+05:00"},
        },
    )
    got = await recs.get("o", "s")
    assert got.updated == dt.datetime(2024, 1, 1, 4, tzinfo=dt.UTC)


def test_key_and_index_attribute_names_are_limited_to_255_bytes() -> None:
    with pytest.raises(ModelError):

        class Long(Model, table="data_long"):
            pk: Annotated[str, HashKey("k" * 256)]

    with pytest.raises(ModelError):

        class LongIndex(Model, table="data_long", indexes=[GSI("by_x", hash="x")]):
            pk: Annotated[str, HashKey()]
            x: Annotated[str, Attribute("x" * 256)] = "a"
