"""Partners never see each other's data, clients or context; STS is called once per partner."""

from __future__ import annotations

import random
import traceback
from collections import Counter

import anyio
import anyio.lowlevel
import pytest

from dynamorm_async import ItemNotFound, MultiAccountDB, TableNotFound, UnknownPartner, current_partner
from dynamorm_async.transport import debug_stats
from tests.transports import partner_transport

from .conftest import REGION, AccountFactory, Item, boto3_dynamodb, seed
from .recording_proxy import RecordingProxy

pytestmark = pytest.mark.anyio


async def has_client(mdb: MultiAccountDB, partner: str) -> bool:
    async with mdb.partner(partner) as db:  # entering sends nothing and opens nothing
        return partner_transport(db).has_client


async def test_same_table_and_keys_in_two_accounts_hold_each_partners_own_items(
    mdb: MultiAccountDB, proxy: RecordingProxy, moto_url: str, new_account: AccountFactory, partner_http: str
) -> None:
    accounts = {"acme": new_account(), "globex": new_account()}
    for partner, account in accounts.items():
        mdb.add_partner(partner, account)
        await seed(mdb, partner)

    for partner in accounts:
        async with mdb.partner(partner) as db:
            assert partner_transport(db).inner.http == partner_http  # signed on that transport
            got = [await db.manager(Item).get(f"k{i}") for i in range(5)]
        assert {item.owner for item in got} == {partner}

    # Read back without the library: each account's table holds only its partner's items.
    for partner, account in accounts.items():
        client = boto3_dynamodb(moto_url, proxy, account)
        rows = client.scan(TableName="partner_items")["Items"]
        assert len(rows) == 5
        assert {row["owner"]["S"] for row in rows} == {partner}


async def test_a_thousand_concurrent_operations_across_four_partners_never_cross(
    mdb: MultiAccountDB, proxy: RecordingProxy, moto_url: str, new_account: AccountFactory
) -> None:
    accounts = {f"partner-{i}": new_account() for i in range(4)}
    for partner, account in accounts.items():
        mdb.add_partner(partner, account)
    async with anyio.create_task_group() as tg:
        for partner in accounts:
            tg.start_soon(seed, mdb, partner)

    routed = mdb.manager(Item)  # made once; the partner context picks the account per call
    rnd = random.Random(20240601)
    plan = [(rnd.choice(sorted(accounts)), rnd.random() < 0.25, i) for i in range(1200)]
    reads: Counter[str] = Counter()
    writes: Counter[str] = Counter()
    crossed: list[tuple[str, str]] = []
    limiter = anyio.CapacityLimiter(64)

    async def operation(partner: str, write: bool, i: int) -> None:
        async with limiter, mdb.partner(partner) as db:
            await anyio.lowlevel.checkpoint()  # other partners' tasks run inside their own blocks meanwhile
            manager = db.manager(Item) if i % 2 else routed
            if write:
                await manager.put(Item(key=f"w{i}", owner=partner))
                writes[partner] += 1
            else:
                item = await manager.get(f"k{i % 5}")
                reads[partner] += 1
                if item.owner != partner:
                    crossed.append((partner, item.owner))
            await anyio.lowlevel.checkpoint()
            if current_partner() != partner:
                crossed.append((partner, f"context {current_partner()}"))

    async with anyio.create_task_group() as tg:
        for partner, write, i in plan:
            tg.start_soon(operation, partner, write, i)

    assert crossed == []
    assert sum(reads.values()) + sum(writes.values()) == len(plan) >= 1000
    assert len(reads) == len(writes) == 4
    # Every write landed in its own partner's account, none elsewhere.
    for partner, account in accounts.items():
        rows = boto3_dynamodb(moto_url, proxy, account).scan(TableName="partner_items")["Items"]
        written = [row for row in rows if row["key"]["S"].startswith("w")]
        assert len(written) == writes[partner]
        assert {row["owner"]["S"] for row in rows} == {partner}
    # Credentials stayed fresh throughout: one AssumeRole per partner, however many operations.
    for account in accounts.values():
        assert len(proxy.assume_role_calls(account.role_arn)) == 1


async def test_bounded_client_cache_evicts_and_closes_without_failing_calls_or_refetching_credentials(
    proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    accounts = {f"p{i}": new_account() for i in range(4)}
    closed_before = debug_stats().clients_closed
    async with MultiAccountDB(
        accounts, region=REGION, endpoint_url=proxy.url, sts_endpoint_url=proxy.url, max_clients=2
    ) as mdb:
        for partner in accounts:
            await seed(mdb, partner, keys=1)
        assert len(mdb.cached_clients) == 2
        items = mdb.manager(Item)
        rnd = random.Random(5)
        owners: list[tuple[str, str]] = []

        async def read(partner: str) -> None:
            async with mdb.partner(partner):
                owners.append((partner, (await items.get("k0")).owner))

        async with anyio.create_task_group() as tg:
            for _ in range(200):
                tg.start_soon(read, rnd.choice(sorted(accounts)))

        assert len(owners) == 200
        assert all(partner == owner for partner, owner in owners)
        assert len(mdb.cached_clients) == 2
        open_clients = [p for p in accounts if await has_client(mdb, p)]
        assert sorted(open_clients) == sorted(mdb.cached_clients)
        assert debug_stats().clients_closed > closed_before
        for account in accounts.values():
            assert len(proxy.assume_role_calls(account.role_arn)) == 1


async def test_tasks_inherit_the_partner_of_the_block_that_started_them(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    for partner in ("outer", "inner"):
        mdb.add_partner(partner, new_account())
        await seed(mdb, partner, keys=1)
    items = mdb.manager(Item)
    seen: dict[str, str] = {}

    async def child(name: str, switch_to: str | None) -> None:
        if switch_to is None:
            seen[name] = (await items.get("k0")).owner
        else:
            async with mdb.partner(switch_to):
                seen[name] = (await items.get("k0")).owner

    async with mdb.partner("outer"):
        async with anyio.create_task_group() as tg:
            tg.start_soon(child, "plain", None)
            tg.start_soon(child, "switched", "inner")
        assert current_partner() == "outer"
    assert current_partner() is None
    assert seen == {"plain": "outer", "switched": "inner"}


async def test_unknown_partner_and_no_active_partner_are_typed_and_send_nothing(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    mdb.add_partner("known", new_account())
    sent = len(proxy.records)
    with pytest.raises(UnknownPartner, match=r"^unknown partner 'nobody'$"):  # other tenants unnamed
        mdb.partner("nobody")
    with pytest.raises(UnknownPartner, match="no partner is active"):
        await mdb.manager(Item).get("k0")
    assert len(proxy.records) == sent


async def test_removed_partner_is_unknown_and_its_handle_stops_working(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    mdb.add_partner("leaving", new_account())
    await seed(mdb, "leaving", keys=1)
    async with mdb.partner("leaving") as db:
        handle = db
    assert partner_transport(handle).has_client
    await mdb.remove_partner("leaving")
    assert not partner_transport(handle).has_client
    with pytest.raises(UnknownPartner):
        mdb.partner("leaving")
    with pytest.raises(UnknownPartner, match="removed"):
        await handle.manager(Item).get("k0")
    # Registering it again starts afresh (new credentials, new client).
    mdb.add_partner("leaving", new_account())
    async with mdb.partner("leaving") as db:
        with pytest.raises(TableNotFound):
            await db.manager(Item).get("k0")


async def test_errors_inside_a_partner_block_name_the_partner(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    mdb.add_partner("acme", new_account())
    await seed(mdb, "acme", keys=1)
    with pytest.raises(ItemNotFound) as missing:
        async with mdb.partner("acme"):
            await mdb.manager(Item).get("absent")
    assert missing.value.__notes__ == ["partner: 'acme'"]
    assert "partner: 'acme'" in "".join(traceback.format_exception(missing.value))
    mdb.add_partner("empty", new_account())  # no table in this account
    with pytest.raises(TableNotFound) as mapped:
        async with mdb.partner("empty"):
            await mdb.manager(Item).get("k0")
    assert mapped.value.partner == "empty" and "'empty'" in str(mapped.value)
    assert not getattr(mapped.value, "__notes__", None)  # named already: no note
