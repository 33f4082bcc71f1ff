"""A collection made once from a MultiAccountDB reads the active partner's account, and its
cursors page on only under the partner that made them (as a model's queries do)."""

from __future__ import annotations

from typing import Annotated

import pytest

from dynamorm_async import HashKey, InvalidCursor, Model, MultiAccountDB, RangeKey

from .conftest import AccountFactory
from .recording_proxy import RecordingProxy

pytestmark = pytest.mark.anyio


class Profile(Model, table="partner_shared", discriminator="PROFILE"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    owner: str


class Visit(Model, table="partner_shared", discriminator="VISIT"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    owner: str


async def _two_partners(mdb: MultiAccountDB, new_account: AccountFactory) -> None:
    for partner in ("a", "b"):
        mdb.add_partner(partner, new_account())
        async with mdb.partner(partner) as db:
            await db.manager(Profile).ensure_table()
            await db.manager(Profile).put(Profile(pk="u", sk="PROFILE", owner=partner))
            for n in range(3):
                await db.manager(Visit).put(Visit(pk="u", sk=f"VISIT#{n}", owner=partner))


async def test_a_collection_reads_the_active_partner_and_keeps_its_cursors(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    await _two_partners(mdb, new_account)
    query = mdb.collection(Profile, Visit).query(pk="u").limit(2)
    async with mdb.partner("b"):
        profiles, visits = await query.all()
    assert [p.owner for p in profiles] == ["b"] and [v.sk for v in visits] == ["VISIT#0"]  # limit 2
    async with mdb.partner("a"):
        first = await query.page()
        profiles, visits = await mdb.collection(Profile, Visit).query(pk="u").all()
    assert {v.owner for v in visits} | {p.owner for p in profiles} == {"a"} and len(visits) == 3
    assert first.cursor is not None
    sent = len(proxy.dynamodb_records())
    async with mdb.partner("b"):
        with pytest.raises(InvalidCursor, match="another account"):
            await query.page(first.cursor)
    assert len(proxy.dynamodb_records()) == sent
    async with mdb.partner("a"):
        second = await query.page(first.cursor)
    assert [v.sk for v in first.of(Visit) + second.of(Visit)] == [f"VISIT#{n}" for n in range(3)]
    assert [p.owner for p in first.of(Profile)] == ["a"] and second.of(Profile) == []
    scan = mdb.collection(Profile, Visit).scan().parallel(2)
    async with mdb.partner("b"):
        profiles, visits = await scan.all()
    assert [p.owner for p in profiles] == ["b"] and [v.owner for v in visits] == ["b"] * 3
