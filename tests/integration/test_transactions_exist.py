"""``tx.update`` on DynamoDB Local needs its item, as ``Manager.update`` does; ``upsert=True`` creates it.

Before, a transaction's update of a missing item created a partial item (only the updated
attributes) that no later ``get()`` could read; now the transaction is cancelled and the reason
of that request says the item is missing. Batch writes (puts) create items as before.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import (
    DB,
    HashKey,
    InvalidInput,
    Model,
    TransactionCanceled,
    Version,
)
from dynamorm_async.transport import debug_stats
from tests.integration.conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

_SUFFIX = uuid.uuid4().hex[:8]


class Wallet(Model, table=f"tx-exist-wallets-{_SUFFIX}"):
    owner: Annotated[str, HashKey()]
    currency: str  # required: an item without it cannot be read
    balance: int = 0


class Ledger(Model, table=f"tx-exist-ledgers-{_SUFFIX}"):
    name: Annotated[str, HashKey()]
    entries: int = 0
    version: Annotated[int, Version()] = 0


def _raw(client: DynamoDBClient, model: type[Model], attr: str, value: str) -> dict[str, Any] | None:
    """The stored item, read with plain boto3, or ``None``."""
    table = model.__dynamorm_schema__.require_table()
    item = client.get_item(TableName=table, Key={attr: {"S": value}}, ConsistentRead=True).get("Item")
    return None if item is None else dict(item)


async def test_an_update_of_a_missing_item_cancels_the_transaction_and_creates_nothing(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Wallet)
    wallets = db.manager(Wallet)
    await wallets.put(Wallet(owner="ann", currency="EUR", balance=10))
    tx = db.transact_write()
    first = tx.update(Wallet, "ann", Wallet.attr.balance.add(-5))
    missing = tx.update(Wallet, "ghost", Wallet.attr.balance.add(5))
    with pytest.raises(TransactionCanceled) as caught:
        await tx.commit()
    assert not tx.committed
    reasons = caught.value.reasons
    assert [r.code for r in reasons] == ["None", "ConditionalCheckFailed"]
    reason = reasons[missing]
    assert reason.failed and reason.item is None
    assert reason.message is not None
    assert "no Wallet item" in reason.message and "ghost" in reason.message
    assert "upsert=True" in reason.message
    assert not reasons[first].failed
    # Nothing was written: no partial item under "ghost", and ann's balance is unchanged.
    assert _raw(boto3_client, Wallet, "owner", "ghost") is None
    assert (await wallets.get("ann")).balance == 10


async def test_an_update_of_an_existing_item_commits(db: DB, tables: TableFactory) -> None:
    await tables(Wallet)
    wallets = db.manager(Wallet)
    await wallets.put(Wallet(owner="ann", currency="EUR", balance=10))
    async with db.transact_write() as tx:
        tx.update(Wallet, "ann", Wallet.attr.balance.add(-5))
        tx.put(Wallet(owner="bob", currency="USD"))
    assert tx.committed
    assert (await wallets.get("ann")).balance == 5


async def test_a_failed_condition_on_an_existing_item_keeps_its_own_reason(
    db: DB, tables: TableFactory
) -> None:
    await tables(Wallet)
    wallets = db.manager(Wallet)
    await wallets.put(Wallet(owner="ann", currency="EUR", balance=10))
    tx = db.transact_write()
    i = tx.update(Wallet, "ann", Wallet.attr.balance.add(-50), condition=Wallet.attr.balance >= 50)
    with pytest.raises(TransactionCanceled) as caught:
        await tx.commit()
    reason = caught.value.reasons[i]
    assert reason.code == "ConditionalCheckFailed"
    assert isinstance(reason.item, Wallet) and reason.item.balance == 10  # the item as it is now
    assert "no Wallet item" not in (reason.message or "")


async def test_upsert_creates_a_whole_item_that_reads_back(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Wallet)
    async with db.transact_write() as tx:
        tx.update(Wallet, "cyd", Wallet.attr.currency.set("GBP"), Wallet.attr.balance.add(7), upsert=True)
    assert tx.committed
    created = await db.manager(Wallet).get("cyd")
    assert (created.currency, created.balance) == ("GBP", 7)
    # Upserting an existing item updates it.
    async with db.transact_write() as again:
        again.update(Wallet, "cyd", Wallet.attr.currency.set("GBP"), Wallet.attr.balance.add(1), upsert=True)
    assert (await db.manager(Wallet).get("cyd")).balance == 8
    assert _raw(boto3_client, Wallet, "owner", "cyd") is not None


async def test_an_upsert_that_leaves_a_required_field_unset_is_refused_before_sending(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Wallet)
    tx = db.transact_write()
    with pytest.raises(InvalidInput, match="currency"):
        tx.update(Wallet, "dee", Wallet.attr.balance.add(1), upsert=True)
    assert len(tx) == 0
    assert _raw(boto3_client, Wallet, "owner", "dee") is None


async def test_a_versioned_instance_whose_item_was_deleted_is_reported_missing(
    db: DB, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Ledger)
    ledgers = db.manager(Ledger)
    book = await ledgers.put(Ledger(name="book"))
    await ledgers.delete("book")
    tx = db.transact_write()
    i = tx.update(book, Ledger.attr.entries.add(1))
    with pytest.raises(TransactionCanceled) as caught:
        await tx.commit()
    reason = caught.value.reasons[i]
    assert reason.code == "ConditionalCheckFailed" and reason.item is None
    assert "no Ledger item" in (reason.message or "")
    assert _raw(boto3_client, Ledger, "name", "book") is None


async def test_an_unversioned_key_update_of_a_missing_counter_needs_upsert(
    db: DB, tables: TableFactory
) -> None:
    await tables(Ledger)
    tx = db.transact_write()
    tx.update(Ledger, "new", Ledger.attr.entries.add(1))
    with pytest.raises(TransactionCanceled):
        await tx.commit()
    async with db.transact_write() as tx2:
        tx2.update(Ledger, "new", Ledger.attr.entries.add(1), upsert=True)
    created = await db.manager(Ledger).get("new")
    assert (created.entries, created.version) == (1, 1)


async def test_batch_writes_still_create_items(db: DB, tables: TableFactory) -> None:
    """Batch writes are puts: whole items, created whether or not they existed."""
    await tables(Wallet)
    wallets = db.manager(Wallet)
    await wallets.batch_write(put=[Wallet(owner=f"w{i}", currency="EUR", balance=i) for i in range(3)])
    async with db.batch_writer() as writer:
        await writer.put(Wallet(owner="w9", currency="USD", balance=9))
    got = await wallets.batch_get(["w0", "w1", "w2", "w9"])
    assert sorted((w.owner, w.balance) for w in got) == [("w0", 0), ("w1", 1), ("w2", 2), ("w9", 9)]


@pytest.mark.parametrize("way", ["aiobotocore", "lean"])
async def test_both_transports_name_the_missing_item(
    way: str, dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    """The reason is read from each transport's cancellation answer alike."""
    await tables(Wallet)
    async with DB(region="us-east-1", endpoint_url=dynamodb_local, http=way) as db:
        tx = db.transact_write()
        tx.put(Wallet(owner="eve", currency="EUR"))
        i = tx.update(Wallet, "nobody", Wallet.attr.balance.add(1))
        with pytest.raises(TransactionCanceled) as caught:
            await tx.commit()
        assert debug_stats().http == way
    reason = caught.value.reasons[i]
    assert reason.code == "ConditionalCheckFailed" and reason.item is None
    assert "no Wallet item" in (reason.message or "")
    assert _raw(boto3_client, Wallet, "owner", "eve") is None
    assert _raw(boto3_client, Wallet, "owner", "nobody") is None
