"""Query and Scan builders, their request plans and pagination, and :class:`Page`."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from ..checks import MAX_PARTITION_KEY_BYTES
from ..concurrency import scan_concurrency
from ..cursor import decode_cursor, encode_cursor, fingerprint
from ..errors import InvalidCursor, InvalidInput
from ..expressions import Compare, Condition, Encoder, Path, Value
from ..marshal import Codec
from ..model import Model
from ..requests import GSI_CONSISTENT, ReadPlan, check_paths, projection_paths, read_params
from .keys import (
    RAW,
    KeyPart,
    Target,
    canonical,
    key_value,
    misfit,
    parse_key_condition,
    same_key_value,
    sort_condition,
    template_key_condition,
)
from .pages import Page, bind, label_of, pages
from .parallel import ParallelScan

if TYPE_CHECKING:
    from ..manager import Manager
    from ..marshal import Item
    from ..schema import FieldSpec, IndexSpec

M = TypeVar("M", bound=Model)


def _checking(manager: Manager[Any], f: FieldSpec) -> Codec:
    """``f``'s checking codec (``Model.attr``'s): values are validated as the field's type."""
    path: Path[Any] = manager.model.attr[f.name]
    return path.codec


def _check_count(what: str, n: int | None) -> int | None:
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise InvalidInput(f"{what} must be a positive int (or None), not {n!r}")
    return n


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Read(Generic[M]):
    """What queries and scans share: filter, projection, index, consistency, limits and paging.

    Typed collections (:mod:`.collection`) subclass it too, and decode the raw items of
    :meth:`_raw_pages` and :meth:`_raw_page` themselves.
    """

    manager: Manager[M]
    filter_condition: Condition | None = None
    projection: tuple[Path[Any], ...] = ()
    index_name: str | None = None
    consistent_read: bool = False
    max_items: int | None = None
    request_limit: int | None = None

    # ---------------------------------------------------------------- builders
    def filter(self, condition: Condition) -> Self:
        """Also require ``condition`` of every item returned (ANDed with earlier filters).

        DynamoDB applies filters after reading, so filtered-out items still cost read capacity.
        """
        if not isinstance(condition, Condition):
            raise InvalidInput(f"filter() takes a condition, e.g. Model.attr.total > 3; got {condition!r}")
        check_paths(self.manager.schema, condition.paths(), "the filter")
        combined = condition if self.filter_condition is None else self.filter_condition & condition
        return replace(self, filter_condition=combined)

    def project(self, *fields: Path[Any] | str) -> Self:
        """Read only these fields (``Model.attr.x`` paths or names such as ``"address.city"``).

        Keys are always read too. Items come back built without validation: fields not read keep
        their defaults. ``project()`` with no argument reads whole items again.
        """
        return replace(self, projection=projection_paths(self.manager.schema, fields))

    def index(self, name: str) -> Self:
        """Read the global or local secondary index ``name`` instead of the table."""
        spec = self.manager.schema.indexes.get(name)
        if spec is None:
            known = ", ".join(sorted(self.manager.schema.indexes)) or "none"
            raise InvalidInput(f"{self.manager.model.__name__} has no index {name!r} (indexes: {known})")
        if spec.kind == "GSI" and self.consistent_read:
            raise InvalidInput(GSI_CONSISTENT)
        return replace(self, index_name=name)

    def consistent(self, enabled: bool = True) -> Self:
        """Strongly consistent reads (twice the read cost; not on global secondary indexes)."""
        index = None if self.index_name is None else self.manager.schema.indexes[self.index_name]
        if enabled and index is not None and index.kind == "GSI":
            raise InvalidInput(GSI_CONSISTENT)
        return replace(self, consistent_read=bool(enabled))

    def limit(self, n: int | None) -> Self:
        """At most ``n`` items in all when iterating, and per :meth:`page`; ``None`` for no cap."""
        return replace(self, max_items=_check_count("limit", n))

    def page_size(self, n: int | None) -> Self:
        """Read at most ``n`` items per request (DynamoDB's ``Limit``); ``None`` for up to 1 MB."""
        return replace(self, request_limit=_check_count("page_size", n))

    # ---------------------------------------------------------------- compiling
    def plan(self, *, count: bool = False) -> ReadPlan:
        """The compiled request (validated): what every page of this read sends."""
        raise NotImplementedError

    def _read_params(
        self,
        enc: Encoder,
        params: dict[str, Any],
        index: IndexSpec | None,
        *,
        count: bool,
        no_filter: frozenset[str],
    ) -> tuple[dict[str, str], bool]:
        """Fill what queries and scans share into ``params``; return key types and ``partial``."""
        return read_params(
            enc,
            params,
            self.manager.schema.key_fields,
            index,
            consistent=self.consistent_read,
            filter_condition=self._model_filter(),
            projection=self.projection,
            count=count,
            no_filter=no_filter,
        )

    def _model_filter(self) -> Condition | None:
        """The caller's filter, ANDed, for a model with a discriminator, with "this model's item":
        a read through one model of a shared table returns only that model's items (and items
        written before the table had a discriminator)."""
        schema = self.manager.schema
        if schema.discriminator is None or schema.discriminator_attr is None:
            return self.filter_condition
        d: Path[Any] = Path((schema.discriminator_attr,))
        shape = self._untagged_shape()
        untagged = d.not_exists() if shape is None else d.not_exists() & shape
        mine = untagged | (d == schema.discriminator)
        return mine if self.filter_condition is None else mine & self.filter_condition

    def _untagged_shape(self) -> Condition | None:
        """What an item without a discriminator must look like to be read as this model (a
        query's key condition already says it: ``None``)."""
        return None

    def _start_key(self, plan: ReadPlan, cursor: str, label: str | None) -> dict[str, Any]:
        start = decode_cursor(
            cursor,
            fingerprint=plan.fingerprint,
            key_types=plan.key_types,
            keys=self.manager.cursor_secret,
            label=label,
        )
        if plan.partition is not None:
            attr, value = plan.partition
            if not same_key_value(start[attr], value):
                raise InvalidCursor("cursor belongs to another partition than this query's")
        return start

    def _limit_for(self, plan: ReadPlan, remaining: int | None) -> int | None:
        """DynamoDB's ``Limit`` for the next request: the page size, or what is left when unfiltered."""
        size = self.request_limit
        if remaining is not None and not plan.has_filter:
            size = remaining if size is None else min(size, remaining)
        return size

    # ---------------------------------------------------------------- running
    def decoder(self, plan: ReadPlan) -> Callable[[Item], M]:
        """How this read's items become models: validated, or built as read (projections)."""
        schema = self.manager.schema
        decode: Callable[[Item], M] = schema.decode_partial if plan.partial else schema.decode
        return decode

    async def _raw_pages(
        self, plan: ReadPlan, keep: Callable[[list[Item]], list[Item]] | None = None
    ) -> AsyncGenerator[list[Item], None]:
        """The raw items of each response, one request at a time, at most ``limit`` in all.

        ``keep`` screens each response's items before they are counted (a collection sets aside
        items of no model it knows). Every page is read where the first was (the partner active
        when iteration started). Close the generator when stopping early (``aclosing``).
        """
        transport = bind(self.manager.transport)
        remaining = self.max_items

        def limit() -> int | None:
            return self._limit_for(plan, remaining)

        async with aclosing(pages(transport.call, plan, limit=limit)) as responses:
            async for response in responses:
                got: list[Item] = response.get("Items") or []
                if keep is not None:
                    got = keep(got)
                if remaining is not None:
                    got = got[:remaining]
                    remaining -= len(got)
                if got:
                    yield got
                if remaining is not None and remaining <= 0:
                    return

    async def __aiter__(self) -> AsyncIterator[M]:
        """Every item, page after page (one request at a time), at most ``limit`` of them.

        Every page is read where the first was (the partner active when iteration started).
        """
        plan = self.plan()
        decode = self.decoder(plan)
        async with aclosing(self._raw_pages(plan)) as batches:
            async for batch in batches:
                for raw in batch:
                    yield decode(raw)

    async def _raw_page(self, cursor: str | None = None) -> tuple[ReadPlan, list[Item], str | None]:
        """One page's plan, raw items and next cursor: what :meth:`page` decodes.

        :raises InvalidCursor: as :meth:`page`.
        """
        plan = self.plan()
        transport = bind(self.manager.transport)
        label = label_of(transport)
        start = None if cursor is None else self._start_key(plan, cursor, label)
        want = self.max_items if self.max_items is not None else self.request_limit
        raws: list[Item] = []
        next_key: dict[str, Any] | None = None

        def limit() -> int | None:
            return self._limit_for(plan, None if want is None else want - len(raws))

        async with aclosing(pages(transport.call, plan, start=start, limit=limit)) as responses:
            async for response in responses:
                got: list[Item] = response.get("Items", [])
                last = response.get("LastEvaluatedKey") or None
                if want is not None and len(raws) + len(got) >= want:
                    take = want - len(raws)
                    raws.extend(got[:take])
                    # Stopping inside DynamoDB's page: continue after the last item handed out.
                    next_key = {a: got[take - 1][a] for a in plan.key_types} if take < len(got) else last
                    break
                raws.extend(got)
                next_key = last
                if want is None:
                    break
        if next_key is None:
            return plan, raws, None
        cursor_out = encode_cursor(
            next_key, fingerprint=plan.fingerprint, keys=self.manager.cursor_secret, label=label
        )
        return plan, raws, cursor_out

    async def page(self, cursor: str | None = None) -> Page[M]:
        """One page of items, from the start or from ``cursor``, and the cursor for the next page.

        A page holds ``limit`` items (or ``page_size`` when no limit is set), reading as many
        requests as the filter needs, fewer at the end; with neither set it is one DynamoDB
        response. The cursor is signed when the manager has a cursor secret, and bound to the
        transport's label (the partner active now): only a ``page()`` under the same partner
        (or, for a cursor made under none, under none) takes it back.

        :raises InvalidCursor: ``cursor`` is malformed, altered, unsigned where signing is
            configured, was made by another query or under another partner; nothing is sent then.
        """
        plan, raws, cursor_out = await self._raw_page(cursor)
        decode = self.decoder(plan)
        return Page([decode(raw) for raw in raws], cursor_out)

    async def count(self) -> int:
        """How many items match (``Select=COUNT`` over every page), capped at ``limit``."""
        plan = self.plan(count=True)
        transport = bind(self.manager.transport)
        total = 0

        def limit() -> int | None:
            return self._limit_for(plan, None if self.max_items is None else self.max_items - total)

        async with aclosing(pages(transport.call, plan, limit=limit)) as responses:
            async for response in responses:
                total += int(response.get("Count", 0))
                if self.max_items is not None and total >= self.max_items:
                    return self.max_items
        return total

    async def first(self) -> M | None:
        """The first matching item, or ``None``."""
        page = await replace(self, max_items=1).page()
        return page.items[0] if page.items else None

    async def all(self) -> list[M]:
        """Every matching item (at most ``limit``) as a list."""
        return [item async for item in self]


# --------------------------------------------------------------------------- Query


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Query(Read[M]):
    """An immutable DynamoDB Query: key condition plus filter, projection, index, order, limits.

    Made by :meth:`Manager.query`; iterate it with ``async for``, or call :meth:`page`,
    :meth:`count`, :meth:`first` or :meth:`all`.
    """

    key_condition: Condition
    forward: bool = True
    _parts: tuple[KeyPart, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        templated = bool(self.manager.schema.template_keys)  # then a part per template field
        parts = parse_key_condition(self.key_condition, max_parts=None if templated else 2)
        check_paths(self.manager.schema, self.key_condition.paths(), "the key condition")
        object.__setattr__(self, "_parts", parts)

    def descending(self, enabled: bool = True) -> Self:
        """Highest sort key first (``ScanIndexForward=False``)."""
        return replace(self, forward=not enabled)

    def _target(self) -> Target:
        schema = self.manager.schema
        model = self.manager.model.__name__
        assert schema.hash_key is not None
        names = {f.attr: f.name for f in schema.fields}
        table = Target(None, schema.hash_key, schema.range_key, names)
        indexes = [Target(i, i.hash, i.range, names) for i in schema.indexes.values()]
        if self.index_name is not None:
            index = schema.indexes[self.index_name]
            target = Target(index, index.hash, index.range, names)
            reason = misfit(self._parts, target)
            if reason is not None:
                raise InvalidInput(f"{model}: the key condition does not fit: {reason}")
            return target
        reason = misfit(self._parts, table)
        if reason is None:
            return table
        fitting = [t for t in indexes if misfit(self._parts, t) is None]
        if len(fitting) == 1:
            return fitting[0]
        if fitting:
            which = ", ".join(repr(t.index.name) for t in fitting if t.index is not None)
            raise InvalidInput(
                f"{model}: the key condition fits several indexes ({which}); choose one with .index(name)"
            )
        others = "; ".join(t.label for t in indexes)
        raise InvalidInput(
            f"{model}: the key condition fits no key: {reason}" + (f" (indexes: {others})" if others else "")
        )

    def plan(self, *, count: bool = False) -> ReadPlan:
        manager = self.manager
        model = manager.model.__name__
        target = self._target()
        if target.templated:
            key_condition, hash_value = template_key_condition(
                manager.schema, target, self._parts, lambda f: _checking(manager, f)
            )
        else:
            by_attr = {p.attr: p for p in self._parts}
            h = by_attr[target.hash.attr]
            # Values are validated as their field's type (as in any condition) and checked as keys;
            # the checked encodings are what is sent.
            hash_value = key_value(
                model, target.hash, h.values[0], _checking(manager, target.hash), MAX_PARTITION_KEY_BYTES
            )
            hash_path: Path[Any] = Path((target.hash.attr,), target.hash.codec)
            key_condition = Compare("=", hash_path, Value(hash_value, RAW))
            if target.range is not None and (r := by_attr.get(target.range.attr)) is not None:
                f = target.range
                key_condition = key_condition & sort_condition(model, f, r, _checking(manager, f))

        enc = Encoder()
        table = manager.table
        params: dict[str, Any] = {"TableName": table, "KeyConditionExpression": enc.condition(key_condition)}
        index_name = None if target.index is None else target.index.name
        fp = fingerprint(
            "Query",
            table,
            index_name,
            self.forward,
            params["KeyConditionExpression"],
            dict(enc.names),
            {k: canonical(v) for k, v in enc.values.items()},
        )
        if not self.forward:
            params["ScanIndexForward"] = False
        no_filter = frozenset(f.attr for f in (target.hash, target.range) if f is not None)
        key_types, partial = self._read_params(enc, params, target.index, count=count, no_filter=no_filter)
        return ReadPlan(
            "Query",
            table,
            params,
            key_types,
            fp,
            partial,
            self._model_filter() is not None,
            (target.hash.attr, hash_value),
        )

    def __repr__(self) -> str:
        extra = "" if self.filter_condition is None else f", filter={self.filter_condition.debug()!r}"
        return f"Query({self.manager.model.__name__}, {self.key_condition.debug()!r}{extra})"


# --------------------------------------------------------------------------- Scan


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Scan(Read[M]):
    """An immutable DynamoDB Scan of the table or an index; :meth:`parallel` splits it in segments.

    Made by :meth:`Manager.scan`; iterate it with ``async for``, or call :meth:`page`,
    :meth:`count`, :meth:`first` or :meth:`all`.
    """

    segment_of: tuple[int, int] | None = None

    def _untagged_shape(self) -> Condition | None:
        """A table scan through a templated model reads an item written before the table had
        discriminators only if its keys begin with the model's template literals (``sk =
        "PROFILE"``, ``begins_with(sk, "ORDER#")``): other models' untagged items stay out."""
        schema = self.manager.schema
        if self.index_name is not None or not schema.templated:
            return None
        shape: Condition | None = None
        for f in schema.key_fields:
            template = f.template
            if template is None or not template.leading:
                continue
            path: Path[Any] = Path((f.attr,))
            part = path == template.leading if template.is_constant else path.begins_with(template.leading)
            shape = part if shape is None else shape & part
        return shape

    def segment(self, segment: int, total: int) -> Self:
        """Read only segment ``segment`` (0-based) of ``total`` (e.g. one per worker process)."""
        if not (isinstance(total, int) and isinstance(segment, int)) or not 0 <= segment < total <= 1_000_000:
            raise InvalidInput(f"segment must satisfy 0 <= segment < total <= 1000000, got {segment}/{total}")
        return replace(self, segment_of=(segment, total))

    def parallel(self, segments: int, *, concurrency: int | None = None) -> ParallelScan[M]:
        """A parallel scan over ``segments`` segments, at most ``concurrency`` requests at once.

        Use it as ``async with scan.parallel(4).stream() as items: async for item in items: ...``,
        or ``await scan.parallel(4).all()`` / ``.count()``.
        """
        if isinstance(segments, bool) or not isinstance(segments, int) or not 1 <= segments <= 1_000_000:
            raise InvalidInput(f"segments must be an int from 1 to 1000000, not {segments!r}")
        if self.segment_of is not None:
            raise InvalidInput("a scan limited to one .segment() cannot also be run in parallel")
        limit = _check_count("concurrency", concurrency) or scan_concurrency(segments)
        return ParallelScan(self, segments, limit)

    def plan(self, *, count: bool = False) -> ReadPlan:
        manager = self.manager
        index = None if self.index_name is None else manager.schema.indexes[self.index_name]
        enc = Encoder()
        table = manager.table
        params: dict[str, Any] = {"TableName": table}
        if self.segment_of is not None:
            params["Segment"], params["TotalSegments"] = self.segment_of
        key_types, partial = self._read_params(enc, params, index, count=count, no_filter=frozenset())
        fp = fingerprint("Scan", table, self.index_name, self.segment_of)
        return ReadPlan("Scan", table, params, key_types, fp, partial, self._model_filter() is not None)

    def __repr__(self) -> str:
        extra = "" if self.filter_condition is None else f", filter={self.filter_condition.debug()!r}"
        return f"Scan({self.manager.model.__name__}{extra})"


__all__ = ["Page", "Query", "Scan"]
