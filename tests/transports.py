"""Test helper: the library's own transport behind a ``DB``, typed, for tests that look inside it."""

from __future__ import annotations

from dynamorm_async import DB
from dynamorm_async.accounts.transports import PartnerTransport
from dynamorm_async.transport import RetryingTransport


def managed(db: DB) -> RetryingTransport:
    """``db.transport``, which must be the library's retrying transport (not a mock or a router)."""
    transport = db.transport
    assert isinstance(transport, RetryingTransport), transport
    return transport


def partner_transport(db: DB) -> PartnerTransport:
    """``db.transport`` of a partner's ``DB`` (from ``async with mdb.partner(...)``)."""
    transport = db.transport
    assert isinstance(transport, PartnerTransport), transport
    return transport
