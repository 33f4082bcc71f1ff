"""Refreshable credentials without aiobotocore, for partners whose calls all go lean.

:class:`Refreshable` keeps aiobotocore's ``AioRefreshableCredentials`` contract (the one
:class:`~dynamorm_async.accounts.credentials.PartnerCredentials` relies on) with the standard
library alone, so a multi-account function on the lean path never imports aiobotocore:

* first use, or inside the mandatory window: every caller waits for one refresh (single flight)
  and its failure propagates;
* inside the advisory window: one caller refreshes while the others keep the still valid keys; a
  failed refresh is logged and tried again on a later call.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NamedTuple

logger = logging.getLogger("dynamorm_async.accounts")


class Frozen(NamedTuple):
    """One consistent set of keys (as aiobotocore's ``ReadOnlyCredentials``)."""

    access_key: str
    secret_key: str
    token: str | None

    def __repr__(self) -> str:
        return f"Frozen(access_key={self.access_key!r})"


class Refreshable:
    """Keys fetched by ``refresh`` on first use and again before expiry, measured on ``clock``.

    ``refresh`` returns ``access_key``, ``secret_key``, ``token`` and ``expiry_time`` (ISO 8601),
    as for :func:`~dynamorm_async.transport.refreshable_credentials`.
    """

    def __init__(
        self,
        refresh: Callable[[], Awaitable[Mapping[str, Any]]],
        *,
        advisory_seconds: int,
        mandatory_seconds: int,
        clock: Callable[[], _dt.datetime],
    ) -> None:
        self._refresh = refresh
        self._advisory = advisory_seconds
        self._mandatory = mandatory_seconds
        self._clock = clock
        self._frozen: Frozen | None = None
        self._expiry: _dt.datetime | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        expiry = self._expiry.isoformat() if self._expiry else None
        return f"Refreshable(expiry={expiry!r})"

    def _remaining(self) -> float:
        if self._frozen is None or self._expiry is None:
            return float("-inf")
        return (self._expiry - self._clock()).total_seconds()

    def _get_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    async def _fetch(self) -> None:
        answer = await self._refresh()
        expiry = _dt.datetime.fromisoformat(str(answer["expiry_time"]).replace("Z", "+00:00"))
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=_dt.UTC)
        self._frozen = Frozen(answer["access_key"], answer["secret_key"], answer.get("token") or None)
        self._expiry = expiry

    async def get_frozen_credentials(self) -> Frozen:
        """Current keys, refreshed first as the windows say.

        :raises Exception: whatever ``refresh`` raised, on first use or inside the mandatory window.
        """
        if self._remaining() >= self._advisory:
            assert self._frozen is not None
            return self._frozen
        lock = self._get_lock()
        if self._remaining() < self._mandatory:
            async with lock:
                if self._remaining() < self._advisory:  # a waiter finds the fresh keys in place
                    await self._fetch()
        elif not lock.locked():
            async with lock:
                if self._remaining() < self._advisory:
                    try:
                        await self._fetch()
                    except Exception as exc:
                        logger.warning(
                            "refreshing credentials inside the advisory window failed (%s); "
                            "keeping the current ones",
                            type(exc).__name__,
                        )
        assert self._frozen is not None
        return self._frozen


__all__ = ["Frozen", "Refreshable"]
