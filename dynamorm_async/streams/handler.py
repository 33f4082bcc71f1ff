"""Processing a Lambda DynamoDB Streams batch with partial batch failures.

::

    async def on_change(change: Change[Order]) -> None: ...

    answer = await process(event, on_change, Order)   # {"batchItemFailures": [...]}

Lambda, with ``FunctionResponseTypes: [ReportBatchItemFailures]`` on the event source, reads the
answer's ``batchItemFailures`` and retries from the first sequence number reported. So:

* a record whose handler raises, or that cannot be decoded, is reported; the batch goes on;
* records of one partition key are processed in stream order, and a failure stops the later
  records of that key, which are reported too (they must not overtake the failed one);
* keys are processed concurrently, at most ``concurrency`` at a time (default: the memory
  tuning's ``batch_concurrency``);
* under an active deadline (the one :meth:`LambdaDB.handler <dynamorm_async.aws_lambda.LambdaDB.handler>`
  opens), no record starts later than ``stop_margin`` seconds before it, records still running
  shortly before it are cancelled, and every record not done is reported, so the answer goes out
  in time and Lambda retries the rest. Nothing is skipped silently.
"""

from __future__ import annotations

import contextvars
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, overload

from pydantic import BaseModel

from ..deadline import current_deadline
from ..errors import InvalidInput, LambdaTimeoutError
from .records import RawRecord, StreamRecordError, decode_record, read_record
from .routing import ChangeHandler, StreamRouter

if TYPE_CHECKING:
    from ..aws_lambda.db import LambdaDB
    from ..aws_lambda.runner import LambdaHandler

M = TypeVar("M", bound=BaseModel)

logger = logging.getLogger("dynamorm_async.streams")

#: Lambda's answer for ReportBatchItemFailures: ``{"batchItemFailures": [{"itemIdentifier": seq}]}``.
BatchResponse: TypeAlias = dict[str, list[dict[str, str]]]
#: Why a record was reported: its handler raised, it could not be decoded, it matched no route
#: (``on_unknown="fail"``), an earlier record of its key failed, or the deadline came first.
FailureReason = Literal["error", "undecodable", "unknown", "blocked", "deadline"]

#: Keys processed at once when neither an argument nor the memory tuning says.
DEFAULT_CONCURRENCY = 4
#: By default no record starts later than this many seconds before the deadline.
DEFAULT_STOP_MARGIN = 0.5
#: Running records are cancelled this long before the deadline, so the answer is built before it.
CANCEL_LEAD = 0.1


@dataclass(frozen=True, slots=True)
class RecordFailure:
    """A record reported to Lambda for retry, and why."""

    sequence_number: str
    reason: FailureReason
    error: BaseException | None = field(default=None, compare=False)


@dataclass(slots=True)
class BatchResult:
    """What became of each record of a batch; :meth:`response` is Lambda's answer."""

    #: Sequence numbers handled successfully, in stream order.
    processed: list[str] = field(default_factory=list)
    #: Sequence numbers of records matching no route, skipped by ``on_unknown="skip"``.
    skipped: list[str] = field(default_factory=list)
    #: Records reported for retry, in stream order.
    failures: list[RecordFailure] = field(default_factory=list)

    def response(self) -> BatchResponse:
        """``{"batchItemFailures": [{"itemIdentifier": <sequence number>}, ...]}``."""
        return {"batchItemFailures": [{"itemIdentifier": f.sequence_number} for f in self.failures]}


@dataclass(slots=True)
class _Slot:
    raw: RawRecord | None
    sequence_number: str
    key: str = ""
    state: Literal["pending", "processed", "skipped", "failed"] = "pending"
    failure: RecordFailure | None = None


def _read_event(event: Any) -> list[_Slot]:
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise StreamRecordError("a DynamoDB Streams event is a map with a 'Records' list")
    slots = []
    for record in records:
        try:
            raw = read_record(record)
        except StreamRecordError as exc:
            if exc.sequence_number is None:  # nothing to report it by: the whole batch must fail
                raise
            failure = RecordFailure(exc.sequence_number, "undecodable", exc)
            slots.append(_Slot(None, exc.sequence_number, f"\0{exc.sequence_number}", "failed", failure))
            continue
        slots.append(_Slot(raw, raw.sequence_number))
    return slots


def _groups(slots: Sequence[_Slot], router: StreamRouter) -> list[list[_Slot]]:
    by_key: dict[str, list[_Slot]] = {}
    for slot in slots:
        if slot.raw is not None:
            slot.key = router.ordering_key(slot.raw)
            by_key.setdefault(slot.key, []).append(slot)
    return list(by_key.values())


def _default_concurrency() -> int:
    from ..aws_lambda.tuning import current_tuning

    tuning = current_tuning()
    return tuning.batch_concurrency if tuning is not None else DEFAULT_CONCURRENCY


async def _handle(slot: _Slot, router: StreamRouter) -> None:
    raw = slot.raw
    assert raw is not None
    if raw.problem is not None:  # reported whatever the routing: it cannot be routed reliably
        _fail(slot, "undecodable", raw.problem)
        return
    try:
        route = router.route(raw)
    except Exception as exc:  # a discriminator function that fails on this record
        _fail(slot, "undecodable", exc)
        return
    if route is None:
        if router.on_unknown == "skip":
            slot.state = "skipped"
            logger.debug("stream record %s matches no route: skipped", slot.sequence_number)
            return
        seq = raw.sequence_number
        _fail(slot, "unknown", StreamRecordError(f"record {seq} matches no route", sequence_number=seq))
        return
    try:
        change = decode_record(raw, route.model)
    except Exception as exc:  # StreamRecordError; anything else a codec lets through is reported too
        _fail(slot, "undecodable", exc)
        return
    try:
        await route.handler(change)
    except Exception as exc:
        _fail(slot, "error", exc)
        return
    slot.state = "processed"


def _fail(slot: _Slot, reason: FailureReason, error: BaseException | None) -> None:
    slot.state = "failed"
    slot.failure = RecordFailure(slot.sequence_number, reason, error)
    if error is not None:
        logger.warning(
            "stream record %s failed (%s): %s: %s",
            slot.sequence_number,
            reason,
            type(error).__name__,
            error,
            exc_info=error if reason == "error" else None,  # the handler's traceback, for its author
        )


@overload
async def process_batch(
    event: Any,
    handler: StreamRouter,
    *,
    concurrency: int | None = None,
    stop_margin: float = DEFAULT_STOP_MARGIN,
) -> BatchResult: ...


@overload
async def process_batch(
    event: Any,
    handler: ChangeHandler[M],
    model: type[M],
    *,
    concurrency: int | None = None,
    stop_margin: float = DEFAULT_STOP_MARGIN,
) -> BatchResult: ...


async def process_batch(
    event: Any,
    handler: StreamRouter | ChangeHandler[M],
    model: type[M] | None = None,
    *,
    concurrency: int | None = None,
    stop_margin: float = DEFAULT_STOP_MARGIN,
) -> BatchResult:
    """Process a DynamoDB Streams event and say what became of every record (see the module docs).

    ``handler`` is a :class:`StreamRouter`, or an ``async def on_change(change)`` with the
    ``model`` its records decode into.

    :raises StreamRecordError: the event itself is malformed, or a record has no sequence number
        to report it by (the invocation fails, and Lambda retries the whole batch).
    :raises InvalidInput: a handler without its model, or a concurrency below 1.
    """
    router = _router(handler, model)
    slots = _read_event(event)
    return await _run(slots, router, concurrency, stop_margin)


async def _run(
    slots: list[_Slot], router: StreamRouter, concurrency: int | None, stop_margin: float
) -> BatchResult:
    """Handle records already read, each key in order, several keys at once, within the deadline."""
    import anyio

    if concurrency is None:
        concurrency = _default_concurrency()
    if concurrency < 1:
        raise InvalidInput(f"concurrency must be at least 1, not {concurrency!r}")
    deadline = current_deadline()
    stop_at = deadline.at - stop_margin if deadline is not None else math.inf
    cancel_at = deadline.at - CANCEL_LEAD if deadline is not None else math.inf
    pending = iter(_groups(slots, router))

    async def worker(groups: Iterator[list[_Slot]]) -> None:
        for group in groups:
            for slot in group:
                if anyio.current_time() >= stop_at:
                    break
                await _handle(slot, router)
                if slot.state == "failed":
                    break

    with anyio.CancelScope(deadline=cancel_at):
        async with anyio.create_task_group() as tg:
            for _ in range(concurrency):
                tg.start_soon(worker, pending)
    result = _result(slots)
    late = sum(1 for f in result.failures if f.reason == "deadline")
    if late:
        logger.warning("stream batch reached its deadline: %d record(s) left for Lambda to retry", late)
    return result


def _result(slots: Sequence[_Slot]) -> BatchResult:
    result = BatchResult()
    failed_keys: set[str] = set()
    for slot in slots:
        if slot.state == "processed":
            result.processed.append(slot.sequence_number)
        elif slot.state == "skipped":
            result.skipped.append(slot.sequence_number)
        elif slot.state == "failed":
            assert slot.failure is not None
            result.failures.append(slot.failure)
            failed_keys.add(slot.key)
        else:
            reason: FailureReason = "blocked" if slot.key in failed_keys else "deadline"
            result.failures.append(RecordFailure(slot.sequence_number, reason))
    return result


def _router(handler: StreamRouter | ChangeHandler[M], model: type[M] | None) -> StreamRouter:
    if isinstance(handler, StreamRouter):
        if model is not None:
            raise InvalidInput("give either a StreamRouter, or a handler and its model")
        return handler
    if model is None:
        raise InvalidInput("a stream handler function needs the model its records decode into")
    return StreamRouter.single(model, handler)


@overload
async def process(
    event: Any,
    handler: StreamRouter,
    *,
    concurrency: int | None = None,
    stop_margin: float = DEFAULT_STOP_MARGIN,
) -> BatchResponse: ...


@overload
async def process(
    event: Any,
    handler: ChangeHandler[M],
    model: type[M],
    *,
    concurrency: int | None = None,
    stop_margin: float = DEFAULT_STOP_MARGIN,
) -> BatchResponse: ...


async def process(
    event: Any,
    handler: StreamRouter | ChangeHandler[M],
    model: type[M] | None = None,
    *,
    concurrency: int | None = None,
    stop_margin: float = DEFAULT_STOP_MARGIN,
) -> BatchResponse:
    """Process a DynamoDB Streams event and return Lambda's ``batchItemFailures`` answer.

    The same as :func:`process_batch`, answering with :meth:`BatchResult.response`.
    """
    router = _router(handler, model)
    result = await process_batch(event, router, concurrency=concurrency, stop_margin=stop_margin)
    return result.response()


# --------------------------------------------------------------------------- Lambda entry

_progress: contextvars.ContextVar[list[_Slot] | None] = contextvars.ContextVar(
    "dynamorm_stream_progress", default=None
)


def _answer_at_timeout(event: Any, context: Any, error: LambdaTimeoutError) -> BatchResponse:
    """If the deadline scope fired before the batch could answer: report every record not done."""
    slots = _progress.get()
    if not slots:  # the event was not read yet: every record it names is retried
        records = event.get("Records") if isinstance(event, Mapping) else None
        sequences = [_sequence_of(r) for r in records] if isinstance(records, list) else []
        if not all(sequences):
            raise error
        return {"batchItemFailures": [{"itemIdentifier": s} for s in sequences if s]}
    return _result(slots).response()


def _sequence_of(record: Any) -> str | None:
    body = record.get("dynamodb") if isinstance(record, Mapping) else None
    seq = body.get("SequenceNumber") if isinstance(body, Mapping) else None
    return seq if isinstance(seq, str) and seq else None


def lambda_stream_handler(
    db: LambdaDB,
    handler: StreamRouter | ChangeHandler[M],
    model: type[M] | None = None,
    *,
    concurrency: int | None = None,
    stop_margin: float | None = None,
    buffer: float | None = None,
) -> LambdaHandler[BatchResponse]:
    """The function Lambda calls for a DynamoDB Streams event source, run by ``db``'s handler runner.

    Each invocation runs on the environment's one loop inside ``db``'s deadline scope
    (:meth:`LambdaDB.handler <dynamorm_async.aws_lambda.LambdaDB.handler>`) and answers with
    :func:`process`'s ``batchItemFailures``. ``concurrency`` defaults to ``db``'s tuning.
    """
    router = _router(handler, model)
    margin = DEFAULT_STOP_MARGIN if stop_margin is None else stop_margin
    if concurrency is None and db.tuning is not None:
        concurrency = db.tuning.batch_concurrency
    named: Any = handler if not isinstance(handler, StreamRouter) else None

    async def run(event: Any, context: Any) -> BatchResponse:
        slots = _read_event(event)
        _progress.set(slots)  # read by _answer_at_timeout if the deadline scope fires first
        result = await _run(slots, router, concurrency, margin)
        return result.response()

    if named is not None:
        run.__name__ = getattr(named, "__name__", run.__name__)
        run.__qualname__ = getattr(named, "__qualname__", run.__qualname__)
        run.__doc__ = getattr(named, "__doc__", None)
    return db.handler(buffer=buffer, on_timeout=_answer_at_timeout)(run)


__all__ = [
    "CANCEL_LEAD",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_STOP_MARGIN",
    "BatchResponse",
    "BatchResult",
    "FailureReason",
    "RecordFailure",
    "lambda_stream_handler",
    "process",
    "process_batch",
]
