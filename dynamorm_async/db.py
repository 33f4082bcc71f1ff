"""``DB``: the entry point that owns a transport (client pool) and hands out model managers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .errors import InvalidInput
from .manager import Manager
from .model import Model
from .schema import schema_of
from .transport import RawTransport, Transport, TransportConfig, as_transport, build_transport

if TYPE_CHECKING:
    from .batch import Concurrency
    from .batch_writer import BatchWriter
    from .query.collection import Collection, Collection2, Collection3, Collection4, Collection5
    from .retry import Backoff
    from .transactions import TransactWrite

M = TypeVar("M", bound=Model)
A = TypeVar("A", bound=Model)
B = TypeVar("B", bound=Model)
C = TypeVar("C", bound=Model)
D = TypeVar("D", bound=Model)
E = TypeVar("E", bound=Model)


class DB:
    """A DynamoDB connection: lazy (no client until the first call), reusable, closable.

    ``session`` may be an aiobotocore ``AioSession`` or an ``aioboto3.Session``; transport
    options (``max_pool_connections``, ``connect_timeout``, ``read_timeout``, ``max_attempts``,
    ``backoff_base``, ``backoff_cap``, ``http``) go to :class:`~dynamorm_async.transport.TransportConfig`.
    ``http`` picks the way to the wire: ``"auto"`` (the default) is the lean standard-library
    transport inside a Lambda execution environment whose credentials and endpoint it handles
    alone (environment or container credentials, no profile, config file or proxy), aiobotocore
    everywhere else; ``"lean"`` or ``"aiobotocore"`` force one. A ``session`` or aiobotocore
    ``credentials`` always means aiobotocore. ``db.transport.http`` says which was chosen.
    ``transport`` replaces the one the DB would build: any
    :class:`~dynamorm_async.transport.Transport` (e.g. ``testing.MockTransport``) is used as is,
    with no retries added; a raw one (a :class:`~dynamorm_async.transport.RawTransport`, one way
    to the wire) is wrapped in the library's retrying transport, which adds the deadline check,
    retries, the error table and hooks.
    ``cursor_secret`` (16+ bytes, or a list to rotate keys) signs every query/scan cursor the
    managers hand out and makes them refuse unsigned or altered ones (:mod:`dynamorm_async.cursor`).
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        session: Any = None,
        credentials: Any = None,
        config: TransportConfig | None = None,
        transport: Transport | RawTransport | None = None,
        cursor_secret: str | bytes | Sequence[str | bytes] | None = None,
        **transport_options: Any,
    ) -> None:
        if transport is None:
            if config is None:
                config = TransportConfig(region=region, endpoint_url=endpoint_url, **transport_options)
            elif region or endpoint_url or transport_options:
                raise TypeError("pass either config= or region/endpoint_url/transport options, not both")
            transport = build_transport(config, session=session, credentials=credentials)
        self.transport: Transport = as_transport(transport)
        self._managers: dict[type[Model], Manager[Any]] = {}
        #: Keys that sign and verify every manager's pagination cursors (empty: unsigned cursors).
        self.cursor_secret: tuple[bytes, ...] = ()
        if cursor_secret is not None:  # the cursor module loads only when cursors are signed
            from .cursor import signing_keys

            self.cursor_secret = signing_keys(cursor_secret)

    def manager(self, model: type[M]) -> Manager[M]:
        """The async manager for ``model`` (one per model per DB, made on first request)."""
        found = self._managers.get(model)
        if found is None:
            found = self._managers[model] = Manager(model, self.transport)
            found.cursor_secret = self.cursor_secret
        return found

    def register(self, *models: type[Model]) -> None:
        """Compile the models' schemas and make their managers now (e.g. in Lambda's init phase)."""
        for model in models:
            schema_of(model).require_table()
            self.manager(model)

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
        """The models of one shared table, read together: ``.query(pk=...)`` returns a partition's
        items each decoded into its model by the discriminator (see :mod:`dynamorm_async.query.collection`).

        :raises ModelError: a model has no discriminator, or the models do not share one table.
        :raises InvalidInput: no model, something else than a model class, or a model given twice.
        """
        from .query.collection import collection_of  # not needed by a first request: cold start

        for model in models:
            if not (isinstance(model, type) and issubclass(model, Model)):
                raise InvalidInput(f"collection() takes model classes, not {model!r:.80}")
        return collection_of([self.manager(model) for model in models])

    def transact_write(self, *, token: str | None = None) -> TransactWrite:
        """A new write transaction (see :mod:`dynamorm_async.transactions`); ``async with`` commits it.

        ``token`` is the idempotency token (a fresh UUID by default), reused by every commit.
        """
        from .transactions import TransactWrite  # not needed by a first request: cold start

        # Each item goes to its manager's table, as the manager's own requests do.
        return TransactWrite(self.transport, token=token, table_of=lambda model: self.manager(model).table)

    def batch_writer(self, *, flush_size: int = 25, backoff: Backoff | None = None) -> BatchWriter:
        """A buffered writer of puts and deletes of any models (see :mod:`dynamorm_async.batch_writer`).

        ``async with db.batch_writer() as w: await w.put(order)``: sent ``flush_size`` at a time,
        leftovers retried with ``backoff``; ``w.result`` says what was done, not done, in doubt.
        """
        from .batch_writer import BatchWriter  # not needed by a first request: cold start

        return BatchWriter(
            self.transport,
            table_of=lambda model: self.manager(model).table,
            flush_size=flush_size,
            backoff=backoff,
        )

    async def transact_get(self, gets: Sequence[Model | tuple[type[Model], Any]]) -> list[Any]:
        """Read up to 100 items (instances or ``(ModelClass, key)`` pairs) as one consistent snapshot.

        Returns one model per request, in order, or ``None`` where no item exists.
        """
        from .transactions import transact_get  # not needed by a first request: cold start

        return await transact_get(self.transport, gets, table_of=lambda model: self.manager(model).table)

    async def batch_get(
        self,
        gets: Sequence[Model | tuple[type[Model], Any]],
        *,
        consistent: bool = False,
        concurrency: Concurrency | None = None,
        backoff: Backoff | None = None,
    ) -> list[Any]:
        """Read any number of items of any models (instances or ``(ModelClass, key)`` pairs), e.g. a
        customer and its orders from one table, in BatchGetItem requests of 100 keys.

        Returns one entry per request, in order: the item decoded into the model asked for there,
        or ``None`` where no item exists (typed ``Any``, as :meth:`transact_get`: a list cannot
        say each position's model). A key asked for twice is read once. Unprocessed keys are
        retried as :meth:`Manager.batch_get <dynamorm_async.manager.Manager.batch_get>` retries
        them (``concurrency``, ``backoff``, the active deadline). Not a snapshot: use
        :meth:`transact_get` when the items must agree with each other.

        :raises WrongModel: an item is another model's than the one asked for (its discriminator).
        :raises PartialFailure: keys were still unread when retrying stopped: ``unprocessed`` holds
            those requests as passed, ``done`` the items read, ``result`` the list with ``None`` there.
        """
        from .batch import batch_get_models  # not needed by a first request: cold start

        return await batch_get_models(
            self.transport,
            gets,
            table_of=lambda model: self.manager(model).table,
            consistent=consistent,
            concurrency=concurrency,
            backoff=backoff,
        )

    async def connect(self) -> None:
        """Create the client now instead of on the first call (transports that have one)."""
        connect = getattr(self.transport, "connect", None)
        if connect is not None:
            await connect()

    async def close(self) -> None:
        """Close the client and its connection pool."""
        await self.transport.close()

    async def __aenter__(self) -> DB:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


__all__ = ["DB"]
