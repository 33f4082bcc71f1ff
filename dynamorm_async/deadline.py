"""The active deadline, carried by a context variable so every task spawned inside sees it.

This module knows nothing about Lambda: the Lambda layer sets a deadline from the invocation's
context (with :class:`~dynamorm_async.errors.LambdaTimeoutError` as the error to raise); the
transport checks it before each attempt; retry and batch loops ask how much is left. Times are on
anyio's clock (``anyio.current_time()``), the same clock cancel scopes use.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import DeadlineExceeded


@dataclass(frozen=True, slots=True)
class Deadline:
    """An absolute time (anyio clock) after which no new AWS call may start.

    ``error`` is the class raised when it is reached: :class:`DeadlineExceeded` by default, its
    subclass :class:`~dynamorm_async.errors.LambdaTimeoutError` for a Lambda invocation's deadline.
    """

    at: float
    label: str = "deadline"
    error: type[DeadlineExceeded] = DeadlineExceeded

    def remaining(self) -> float:
        """Seconds left (negative once past), on the running loop's clock."""
        try:
            # anyio's clock on asyncio is the loop's: read it without importing anyio (cold start).
            return self.at - asyncio.get_running_loop().time()
        except RuntimeError:
            import anyio

            return self.at - anyio.current_time()

    def exceeded(self, message: str, *, operation: str | None, left: float | None = None) -> DeadlineExceeded:
        """The error to raise for this deadline (``message`` says what was not done)."""
        return self.error(message, operation=operation, remaining=self.remaining() if left is None else left)

    def check(self, operation: str) -> None:
        """Raise :attr:`error` if the deadline has passed; nothing is sent then.

        Synchronous: it never yields. The transport also yields to the event loop once before
        raising (see :mod:`dynamorm_async.transport.core`), so a loop that catches the error and
        tries again cannot spin past the deadline.
        """
        left = self.remaining()
        if left <= 0:
            message = f"{self.label} reached {-left:.3f}s ago; {operation} was not sent"
            raise self.exceeded(message, operation=operation, left=left)


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("dynamorm_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline in force for the running task, or ``None`` outside any deadline."""
    return _current.get()


def remaining() -> float | None:
    """Seconds left before the active deadline, or ``None`` when there is none."""
    d = _current.get()
    return None if d is None else d.remaining()


@contextmanager
def deadline_scope(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Make ``deadline`` the active one inside the block (an earlier outer deadline wins)."""
    outer = _current.get()
    if deadline is not None and outer is not None and outer.at < deadline.at:
        deadline = outer
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


__all__ = ["Deadline", "current_deadline", "deadline_scope", "remaining"]
