"""Batch reads and writes: any number of keys or items, in DynamoDB-sized requests, run concurrently.

:func:`batch_get` sends BatchGetItem requests of up to 100 keys and :func:`batch_write`
BatchWriteItem requests of up to 25 puts and deletes, at most ``concurrency`` requests at a time
(an anyio :class:`~anyio.CapacityLimiter`, which may be shared between calls to bound them
together). What DynamoDB leaves unprocessed (``UnprocessedKeys``/``UnprocessedItems``, returned
when a partition is throttled or a response would pass 16 MB) is resent by
:func:`dynamorm_async.retry.drain`: exponential backoff with full jitter, bounded by a number of
attempts and by the active deadline. A request whose own botocore retries ran out on a transient
error (throttle, 5xx, dropped connection) counts as wholly unprocessed and is retried the same way.

Whatever is still unprocessed at the end is never dropped: it is raised as
:class:`~dynamorm_async.errors.PartialFailure` (``unprocessed`` lists exactly those keys or
writes, ``done`` what succeeded), or returned when the caller passes ``on_unprocessed="return"``.
A non-transient error (validation, missing table, credentials) means the request itself is wrong:
it is raised as it is and the requests still running are cancelled. Puts and deletes are
idempotent, so such a batch can simply be sent again once the cause is fixed.

Managers expose these as :meth:`Manager.batch_get <dynamorm_async.manager.Manager.batch_get>` and
:meth:`Manager.batch_write <dynamorm_async.manager.Manager.batch_write>`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, Union

from .concurrency import batch_concurrency
from .deadline import remaining
from .errors import DeadlinePartialFailure, DuplicateKey, InvalidInput, PartialFailure
from .expressions import Path
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
from .retry import DEFAULT_BACKOFF, Backoff, Outcome, StopReason, drain

if TYPE_CHECKING:
    import anyio

    from .manager import Manager
    from .model import Model

M = TypeVar("M", bound="Model")
T = TypeVar("T")

#: Requests in flight at once for one batch call, unless told otherwise.
DEFAULT_CONCURRENCY = 8

OnUnprocessed = Literal["raise", "return"]
#: A number of concurrent requests, or an ``anyio.CapacityLimiter`` shared with other calls.
Concurrency = Union[int, "anyio.CapacityLimiter"]

_Send = Callable[[list[T]], Awaitable[list[T] | None]]


@dataclass(slots=True)
class BatchGetResult(Generic[M]):
    """What :func:`batch_get` read (``items``, in the order of the requested keys) and what it could not.

    ``unprocessed`` holds the keys exactly as they were passed in (first occurrence of each), so
    they can be handed back to ``batch_get``; ``reason`` says why retrying stopped, if it did.
    """

    items: list[M]
    unprocessed: list[Any] = field(default_factory=list)
    reason: StopReason | None = None


@dataclass(slots=True)
class BatchWriteResult(Generic[M]):
    """What :func:`batch_write` applied and what it could not, puts and deletes apart.

    Items and keys are the objects passed in, in the order they were passed. Written model
    instances have been updated in place (timestamps, version); unprocessed ones have not.
    """

    put: list[M] = field(default_factory=list)
    deleted: list[Any] = field(default_factory=list)
    unprocessed_puts: list[M] = field(default_factory=list)
    unprocessed_deletes: list[Any] = field(default_factory=list)
    reason: StopReason | None = None

    @property
    def unprocessed(self) -> list[Any]:
        """Every write not applied: the unprocessed puts (model instances), then the deletes (keys)."""
        return [*self.unprocessed_puts, *self.unprocessed_deletes]


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


class _Runner(Generic[T]):
    """Runs one :func:`drain` per chunk in a task group; collects leftovers, the stop reason and errors.

    A non-transient error in one chunk cancels the others and is re-raised as it is (not
    wrapped in an exception group) once the task group has finished.
    """

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff
        self.left: list[T] = []
        self.reason: StopReason | None = None
        self.last_error: BaseException | None = None
        self._failure: BaseException | None = None

    async def run(self, send: _Send[T], chunks: list[list[T]]) -> None:
        import anyio

        left = remaining()
        if left is not None and left <= 0:
            # Checked before any await: past the deadline, a checkpoint would be cancelled by the
            # deadline scope and the work would be lost from the error instead of reported.
            self.left = [x for chunk in chunks for x in chunk]
            self.reason = "deadline"
            return
        async with anyio.create_task_group() as tg:
            for chunk in chunks:
                tg.start_soon(self._one, send, chunk, tg.cancel_scope)
        if self._failure is not None:
            raise self._failure

    async def _one(self, send: _Send[T], chunk: list[T], scope: anyio.CancelScope) -> None:
        try:
            outcome: Outcome[list[T]] = await drain(send, chunk, self.backoff)
        except Exception as exc:
            if self._failure is None:
                self._failure = exc
            scope.cancel()
            return
        if outcome.left:
            self.left.extend(outcome.left)
            # "deadline" wins over "attempts": it is the reason the caller can act on.
            if self.reason != "deadline":
                self.reason = outcome.reason
            if outcome.error is not None:
                self.last_error = outcome.error


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

    async def send(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async with limiter:
            response = await call("BatchGetItem", batch_get_request(table, template, chunk), table=table)
        for raw in response.get("Responses", {}).get(table, ()):
            found[key_id(key_from_item(key_attrs, raw))] = raw
        left: list[dict[str, Any]] = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        return left

    runner: _Runner[dict[str, Any]] = _Runner(backoff or DEFAULT_BACKOFF)
    await runner.run(send, chunks([item for _, item in requested.values()], MAX_GET_KEYS))

    partial = bool(projection)
    items = [decode_item(schema, found[i], partial=partial) for i in requested if i in found]
    leftover = {key_id(k) for k in runner.left}.difference(found)
    result = BatchGetResult(items, [requested[i][0] for i in requested if i in leftover])
    if not result.unprocessed:
        return result
    result.reason = runner.reason
    if on_unprocessed == "return":
        return result
    n = len(result.unprocessed)
    raise _partial_failure(
        f"batch_get from {table!r}: {n} key{'s' if n != 1 else ''} still unprocessed when retrying "
        f"stopped ({result.reason}); {len(items)} item(s) were read",
        operation="BatchGetItem",
        unprocessed=result.unprocessed,
        done=result.items,
        reason=result.reason,
        result=result,
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
) -> BatchWriteResult[M]:
    """Put and delete many items; see :meth:`dynamorm_async.manager.Manager.batch_write`.

    Everything is encoded, size-checked and checked for duplicate keys before anything is sent.

    :raises DuplicateKey: one key is written twice (two puts, two deletes, or a put and a delete).
    :raises ItemTooLarge: an item is over 400 KB.
    :raises PartialFailure: writes were left unprocessed and ``on_unprocessed`` is ``"raise"``.
    """
    _check_mode(on_unprocessed)
    schema, table = manager.schema, manager.table
    staged: list[tuple[KeyId, ItemRequest, Any]] = []  # (key identity, request, what the caller passed)
    seen: dict[KeyId, str] = {}

    def claim(request: ItemRequest, what: str, passed: Any) -> None:
        ident = key_id(request.key)
        if ident in seen:
            raise DuplicateKey(
                f"batch_write to {table!r} names the key {request.key!r} twice ({seen[ident]} and {what}); "
                "DynamoDB refuses a batch that writes one item twice",
                key=request.key,
            )
        seen[ident] = what
        staged.append((ident, request, passed))

    for obj in put:
        if not isinstance(obj, manager.model):
            name = manager.model.__name__
            raise InvalidInput(f"batch_write(put=...) takes {name} instances, not {obj!r:.80}")
        claim(batch_put(schema, obj, table=table), "a put", obj)
    for k in delete:
        claim(delete_item(schema, k, table=table), "a delete", k)
    if not staged:
        return BatchWriteResult()

    limiter = _limiter(concurrency)
    call = manager.transport.call

    async def send(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async with limiter:
            response = await call("BatchWriteItem", batch_write_request(table, chunk), table=table)
        left: list[dict[str, Any]] = response.get("UnprocessedItems", {}).get(table, [])
        return left

    runner: _Runner[dict[str, Any]] = _Runner(backoff or DEFAULT_BACKOFF)
    await runner.run(send, chunks([r.batch_item() for _, r, _ in staged], MAX_WRITE_ITEMS))

    key_attrs = schema.key_attrs
    leftover = set()
    for r in runner.left:
        if "PutRequest" in r:
            leftover.add(key_id(key_from_item(key_attrs, r["PutRequest"]["Item"])))
        else:
            leftover.add(key_id(r["DeleteRequest"]["Key"]))
    result: BatchWriteResult[M] = BatchWriteResult()
    for ident, request, passed in staged:
        if request.operation == "PutItem":
            if ident in leftover:
                result.unprocessed_puts.append(passed)
                continue
            request.apply()
            result.put.append(passed)
        else:
            (result.unprocessed_deletes if ident in leftover else result.deleted).append(passed)
    if not leftover:
        return result
    result.reason = runner.reason
    if on_unprocessed == "return":
        return result
    n = len(result.unprocessed)
    raise _partial_failure(
        f"batch_write to {table!r}: {n} write{'s' if n != 1 else ''} still unprocessed when retrying "
        f"stopped ({result.reason}); {len(result.put) + len(result.deleted)} applied",
        operation="BatchWriteItem",
        unprocessed=result.unprocessed,
        done=[*result.put, *result.deleted],
        reason=result.reason,
        result=result,
    ) from runner.last_error


def _partial_failure(
    message: str,
    *,
    operation: str,
    unprocessed: Sequence[Any],
    done: Sequence[Any],
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
            result=result,
            remaining=remaining(),
        )
    return PartialFailure(
        message, operation=operation, unprocessed=unprocessed, done=done, reason=reason, result=result
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
    "batch_write",
]
