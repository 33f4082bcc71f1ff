"""Query and Scan: immutable request builders, their pagination, and parallel scans.

::

    orders = db.manager(Order)
    q = orders.query(Order.attr.partner_id == "p1").filter(Order.attr.total > 3)
    async for order in q:                       # every item, page after page
        ...
    page = await q.limit(25).page(cursor=None)  # 25 items and a cursor for the next 25
    n = await q.count()

Every builder method returns a new object, so a query can be shared and refined freely. The
key condition is checked against the table's keys and its indexes before anything is sent; the
index is picked by itself when exactly one key (and not the table's) fits it. The key condition,
filter and projection of one request share one :class:`~dynamorm_async.expressions.Encoder`, so
user values only ever reach DynamoDB as ``:v`` placeholders.

``limit(n)`` caps the items an iteration yields in all, and the items one ``page()`` returns;
``page_size(n)`` is DynamoDB's ``Limit``, the items each request reads. Cursors are described in
:mod:`dynamorm_async.cursor`.
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Self, TypeVar

from .cursor import decode_cursor, encode_cursor, fingerprint
from .errors import InvalidCursor, InvalidInput, InvalidKey
from .expressions import And, Between, Compare, Condition, Encoder, Function, Not, Or, Path, Value
from .model import Model
from .schema import FieldSpec, IndexSpec

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from .manager import Manager
    from .marshal import AttributeValue, Item

M = TypeVar("M", bound=Model)

_SORT_OPS = frozenset({"=", "<", "<=", ">", ">="})
_KEY_CONDITION_HELP = (
    "a key condition is `partition_key == value`, optionally `& sort_key <op> value` with op one of "
    "==, <, <=, >, >=, .between(low, high) or .begins_with(prefix)"
)


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    """One page of results and the cursor for the next one (``None`` after the last page).

    A plain dataclass: FastAPI (pydantic) can serialise ``Page[Order]`` as a response model.
    DynamoDB may report more results when the last page ended exactly at the end; the page after
    such a cursor is then empty, with ``cursor=None``.
    """

    items: list[M]
    cursor: str | None = None

    def __iter__(self) -> Iterator[M]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_more(self) -> bool:
        """Whether a next page may exist (a cursor was returned)."""
        return self.cursor is not None


# --------------------------------------------------------------------------- key conditions


class _KeyPart:
    """One comparison of a key condition: attribute, operator and the raw Python value(s)."""

    __slots__ = ("attr", "op", "text", "values")

    def __init__(self, attr: str, op: str, values: tuple[Any, ...], text: str) -> None:
        self.attr = attr
        self.op = op  # one of _SORT_OPS, "between" or "begins_with"
        self.values = values
        self.text = text  # for messages


class _Target:
    """What a request reads: the table (``index=None``) or one index, with its keys."""

    __slots__ = ("hash", "index", "range")

    def __init__(self, index: IndexSpec | None, hash: FieldSpec, range: FieldSpec | None) -> None:
        self.index = index
        self.hash = hash
        self.range = range

    @property
    def label(self) -> str:
        keys = self.hash.name if self.range is None else f"{self.hash.name}, {self.range.name}"
        what = "the table" if self.index is None else f"index {self.index.name!r}"
        return f"{what} ({keys})"


def _top_attr(operand: Any) -> str | None:
    if isinstance(operand, Path) and len(operand.elements) == 1 and isinstance(operand.elements[0], str):
        return operand.elements[0]
    return None


def _parse_key_condition(condition: Condition) -> tuple[_KeyPart, ...]:
    """Split a key condition into its parts, refusing anything DynamoDB would not take as one."""
    if not isinstance(condition, Condition):
        raise InvalidInput(f"query() takes a key condition, e.g. Model.attr.pk == 'x'; got {condition!r}")
    stack: list[Condition] = [condition]
    flat: list[Condition] = []
    while stack:
        c = stack.pop()
        if isinstance(c, And):
            stack.extend(reversed(c.operands))
        else:
            flat.append(c)
    parts: list[_KeyPart] = []
    for c in flat:
        text = c.debug()
        if isinstance(c, (Or, Not)):
            raise InvalidInput(
                f"a key condition cannot use | (OR) or ~ (NOT): {text}; put such tests in .filter()"
            )
        part: _KeyPart | None = None
        if isinstance(c, Compare) and isinstance(c.right, Value):
            attr = _top_attr(c.left)
            if attr is not None:
                if c.op not in _SORT_OPS:
                    raise InvalidInput(
                        f"{c.op} cannot be used in a key condition ({text}); {_KEY_CONDITION_HELP}"
                    )
                part = _KeyPart(attr, c.op, (c.right.value,), text)
        elif isinstance(c, Between) and isinstance(c.low, Value) and isinstance(c.high, Value):
            attr = _top_attr(c.operand)
            if attr is not None:
                part = _KeyPart(attr, "between", (c.low.value, c.high.value), text)
        elif isinstance(c, Function) and c.name == "begins_with" and len(c.args) == 2:
            attr, prefix = _top_attr(c.args[0]), c.args[1]
            if attr is not None and isinstance(prefix, Value):
                part = _KeyPart(attr, "begins_with", (prefix.value,), text)
        if part is None:
            raise InvalidInput(f"{text} cannot be used in a key condition; {_KEY_CONDITION_HELP}")
        parts.append(part)
    seen: set[str] = set()
    for p in parts:
        if p.attr in seen:
            raise InvalidInput(f"the key condition tests {p.attr!r} twice; {_KEY_CONDITION_HELP}")
        seen.add(p.attr)
    if len(parts) > 2:
        raise InvalidInput(f"the key condition has {len(parts)} parts; {_KEY_CONDITION_HELP}")
    return tuple(parts)


def _misfit(parts: Sequence[_KeyPart], target: _Target) -> str | None:
    """Why ``parts`` cannot be the key condition of ``target``, or ``None`` when they can."""
    by_attr = {p.attr: p for p in parts}
    h = by_attr.get(target.hash.attr)
    if h is None:
        return f"{target.label} needs its partition key {target.hash.name!r} compared with =="
    if h.op != "=":
        return f"the partition key {target.hash.name!r} of {target.label} takes only == ({h.text})"
    for p in parts:
        if p is h:
            continue
        if target.range is None:
            return f"{target.label} has no sort key to test with {p.text}"
        if p.attr != target.range.attr:
            return f"{p.text} does not test the sort key {target.range.name!r} of {target.label}"
    return None


def _key_value(model: str, f: FieldSpec, value: Any) -> AttributeValue:
    """A key condition value encoded with its key field's codec, checked like a key."""
    try:
        av: AttributeValue = f.codec.encode(value)
    except (InvalidInput, TypeError, ValueError, AttributeError) as exc:
        raise InvalidKey(f"{model}.{f.name}: {value!r} is not a valid key value") from exc
    ((tag, raw),) = av.items()
    if tag != f.codec.kind:
        raise InvalidKey(f"{model}.{f.name} is a key of type {f.codec.kind}; {value!r} is stored as {tag}")
    if not isinstance(raw, bytes if tag == "B" else str):
        raise InvalidKey(f"{model}.{f.name}: {value!r} is not a valid key value")
    if tag in ("S", "B") and not raw:
        raise InvalidKey(f"{model}.{f.name}: key values cannot be empty")
    return av


def _canonical(av: Any) -> Any:
    """Numbers written alike (``5``, ``5.0``) fingerprint alike."""
    if isinstance(av, dict) and set(av) == {"N"}:
        try:
            return {"N": format(Decimal(av["N"]).normalize(), "f")}
        except (InvalidOperation, ValueError):
            return av
    return av


def _same_key_value(a: AttributeValue, b: AttributeValue) -> bool:
    if "N" in a and "N" in b:
        try:
            return Decimal(a["N"]) == Decimal(b["N"])
        except (InvalidOperation, ValueError):
            return False
    return a == b


# --------------------------------------------------------------------------- request plans


class _Plan:
    """A compiled request: parameters without paging fields, and what paging and cursors need."""

    __slots__ = (
        "fingerprint",
        "has_filter",
        "key_types",
        "operation",
        "params",
        "partial",
        "partition",
        "table",
    )

    def __init__(
        self,
        operation: str,
        table: str,
        params: dict[str, Any],
        key_types: dict[str, str],
        fingerprint: str,
        partial: bool,
        has_filter: bool,
        partition: tuple[str, AttributeValue] | None = None,
    ) -> None:
        self.operation = operation
        self.table = table
        self.params = params
        self.key_types = key_types  # attributes of LastEvaluatedKey -> S/N/B
        self.fingerprint = fingerprint
        self.partial = partial  # decode without validation (projection, or an index not projecting ALL)
        self.has_filter = has_filter
        self.partition = partition  # a query's partition key attribute and value


def _key_types(schema_keys: Sequence[FieldSpec], index: IndexSpec | None) -> dict[str, str]:
    fields = list(schema_keys)
    if index is not None:
        fields.append(index.hash)
        if index.range is not None:
            fields.append(index.range)
    return {f.attr: f.codec.kind or "S" for f in fields}


def _check_count(what: str, n: int | None) -> int | None:
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise InvalidInput(f"{what} must be a positive int (or None), not {n!r}")
    return n


_GSI_CONSISTENT = "global secondary indexes have no consistent reads: drop .consistent() or query the table"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Read(Generic[M]):
    """What queries and scans share: filter, projection, index, consistency, limits and paging."""

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
        self.manager._check_paths(condition.paths(), "the filter")
        combined = condition if self.filter_condition is None else self.filter_condition & condition
        return replace(self, filter_condition=combined)

    def project(self, *fields: Path[Any] | str) -> Self:
        """Read only these fields (``Model.attr.x`` paths or names such as ``"address.city"``).

        Keys are always read too. Items come back built without validation: fields not read keep
        their defaults. ``project()`` with no argument reads whole items again.
        """
        attr = self.manager.model.attr
        paths = tuple(attr.path(f) if isinstance(f, str) else f for f in fields)
        for p in paths:
            if not isinstance(p, Path):
                raise InvalidInput(f"project() takes paths or field names, not {p!r}")
        self.manager._check_paths(paths, "the projection")
        return replace(self, projection=paths)

    def index(self, name: str) -> Self:
        """Read the global or local secondary index ``name`` instead of the table."""
        spec = self.manager.schema.indexes.get(name)
        if spec is None:
            known = ", ".join(sorted(self.manager.schema.indexes)) or "none"
            raise InvalidInput(f"{self.manager.model.__name__} has no index {name!r} (indexes: {known})")
        if spec.kind == "GSI" and self.consistent_read:
            raise InvalidInput(_GSI_CONSISTENT)
        return replace(self, index_name=name)

    def consistent(self, enabled: bool = True) -> Self:
        """Strongly consistent reads (twice the read cost; not on global secondary indexes)."""
        index = None if self.index_name is None else self.manager.schema.indexes[self.index_name]
        if enabled and index is not None and index.kind == "GSI":
            raise InvalidInput(_GSI_CONSISTENT)
        return replace(self, consistent_read=bool(enabled))

    def limit(self, n: int | None) -> Self:
        """At most ``n`` items in all when iterating, and per :meth:`page`; ``None`` for no cap."""
        return replace(self, max_items=_check_count("limit", n))

    def page_size(self, n: int | None) -> Self:
        """Read at most ``n`` items per request (DynamoDB's ``Limit``); ``None`` for up to 1 MB."""
        return replace(self, request_limit=_check_count("page_size", n))

    # ---------------------------------------------------------------- compiling
    def _plan(self, *, count: bool = False) -> _Plan:
        raise NotImplementedError

    def _common(
        self,
        enc: Encoder,
        params: dict[str, Any],
        index: IndexSpec | None,
        *,
        count: bool,
        no_filter: frozenset[str],
    ) -> tuple[dict[str, str], bool]:
        """Fill index, consistency, filter, projection and placeholders; return key types and ``partial``."""
        manager = self.manager
        schema = manager.schema
        if index is not None:
            params["IndexName"] = index.name
        if self.consistent_read:
            if index is not None and index.kind == "GSI":
                raise InvalidInput(_GSI_CONSISTENT)
            params["ConsistentRead"] = True
        if self.filter_condition is not None:
            for p in self.filter_condition.paths():
                if p.elements and p.elements[0] in no_filter:
                    raise InvalidInput(
                        f"the filter tests key attribute {p.name!r}, which DynamoDB refuses in a query's "
                        "filter; put it in the key condition"
                    )
            params["FilterExpression"] = enc.condition(self.filter_condition)
        key_types = _key_types(schema.key_fields, index)
        partial = index is not None and index.projection != "ALL"
        if count:
            params["Select"] = "COUNT"
        elif self.projection:
            paths = list(self.projection)
            for attr_name in key_types:  # keys are always read: models and cursors need them
                if not any(p.elements == (attr_name,) for p in paths):
                    paths.append(Path((attr_name,)))
            params["ProjectionExpression"] = enc.projection(paths)
            partial = True
        params.update(enc.params())
        return key_types, partial

    def _start_key(self, plan: _Plan, cursor: str) -> dict[str, Any]:
        start = decode_cursor(
            cursor, fingerprint=plan.fingerprint, key_types=plan.key_types, keys=self.manager.cursor_secret
        )
        if plan.partition is not None:
            attr, value = plan.partition
            if not _same_key_value(start[attr], value):
                raise InvalidCursor("cursor belongs to another partition than this query's")
        return start

    def _limit_for(self, plan: _Plan, remaining: int | None) -> int | None:
        """DynamoDB's ``Limit`` for the next request: the page size, or what is left when unfiltered."""
        size = self.request_limit
        if remaining is not None and not plan.has_filter:
            size = remaining if size is None else min(size, remaining)
        return size

    # ---------------------------------------------------------------- running
    async def __aiter__(self) -> AsyncIterator[M]:
        """Every item, page after page (one request at a time), at most ``limit`` of them."""
        plan = self._plan()
        call = self.manager.transport.call
        decode = self.manager.decode
        partial = plan.partial
        remaining = self.max_items
        start: dict[str, Any] | None = None
        while True:
            request = dict(plan.params)
            if start is not None:
                request["ExclusiveStartKey"] = start
            size = self._limit_for(plan, remaining)
            if size is not None:
                request["Limit"] = size
            response = await call(plan.operation, request, table=plan.table)
            for raw in response.get("Items", ()):
                yield decode(raw, partial=partial)
                if remaining is not None:
                    remaining -= 1
                    if remaining <= 0:
                        return
            start = response.get("LastEvaluatedKey")
            if not start:
                return

    async def page(self, cursor: str | None = None) -> Page[M]:
        """One page of items, from the start or from ``cursor``, and the cursor for the next page.

        A page holds ``limit`` items (or ``page_size`` when no limit is set), reading as many
        requests as the filter needs, fewer at the end; with neither set it is one DynamoDB
        response. The cursor is signed when the manager has a cursor secret.

        :raises InvalidCursor: ``cursor`` is malformed, altered, unsigned where signing is
            configured, or was made by another query; nothing is sent then.
        """
        plan = self._plan()
        start = None if cursor is None else self._start_key(plan, cursor)
        want = self.max_items if self.max_items is not None else self.request_limit
        call = self.manager.transport.call
        raws: list[Item] = []
        next_key: dict[str, Any] | None = None
        while True:
            request = dict(plan.params)
            if start is not None:
                request["ExclusiveStartKey"] = start
            size = self._limit_for(plan, None if want is None else want - len(raws))
            if size is not None:
                request["Limit"] = size
            response = await call(plan.operation, request, table=plan.table)
            got: list[Item] = response.get("Items", [])
            last = response.get("LastEvaluatedKey") or None
            if want is not None and len(raws) + len(got) >= want:
                take = want - len(raws)
                raws.extend(got[:take])
                # Stopping inside DynamoDB's page: continue after the last item handed out.
                next_key = {a: got[take - 1][a] for a in plan.key_types} if take < len(got) else last
                break
            raws.extend(got)
            if last is None or want is None:
                next_key = last
                break
            start = last
        decode = self.manager.decode
        items = [decode(raw, partial=plan.partial) for raw in raws]
        if next_key is None:
            return Page(items, None)
        cursor_out = encode_cursor(next_key, fingerprint=plan.fingerprint, keys=self.manager.cursor_secret)
        return Page(items, cursor_out)

    async def count(self) -> int:
        """How many items match (``Select=COUNT`` over every page), capped at ``limit``."""
        plan = self._plan(count=True)
        call = self.manager.transport.call
        total = 0
        start: dict[str, Any] | None = None
        while True:
            request = dict(plan.params)
            if start is not None:
                request["ExclusiveStartKey"] = start
            size = self._limit_for(plan, None if self.max_items is None else self.max_items - total)
            if size is not None:
                request["Limit"] = size
            response = await call(plan.operation, request, table=plan.table)
            total += int(response.get("Count", 0))
            if self.max_items is not None and total >= self.max_items:
                return self.max_items
            start = response.get("LastEvaluatedKey")
            if not start:
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
class Query(_Read[M]):
    """An immutable DynamoDB Query: key condition plus filter, projection, index, order, limits.

    Made by :meth:`Manager.query`; iterate it with ``async for``, or call :meth:`page`,
    :meth:`count`, :meth:`first` or :meth:`all`.
    """

    key_condition: Condition
    forward: bool = True
    _parts: tuple[_KeyPart, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parts = _parse_key_condition(self.key_condition)
        self.manager._check_paths(self.key_condition.paths(), "the key condition")
        object.__setattr__(self, "_parts", parts)

    def descending(self, enabled: bool = True) -> Self:
        """Highest sort key first (``ScanIndexForward=False``)."""
        return replace(self, forward=not enabled)

    def _target(self) -> _Target:
        schema = self.manager.schema
        model = self.manager.model.__name__
        assert schema.hash_key is not None
        table = _Target(None, schema.hash_key, schema.range_key)
        if self.index_name is not None:
            index = schema.indexes[self.index_name]
            target = _Target(index, index.hash, index.range)
            reason = _misfit(self._parts, target)
            if reason is not None:
                raise InvalidInput(f"{model}: the key condition does not fit: {reason}")
            return target
        reason = _misfit(self._parts, table)
        if reason is None:
            return table
        fitting = [
            t
            for t in (_Target(i, i.hash, i.range) for i in schema.indexes.values())
            if _misfit(self._parts, t) is None
        ]
        if len(fitting) == 1:
            return fitting[0]
        if fitting:
            names = ", ".join(repr(t.index.name) for t in fitting if t.index is not None)
            raise InvalidInput(
                f"{model}: the key condition fits several indexes ({names}); choose one with .index(name)"
            )
        others = "; ".join(t.label for t in (_Target(i, i.hash, i.range) for i in schema.indexes.values()))
        raise InvalidInput(
            f"{model}: the key condition fits no key: {reason}" + (f" (indexes: {others})" if others else "")
        )

    def _plan(self, *, count: bool = False) -> _Plan:
        manager = self.manager
        model = manager.model.__name__
        target = self._target()
        by_attr = {p.attr: p for p in self._parts}
        h = by_attr[target.hash.attr]
        hash_value = _key_value(model, target.hash, h.values[0])
        hash_path: Path[Any] = Path((target.hash.attr,), target.hash.codec)
        key_condition: Condition = Compare("=", hash_path, Value(h.values[0], target.hash.codec))
        if target.range is not None and (r := by_attr.get(target.range.attr)) is not None:
            f = target.range
            if r.op == "begins_with" and f.codec.kind == "N":
                raise InvalidInput(f"begins_with needs a string or binary sort key; {model}.{f.name} is not")
            for v in r.values:
                _key_value(model, f, v)
            path: Path[Any] = Path((f.attr,), f.codec)
            vals = [Value(v, f.codec) for v in r.values]
            if r.op == "between":
                key_condition = key_condition & Between(path, vals[0], vals[1])
            elif r.op == "begins_with":
                key_condition = key_condition & Function("begins_with", (path, vals[0]))
            else:
                key_condition = key_condition & Compare(r.op, path, vals[0])

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
            {k: _canonical(v) for k, v in enc.values.items()},
        )
        if not self.forward:
            params["ScanIndexForward"] = False
        no_filter = frozenset(f.attr for f in (target.hash, target.range) if f is not None)
        key_types, partial = self._common(enc, params, target.index, count=count, no_filter=no_filter)
        return _Plan(
            "Query",
            table,
            params,
            key_types,
            fp,
            partial,
            self.filter_condition is not None,
            (target.hash.attr, hash_value),
        )

    def __repr__(self) -> str:
        extra = "" if self.filter_condition is None else f", filter={self.filter_condition.debug()!r}"
        return f"Query({self.manager.model.__name__}, {self.key_condition.debug()!r}{extra})"


# --------------------------------------------------------------------------- Scan


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Scan(_Read[M]):
    """An immutable DynamoDB Scan of the table or an index; :meth:`parallel` splits it in segments.

    Made by :meth:`Manager.scan`; iterate it with ``async for``, or call :meth:`page`,
    :meth:`count`, :meth:`first` or :meth:`all`.
    """

    segment_of: tuple[int, int] | None = None

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
        limit = _check_count("concurrency", concurrency) or segments
        return ParallelScan(self, segments, limit)

    def _plan(self, *, count: bool = False) -> _Plan:
        manager = self.manager
        index = None if self.index_name is None else manager.schema.indexes[self.index_name]
        enc = Encoder()
        table = manager.table
        params: dict[str, Any] = {"TableName": table}
        if self.segment_of is not None:
            params["Segment"], params["TotalSegments"] = self.segment_of
        key_types, partial = self._common(enc, params, index, count=count, no_filter=frozenset())
        fp = fingerprint("Scan", table, self.index_name, self.segment_of)
        return _Plan("Scan", table, params, key_types, fp, partial, self.filter_condition is not None)

    def __repr__(self) -> str:
        extra = "" if self.filter_condition is None else f", filter={self.filter_condition.debug()!r}"
        return f"Scan({self.manager.model.__name__}{extra})"


# --------------------------------------------------------------------------- parallel scans


@contextmanager
def _single_error() -> Iterator[None]:
    """Raise a task group's error as itself, so callers catch ``Throttled``, not a group.

    When several tasks failed alike (every segment of a missing table), the first is raised;
    errors of different kinds stay together in the group.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        leaves: list[BaseException] = []
        pending: list[BaseException] = [group]
        while pending:
            e = pending.pop()
            if isinstance(e, BaseExceptionGroup):
                pending.extend(e.exceptions)
            else:
                leaves.append(e)
        first = leaves[0]
        if isinstance(first, Exception) and all(type(e) is type(first) for e in leaves):
            raise first from first.__cause__
        raise


class _Items(Generic[M]):
    """The consumer's side of a parallel scan: decodes the pages workers hand over."""

    __slots__ = ("_buffer", "_decode", "_left", "_receive")

    def __init__(
        self,
        receive: MemoryObjectReceiveStream[list[Item]],
        decode: Callable[[Item], M],
        limit: int | None,
    ) -> None:
        self._receive = receive
        self._decode = decode
        self._buffer: collections.deque[Item] = collections.deque()
        self._left = limit

    def __aiter__(self) -> _Items[M]:
        return self

    async def __anext__(self) -> M:
        import anyio

        if self._left == 0:
            raise StopAsyncIteration
        while not self._buffer:
            try:
                self._buffer.extend(await self._receive.receive())
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                raise StopAsyncIteration from None
        raw = self._buffer.popleft()
        if self._left is not None:
            self._left -= 1
            if self._left == 0:
                self._receive.close()  # the workers stop at their next hand-over
        return self._decode(raw)


@dataclass(frozen=True, slots=True, eq=False)
class ParallelScan(Generic[M]):
    """A scan split in ``segments`` segments read concurrently (at most ``concurrency`` requests).

    Each segment is paged by its own task in an anyio task group; pages reach the caller through
    a bounded memory stream, so a slow consumer slows the workers down. Leaving the
    ``async with`` block, early or by an error, cancels the workers before it returns.
    Items come in no particular order, each exactly once.
    """

    scan: Scan[M]
    segments: int
    concurrency: int

    def _plans(self, *, count: bool = False) -> list[_Plan]:
        return [
            replace(self.scan, segment_of=(i, self.segments))._plan(count=count) for i in range(self.segments)
        ]

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[AsyncIterator[M]]:
        """An async iterator over every item, valid inside the ``async with`` block.

        A context manager rather than a plain ``async for``: the worker tasks must be stopped
        by the task that started them, which only a block that is left deterministically ensures.
        """
        import anyio

        plans = self._plans()  # compile (and validate) everything before starting a task
        scan = self.scan
        call = scan.manager.transport.call
        decode = scan.manager.decode
        partial = plans[0].partial
        page_size = scan.request_limit
        limiter = anyio.CapacityLimiter(self.concurrency)
        send, receive = anyio.create_memory_object_stream[list["Item"]](max_buffer_size=self.concurrency)

        async def worker(plan: _Plan, out: MemoryObjectSendStream[list[Item]]) -> None:
            with out:
                start: dict[str, Any] | None = None
                while True:
                    request = dict(plan.params)
                    if start is not None:
                        request["ExclusiveStartKey"] = start
                    if page_size is not None:
                        request["Limit"] = page_size
                    async with limiter:
                        response = await call("Scan", request, table=plan.table)
                    got = response.get("Items")
                    if got:
                        try:
                            await out.send(got)
                        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                            return  # the consumer has all it wants
                    start = response.get("LastEvaluatedKey")
                    if not start:
                        return

        def decode_one(raw: Item) -> M:
            return decode(raw, partial=partial)

        with _single_error():
            async with anyio.create_task_group() as tg:
                with send:
                    for plan in plans:
                        tg.start_soon(worker, plan, send.clone())
                try:
                    yield _Items(receive, decode_one, scan.max_items)
                finally:
                    receive.close()
                    tg.cancel_scope.cancel()

    async def all(self) -> list[M]:
        """Every item of every segment (at most the scan's ``limit``)."""
        async with self.stream() as items:
            return [item async for item in items]

    async def count(self) -> int:
        """How many items match, counting the segments concurrently (capped at ``limit``)."""
        import anyio

        plans = self._plans(count=True)
        call = self.scan.manager.transport.call
        limiter = anyio.CapacityLimiter(self.concurrency)
        totals = [0] * len(plans)
        page_size = self.scan.request_limit

        async def worker(i: int, plan: _Plan) -> None:
            start: dict[str, Any] | None = None
            while True:
                request = dict(plan.params)
                if start is not None:
                    request["ExclusiveStartKey"] = start
                if page_size is not None:
                    request["Limit"] = page_size
                async with limiter:
                    response = await call("Scan", request, table=plan.table)
                totals[i] += int(response.get("Count", 0))
                start = response.get("LastEvaluatedKey")
                if not start:
                    return

        with _single_error():
            async with anyio.create_task_group() as tg:
                for i, plan in enumerate(plans):
                    tg.start_soon(worker, i, plan)
        total = sum(totals)
        return total if self.scan.max_items is None else min(total, self.scan.max_items)

    def __aiter__(self) -> NoReturn:
        raise TypeError(
            "iterate a parallel scan inside a block: `async with scan.parallel(n).stream() as items: "
            "async for item in items: ...` (or `await scan.parallel(n).all()`)"
        )


__all__ = ["Page", "ParallelScan", "Query", "Scan"]
