"""A result stream never mixes partner accounts, and a cursor only pages on under the partner that made it.

Against moto: the two partners' accounts hold the same table names and keys with different
owners, so a page read in the wrong account shows up as an item of the wrong owner.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Annotated

import anyio
import pytest

from dynamorm_async import DB, HashKey, InvalidCursor, Model, MultiAccountDB, RangeKey

from .conftest import REGION, AccountFactory, Item, seed
from .recording_proxy import RecordingProxy

pytestmark = pytest.mark.anyio

SECRET = "partner-iteration-cursor-secret-0123456789"


class Row(Model, table="partner_rows"):
    """Several rows per partition, to page a query; ``owner`` says whose account it is in."""

    group: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    owner: str


@pytest.fixture
async def signed_mdb(proxy: RecordingProxy) -> AsyncIterator[MultiAccountDB]:
    """A MultiAccountDB that signs its cursors, through the recording proxy."""
    async with MultiAccountDB(
        region=REGION, endpoint_url=proxy.url, sts_endpoint_url=proxy.url, cursor_secret=SECRET
    ) as db:
        yield db


async def two_partners(mdb: MultiAccountDB, new_account: AccountFactory, rows: int = 6) -> None:
    """Partners ``a`` and ``b``, each with five ``Item``s and ``rows`` ``Row``s in group ``g``."""
    for partner in ("a", "b"):
        mdb.add_partner(partner, new_account())
        await seed(mdb, partner)
        async with mdb.partner(partner) as db:
            manager = db.manager(Row)
            await manager.ensure_table()
            for n in range(rows):
                await manager.put(Row(group="g", n=n, owner=partner))


def requests_by(proxy: RecordingProxy, mdb: MultiAccountDB, partner: str, action: str) -> int:
    """How many ``action`` requests the proxy saw signed with the partner's keys."""
    role = mdb.account(partner).role_arn
    return sum(1 for r in proxy.dynamodb_records(role) if r.action == action)


async def test_a_scan_iterator_stays_in_the_account_it_started_in(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    await two_partners(mdb, new_account)
    scans_by_b = requests_by(proxy, mdb, "b", "Scan")
    iterator = aiter(mdb.manager(Item).scan().page_size(2))
    async with mdb.partner("a"):
        first = await anext(iterator)
    async with mdb.partner("b"):  # the next pages come from a's account all the same
        rest = [item async for item in iterator]
    got = [first, *rest]
    assert {item.owner for item in got} == {"a"}
    assert sorted(item.key for item in got) == [f"k{i}" for i in range(5)]
    assert requests_by(proxy, mdb, "b", "Scan") == scans_by_b  # no page of it was sent to b


async def test_a_query_iterator_stays_in_the_account_it_started_in(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    await two_partners(mdb, new_account)
    queries_by_a = requests_by(proxy, mdb, "a", "Query")
    rows = mdb.manager(Row)
    iterator = aiter(rows.query(Row.attr.group == "g").page_size(2))
    async with mdb.partner("b"):
        first = await anext(iterator)
    async with mdb.partner("a"):
        rest = [row async for row in iterator]
    got = [first, *rest]
    assert [(row.owner, row.n) for row in got] == [("b", n) for n in range(6)]
    assert requests_by(proxy, mdb, "a", "Query") == queries_by_a


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
async def test_a_page_cursor_made_under_one_partner_is_refused_under_another(
    signed: bool,
    mdb: MultiAccountDB,
    signed_mdb: MultiAccountDB,
    proxy: RecordingProxy,
    new_account: AccountFactory,
) -> None:
    # Unsigned cursors are refused too: the account check is cheap and catches mix-ups, though
    # without a secret a client could edit the cursor (see dynamorm_async.cursor).
    db = signed_mdb if signed else mdb
    await two_partners(db, new_account)
    query = db.manager(Row).query(Row.attr.group == "g").limit(2)
    async with db.partner("a"):
        first = await query.page()
    assert first.cursor is not None
    assert ("." in first.cursor) == signed
    sent = len(proxy.dynamodb_records())
    async with db.partner("b"):
        with pytest.raises(InvalidCursor, match="another account") as caught:
            await query.page(first.cursor)
        with pytest.raises(InvalidCursor):
            await db.manager(Row).scan().page(first.cursor)  # another query too
    assert "'a'" not in str(caught.value)  # b learns nothing about who made it
    assert len(proxy.dynamodb_records()) == sent  # refused before anything was sent
    async with db.partner("a") as a_db:  # the partner that made it pages on, through either manager
        second = await query.page(first.cursor)
        again = await a_db.manager(Row).query(Row.attr.group == "g").limit(2).page(first.cursor)
    assert [(row.owner, row.n) for row in [*first, *second]] == [("a", n) for n in range(4)]
    assert again.items == second.items


async def test_a_page_chain_started_in_a_scan_stays_with_its_partner(
    signed_mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    await two_partners(signed_mdb, new_account)
    scan = signed_mdb.manager(Item).scan().limit(2)
    owners: set[str] = set()
    async with signed_mdb.partner("b"):
        page = await scan.page()
        owners.update(item.owner for item in page)
        while page.cursor is not None:
            page = await scan.page(page.cursor)
            owners.update(item.owner for item in page)
    assert owners == {"b"}
    async with signed_mdb.partner("a"):
        first = await scan.page()
    assert first.cursor is not None
    async with signed_mdb.partner("b"):
        with pytest.raises(InvalidCursor):
            await scan.page(first.cursor)


async def test_a_parallel_scan_started_in_one_partner_stays_there_when_consumed_in_another(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    await two_partners(mdb, new_account)
    scans_by_b = requests_by(proxy, mdb, "b", "Scan")
    scan = mdb.manager(Item).scan().page_size(1).parallel(3, concurrency=1)
    async with AsyncExitStack() as stack:
        async with mdb.partner("a"):
            items = await stack.enter_async_context(scan.stream())
        async with mdb.partner("b"):
            got = [item async for item in items]
    assert sorted((item.owner, item.key) for item in got) == [("a", f"k{i}") for i in range(5)]
    assert requests_by(proxy, mdb, "b", "Scan") == scans_by_b


async def test_a_parallel_scan_made_outside_binds_when_its_stream_starts(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    await two_partners(mdb, new_account)
    parallel = mdb.manager(Item).scan().page_size(1).parallel(2)  # made outside any partner
    stream = parallel.stream()
    async with mdb.partner("b"):
        async with stream as items:
            first = await anext(items)
            async with mdb.partner("a"):  # a nested scope does not move the running scan
                rest = [item async for item in items]
        count = await parallel.count()
    assert {item.owner for item in [first, *rest]} == {"b"}
    assert count == 5


async def test_a_cursor_from_no_partner_is_refused_under_a_partner_and_back(
    signed_mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    await two_partners(signed_mdb, new_account)
    async with DB(region=REGION, endpoint_url=proxy.url, cursor_secret=SECRET) as plain:
        mine = plain.manager(Row)  # the environment's own account: no partner
        await mine.ensure_table()
        for n in range(3):
            await mine.put(Row(group="g", n=n, owner="none"))
        query = mine.query(Row.attr.group == "g").limit(1)
        unbound = await query.page()
        assert unbound.cursor is not None
        assert [row.owner for row in await query.page(unbound.cursor)] == ["none"]

        routed = signed_mdb.manager(Row).query(Row.attr.group == "g").limit(1)
        async with signed_mdb.partner("a"):
            with pytest.raises(InvalidCursor, match="another account"):
                await routed.page(unbound.cursor)
            bound = await routed.page()
        assert bound.cursor is not None
        with pytest.raises(InvalidCursor, match="another account"):
            await query.page(bound.cursor)  # a partner's cursor outside any partner


async def test_a_parallel_scan_yielded_from_a_generator_in_a_reads_a_for_a_consumer_in_b(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    # The segment tasks start inside the generator's partner("a") scope and keep paging while the
    # generator is suspended at its yield, when that scope is in force for no one: resolved per
    # call, their next page could not tell a from b (PartnerScopeError, the scan cancelled).
    await two_partners(mdb, new_account)
    scans_by_b = requests_by(proxy, mdb, "b", "Scan")
    scan = mdb.manager(Item).scan().page_size(1).parallel(2, concurrency=2)

    async def from_a() -> AsyncIterator[Item]:
        async with mdb.partner("a"), scan.stream() as items:
            async for item in items:
                yield item

    got: list[Item] = []
    async with mdb.partner("b"):
        async for item in from_a():
            got.append(item)
            await anyio.sleep(0.05)  # the segment tasks read on meanwhile
    assert sorted((item.owner, item.key) for item in got) == [("a", f"k{i}") for i in range(5)]
    assert requests_by(proxy, mdb, "b", "Scan") == scans_by_b
