"""Bad input gets a typed error, nothing is sent, and nothing is half-written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import (
    DB,
    ConditionCheckFailed,
    DynamORMError,
    HashKey,
    InvalidInput,
    InvalidKey,
    InvalidValue,
    ItemTooLarge,
    KeyUpdateError,
    Model,
    RangeKey,
    TableNotFound,
    UnknownAttribute,
    Version,
)
from dynamorm_async.transport import debug_stats

from .conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio


class Account(Model, table="bad_accounts"):
    tenant: Annotated[str, HashKey()]
    number: Annotated[int, RangeKey()]
    label: str = ""
    score: float = 0.0
    tags: set[str] = set()
    version: Annotated[int, Version()] = 0


class Other(Model, table="bad_others"):
    key: Annotated[str, HashKey()]
    elsewhere: str = ""


class Ghost(Model, table="bad_ghosts_never_created"):
    key: Annotated[str, HashKey()]


@pytest.fixture
async def accounts(db: DB, tables: TableFactory) -> Any:
    await tables(Account)
    manager = db.manager(Account)
    await manager.put(Account(tenant="t", number=1, label="keep"))
    return manager


def all_items(client: DynamoDBClient) -> list[dict[str, Any]]:
    return [dict(i) for i in client.scan(TableName="bad_accounts", ConsistentRead=True)["Items"]]


A = Account.attr

# (case, the failing call, the error type expected)
Case = tuple[str, Callable[[Any], Awaitable[Any]], type[DynamORMError]]
CASES: list[Case] = [
    ("missing hash key", lambda m: m.get(None, 1), InvalidKey),
    ("missing range key", lambda m: m.get("t"), InvalidKey),
    ("empty hash key", lambda m: m.get("", 1), InvalidKey),
    ("empty key on put", lambda m: m.put(Account(tenant="", number=2)), InvalidKey),
    ("wrong key type", lambda m: m.get("t", "one"), InvalidKey),
    ("wrong hash key type", lambda m: m.delete(5, 1), InvalidKey),
    ("item over 400 KB", lambda m: m.put(Account(tenant="t", number=3, label="x" * 410_000)), ItemTooLarge),
    ("lossy float", lambda m: m.put(Account(tenant="t", number=4, score=1e200)), InvalidValue),
    ("nan", lambda m: m.update(("t", 1), A.score.set(float("nan"))), InvalidValue),
    ("empty set in update", lambda m: m.update(("t", 1), A.tags.add(set())), InvalidValue),
    (
        "unknown field in condition",
        lambda m: m.put(Account(tenant="t", number=5), condition=Other.attr.elsewhere == "x"),
        UnknownAttribute,
    ),
    (
        "unknown field in update",
        lambda m: m.update(("t", 1), Other.attr.elsewhere.set("x")),
        UnknownAttribute,
    ),
    ("unknown field in projection", lambda m: m.get("t", 1, projection=["nope"]), UnknownAttribute),
    ("update touching the hash key", lambda m: m.update(("t", 1), A.tenant.set("u")), KeyUpdateError),
    ("update touching the range key", lambda m: m.update(("t", 1), A.number.add(1)), KeyUpdateError),
    ("update without actions", lambda m: m.update(("t", 1)), InvalidInput),
    ("ttl without a TTL field", lambda m: m.put(Account(tenant="t", number=6), ttl=5), InvalidInput),
]


@pytest.mark.parametrize(("case", "call", "error"), CASES, ids=[c[0] for c in CASES])
async def test_rejected_before_sending(
    accounts: Any,
    boto3_client: DynamoDBClient,
    case: str,
    call: Callable[[Any], Awaitable[Any]],
    error: type[DynamORMError],
) -> None:
    before = all_items(boto3_client)
    sent = debug_stats().calls
    with pytest.raises(error):
        await call(accounts)
    assert debug_stats().calls == sent, "nothing may be sent for bad input"
    assert all_items(boto3_client) == before


async def test_version_mismatch_and_failed_condition_change_nothing(
    accounts: Any, boto3_client: DynamoDBClient
) -> None:
    current = await accounts.get("t", 1)
    stale = current.model_copy(update={"version": current.version + 7, "label": "lost?"})
    before = all_items(boto3_client)
    with pytest.raises(ConditionCheckFailed) as info:
        await accounts.put(stale)
    assert info.value.code == "ConditionalCheckFailedException" and info.value.table == "bad_accounts"
    assert info.value.item == current  # the item as stored, decoded
    with pytest.raises(ConditionCheckFailed):
        await accounts.update(("t", 1), A.label.set("no"), condition=A.label == "other")
    assert all_items(boto3_client) == before


async def test_table_that_does_not_exist(db: DB) -> None:
    with pytest.raises(TableNotFound) as info:
        await db.manager(Ghost).get("k")
    assert info.value.operation == "GetItem" and info.value.table == "bad_ghosts_never_created"
    assert info.value.request_id
    with pytest.raises(TableNotFound):
        await db.manager(Ghost).put(Ghost(key="k"))


async def test_invalid_model_data_is_rejected_by_pydantic(accounts: Any) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Account(tenant="t", number="not a number")
