"""Typed collections: one read over a shared table returns the items of several models, each
decoded into its own model by the discriminator attribute.

::

    customers, orders = await db.collection(Customer, Order).query(pk="CUSTOMER#c1").all()
    async for item in db.collection(Customer, Order).query(pk="CUSTOMER#c1"):   # Customer | Order
        ...
    page = await db.collection(Customer, Order).query(pk="CUSTOMER#c1").page_size(50).page(cursor)
    page.of(Order), page.cursor, page.unknown

A collection query reads one partition with no discriminator filter (every model is wanted), and
pages and cursors as any query (:class:`~.builders.Read`): signed when the DB signs, bound to the
partition, to the collection's models and to the partner. An item with no discriminator goes to
the one model whose key templates its keys fit (:mod:`dynamorm_async.adopt`). Items whose
discriminator names none of the collection's models (or that have none and fit no single model's
templates) are never dropped and never crash a read: they are
set aside as raw items in ``page.unknown``, or the query's ``.unknown`` list when iterating, with
one warning log record per page that had any.

Typing: ``TypeVarTuple`` cannot map ``list[...]`` over its members nor form their union, so a
collection is ``Collection[U, L]``: ``U`` the union of its models (what iteration yields), ``L``
the tuple of one list per model (what :meth:`CollectionQuery.all` returns). ``DB.collection``'s
overloads fill both in for 2 to 5 models (:data:`Collection2` ... :data:`Collection5`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Self, TypeAlias, TypeVar, cast

from ..cursor import fingerprint
from ..errors import InvalidInput, ModelError
from ..expressions import Compare, Condition, Encoder, Path, Value
from ..model import Model
from ..requests import ReadPlan
from .builders import Read, Scan
from .keys import RAW, canonical, same_key_value
from .pages import Page
from .routing import Router, checked_filter

if TYPE_CHECKING:
    from ..manager import Manager
    from ..marshal import AttributeValue, Item
    from .backfill import BackfillResult
    from .parallel import ParallelScan

U = TypeVar("U")
L = TypeVar("L", bound=tuple[Any, ...])
M = TypeVar("M", bound=Model)
A = TypeVar("A", bound=Model)
B = TypeVar("B", bound=Model)
C = TypeVar("C", bound=Model)
D = TypeVar("D", bound=Model)
E = TypeVar("E", bound=Model)


# --------------------------------------------------------------------------- reads underneath


class CollectionRead(Read[Any]):
    """What both reads under a collection share: no discriminator filter (every model of the
    collection is wanted) and their raw pages, which the collection routes item by item."""

    __slots__ = ()

    def _model_filter(self) -> Condition | None:
        return self.filter_condition

    def raw_pages(
        self, plan: ReadPlan, keep: Callable[[list[Item]], list[Item]]
    ) -> AsyncGenerator[list[Item], None]:
        """Each response's items of the collection's models (``keep`` sets the others aside)."""
        return self._raw_pages(plan, keep)

    async def raw_page(self, cursor: str | None) -> tuple[ReadPlan, list[Item], str | None]:
        """One page's plan, raw items and next cursor."""
        return await self._raw_page(cursor)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PartitionRead(CollectionRead):
    """Every item of one partition (no discriminator filter): the query under a collection."""

    partition: tuple[str, AttributeValue]
    values: tuple[str, ...]
    forward: bool = True

    def descending(self, enabled: bool = True) -> Self:
        return replace(self, forward=not enabled)

    def plan(self, *, count: bool = False) -> ReadPlan:
        attr, value = self.partition
        table = self.manager.table
        enc = Encoder()
        key_condition = Compare("=", Path((attr,)), Value(value, RAW))
        params: dict[str, Any] = {"TableName": table, "KeyConditionExpression": enc.condition(key_condition)}
        fp = fingerprint(
            "Collection",
            table,
            sorted(self.values),
            self.forward,
            params["KeyConditionExpression"],
            dict(enc.names),
            {k: canonical(v) for k, v in enc.values.items()},
        )
        if not self.forward:
            params["ScanIndexForward"] = False
        no_filter = frozenset(f.attr for f in self.manager.schema.key_fields)
        key_types, partial = self._read_params(enc, params, None, count=count, no_filter=no_filter)
        has_filter = self.filter_condition is not None
        return ReadPlan("Query", table, params, key_types, fp, partial, has_filter, (attr, value))


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class CollectionScanRead(CollectionRead, Scan[Any]):
    """A scan with no discriminator filter whose cursors belong to the collection's models."""

    router: Router

    def plan(self, *, count: bool = False) -> ReadPlan:
        plan = Scan.plan(self, count=count)
        return replace(
            plan, fingerprint=fingerprint("Collection", plan.fingerprint, sorted(self.router.values))
        )

    def decoder(self, plan: ReadPlan) -> Callable[[Item], Any]:
        return self.router.decode


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class CollectionPage(Page[U]):
    """One page of a collection: its models in read order, the cursor for the next page
    (``None`` after the last), and the raw items whose discriminator names no model of it."""

    unknown: list[Item] = field(default_factory=list)
    models: tuple[type[Model], ...] = field(default=(), repr=False)

    def of(self, model: type[M]) -> list[M]:
        """The page's items of ``model`` (exactly that class), in read order.

        :raises InvalidInput: ``model`` is not one of the collection's.
        """
        if self.models and model not in self.models:
            raise InvalidInput(f"{model.__name__} is not a model of this collection")
        return [item for item in self.items if isinstance(item, model) and type(item) is model]


# --------------------------------------------------------------------------- builders


@dataclass(frozen=True, slots=True, eq=False)
class _CollectionRead(Generic[U, L]):
    """What collection queries and scans share: builders, iteration, pages, ``all``, ``count``.

    ``unknown`` holds the raw items of no model of the collection met by the latest iteration
    (``async for`` or :meth:`all`) of this object; each builder call starts a fresh list.
    """

    read: PartitionRead | CollectionScanRead
    router: Router
    unknown: list[Item] = field(default_factory=list, init=False, repr=False)

    def filter(self, condition: Condition) -> Self:
        """Also require ``condition`` of every item (ANDed with earlier filters).

        The filter applies to the items of every model: one naming an attribute only ``Order``
        has drops the other models' items unless it lets them through too
        (``(Order.attr.total > 3) | (Path(("entity",)) == "CUSTOMER")``). Attributes of any of the
        collection's models may be named. Filtered-out items still cost read capacity.
        """
        combined = checked_filter(self.read, self.router, condition)
        return replace(self, read=replace(self.read, filter_condition=combined))

    def consistent(self, enabled: bool = True) -> Self:
        """Strongly consistent reads (twice the read cost)."""
        return replace(self, read=self.read.consistent(enabled))

    def limit(self, n: int | None) -> Self:
        """At most ``n`` models in all when iterating; at most ``n`` items (models and unknown
        ones together, so that the cursor continues right after them) per :meth:`page`."""
        return replace(self, read=self.read.limit(n))

    def page_size(self, n: int | None) -> Self:
        """Read at most ``n`` items per request (DynamoDB's ``Limit``); ``None`` for up to 1 MB."""
        return replace(self, read=self.read.page_size(n))

    async def __aiter__(self) -> AsyncGenerator[U, None]:
        """Every item as its model, page after page; items of no model go to :attr:`unknown`."""
        self.unknown.clear()
        plan = self.read.plan()
        decode = self.router.decode
        async with aclosing(self.read.raw_pages(plan, self.router.screen(self.unknown))) as batches:
            async for batch in batches:
                for raw in batch:
                    yield decode(raw)

    async def page(self, cursor: str | None = None) -> CollectionPage[U]:
        """One page from the start or from ``cursor``, and the cursor for the next page.

        :raises InvalidCursor: ``cursor`` is malformed, altered, unsigned where signing is
            configured, or was made by another query, collection, partition or partner.
        """
        _, raws, next_cursor = await self.read.raw_page(cursor)
        items, unknown = self.router.split(raws)
        return CollectionPage(items, next_cursor, unknown, self.router.models)

    async def all(self) -> L:
        """Every item, one list per model in the collection's order (at most ``limit`` in all)."""
        return cast(L, self.router.by_model([item async for item in self]))

    async def count(self) -> int:
        """How many items match (``Select=COUNT``): every model's and unknown ones alike."""
        return await self.read.count()


@dataclass(frozen=True, slots=True, eq=False)
class CollectionQuery(_CollectionRead[U, L]):
    """A query over one partition of a collection's table; made by :meth:`Collection.query`."""

    def descending(self, enabled: bool = True) -> Self:
        """Highest sort key first (``ScanIndexForward=False``)."""
        read = self.read
        assert isinstance(read, PartitionRead)
        return replace(self, read=read.descending(enabled))

    def __repr__(self) -> str:
        names = ", ".join(m.__name__ for m in self.router.models)
        return f"CollectionQuery({names})"


@dataclass(frozen=True, slots=True, eq=False)
class CollectionScan(_CollectionRead[U, L]):
    """A scan of a collection's table; made by :meth:`Collection.scan`."""

    def segment(self, segment: int, total: int) -> Self:
        """Read only segment ``segment`` (0-based) of ``total``."""
        read = self.read
        assert isinstance(read, Scan)
        return replace(self, read=read.segment(segment, total))

    def parallel(self, segments: int, *, concurrency: int | None = None) -> CollectionParallelScan[U, L]:
        """A parallel scan over ``segments`` segments, each item decoded into its model."""
        read = self.read
        assert isinstance(read, Scan)
        unknown: list[Item] = []
        split = read.parallel(segments, concurrency=concurrency)
        return CollectionParallelScan(replace(split, keep=self.router.screen(unknown)), self.router, unknown)

    def __repr__(self) -> str:
        names = ", ".join(m.__name__ for m in self.router.models)
        return f"CollectionScan({names})"


@dataclass(frozen=True, slots=True, eq=False)
class CollectionParallelScan(Generic[U, L]):
    """A collection's parallel scan: ``async with scan.stream() as items`` or ``await scan.all()``.

    Items of no model of the collection go to :attr:`unknown` (cleared when a stream starts).
    """

    parallel: ParallelScan[Any]
    router: Router
    unknown: list[Item]

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[AsyncIterator[U]]:
        """An async iterator over every item as its model, valid inside the ``async with`` block."""
        self.unknown.clear()
        async with self.parallel.stream() as items:
            yield items

    async def all(self) -> L:
        """Every item of every segment, one list per model in the collection's order."""
        async with self.stream() as items:
            return cast(L, self.router.by_model([item async for item in items]))

    async def count(self) -> int:
        """How many items match, every model's and unknown ones alike."""
        return await self.parallel.count()

    def __aiter__(self) -> NoReturn:
        raise TypeError(
            "iterate a parallel scan inside a block: `async with scan.parallel(n).stream() as items: "
            "async for item in items: ...` (or `await scan.parallel(n).all()`)"
        )


# --------------------------------------------------------------------------- the collection


@dataclass(frozen=True, slots=True, eq=False)
class Collection(Generic[U, L]):
    """Models of one table read together; made by ``db.collection(Customer, Order)``."""

    managers: tuple[Manager[Any], ...]
    router: Router

    @property
    def models(self) -> tuple[type[Model], ...]:
        """The collection's models, in the order given."""
        return self.router.models

    def query(self, **fields: Any) -> CollectionQuery[U, L]:
        """Every item of the partition that ``fields`` name (Python field names of the partition
        key, e.g. ``pk="CUSTOMER#c1"``), each decoded into its model.

        :raises InvalidKey: a field is missing, unknown or not a valid key value.
        :raises InvalidInput: the models would put these fields in different partitions.
        """
        keys = [m.schema.partition_key(fields) for m in self.managers]
        ((attr, value),) = keys[0].items()
        for manager, key in zip(self.managers[1:], keys[1:], strict=True):
            if set(key) != {attr} or not same_key_value(key[attr], value):
                raise InvalidInput(
                    f"{self.managers[0].model.__name__} and {manager.model.__name__} put {sorted(fields)} "
                    "in different partitions: a collection reads one"
                )
        read = PartitionRead(manager=self.managers[0], partition=(attr, value), values=self.router.values)
        return CollectionQuery(read, self.router)

    def scan(self) -> CollectionScan[U, L]:
        """The whole table, each item decoded into its model; ``.parallel(n)`` splits it."""
        return CollectionScan(CollectionScanRead(manager=self.managers[0], router=self.router), self.router)

    async def backfill(
        self, *, segments: int = 4, concurrency: int | None = None, dry_run: bool = False
    ) -> BackfillResult:
        """Write the discriminator into every item of the table that has none and whose keys fit
        exactly one of the collection's key templates (with the template fields it lacks), by a
        parallel scan and one conditional update per item; see :mod:`.backfill`.

        ``dry_run`` scans and counts without writing. Give every model of the table: items whose
        keys fit none are reported in ``unmatched``.

        :raises ModelError: none of the collection's models declares key templates.
        :raises InvalidInput: ``segments`` or ``concurrency`` is not a positive int.
        """
        from .backfill import run_backfill

        scan = CollectionScanRead(manager=self.managers[0], router=self.router)
        return await run_backfill(
            self.managers, self.router, scan, segments=segments, concurrency=concurrency, dry_run=dry_run
        )

    def __repr__(self) -> str:
        return f"Collection({', '.join(m.__name__ for m in self.models)})"


def collection_of(managers: Sequence[Manager[Any]]) -> Collection[Any, Any]:
    """A collection over these managers' models, checked: one table, one discriminator
    attribute and key, a distinct discriminator value each.

    :raises InvalidInput: no model, or a model given twice.
    :raises ModelError: a model has no discriminator, or the models do not share a table.
    """
    if not managers:
        raise InvalidInput("a collection needs at least one model")
    first = managers[0]
    seen: dict[str, Manager[Any]] = {}
    for manager in managers:
        schema, name = manager.schema, manager.model.__name__
        if schema.discriminator is None:
            raise ModelError(
                f"{name} declares no discriminator: a collection tells its models apart by it "
                f"(class {name}(Model, table=..., discriminator='...'))"
            )
        if manager.table != first.table:
            raise ModelError(
                f"{name} is in table {manager.table!r}, {first.model.__name__} in {first.table!r}"
            )
        if schema.discriminator_attr != first.schema.discriminator_attr:
            raise ModelError(
                f"{name} and {first.model.__name__} store their discriminator in other attributes"
            )
        if [f.attr for f in schema.key_fields] != [f.attr for f in first.schema.key_fields]:
            raise ModelError(f"{name} and {first.model.__name__} have other key attributes")
        other = seen.get(schema.discriminator)
        if other is not None:
            if other.model is manager.model:
                raise InvalidInput(f"{name} is given twice")
            raise ModelError(
                f"{name} and {other.model.__name__} share the discriminator {schema.discriminator!r}"
            )
        seen[schema.discriminator] = manager
    return Collection(tuple(managers), Router([m.schema for m in managers], first.table))


#: A collection of two models (what ``db.collection(A, B)`` returns), and of three to five.
Collection2: TypeAlias = Collection[A | B, tuple[list[A], list[B]]]
Collection3: TypeAlias = Collection[A | B | C, tuple[list[A], list[B], list[C]]]
Collection4: TypeAlias = Collection[A | B | C | D, tuple[list[A], list[B], list[C], list[D]]]
Collection5: TypeAlias = Collection[A | B | C | D | E, tuple[list[A], list[B], list[C], list[D], list[E]]]


__all__ = [
    "Collection",
    "Collection2",
    "Collection3",
    "Collection4",
    "Collection5",
    "CollectionPage",
    "CollectionParallelScan",
    "CollectionQuery",
    "CollectionScan",
    "collection_of",
]
