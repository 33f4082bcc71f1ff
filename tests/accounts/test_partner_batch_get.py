"""A batch get of several models of one table inside a partner scope reads that partner's account only."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from dynamorm_async import HashKey, Model, MultiAccountDB, RangeKey, WrongModel

from .conftest import AccountFactory

pytestmark = pytest.mark.anyio


class Tenant(Model, table="partner_mixed", discriminator="TENANT"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str


class Seat(Model, table="partner_mixed", discriminator="SEAT"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    holder: str = ""


async def test_a_mixed_batch_get_in_a_partner_scope_reads_that_partners_items(
    mdb: MultiAccountDB, new_account: AccountFactory
) -> None:
    for partner in ("acme", "globex"):
        mdb.add_partner(partner, new_account())
        async with mdb.partner(partner) as db:
            await db.manager(Tenant).ensure_table()
            await db.manager(Tenant).put(Tenant(pk="T#1", sk="PROFILE", name=partner))
            await db.manager(Seat).put(Seat(pk="T#1", sk="SEAT#1", holder=f"{partner}-1"))
            with pytest.raises(WrongModel):  # a put through the wrong model is refused here too
                await db.manager(Seat).put(Seat(pk="T#1", sk="PROFILE"))
    asked: list[Any] = [(Tenant, ("T#1", "PROFILE")), (Seat, ("T#1", "SEAT#1")), (Seat, ("T#1", "SEAT#2"))]
    for partner in ("acme", "globex"):
        async with mdb.partner(partner) as db:
            tenant, seat, missing = await db.batch_get(asked)
        assert tenant == Tenant(pk="T#1", sk="PROFILE", name=partner)
        assert seat == Seat(pk="T#1", sk="SEAT#1", holder=f"{partner}-1")
        assert missing is None
