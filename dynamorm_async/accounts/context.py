"""The active partner, carried by a context variable.

A context variable is copied into every task spawned inside ``async with mdb.partner(...)``, so
concurrent tasks for different partners each see their own, and a task can never see a partner
it was not started under.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .multi import MultiAccountDB, PartnerSlot


class Active(NamedTuple):
    """What ``async with mdb.partner(...)`` makes active: the owning MultiAccountDB and partner slot."""

    owner: MultiAccountDB
    partner: PartnerSlot
    partner_id: str


ACTIVE: contextvars.ContextVar[Active | None] = contextvars.ContextVar("dynamorm_partner", default=None)


def current_partner() -> str | None:
    """The id of the partner active in this task (``async with mdb.partner(...)``), or ``None``."""
    active = ACTIVE.get()
    return None if active is None else active.partner_id


__all__ = ["ACTIVE", "Active", "current_partner"]
