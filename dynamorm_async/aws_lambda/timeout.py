"""``with_lambda_timeout``: the Lambda deadline as an anyio cancel scope, and as the active deadline.

::

    async def handler(event, context):
        with with_lambda_timeout(context, buffer=1.0):
            order = await orders.get(event["partner"], event["id"])

Inside the block:

* the deadline (Lambda's deadline minus ``buffer``) is the active
  :class:`~dynamorm_async.deadline.Deadline`, carried by a context variable, so every operation of
  every task spawned inside sees it; an AWS call that would start after it raises
  :class:`~dynamorm_async.errors.LambdaTimeoutError` (a
  :class:`~dynamorm_async.errors.DeadlineExceeded`) without sending anything, and retry loops
  never sleep past it;
* a call still in flight at the deadline is cancelled (it is an anyio
  :class:`~anyio.CancelScope` with that deadline), and the block raises ``LambdaTimeoutError``
  naming the calls it cut off (watched by a call observer,
  :func:`~dynamorm_async.transport.observe_calls`), so the handler can still answer before
  Lambda kills it.

Outside Lambda (``context`` is ``None``) nothing changes: no deadline, nothing cancelled.
The handler runner (:meth:`LambdaDB.handler <dynamorm_async.aws_lambda.LambdaDB.handler>`) opens
this scope for every invocation by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Protocol

from ..deadline import Deadline, deadline_scope
from ..errors import DeadlineExceeded, LambdaTimeoutError
from ..transport import observe_calls
from .tuning import choose_buffer

if TYPE_CHECKING:
    import anyio


class RemainingTime(Protocol):
    """What the timeout needs from Lambda's ``context`` object: the time left, in milliseconds."""

    def get_remaining_time_in_millis(self) -> int: ...


def lambda_deadline(remaining_ms: float, *, buffer: float, now: float) -> float:
    """When work must stop, on the clock that gave ``now``: ``now + remaining - buffer``.

    A negative ``remaining_ms`` counts as zero (Lambda's own context never reports less). The
    result may lie in the past (already late, or less time left than the buffer): then the first
    AWS call raises at once, before sending.
    """
    return now + max(remaining_ms, 0.0) / 1000.0 - buffer


class InFlight:
    """A call observer that lists the calls running inside a deadline scope.

    Each call adds "Operation on 'table'" when it starts and removes it when it returns or
    fails; a call cancelled by the scope stays listed, so what is left names the calls cut off.
    The last call refused at the deadline (nothing sent) is kept in ``refused``.
    """

    __slots__ = ("calls", "refused")

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.refused: DeadlineExceeded | None = None

    def call_started(self, operation: str, table: str | None) -> object:
        what = operation if table is None else f"{operation} on {table!r}"
        self.calls.append(what)
        return what

    def call_ended(self, token: object, error: BaseException | None) -> None:
        if error is None or isinstance(error, Exception):  # not a cancellation: it ended by itself
            self.calls.remove(str(token))
        if isinstance(error, DeadlineExceeded) and error.attempts == 0:
            self.refused = error


def _describe(buffer: float) -> str:
    return f"Lambda deadline minus the {buffer:g}s buffer"


@contextmanager
def with_lambda_timeout(
    context: RemainingTime | None, buffer: float | None = None, *, max_buffer: float | None = None
) -> Iterator[anyio.CancelScope]:
    """Open a cancel scope (yielded) whose deadline is the Lambda deadline minus ``buffer`` seconds.

    An explicit ``buffer`` is kept as given. By default the buffer fits the invocation: ``max_buffer``
    (default: the applied tuning's, :func:`~dynamorm_async.aws_lambda.optimize_for_memory`, 1 s
    when none was applied) when the invocation has time for it, else a quarter of the time it has
    (:func:`~dynamorm_async.aws_lambda.tuning.choose_buffer`); the first reduction is logged once per
    process. An earlier deadline already in force is kept. Calling
    ``scope.cancel()`` yourself ends the block quietly, as with any cancel scope.

    :raises LambdaTimeoutError: the deadline passed while the block was still working; its
        ``operation`` names the AWS call that was cut off (``None`` if none was in flight). Raised
        instead of a bare ``CancelledError``, also when the only errors of a task group inside
        were deadline errors.
    """
    import anyio

    if context is None:
        with anyio.CancelScope() as scope:
            yield scope
        return
    remaining_ms = context.get_remaining_time_in_millis()
    buffer = choose_buffer(remaining_ms / 1000.0, buffer, max_buffer)
    at = lambda_deadline(remaining_ms, buffer=buffer, now=anyio.current_time())
    watch = InFlight()  # each scope watches the calls made inside it
    with observe_calls(watch):
        with deadline_scope(Deadline(at, _describe(buffer), LambdaTimeoutError)) as deadline:
            assert deadline is not None
            try:
                with anyio.CancelScope(deadline=deadline.at) as scope:
                    yield scope
            except BaseExceptionGroup as group:
                _, others = group.split(DeadlineExceeded)
                if others is None:  # every error was the deadline, seen by several tasks
                    raise _first_timeout(group) from group
                raise
        if scope.cancelled_caught and anyio.current_time() >= scope.deadline:
            raise _timeout_error(deadline, watch) from watch.refused


@asynccontextmanager
async def lambda_timeout_scope(
    context: RemainingTime | None, buffer: float | None = None, *, max_buffer: float | None = None
) -> AsyncIterator[None]:
    """:func:`with_lambda_timeout` as an ``async with`` block, for the handler runner.

    The same deadline, buffer, cancellation and :class:`~dynamorm_async.errors.LambdaTimeoutError`;
    on an asyncio loop it is ``asyncio.timeout_at`` on the loop's clock (the clock anyio's
    asyncio backend uses too), so an invocation imports no anyio (~15 ms at a cold start) unless
    the handler does. One difference from an anyio cancel scope: the cancellation is delivered
    once, so a handler that swallows ``CancelledError`` keeps running (the next AWS call then
    raises the deadline's error without sending). Elsewhere (trio) it is :func:`with_lambda_timeout`.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None:
        with with_lambda_timeout(context, buffer, max_buffer=max_buffer):
            yield
        return
    if context is None:
        yield
        return
    remaining_ms = context.get_remaining_time_in_millis()
    buffer = choose_buffer(remaining_ms / 1000.0, buffer, max_buffer)
    at = lambda_deadline(remaining_ms, buffer=buffer, now=loop.time())
    watch = InFlight()
    with observe_calls(watch):
        with deadline_scope(Deadline(at, _describe(buffer), LambdaTimeoutError)) as deadline:
            assert deadline is not None
            try:
                async with asyncio.timeout_at(deadline.at) as timer:
                    yield
            except TimeoutError:
                if not timer.expired():
                    raise  # the handler's own TimeoutError, not the deadline
            except BaseExceptionGroup as group:
                _, others = group.split(DeadlineExceeded)
                if others is None:
                    raise _first_timeout(group) from group
                raise
            else:
                return  # the block finished: its answer stands, as with a cancel scope
        raise _timeout_error(deadline, watch) from watch.refused


def _timeout_error(deadline: Deadline, watch: InFlight) -> LambdaTimeoutError:
    """The error for a scope cut off at ``deadline``, naming the calls ``watch`` saw cut off."""
    cut = list(watch.calls)
    refused = watch.refused
    operation = cut[0].split(" ", 1)[0] if cut else None
    if cut:
        doing = f"cancelled {', '.join(cut)}"
    elif refused is not None:
        operation = refused.operation
        doing = f"{operation} was not sent"
    else:
        doing = "no AWS call was in flight"
    return LambdaTimeoutError(
        f"{deadline.label} reached; {doing}", operation=operation, remaining=deadline.remaining()
    )


def _first_timeout(group: BaseExceptionGroup[BaseException]) -> DeadlineExceeded:
    for exc in group.exceptions:
        if isinstance(exc, DeadlineExceeded):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            return _first_timeout(exc)
    raise AssertionError("a group split as all DeadlineExceeded holds one")  # pragma: no cover


__all__ = ["InFlight", "RemainingTime", "lambda_deadline", "lambda_timeout_scope", "with_lambda_timeout"]
