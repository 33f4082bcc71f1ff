"""The transports of partner accounts: one per partner, and the one that routes to the active partner.

Both compose the library's transport (:func:`~dynamorm_async.transport.build_transport`); neither
subclasses it. The bookkeeping they do around each call (the client cache, the active partner,
one retry after an ExpiredToken refusal) belongs to :class:`~dynamorm_async.accounts.MultiAccountDB`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import AssumeRoleError, CredentialsError, UnknownPartner
from ..transport import CallHook, RetryingTransport, TransportConfig, build_transport, choose_http
from .context import ACTIVE

if TYPE_CHECKING:
    from .multi import MultiAccountDB, PartnerSlot

logger = logging.getLogger("dynamorm_async.accounts")

#: Codes with which AWS refuses a request signed with keys it considers expired.
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException"})


class PartnerTransport:
    """The transport of one partner: its own session, credentials and client, labelled with the partner id.

    ``session`` makes the partner's aiobotocore session, called only on that path. It wraps
    (composes) the library's transport for the partner's account, and around each call
    keeps the owner's client cache up to date, makes the partner active (so log records name
    it), and when AWS refuses the keys as expired forces one credential refresh and sends the
    request once more.
    """

    def __init__(
        self,
        owner: MultiAccountDB,
        slot: PartnerSlot,
        config: TransportConfig,
        *,
        session: Callable[[], Any],
        hooks: tuple[CallHook, ...],
    ) -> None:
        provider = slot.credentials.lean_provider()
        if choose_http(config, lean_credentials=provider)[0] == "lean":
            # The partner's DynamoDB calls sign on the lean transport with the same refreshable
            # AssumeRole keys (STS goes lean too under the same conditions: no aiobotocore here).
            self.inner: RetryingTransport = build_transport(
                config, lean_credentials=provider, label=slot.id, hooks=hooks
            )
        else:
            self.inner = build_transport(
                config,
                session=session(),
                credentials=slot.credentials.credentials,
                label=slot.id,
                hooks=hooks,
            )
        self._owner = owner
        self._slot = slot

    @property
    def label(self) -> str | None:
        """The partner id."""
        return self.inner.label

    @property
    def has_client(self) -> bool:
        """Whether the partner's client exists now."""
        return self.inner.has_client

    async def connect(self) -> None:
        """Make the partner's client now."""
        await self.inner.connect()

    async def close(self) -> None:
        """Close the partner's client and its connections."""
        await self.inner.close()

    async def call(
        self, operation: str, params: Mapping[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        """Send one operation for this partner; sent once more after an ExpiredToken refusal."""
        slot = self._slot
        owner = self._owner
        token = ACTIVE.set(slot.active)
        slot.inflight += 1
        try:
            for victim in owner._admit(slot):
                await owner._close_if_idle(victim)
            credentials = slot.credentials
            seen = credentials.generation
            try:
                return await self.inner.call(operation, params, table=table)
            except CredentialsError as exc:
                if exc.code not in EXPIRED_CODES or isinstance(exc, AssumeRoleError):
                    raise
                logger.info(
                    "partner %r: %s refused the credentials as expired (%s); refreshing and retrying once",
                    slot.id,
                    operation,
                    exc.code,
                    extra={"partner": slot.id},
                )
            await credentials.refresh_after_expired(seen)
            forget = getattr(self.inner.raw, "invalidate_credentials", None)
            if forget is not None:
                forget()  # the lean transport caches keys: take the refreshed ones
            return await self.inner.call(operation, params, table=table)
        finally:
            slot.inflight -= 1
            if not slot.inflight and not slot.cached:
                await owner._close_if_idle(slot)
            ACTIVE.reset(token)


class RoutingTransport:
    """A :class:`~dynamorm_async.transport.Transport` that sends each call through the transport of
    the partner active in the calling task."""

    def __init__(self, owner: MultiAccountDB) -> None:
        self._owner = owner

    def _target(self) -> PartnerTransport:
        active = ACTIVE.get()
        if active is None or active.owner is not self._owner:
            raise UnknownPartner(
                "no partner is active: run the operation inside `async with mdb.partner(partner_id):`"
            )
        return active.partner.transport

    @property
    def has_client(self) -> bool:
        active = ACTIVE.get()
        return active is not None and active.owner is self._owner and active.partner.transport.has_client

    async def connect(self) -> None:
        await self._target().connect()

    def bind(self) -> PartnerTransport:
        """The active partner's transport, for a read that must stay in one account to its end.

        :raises UnknownPartner: no partner is active.
        """
        return self._target()

    async def call(
        self, operation: str, params: Mapping[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        return await self._target().call(operation, params, table=table)

    async def close(self) -> None:
        """Nothing to close: the partners' clients belong to the MultiAccountDB."""


__all__ = ["EXPIRED_CODES", "PartnerTransport", "RoutingTransport"]
