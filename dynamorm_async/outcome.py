"""The bookkeeping that gives every write of a batch exactly one outcome: done, not done or in doubt.

A :class:`Ledger` follows each item of a batch call by identity. An item is

* **done** once an answer said DynamoDB processed it;
* **in doubt** when a request holding it was sent and its answer never came (the connection was
  lost after sending, the call was cancelled while the request was in flight), and no later
  answer settled it: DynamoDB may or may not have applied it;
* **not done** otherwise: never sent, refused before sending, or reported unprocessed.

:class:`Runner` resends leftovers per chunk (``UnprocessedItems``/``UnprocessedKeys`` and
requests that failed transiently) with the library's backoff, bounded by attempts and by the
active deadline. When the deadline's cancel scope (a Lambda deadline scope) cuts requests off in
flight, the cancellation is caught and the ledger says which items were cut off: the caller
raises :class:`~dynamorm_async.errors.DeadlinePartialFailure` with the three sets instead of a
bare timeout. A cancellation from anywhere else (the caller's task group)
propagates as it is; the caller fills its result object on the way out so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .deadline import current_deadline, remaining
from .errors import DeadlineExceeded, ServiceError
from .retry import Backoff, StopReason, is_transient
from .transport.core import IN_DOUBT_ATTEMPTS

if TYPE_CHECKING:
    import anyio

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class Ledger(Generic[K]):
    """The state of each item of one batch call, by identity (see the module docstring)."""

    __slots__ = ("done", "doubt", "flight")

    def __init__(self) -> None:
        self.done: set[K] = set()
        self.flight: set[K] = set()
        self.doubt: set[K] = set()

    def sending(self, ids: Iterable[K]) -> None:
        """A request holding ``ids`` is about to go out: until it is answered, they are in doubt."""
        self.flight.update(ids)

    def failed(self, ids: Iterable[K], error: BaseException) -> None:
        """The request failed with ``error``; if it may have reached DynamoDB, its items are in doubt."""
        ids = list(ids)
        self.flight.difference_update(ids)
        if getattr(error, "in_doubt", False):
            self.doubt.update(i for i in ids if i not in self.done)

    def answered(self, ids: Iterable[K], unprocessed: set[K], response: dict[str, Any]) -> None:
        """DynamoDB answered: all but ``unprocessed`` are done; those stay in doubt if an attempt was lost."""
        ids = list(ids)
        self.flight.difference_update(ids)
        lost = bool((response.get("ResponseMetadata") or {}).get(IN_DOUBT_ATTEMPTS))
        for i in ids:
            if i in unprocessed:
                if lost:
                    self.doubt.add(i)
            else:
                self.done.add(i)
                self.doubt.discard(i)

    def state(self, ident: K) -> str:
        """``"done"``, ``"in_doubt"`` or ``"not_done"``."""
        if ident in self.done:
            return "done"
        if ident in self.flight or ident in self.doubt:
            return "in_doubt"
        return "not_done"


Send = Callable[[list[T]], Awaitable[list[T] | None]]


class Runner(Generic[T]):
    """Runs each chunk's bounded retry loop in a task group; remembers why it stopped and what failed.

    A non-transient error in one chunk cancels the others and is re-raised as it is (not wrapped
    in an exception group). ``cut`` is true when the deadline cancelled requests in flight.
    """

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff
        self.reason: StopReason | None = None
        self.last_error: BaseException | None = None
        self.cut = False
        self._failure: BaseException | None = None

    def _stop(self, reason: StopReason, error: BaseException | None) -> None:
        if self.reason != "deadline":  # "deadline" wins: it is the reason the caller can act on
            self.reason = reason
        if error is not None:
            self.last_error = error

    async def run(self, send: Send[T], chunks: list[list[T]]) -> None:
        """Send every chunk until done or a bound is hit; raises a non-transient error, or a cancellation."""
        import anyio

        left = remaining()
        if left is not None and left <= 0:
            # Checked before any await: past the deadline, a checkpoint would be cancelled by the
            # deadline scope and the work would be lost from the error instead of reported.
            self.reason = "deadline"
            return
        deadline = current_deadline()
        try:
            async with anyio.create_task_group() as tg:
                for chunk in chunks:
                    tg.start_soon(self._one, send, chunk, tg.cancel_scope)
        except anyio.get_cancelled_exc_class():
            if deadline is None or deadline.remaining() > 0:
                raise  # cancelled from outside: it must propagate
            # The deadline's cancel scope (e.g. the Lambda one) cut requests off: reported, not lost.
            self.cut = True
            self._stop("deadline", None)
            return
        if self._failure is not None:
            raise self._failure

    async def _one(self, send: Send[T], chunk: list[T], scope: anyio.CancelScope) -> None:
        work = chunk
        attempt = 0
        while True:
            left_s = remaining()
            if left_s is not None and left_s <= 0:
                self._stop("deadline", None)
                return
            attempt += 1
            try:
                left = await send(work)
            except DeadlineExceeded as exc:
                self._stop("deadline", exc)
                return
            except Exception as exc:
                if not (isinstance(exc, ServiceError) and is_transient(exc)):
                    if self._failure is None:
                        self._failure = exc
                    scope.cancel()
                    return
                left, self.last_error = work, exc
            if not left:
                return
            work = left
            stop = await self.backoff.pause(attempt)
            if stop is not None:
                self._stop(stop, None)
                return


__all__ = ["Ledger", "Runner", "Send"]
