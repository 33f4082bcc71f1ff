"""Partner edges against moto: scopes and async generators, clock skew, refused roles, what tenants learn."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator

import anyio
import anyio.lowlevel
import pytest

from dynamorm_async import AssumeRoleError, CredentialsError, MultiAccountDB, UnknownPartner, current_partner
from dynamorm_async.accounts import PartnerScopeError
from dynamorm_async.accounts.credentials import FAILURE_BACKOFF

from .conftest import AccountFactory, Item, boto3_dynamodb, seed
from .recording_proxy import RecordingProxy

pytestmark = pytest.mark.anyio


# --------------------------------------------------------------------------- async generators


async def test_a_generator_that_yields_inside_a_partner_scope_leaves_its_consumer_partner_alone(
    mdb: MultiAccountDB, proxy: RecordingProxy, moto_url: str, new_account: AccountFactory
) -> None:
    accounts = {"a": new_account(), "b": new_account()}
    for partner, account in accounts.items():
        mdb.add_partner(partner, account)
        await seed(mdb, partner, keys=2)
    items = mdb.manager(Item)
    inside: list[str | None] = []

    async def from_a() -> AsyncGenerator[Item, None]:
        async with mdb.partner("a"):
            for key in ("k0", "k1"):
                item = await items.get(key)  # the generator's own calls go to a
                inside.append(current_partner())
                yield item

    seen: list[tuple[str | None, str]] = []
    async with mdb.partner("b"):
        stream = from_a()
        async for item in stream:
            seen.append((current_partner(), item.owner))
            await items.put(Item(key=f"from-consumer-{item.key}", owner="consumer"))
            break
        assert current_partner() == "b"  # after break, the generator suspended inside a's scope
        await items.put(Item(key="after-break", owner="consumer"))
        await stream.aclose()
        assert current_partner() == "b"

    assert seen == [("b", "a")]
    assert inside == ["a"]
    # The consumer's writes are in b's account, none in a's.
    a_keys = {
        row["key"]["S"]
        for row in boto3_dynamodb(moto_url, proxy, accounts["a"]).scan(TableName="partner_items")["Items"]
    }
    b_keys = {
        row["key"]["S"]
        for row in boto3_dynamodb(moto_url, proxy, accounts["b"]).scan(TableName="partner_items")["Items"]
    }
    assert a_keys == {"k0", "k1"}
    assert b_keys == {"k0", "k1", "from-consumer-k0", "after-break"}


async def test_outside_any_partner_the_consumer_of_such_a_generator_has_none(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    mdb.add_partner("a", new_account())

    async def from_a() -> AsyncIterator[str | None]:
        async with mdb.partner("a"):
            yield current_partner()
            yield current_partner()

    got = []
    async for value in from_a():
        got.append((value, current_partner()))
    assert got == [("a", None), ("a", None)]
    assert current_partner() is None


async def test_a_task_that_inherits_a_suspended_generators_scope_is_refused(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    mdb.add_partner("a", new_account())
    mdb.add_partner("b", new_account())

    async def from_a() -> AsyncGenerator[int, None]:
        async with mdb.partner("a"):
            yield 1

    errors: list[BaseException] = []

    async def child() -> None:
        try:
            current_partner()
        except PartnerScopeError as exc:
            errors.append(exc)

    async with mdb.partner("b"):
        stream = from_a()
        async for _ in stream:
            async with anyio.create_task_group() as tg:  # which partner: b or a? Neither is safe.
                tg.start_soon(child)
            break
        await stream.aclose()
    [error] = errors
    assert "suspended at a yield" in str(error)


async def test_tasks_started_by_the_generator_itself_see_its_partner(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    mdb.add_partner("a", new_account())
    mdb.add_partner("b", new_account())
    seen: list[str | None] = []

    async def from_a() -> AsyncIterator[int]:
        async with mdb.partner("a"):
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: _record(seen))
            yield 1

    async with mdb.partner("b"):
        async for _ in from_a():
            assert current_partner() == "b"
    assert seen == ["a"]


async def _record(seen: list[str | None]) -> None:
    await anyio.lowlevel.checkpoint()
    seen.append(current_partner())


# --------------------------------------------------------------------------- one scope, two tasks


async def test_one_scope_entered_by_two_tasks_is_refused_and_leaves_no_partner_active(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    mdb.add_partner("a", new_account())
    scope = mdb.partner("a")
    entered = anyio.Event()
    release = anyio.Event()
    outcome: dict[str, object] = {}

    async def first() -> None:
        async with scope:
            outcome["first"] = current_partner()
            entered.set()
            await release.wait()
        outcome["first after"] = current_partner()

    async def second() -> None:
        await entered.wait()
        try:
            async with scope:
                outcome["second"] = "entered"
        except PartnerScopeError as exc:
            outcome["second"] = exc
        outcome["second after"] = current_partner()
        release.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(first)
        tg.start_soon(second)
    assert isinstance(outcome["second"], PartnerScopeError)
    assert "entered already" in str(outcome["second"])
    assert outcome["second after"] is None
    assert (outcome["first"], outcome["first after"]) == ("a", None)
    async with scope:  # once left, it may be entered again
        assert current_partner() == "a"


# --------------------------------------------------------------------------- credentials


async def test_credentials_already_expired_by_our_clock_are_a_credentials_error_naming_the_partner(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    account = new_account()
    mdb.add_partner("skewed", account)
    with proxy.lock:
        proxy.stale_roles.add(account.role_arn)
    async with mdb.partner("skewed"):
        with pytest.raises(CredentialsError) as caught:
            await mdb.manager(Item).get_or_none("k0")
    assert caught.value.partner == "skewed"
    assert caught.value.code == "ClockSkew"
    assert "'skewed'" in str(caught.value) and "clock" in str(caught.value)
    assert len(proxy.assume_role_calls(account.role_arn)) == 1


async def test_a_refused_role_is_asked_once_for_twenty_waiting_operations(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    account = new_account()
    mdb.add_partner("refused", account)
    with proxy.lock:
        proxy.deny_roles.add(account.role_arn)
    items = mdb.manager(Item)
    failed_at: list[float] = []
    errors: list[BaseException] = []
    started = time.monotonic()

    async def read() -> None:
        async with mdb.partner("refused"):
            try:
                await items.get_or_none("k0")
            except AssumeRoleError as exc:
                errors.append(exc)
                failed_at.append(time.monotonic() - started)

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(read)

    assert len(errors) == 20
    assert len(proxy.assume_role_calls(account.role_arn)) == 1
    assert {str(e) for e in errors} == {str(errors[0])}  # one answer for every waiter
    assert {getattr(e, "code", None) for e in errors} == {"AccessDenied"}
    assert max(failed_at) - min(failed_at) < 0.5

    # Within the backoff nobody asks again; after it, one caller does (and the role still fails).
    async with mdb.partner("refused"):
        with pytest.raises(AssumeRoleError):
            await items.get_or_none("k0")
    assert len(proxy.assume_role_calls(account.role_arn)) == 1
    await anyio.sleep(FAILURE_BACKOFF + 0.1)
    with proxy.lock:
        proxy.deny_roles.clear()  # the partner fixed its trust policy
    await seed(mdb, "refused", keys=1)  # reaches DynamoDB now
    assert len(proxy.assume_role_calls(account.role_arn)) == 2


# --------------------------------------------------------------------------- what tenants learn


async def test_unknown_partner_names_only_the_partner_asked_for(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    for partner in ("acme", "globex", "initech"):
        mdb.add_partner(partner, new_account())
    with pytest.raises(UnknownPartner) as caught:
        mdb.partner("umbrella")
    message = str(caught.value)
    assert "'umbrella'" in message
    assert not any(other in message for other in ("acme", "globex", "initech"))


async def test_a_second_partner_with_the_same_role_is_logged_as_a_warning(
    mdb: MultiAccountDB, new_account: AccountFactory, caplog: pytest.LogCaptureFixture
) -> None:
    account = new_account()
    with caplog.at_level(logging.WARNING, logger="dynamorm_async.accounts"):
        mdb.add_partner("first", account)
        assert not caplog.records
        mdb.add_partner("second", new_account(role_arn=account.role_arn))
    [record] = caplog.records
    assert "'second'" in record.message and "'first'" in record.message
    assert account.role_arn in record.message
    assert account.external_id not in record.message


async def test_a_partner_scope_wrapped_by_asynccontextmanager_is_active_in_the_with_body(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    # The pattern of FastAPI's yield dependencies: here the scope is meant to reach the body.
    mdb.add_partner("a", new_account())

    @contextlib.asynccontextmanager
    async def tenant(partner_id: str) -> AsyncIterator[None]:
        async with mdb.partner(partner_id):
            yield

    async with tenant("a"):
        assert current_partner() == "a"
    assert current_partner() is None
