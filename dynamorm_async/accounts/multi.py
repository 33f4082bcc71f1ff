"""``MultiAccountDB``: one function serving many partners, each partner's data in its own AWS account.

::

    mdb = MultiAccountDB(region="eu-west-1")
    mdb.add_partner("acme", AccountConfig(role_arn="arn:aws:iam::111111111111:role/orders",
                                          external_id="acme-7f3a", region="eu-west-1"))
    orders = mdb.manager(Order)                 # one manager; the active partner picks the account

    async with mdb.partner("acme") as db:       # db: a DB bound to acme's account
        await orders.get("o1")                  # same as db.manager(Order).get("o1")

Per partner there is one :class:`~dynamorm_async.accounts.credentials.PartnerCredentials` (STS
AssumeRole with the external id, cached, refreshed before expiry, single-flight) and one client
(an aiobotocore session and client, or the lean transport, which then sends AssumeRole too).
Credentials live as long as the partner is registered; clients are kept in a bounded
least-recently-used cache, and evicting one closes it (after the calls it is serving have
finished). The active partner is a context variable, so tasks for different partners running
concurrently never see each other's client; the partner id labels every error, log record
(:class:`~dynamorm_async.accounts.observe.PartnerLogFilter`) and X-Ray subsegment.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ..db import DB
from ..errors import DynamORMError, InvalidInput, UnknownPartner
from ..manager import Manager
from ..model import Model
from ..transport import CallHook, Transport, TransportConfig, build_transport, new_session
from .config import AccountConfig
from .context import ACTIVE, Active, PartnerScopeError, enter_scope
from .credentials import PartnerCredentials
from .transports import PartnerTransport, RoutingTransport

if TYPE_CHECKING:
    from ..query.collection import Collection, Collection2, Collection3, Collection4, Collection5

M = TypeVar("M", bound=Model)
A = TypeVar("A", bound=Model)
B = TypeVar("B", bound=Model)
C = TypeVar("C", bound=Model)
D = TypeVar("D", bound=Model)
E = TypeVar("E", bound=Model)

logger = logging.getLogger("dynamorm_async.accounts")

DEFAULT_MAX_CLIENTS = 32


def _check_partner_id(partner_id: object) -> str:
    if (
        not isinstance(partner_id, str)
        or not partner_id
        or len(partner_id) > 256
        or not partner_id.isprintable()
    ):
        raise InvalidInput(
            f"partner ids are non-empty printable strings of at most 256 characters, not {partner_id!r}"
        )
    return partner_id


class PartnerSlot:
    """Everything one partner needs on one event loop: credentials, transport, ``DB`` handle.

    ``inflight`` counts calls running on its client; ``cached`` says whether the client is in
    the least-recently-used cache (an evicted client still serving calls is closed by the last).
    """

    __slots__ = (
        "account",
        "active",
        "cached",
        "credentials",
        "db",
        "id",
        "inflight",
        "loop",
        "removed",
        "transport",
    )

    def __init__(self, owner: MultiAccountDB, partner_id: str, account: AccountConfig) -> None:
        self.id = partner_id
        self.account = account
        self.loop = asyncio.get_running_loop()
        self.inflight = 0
        self.cached = False
        self.removed = False
        self.active = Active(owner, self, partner_id)
        self.credentials = PartnerCredentials(partner_id, account, owner._sts_for(account.region))
        self.transport = PartnerTransport(
            owner,
            self,
            dataclasses.replace(owner.config, region=account.region),
            session=owner._partner_session,
            hooks=owner.hooks,
        )
        self.db = owner._make_db(self.transport)

    def __repr__(self) -> str:
        return f"PartnerSlot({self.id!r}, {self.account!r}, cached={self.cached}, inflight={self.inflight})"


class PartnerScope:
    """``async with mdb.partner(partner_id) as db``: makes the partner active inside the block.

    ``db`` is a :class:`~dynamorm_async.DB` bound to the partner's account (owned by the
    MultiAccountDB: do not close it). Managers from ``mdb.manager(Model)`` used inside the block,
    and every task started inside it, go to that account too. Entered by an async generator, the
    partner stays inside the generator: its consumer keeps its own partner across the generator's
    ``yield`` (see :mod:`~dynamorm_async.accounts.context`). One scope object is entered once at a
    time; make one per ``async with``.

    :raises PartnerScopeError: entered while it is already entered (by another task, or nested).
    """

    __slots__ = ("_owner", "_partner_id", "_token")

    def __init__(self, owner: MultiAccountDB, partner_id: str) -> None:
        self._owner = owner
        self._partner_id = partner_id
        self._token: Any = None

    def __repr__(self) -> str:
        return f"PartnerScope({self._partner_id!r}, entered={self._token is not None})"

    async def __aenter__(self) -> DB:
        if self._token is not None:
            raise PartnerScopeError(
                f"this partner({self._partner_id!r}) scope is entered already; "
                "use a new `mdb.partner(...)` for each `async with`"
            )
        slot = self._owner._slot(self._partner_id)
        self._token = enter_scope(slot.active)
        return slot.db

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        token, self._token = self._token, None
        try:
            ACTIVE.reset(token)
        except (ValueError, RuntimeError):
            # Left in another context than the one it was entered in (an async generator closed
            # by the event loop's finaliser): that context never had the partner set.
            pass
        if isinstance(exc, DynamORMError) and getattr(exc, "partner", None) is None:
            # Errors the transport maps carry .partner; others (ItemNotFound, InvalidInput, ...)
            # get a note, which tracebacks and logged exceptions show.
            note = f"partner: {self._partner_id!r}"
            if note not in getattr(exc, "__notes__", ()):
                exc.add_note(note)


class MultiAccountDB:
    """Partners, each with its own AWS account: a registry, credentials, clients and the partner context.

    ``partners`` maps partner ids to :class:`AccountConfig`. ``region`` is where STS is called
    (the function's own region; by default each partner's region). ``endpoint_url`` and
    ``sts_endpoint_url`` point DynamoDB and STS elsewhere (tests, VPC endpoints). ``session``
    (an aiobotocore ``AioSession`` or an ``aioboto3.Session``) supplies the base credentials
    that call STS; by default the normal chain (environment, Lambda role, profile).
    ``max_clients`` bounds the cached partner clients; ``hooks`` are transport hooks for every
    partner call, after the Lambda layer's ``xray_hook`` (which, once ``enable_xray_tracing()``
    is on, annotates each call's X-Ray subsegment with the partner). Other keywords are
    :class:`TransportConfig` options.
    """

    def __init__(
        self,
        partners: Mapping[str, AccountConfig] | None = None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        sts_endpoint_url: str | None = None,
        session: Any = None,
        config: TransportConfig | None = None,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        hooks: Sequence[CallHook] = (),
        cursor_secret: Any = None,
        **transport_options: Any,
    ) -> None:
        if config is None:
            config = TransportConfig(endpoint_url=endpoint_url, **transport_options)
        elif endpoint_url or transport_options:
            raise TypeError("pass either config= or endpoint_url/transport options, not both")
        if isinstance(max_clients, bool) or not isinstance(max_clients, int) or max_clients < 1:
            raise ValueError("max_clients must be a positive int")
        self.config = config
        self.max_clients = max_clients
        from ..aws_lambda.xray import xray_hook  # tiny: records the label for X-Ray's per-call subsegments

        self.hooks: tuple[CallHook, ...] = (xray_hook, *hooks)
        self._sts_region = region
        self._sts_endpoint_url = sts_endpoint_url
        self._base_session = session
        self._cursor_secret = cursor_secret
        self._accounts: dict[str, AccountConfig] = {}
        self._slots: dict[str, PartnerSlot] = {}
        self._cache: OrderedDict[str, PartnerSlot] = OrderedDict()
        self._sts: dict[str, Transport] = {}
        self._loader_session: Any = None
        self._router = RoutingTransport(self)
        self._routing_db = self._make_db(self._router)
        for partner_id, account in (partners or {}).items():
            self.add_partner(partner_id, account)

    def __repr__(self) -> str:
        return f"MultiAccountDB(partners={sorted(self._accounts)!r}, cached_clients={list(self._cache)!r})"

    # ------------------------------------------------------------------ registry
    @property
    def partners(self) -> Mapping[str, AccountConfig]:
        """The registered partners (a read-only view)."""
        return MappingProxyType(self._accounts)

    def add_partner(self, partner_id: str, account: AccountConfig) -> None:
        """Register a partner; nothing is fetched or connected until it is first used.

        Registering a second partner with a role ARN already registered for another logs a
        warning (on ``dynamorm_async.accounts``): both would read and write the same account, which
        is rarely meant between tenants. It is a log record, not a Python warning, so that it
        reaches the function's logs however often partners are loaded at run time.

        :raises InvalidInput: a malformed id, or one registered already (remove it first to change
            its account).
        """
        _check_partner_id(partner_id)
        if not isinstance(account, AccountConfig):
            raise TypeError(
                f"add_partner({partner_id!r}, ...) needs an AccountConfig, got {type(account).__name__}"
            )
        if partner_id in self._accounts:
            raise InvalidInput(f"partner {partner_id!r} is registered already; remove_partner() it first")
        sharing = sorted(
            other for other, known in self._accounts.items() if known.role_arn == account.role_arn
        )
        if sharing:
            logger.warning(
                "partner %r is registered with the role %s already used by %s: they share one account",
                partner_id,
                account.role_arn,
                ", ".join(map(repr, sharing)),
            )
        self._accounts[partner_id] = account

    async def remove_partner(self, partner_id: str) -> None:
        """Forget a partner: its credentials are dropped and its client closed (once idle).

        :raises UnknownPartner: no such partner.
        """
        self.account(partner_id)
        del self._accounts[partner_id]
        slot = self._slots.pop(partner_id, None)
        if slot is not None:
            slot.removed = True
            if slot.cached:
                del self._cache[partner_id]
                slot.cached = False
            await self._close_if_idle(slot)

    @property
    def cached_clients(self) -> tuple[str, ...]:
        """Partners whose client is in the cache, least recently used first."""
        return tuple(self._cache)

    def account(self, partner_id: str) -> AccountConfig:
        """The partner's :class:`AccountConfig`.

        :raises UnknownPartner: no such partner.
        """
        try:
            return self._accounts[partner_id]
        except (KeyError, TypeError):
            # Only the id asked for: the message may reach a tenant, who must not learn the others.
            asked = repr(partner_id)
            asked = asked if len(asked) <= 80 else f"{asked[:77]}..."
            raise UnknownPartner(f"unknown partner {asked}") from None

    # ------------------------------------------------------------------ partner context and managers
    def partner(self, partner_id: str) -> PartnerScope:
        """``async with mdb.partner(partner_id) as db:`` every operation inside goes to that partner.

        :raises UnknownPartner: no such partner (raised here, before anything is sent).
        """
        self.account(partner_id)
        return PartnerScope(self, partner_id)

    def manager(self, model: type[M]) -> Manager[M]:
        """A manager for ``model`` whose every call goes to the partner active in the calling task.

        Made once (e.g. at module level); outside ``async with mdb.partner(...)`` its calls
        raise :class:`UnknownPartner`.
        """
        return self._routing_db.manager(model)

    @overload
    def collection(self, a: type[A], b: type[B], /) -> Collection2[A, B]: ...
    @overload
    def collection(self, a: type[A], b: type[B], c: type[C], /) -> Collection3[A, B, C]: ...
    @overload
    def collection(self, a: type[A], b: type[B], c: type[C], d: type[D], /) -> Collection4[A, B, C, D]: ...
    @overload
    def collection(
        self, a: type[A], b: type[B], c: type[C], d: type[D], e: type[E], /
    ) -> Collection5[A, B, C, D, E]: ...
    @overload
    def collection(self, *models: type[Model]) -> Collection[Any, tuple[list[Any], ...]]: ...
    def collection(self, *models: type[Model]) -> Collection[Any, Any]:
        """A collection (:meth:`DB.collection`) whose every read goes to the partner active in
        the calling task, as :meth:`manager`'s calls do; its cursors are bound to that partner."""
        return self._routing_db.collection(*models)

    def register(self, *models: type[Model]) -> None:
        """Compile the models' schemas and make their managers now (e.g. in Lambda's init phase)."""
        self._routing_db.register(*models)

    def credentials(self, partner_id: str) -> PartnerCredentials:
        """The partner's credential provider (its expiry and refresh count, for monitoring)."""
        return self._slot(partner_id).credentials

    async def connect(self, *partner_ids: str) -> None:
        """Assume the partners' roles and make their clients now (default: every registered partner).

        :raises AssumeRoleError: STS refused or failed for one of them.
        """
        for partner_id in partner_ids or tuple(self._accounts):
            slot = self._slot(partner_id)
            await slot.credentials.ensure()
            for victim in self._admit(slot):
                await self._close_if_idle(victim)
            await slot.transport.connect()

    async def close(self) -> None:
        """Close every partner client and the STS clients; the MultiAccountDB stays usable."""
        import anyio

        with anyio.CancelScope(shield=True):
            for slot in list(self._slots.values()):
                slot.cached = False
                await slot.transport.close()
            self._cache.clear()
            for sts in self._sts.values():
                await sts.close()

    async def __aenter__(self) -> MultiAccountDB:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ internals
    def _slot(self, partner_id: str) -> PartnerSlot:
        slot = self._slots.get(partner_id)
        if slot is not None and slot.loop is asyncio.get_running_loop():
            return slot
        # First use, or a new event loop: the old client and credential lock died with their loop.
        account = self.account(partner_id)
        if slot is not None:
            self._cache.pop(partner_id, None)
        slot = self._slots[partner_id] = PartnerSlot(self, partner_id, account)
        return slot

    def _make_db(self, transport: Transport) -> DB:
        if self._cursor_secret is None:
            return DB(transport=transport)
        return DB(transport=transport, cursor_secret=self._cursor_secret)

    def _sts_for(self, region: str) -> Transport:
        sts_region = self._sts_region or region
        found = self._sts.get(sts_region)
        if found is None:
            config = dataclasses.replace(self.config, region=sts_region, endpoint_url=self._sts_endpoint_url)
            # No hooks: AssumeRole's parameters hold the external id.
            found = self._sts[sts_region] = build_transport(config, service="sts", session=self._base_session)
        return found

    def _partner_session(self) -> Any:
        # A session per partner: a transport sets its credentials on its session, so sharing one
        # between accounts could hand one partner's keys to another's client. They share the
        # service-model loader, so only the first pays for parsing the model.
        session = new_session(share_loader_with=self._loader_session)
        if self._loader_session is None:
            self._loader_session = session
        return session

    def _admit(self, slot: PartnerSlot) -> list[PartnerSlot]:
        """Mark ``slot``'s client most recently used; return the evicted slots to close."""
        if slot.removed:
            raise UnknownPartner(f"partner {slot.id!r} was removed")
        cache = self._cache
        if slot.cached:
            cache.move_to_end(slot.id)
            return []
        slot.cached = True
        cache[slot.id] = slot
        victims: list[PartnerSlot] = []
        while len(cache) > self.max_clients:
            _, victim = cache.popitem(last=False)
            victim.cached = False
            victims.append(victim)  # closed now if idle, else by its last running call
        return victims

    async def _close_if_idle(self, slot: PartnerSlot) -> None:
        # Checked and closed without an await in between: no call can grab the client meanwhile
        # (Transport.close detaches it before awaiting anything).
        if slot.inflight or slot.cached or not slot.transport.has_client:
            return
        import anyio

        with anyio.CancelScope(shield=True):
            try:
                await slot.transport.close()
            except Exception:  # an evicted client that fails to close must not fail the caller
                logger.warning("partner %r: closing its client failed", slot.id, exc_info=True)
                return
        logger.debug("partner %r: client closed (evicted or removed)", slot.id, extra={"partner": slot.id})


__all__ = ["DEFAULT_MAX_CLIENTS", "MultiAccountDB", "PartnerScope", "PartnerSlot"]
