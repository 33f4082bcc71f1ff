"""Batch reads and writes: any number of keys or items, in DynamoDB-sized requests, run concurrently.

:func:`batch_get` sends BatchGetItem requests of up to 100 keys and :func:`batch_write`
BatchWriteItem requests of up to 25 puts and deletes, at most ``concurrency`` requests at a time
(an anyio :class:`~anyio.CapacityLimiter`, which may be shared between calls to bound them
together). What DynamoDB leaves unprocessed (``UnprocessedKeys``/``UnprocessedItems``, returned
when a partition is throttled or a response would pass 16 MB) is resent by
:class:`dynamorm_async.outcome.Runner`: exponential backoff with full jitter, bounded by a number
of attempts and by the active deadline. A request whose transport retries ran out on a transient
error (throttle, 5xx, dropped connection) counts as wholly unprocessed and is retried the same way.

Nothing is dropped: every write ends in exactly one of three sets, done, not done (certainly not
applied) and in doubt (sent, the answer lost: DynamoDB may have applied it), followed by
:class:`dynamorm_async.outcome.Ledger`. Writes not done or in doubt at the end are raised as
:class:`~dynamorm_async.errors.PartialFailure` (``unprocessed``, ``in_doubt``, ``done``), or
returned when the caller passes ``on_unprocessed="return"``. A deadline scope that cancels
requests in flight (Lambda) makes it a ``DeadlinePartialFailure`` with the same sets; a
cancellation from elsewhere propagates, and the ``outcome=`` result object keeps the report. A
non-transient error (validation, missing table, credentials) means the request itself is wrong:
it is raised as it is (with the report as ``outcome``) and the requests still running are
cancelled. Puts and deletes are idempotent, so such a batch can simply be sent again once the
cause is fixed.

Managers expose these as :meth:`Manager.batch_get <dynamorm_async.manager.Manager.batch_get>` and
:meth:`Manager.batch_write <dynamorm_async.manager.Manager.batch_write>`; :func:`batch_get_models`
(:meth:`DB.batch_get <dynamorm_async.db.DB.batch_get>`) reads keys of several models at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, Union

from .batch_keys import call_key_id, write_key
from .concurrency import batch_concurrency
from .deadline import remaining
from .errors import DeadlinePartialFailure, DuplicateKey, InvalidInput, PartialFailure
from .expressions import Path
from .outcome import Ledger, Runner
from .requests import (
    MAX_GET_KEYS,
    MAX_WRITE_ITEMS,
    ItemRequest,
    KeyId,
    batch_get_request,
    batch_get_template,
    batch_put,
    batch_write_request,
    chunks,
    decode_item,
    delete_item,
    key_from_item,
    key_id,
    key_item,
)
from .retry import DEFAULT_BACKOFF, Backoff, StopReason

if TYPE_CHECKING:
    import anyio

    from .manager import Manager
    from .model import Model
    from .schema import Schema
    from .transport import Transport

M = TypeVar("M", bound="Model")
T = TypeVar("T")

#: Requests in flight at once for one batch call, unless told otherwise.
DEFAULT_CONCURRENCY = 8

OnUnprocessed = Literal["raise", "return"]
#: A number of concurrent requests, or an ``anyio.CapacityLimiter`` shared with other calls.
Concurrency = Union[int, "anyio.CapacityLimiter"]


@dataclass(slots=True)
class BatchGetResult(Generic[M]):
    """What :func:`batch_get` read (``items``, in the order of the requested keys) and what it could not.

    ``unprocessed`` holds every key not read, exactly as passed in (first occurrence of each),
    ready to be handed back to ``batch_get``; ``in_doubt`` is the part of them whose request
    was sent and never answered (``not_done`` the rest). ``reason`` says why retrying stopped.
    """

    items: list[M]
    unprocessed: list[Any] = field(default_factory=list)
    reason: StopReason | None = None
    in_doubt: list[Any] = field(default_factory=list)

    @property
    def not_done(self) -> list[Any]:
        """The keys not read whose request was never sent or was answered "unprocessed"."""
        doubt = {id(k) for k in self.in_doubt}
        return [k for k in self.unprocessed if id(k) not in doubt]


@dataclass(slots=True)
class BatchWriteResult(Generic[M]):
    """What :func:`batch_write` applied, did not apply, and cannot know about, puts and deletes apart.

    Every write passed in is in exactly one of three sets: done (``put``, ``deleted``), not done
    (``unprocessed_puts``, ``unprocessed_deletes``: certainly not applied by this call) and in
    doubt (``in_doubt_puts``, ``in_doubt_deletes``: sent, answer lost; DynamoDB may have applied
    them). Items and keys are the objects passed in, in their order. Written model instances
    were updated in place (timestamps, version); the others were not.
    """

    put: list[M] = field(default_factory=list)
    deleted: list[Any] = field(default_factory=list)
    unprocessed_puts: list[M] = field(default_factory=list)
    unprocessed_deletes: list[Any] = field(default_factory=list)
    reason: StopReason | None = None
    in_doubt_puts: list[M] = field(default_factory=list)
    in_doubt_deletes: list[Any] = field(default_factory=list)

    @property
    def done(self) -> list[Any]:
        """Every write applied: the puts (model instances), then the deletes (keys)."""
        return [*self.put, *self.deleted]

    @property
    def unprocessed(self) -> list[Any]:
        """Every write certainly not applied: the unprocessed puts, then the deletes (also ``not_done``)."""
        return [*self.unprocessed_puts, *self.unprocessed_deletes]

    not_done = unprocessed

    @property
    def in_doubt(self) -> list[Any]:
        """Every write sent whose answer never came: the puts, then the deletes. Safe to send again."""
        return [*self.in_doubt_puts, *self.in_doubt_deletes]

    def clear(self) -> None:
        """Empty every list (a result object is filled afresh by each call it is passed to)."""
        for name in ("put", "deleted", "unprocessed_puts", "unprocessed_deletes", "in_doubt_puts"):
            getattr(self, name).clear()
        self.in_doubt_deletes.clear()
        self.reason = None


# --------------------------------------------------------------------------- helpers


def _limiter(concurrency: Concurrency | None) -> anyio.CapacityLimiter:
    import anyio

    if concurrency is None:  # the call did not choose: the active tuning's, else ours
        concurrency = batch_concurrency(DEFAULT_CONCURRENCY)
    if isinstance(concurrency, anyio.CapacityLimiter):
        return concurrency
    if concurrency < 1:
        raise InvalidInput("concurrency must be at least 1")
    return anyio.CapacityLimiter(concurrency)


# --------------------------------------------------------------------------- batch get


async def batch_get(
    manager: Manager[M],
    keys: Iterable[Any],
    *,
    consistent: bool = False,
    projection: Sequence[Path[Any] | str] | None = None,
    on_unprocessed: OnUnprocessed = "raise",
    concurrency: Concurrency | None = None,
    backoff: Backoff | None = None,
) -> BatchGetResult[M]:
    """Read many items by key; see :meth:`dynamorm_async.manager.Manager.batch_get`.

    Keys are deduplicated (DynamoDB refuses a request naming one key twice) and all are
    validated before anything is sent.

    :raises PartialFailure: keys were left unprocessed and ``on_unprocessed`` is ``"raise"``.
    :raises DeadlinePartialFailure: the deadline cut requests off in flight (whatever the mode).
    """
    _check_mode(on_unprocessed)
    schema, table = manager.schema, manager.table
    requested: dict[KeyId, tuple[Any, dict[str, Any]]] = {}
    for k in keys:
        item = key_item(schema, k)
        requested.setdefault(key_id(item), (k, item))
    if not requested:
        return BatchGetResult([])

    template = batch_get_template(schema, consistent=consistent, projection=projection)
    key_attrs = schema.key_attrs
    found: dict[KeyId, dict[str, Any]] = {}
    limiter = _limiter(concurrency)
    call = manager.transport.call
    ledger: Ledger[KeyId] = Ledger()

    async def send(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async with limiter:
            ids = [key_id(k) for k in chunk]
            ledger.sending(ids)
            try:
                response = await call("BatchGetItem", batch_get_request(table, template, chunk), table=table)
            except Exception as exc:
                ledger.failed(ids, exc)
                raise
        for raw in response.get("Responses", {}).get(table, ()):
            found[key_id(key_from_item(key_attrs, raw))] = raw
        left: list[dict[str, Any]] = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        ledger.answered(ids, {key_id(k) for k in left}, response)
        return left

    runner: Runner[dict[str, Any]] = Runner(backoff or DEFAULT_BACKOFF)
    await runner.run(send, chunks([item for _, item in requested.values()], MAX_GET_KEYS))

    partial = bool(projection)
    items = [decode_item(schema, found[i], partial=partial) for i in requested if i in found]
    result = BatchGetResult(items)
    for i, (passed, _) in requested.items():
        state = "done" if i in found else ledger.state(i)
        if state != "done":
            result.unprocessed.append(passed)
            if state == "in_doubt":
                result.in_doubt.append(passed)
    if not result.unprocessed:
        return result
    result.reason = runner.reason
    if on_unprocessed == "return" and not runner.cut:
        return result
    n = len(result.unprocessed)
    raise _partial_failure(
        f"batch_get from {table!r}: {n} key{'s' if n != 1 else ''} not read when retrying stopped "
        f"({result.reason}{'; cancelled BatchGetItem in flight' if runner.cut else ''}); "
        f"{len(items)} item(s) were read",
        operation="BatchGetItem",
        unprocessed=result.unprocessed,
        done=result.items,
        in_doubt=result.in_doubt,
        reason=result.reason,
        result=result,
    ) from runner.last_error


async def batch_get_models(
    transport: Transport,
    gets: Iterable[Model | tuple[type[Model], Any]],
    *,
    table_of: Callable[[type[Model]], str] | None = None,
    consistent: bool = False,
    concurrency: Concurrency | None = None,
    backoff: Backoff | None = None,
) -> list[Any]:
    """Read items of any models (and tables) in one BatchGetItem stream, each key once however
    often asked; see :meth:`DB.batch_get <dynamorm_async.db.DB.batch_get>`."""
    from .model import Model
    from .schema import schema_of

    asked: list[tuple[Schema, tuple[str, KeyId]]] = []  # per request: its model and its key
    requested: dict[tuple[str, KeyId], tuple[Any, dict[str, Any]]] = {}
    for g in gets:
        model, key = g if isinstance(g, tuple) and len(g) == 2 else (type(g), g)
        if isinstance(g, type) or not isinstance(model, type) or not issubclass(model, Model):
            raise InvalidInput(f"batch_get takes model instances or (ModelClass, key) pairs, not {g!r:.80}")
        schema = schema_of(model)
        item = key_item(schema, key)
        ident = (table_of(model) if table_of is not None else schema.require_table(), key_id(item))
        requested.setdefault(ident, (g, item))
        asked.append((schema, ident))
    if not asked:
        return []
    template: dict[str, Any] = {"ConsistentRead": True} if consistent else {}
    key_attrs = {t: tuple(item) for (t, _), (_, item) in requested.items()}
    one_table = next(iter(key_attrs)) if len(key_attrs) == 1 else None
    found: dict[tuple[str, KeyId], dict[str, Any]] = {}
    limiter, ledger = _limiter(concurrency), Ledger[tuple[str, KeyId]]()

    async def send(chunk: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
        request: dict[str, dict[str, Any]] = {}
        for t, k in chunk:
            request.setdefault(t, {**template, "Keys": []})["Keys"].append(k)
        async with limiter:
            ids = [(t, key_id(k)) for t, k in chunk]
            ledger.sending(ids)
            try:
                response = await transport.call("BatchGetItem", {"RequestItems": request}, table=one_table)
            except Exception as exc:
                ledger.failed(ids, exc)
                raise
        for t, raws in response.get("Responses", {}).items():
            found.update(((t, key_id(key_from_item(key_attrs[t], raw))), raw) for raw in raws)
        left = [(t, k) for t, e in response.get("UnprocessedKeys", {}).items() for k in e.get("Keys", [])]
        ledger.answered(ids, {(t, key_id(k)) for t, k in left}, response)
        return left

    runner: Runner[tuple[str, dict[str, Any]]] = Runner(backoff or DEFAULT_BACKOFF)
    await runner.run(send, chunks([(t, item) for (t, _), (_, item) in requested.items()], MAX_GET_KEYS))
    out = [decode_item(schema, found[ident]) if ident in found else None for schema, ident in asked]
    state = {ident: ledger.state(ident) for ident in requested if ident not in found}  # done: no item
    if all(s == "done" for s in state.values()):
        return out
    unread = [requested[i][0] for i, s in state.items() if s != "done"]
    cut = "; cancelled BatchGetItem in flight" if runner.cut else ""
    raise _partial_failure(
        f"batch_get: {len(unread)} key(s) not read when retrying stopped ({runner.reason}{cut})",
        operation="BatchGetItem",
        unprocessed=unread,
        done=[x for x in out if x is not None],
        in_doubt=[requested[i][0] for i, s in state.items() if s == "in_doubt"],
        reason=runner.reason,
        result=out,
    ) from runner.last_error


# --------------------------------------------------------------------------- batch write


async def batch_write(
    manager: Manager[M],
    *,
    put: Iterable[M] = (),
    delete: Iterable[Any] = (),
    on_unprocessed: OnUnprocessed = "raise",
    concurrency: Concurrency | None = None,
    backoff: Backoff | None = None,
    outcome: BatchWriteResult[M] | None = None,
) -> BatchWriteResult[M]:
    """Put and delete many items; see :meth:`dynamorm_async.manager.Manager.batch_write`.

    Everything is encoded, size-checked and checked for duplicate keys before anything is sent.
    ``outcome``, when given, is filled in place with the three sets however the call ends, also
    when it is cancelled from outside (the cancellation propagates; the report stays there).
    A non-transient error is raised as it is, with the report as its ``outcome`` attribute.

    :raises DuplicateKey: one key is written twice (two puts, two deletes, or a put and a delete).
    :raises ItemTooLarge: an item is over 400 KB.
    :raises PartialFailure: writes were not done or are in doubt and ``on_unprocessed`` is ``"raise"``.
    :raises DeadlinePartialFailure: the deadline cut requests off in flight (whatever the mode).
    """
    _check_mode(on_unprocessed)
    schema, table = manager.schema, manager.table
    staged: list[tuple[ItemRequest, Any]] = []  # (request, what the caller passed)
    seen: dict[Hashable, int] = {}  # key identity -> the write's position in ``staged``
    attrs = tuple(f.attr for f in schema.key_fields)

    def claim(request: ItemRequest, what: str, passed: Any) -> None:
        n = len(staged)
        first = seen.setdefault(call_key_id(attrs, request.key), n)
        if first != n:
            before = "a put" if staged[first][0].operation == "PutItem" else "a delete"
            raise DuplicateKey(
                f"batch_write to {table!r} names the key {request.key!r} twice ({before} and {what}); "
                "DynamoDB refuses a batch that writes one item twice",
                key=request.key,
            )
        staged.append((request, passed))

    for obj in put:
        if not isinstance(obj, manager.model):
            name = manager.model.__name__
            raise InvalidInput(f"batch_write(put=...) takes {name} instances, not {obj!r:.80}")
        claim(batch_put(schema, obj, table=table), "a put", obj)
    for k in delete:
        claim(delete_item(schema, k, table=table), "a delete", k)
    result: BatchWriteResult[M] = outcome if outcome is not None else BatchWriteResult()
    result.clear()
    if not staged:
        return result

    limiter = _limiter(concurrency)
    call = manager.transport.call
    key_attrs = schema.key_attrs
    # Writes are followed by their position in ``staged`` (a small int: cheap to hash in the
    # ledger); what DynamoDB leaves unprocessed is found again by its key identity and resent
    # as it was staged.
    ledger: Ledger[int] = Ledger()
    writes = [r.batch_item() for r, _ in staged]

    async def send(chunk: list[int]) -> list[int]:
        async with limiter:
            ledger.sending(chunk)
            try:
                request = batch_write_request(table, [writes[n] for n in chunk])
                response = await call("BatchWriteItem", request, table=table)
            except Exception as exc:
                ledger.failed(chunk, exc)
                raise
        unprocessed: list[dict[str, Any]] = response.get("UnprocessedItems", {}).get(table, [])
        found = (seen.get(call_key_id(attrs, write_key(key_attrs, w))) for w in unprocessed)
        left = [n for n in found if n is not None]
        ledger.answered(chunk, set(left), response)
        return left

    runner: Runner[int] = Runner(backoff or DEFAULT_BACKOFF)
    try:
        await runner.run(send, chunks(range(len(staged)), MAX_WRITE_ITEMS))
    except Exception as exc:
        exc.outcome = result  # type: ignore[attr-defined]
        raise
    finally:  # also on a cancellation from outside: the report is in ``outcome``
        fill_write_result(result, ((ledger.state(n), r, p) for n, (r, p) in enumerate(staged)), runner.reason)
    if not result.unprocessed and not result.in_doubt:
        result.reason = None
        return result
    if on_unprocessed == "return" and not runner.cut:
        return result
    raise write_failure(f"batch_write to {table!r}", result, runner.cut) from runner.last_error


def write_id(key_attrs: Collection[str], write: dict[str, Any]) -> KeyId:
    """The key identity of one BatchWriteItem member (a ``PutRequest`` or a ``DeleteRequest``)."""
    return key_id(write_key(key_attrs, write))


def fill_write_result(
    result: BatchWriteResult[Any], outcomes: Iterable[tuple[str, ItemRequest, Any]], reason: StopReason | None
) -> None:
    """Sort each write (its state, request, what the caller passed) into ``result``; apply done puts."""
    result.clear()
    for state, request, passed in outcomes:
        is_put = request.operation == "PutItem"
        if state == "done":
            if is_put and request.changes:
                request.apply()
            (result.put if is_put else result.deleted).append(passed)
        elif state == "in_doubt":
            (result.in_doubt_puts if is_put else result.in_doubt_deletes).append(passed)
        else:
            (result.unprocessed_puts if is_put else result.unprocessed_deletes).append(passed)
    result.reason = reason


def write_failure(what: str, result: BatchWriteResult[Any], cut: bool) -> PartialFailure:
    """The error for a batch write that ended with writes not done or in doubt."""
    n, d = len(result.unprocessed), len(result.in_doubt)
    return _partial_failure(
        f"{what}: {n} write{'s' if n != 1 else ''} not done and {d} in doubt (sent, no answer) "
        f"when it stopped ({result.reason}{'; cancelled BatchWriteItem in flight' if cut else ''}); "
        f"{len(result.put) + len(result.deleted)} applied",
        operation="BatchWriteItem",
        unprocessed=result.unprocessed,
        done=result.done,
        in_doubt=result.in_doubt,
        reason=result.reason,
        result=result,
    )


def _partial_failure(
    message: str,
    *,
    operation: str,
    unprocessed: Sequence[Any],
    done: Sequence[Any],
    in_doubt: Sequence[Any],
    reason: StopReason | None,
    result: Any,
) -> PartialFailure:
    """The error for work left over: at the deadline it is also a :class:`LambdaTimeoutError`."""
    if reason == "deadline":
        return DeadlinePartialFailure(
            message,
            operation=operation,
            unprocessed=unprocessed,
            done=done,
            in_doubt=in_doubt,
            result=result,
            remaining=remaining(),
        )
    return PartialFailure(
        message,
        operation=operation,
        unprocessed=unprocessed,
        done=done,
        in_doubt=in_doubt,
        reason=reason,
        result=result,
    )


def _check_mode(on_unprocessed: str) -> None:
    if on_unprocessed not in ("raise", "return"):
        raise InvalidInput(f"on_unprocessed must be 'raise' or 'return', not {on_unprocessed!r}")


__all__ = [
    "DEFAULT_CONCURRENCY",
    "MAX_GET_KEYS",
    "MAX_WRITE_ITEMS",
    "BatchGetResult",
    "BatchWriteResult",
    "Concurrency",
    "OnUnprocessed",
    "batch_get",
    "batch_get_models",
    "batch_write",
    "fill_write_result",
    "write_failure",
    "write_id",
]
