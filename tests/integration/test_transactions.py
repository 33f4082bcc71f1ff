"""Transactions on DynamoDB Local: all or nothing, typed cancellation reasons, idempotent commits."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import (
    DB,
    DuplicateKey,
    HashKey,
    InvalidInput,
    Model,
    RangeKey,
    ServiceError,
    TransactionCanceled,
    UpdatedAt,
    Version,
)
from dynamorm_async.transactions import MAX_TRANSACT_ITEMS
from tests.conftest import AWS_REGION
from tests.faultproxy import FaultProxy, Faults
from tests.integration.conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

_SUFFIX = uuid.uuid4().hex[:8]


class Account(Model, table=f"tx-accounts-{_SUFFIX}"):
    account_id: Annotated[str, HashKey()]
    balance: int = 0
    blocked: bool = False
    version: Annotated[int, Version()] = 0
    updated_at: Annotated[dt.datetime | None, UpdatedAt()] = None


class Entry(Model, table=f"tx-entries-{_SUFFIX}"):
    account_id: Annotated[str, HashKey()]
    seq: Annotated[int, RangeKey()]
    amount: int = 0


class Counter(Model, table=f"tx-counters-{_SUFFIX}"):
    name: Annotated[str, HashKey()]
    hits: int = 0


def _get(client: DynamoDBClient, model: type[Model], **key: str | int) -> dict[str, Any] | None:
    """The stored item, read with plain boto3, or ``None``."""
    typed: dict[str, Any] = {k: {"S": v} if isinstance(v, str) else {"N": str(v)} for k, v in key.items()}
    table = model.__dynamorm_schema__.require_table()
    item = client.get_item(TableName=table, Key=typed, ConsistentRead=True).get("Item")
    return None if item is None else dict(item)


def _item(client: DynamoDBClient, model: type[Model], **key: str | int) -> dict[str, Any]:
    """The stored item, which must exist."""
    item = _get(client, model, **key)
    assert item is not None, f"no {model.__name__} item under {key}"
    return item


async def test_a_transaction_applies_every_kind_of_request(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    for model in (Account, Entry):
        await tables(model)
    accounts = db.manager(Account)
    alice = await accounts.put(Account(account_id="alice", balance=100))
    await accounts.put(Account(account_id="bob", balance=5))
    await accounts.put(Account(account_id="carol"))
    await db.manager(Entry).put(Entry(account_id="alice", seq=0, amount=-1))

    async with db.transact_write() as tx:
        i_put = tx.put(Entry(account_id="alice", seq=1, amount=-30), condition=Entry.attr.seq.not_exists())
        i_upd = tx.update(alice, Account.attr.balance.add(-30), condition=Account.attr.balance >= 30)
        tx.update(Account, "bob", Account.attr.balance.add(30))
        tx.delete(Entry, ("alice", 0))
        tx.condition_check(Account, "carol", Account.attr.blocked == False)  # noqa: E712
    assert (i_put, i_upd, len(tx)) == (0, 1, 5)
    assert tx.committed

    assert _item(boto3_client, Account, account_id="alice")["balance"] == {"N": "70"}
    assert _item(boto3_client, Account, account_id="bob")["balance"] == {"N": "35"}
    assert _item(boto3_client, Entry, account_id="alice", seq=1)["amount"] == {"N": "-30"}
    assert _get(boto3_client, Entry, account_id="alice", seq=0) is None
    # The versioned instance was checked, incremented, and mirrors what was written.
    stored_alice = _get(boto3_client, Account, account_id="alice")
    assert stored_alice is not None
    assert alice.version == 2 and stored_alice["version"] == {"N": "2"}
    assert alice.updated_at is not None
    assert stored_alice["updated_at"] == {"S": alice.updated_at.isoformat()}


async def test_a_failed_condition_cancels_everything_with_one_reason_per_request(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    for model in (Account, Entry):
        await tables(model)
    accounts = db.manager(Account)
    await accounts.put(Account(account_id="alice", balance=10))
    await accounts.put(Account(account_id="bob", balance=0, blocked=True))

    tx = db.transact_write()
    tx.put(Entry(account_id="alice", seq=1, amount=-30))
    tx.update(Account, "alice", Account.attr.balance.add(-30), condition=Account.attr.balance >= 30)
    tx.condition_check(Account, "bob", Account.attr.blocked == False)  # noqa: E712
    with pytest.raises(TransactionCanceled) as caught:
        await tx.commit()

    reasons = caught.value.reasons
    assert [r.index for r in reasons] == [0, 1, 2]
    assert [r.code for r in reasons] == ["None", "ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert [r.failed for r in reasons] == [False, True, True]
    assert reasons[0].item is None
    # Each failing request carries its item as it is now, decoded with its own model.
    assert isinstance(reasons[1].item, Account)
    assert (reasons[1].item.account_id, reasons[1].item.balance) == ("alice", 10)
    assert isinstance(reasons[2].item, Account) and reasons[2].item.blocked is True
    # Nothing was applied.
    assert _get(boto3_client, Entry, account_id="alice", seq=1) is None
    assert _item(boto3_client, Account, account_id="alice")["balance"] == {"N": "10"}


async def test_a_stale_version_cancels_a_transactional_put(db: DB, tables: TableFactory) -> None:
    await tables(Account)
    accounts = db.manager(Account)
    fresh = await accounts.put(Account(account_id="dave", balance=1))
    stale = Account(account_id="dave", balance=999, version=0)
    await accounts.update(fresh, Account.attr.balance.add(1))

    with pytest.raises(TransactionCanceled) as caught:
        async with db.transact_write() as tx:
            tx.put(stale)
    assert caught.value.reasons[0].code == "ConditionalCheckFailed"
    assert isinstance(caught.value.reasons[0].item, Account)
    assert caught.value.reasons[0].item.balance == 2
    assert stale.version == 0  # not touched: the write did not happen


async def test_committing_the_same_transaction_again_applies_it_once(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Counter)
    tx = db.transact_write()
    tx.update(Counter, "hits", Counter.attr.hits.add(1), upsert=True)  # creates the counter
    await tx.commit()
    await tx.commit()  # same request, same ClientRequestToken: DynamoDB does not apply it again
    assert _item(boto3_client, Counter, name="hits")["hits"] == {"N": "1"}

    # A new transaction with the same content has a new token, and is applied: the token matters.
    again = db.transact_write()
    again.update(Counter, "hits", Counter.attr.hits.add(1))
    assert again.token != tx.token
    await again.commit()
    assert _item(boto3_client, Counter, name="hits")["hits"] == {"N": "2"}


async def test_a_commit_whose_answer_was_lost_can_be_retried_safely(
    dynamodb_local: str, db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Counter)
    # The proxy forwards the first TransactWriteItems, then drops the connection before the
    # answer: DynamoDB applied it, the client cannot know. botocore's own retries are off.
    faults = Faults(schedule=("drop_response",), operations=frozenset({"TransactWriteItems"}))
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=1) as flaky,
    ):
        tx = flaky.transact_write()
        tx.update(Counter, "visits", Counter.attr.hits.add(5), upsert=True)
        with pytest.raises(ServiceError):
            await tx.commit()
        assert not tx.committed
        assert _item(boto3_client, Counter, name="visits")["hits"] == {"N": "5"}

        await tx.commit()  # the retry: same token, so it confirms instead of adding 5 again
        assert tx.committed
        assert proxy.counts["drop_response"] == 1 and proxy.by_operation["TransactWriteItems"] == 2
    assert _item(boto3_client, Counter, name="visits")["hits"] == {"N": "5"}


async def test_nothing_is_sent_when_the_block_raises(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Counter)
    tx = db.transact_write()

    async def change_of_mind() -> None:
        async with tx:
            tx.put(Counter(name="never"))
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        await change_of_mind()
    assert not tx.committed
    assert _get(boto3_client, Counter, name="never") is None


async def test_transaction_input_is_checked_as_requests_are_added(db: DB, tables: TableFactory) -> None:
    await tables(Counter)
    tx = db.transact_write()
    tx.put(Counter(name="a"))
    with pytest.raises(DuplicateKey, match="one request per item"):
        tx.update(Counter, "a", Counter.attr.hits.add(1))
    with pytest.raises(InvalidInput, match="needs a key"):
        tx.delete(Counter)  # type: ignore[call-overload]
    with pytest.raises(InvalidInput, match="exactly one condition"):
        tx.condition_check(Counter, "b")  # type: ignore[call-overload]
    with pytest.raises(InvalidInput, match="at least one request"):
        await db.transact_write().commit()

    full = db.transact_write()
    for i in range(MAX_TRANSACT_ITEMS):
        full.put(Counter(name=f"c{i}"))
    with pytest.raises(InvalidInput, match="at most 100"):
        full.put(Counter(name="one-too-many"))
    await full.commit()

    with pytest.raises(InvalidInput, match="already sent"):
        full.delete(Counter, "c0")


async def test_transact_get_reads_several_models_in_order(db: DB, tables: TableFactory) -> None:
    for model in (Account, Entry):
        await tables(model)
    await db.manager(Account).put(Account(account_id="erin", balance=7))
    await db.manager(Entry).put(Entry(account_id="erin", seq=3, amount=4))

    got = await db.transact_get(
        [(Entry, ("erin", 3)), (Account, "nobody"), Account(account_id="erin"), (Entry, ("erin", 4))]
    )
    assert [type(g).__name__ if g is not None else None for g in got] == ["Entry", None, "Account", None]
    assert got[0].amount == 4 and got[2].balance == 7

    with pytest.raises(DuplicateKey):
        await db.transact_get([(Account, "erin"), Account(account_id="erin")])
    with pytest.raises(InvalidInput, match="at most 100"):
        await db.transact_get([(Account, f"a{i}") for i in range(101)])
    assert await db.transact_get([]) == []
