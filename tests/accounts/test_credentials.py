"""Per-partner AssumeRole credentials: what is sent, single-flight fetch and refresh, expiry handling."""

from __future__ import annotations

import datetime as dt

import anyio
import pytest

from dynamorm_async import CredentialsError, MultiAccountDB
from dynamorm_async.deadline import Deadline, deadline_scope
from dynamorm_async.errors import DeadlineExceeded

from .conftest import AccountFactory, Item, seed
from .recording_proxy import RecordingProxy

pytestmark = pytest.mark.anyio


async def test_assume_role_sends_role_external_id_session_name_and_duration(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    account = new_account(session_name="orders-reader", duration_seconds=1800)
    mdb.add_partner("acme", account)
    await seed(mdb, "acme", keys=1)

    [sent] = proxy.assume_role_calls(account.role_arn)
    assert sent["RoleArn"] == account.role_arn
    assert sent["ExternalId"] == account.external_id
    assert sent["RoleSessionName"] == "orders-reader"
    assert sent["DurationSeconds"] == "1800"
    # The STS call is signed with the base credentials (the test environment's), the DynamoDB
    # calls with the keys STS issued for the role.
    [sts_record] = [
        r for r in proxy.records if r.action == "AssumeRole" and r.params["RoleArn"] == account.role_arn
    ]
    assert sts_record.access_key == "testing"
    issued = {i.access_key for i in proxy.issued_for(account.role_arn)}
    assert {r.access_key for r in proxy.dynamodb_records(account.role_arn)} <= issued
    assert proxy.dynamodb_records(account.role_arn)


async def test_first_use_by_a_hundred_concurrent_operations_assumes_the_role_once(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    account = new_account()
    mdb.add_partner("setup", account)
    await seed(mdb, "setup", keys=1)
    # A second partner on the same account and role: fresh credentials, table already there.
    mdb.add_partner("burst", account)
    calls_before = len(proxy.assume_role_calls(account.role_arn))
    items = mdb.manager(Item)
    owners: list[str] = []

    async def read() -> None:
        async with mdb.partner("burst"):
            owners.append((await items.get("k0")).owner)

    async with anyio.create_task_group() as tg:
        for _ in range(100):
            tg.start_soon(read)

    assert owners == ["setup"] * 100
    assert len(proxy.assume_role_calls(account.role_arn)) == calls_before + 1


async def test_credentials_refresh_before_expiry_once_for_a_hundred_concurrent_operations(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    # 900 s credentials refreshed 897 s before expiry: due 3 s after they are issued.
    account = new_account(duration_seconds=900, refresh_before_seconds=897)
    mdb.add_partner("short", account)
    await seed(mdb, "short", keys=1)
    provider = mdb.credentials("short")
    first_expiration = provider.expiration
    assert first_expiration is not None and provider.generation == 1

    due = first_expiration - dt.timedelta(seconds=897)
    await anyio.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.1)
    items = mdb.manager(Item)
    owners: list[str] = []

    async def read() -> None:
        async with mdb.partner("short"):
            owners.append((await items.get("k0")).owner)

    async with anyio.create_task_group() as tg:
        for _ in range(100):
            tg.start_soon(read)

    assert owners == ["short"] * 100  # no operation failed
    assert len(proxy.assume_role_calls(account.role_arn)) == 2  # exactly one refresh
    assert provider.generation == 2
    assert provider.expiration is not None and provider.expiration > first_expiration
    # Every request was signed with keys that had not expired when it was sent, and requests
    # after the refresh use the new keys.
    records = proxy.dynamodb_records(account.role_arn)
    for record in records:
        assert record.access_key is not None
        assert proxy.issued[record.access_key].expiration > record.at
    async with mdb.partner("short"):
        await items.get("k0")
    last = proxy.dynamodb_records(account.role_arn)[-1]
    newest = max(proxy.issued_for(account.role_arn), key=lambda i: i.expiration)
    assert last.access_key == newest.access_key


async def test_expired_token_mid_operation_refreshes_once_and_retries_once(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    account = new_account()
    mdb.add_partner("acme", account)
    await seed(mdb, "acme", keys=1)
    [first] = proxy.issued_for(account.role_arn)
    items = mdb.manager(Item)

    # AWS refuses the keys the client believes valid (revoked session, clock skew).
    with proxy.lock:
        proxy.expired_keys.add(first.access_key)
    owners: list[str] = []

    async def read() -> None:
        async with mdb.partner("acme"):
            owners.append((await items.get("k0")).owner)

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(read)

    assert owners == ["acme"] * 20
    assert len(proxy.assume_role_calls(account.role_arn)) == 2  # one forced refresh for all 20
    refused = [
        r for r in proxy.dynamodb_records(account.role_arn) if r.action == "GetItem" and r.status == 400
    ]
    assert 1 <= len(refused) <= 20
    assert {r.access_key for r in refused} == {first.access_key}

    # Refused again after the refresh: the operation is retried once only, then fails, typed.
    with proxy.lock:
        proxy.expired_roles.add(account.role_arn)
    sent_before = len(proxy.dynamodb_records(account.role_arn))
    async with mdb.partner("acme"):
        with pytest.raises(CredentialsError) as caught:
            await items.get("k0")
    assert caught.value.code == "ExpiredTokenException"
    assert caught.value.partner == "acme"
    assert "acme" in str(caught.value)
    assert len(proxy.dynamodb_records(account.role_arn)) == sent_before + 2
    assert len(proxy.assume_role_calls(account.role_arn)) == 3


async def test_assume_role_respects_the_active_deadline(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    account = new_account()
    mdb.add_partner("late", account)
    with deadline_scope(Deadline(at=anyio.current_time() - 1.0)), pytest.raises(DeadlineExceeded) as caught:
        await mdb.connect("late")
    assert caught.value.operation == "AssumeRole"
    assert proxy.assume_role_calls(account.role_arn) == []
    await mdb.connect("late")  # outside the deadline it works
    assert len(proxy.assume_role_calls(account.role_arn)) == 1
