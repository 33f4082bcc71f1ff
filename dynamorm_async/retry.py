"""Bounded exponential backoff with full jitter, that never sleeps past the active deadline.

Botocore already retries a single request (throttles, 5xx, dropped connections) under the
transport's ``retry_mode``/``max_attempts``. This module retries at the next level up: work that
DynamoDB accepted only in part (``UnprocessedItems``/``UnprocessedKeys`` of a batch), or a whole
batch request whose botocore retries ran out on a transient error. Every loop here is bounded
twice, by a number of attempts and by the active deadline (:mod:`dynamorm_async.deadline`): a
pause that would end past the deadline is not taken, so the caller can stop at once and report
what is left instead of being cancelled in the middle of a sleep.

Delays follow the "full jitter" scheme: before retry ``n`` (1-based) the pause is drawn uniformly
from ``[0, min(cap, base * 2 ** (n - 1))]``, which spreads competing clients apart best.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from .deadline import remaining
from .errors import LambdaTimeoutError, ServiceError, Throttled

T = TypeVar("T")

StopReason = Literal["done", "attempts", "deadline"]

_system_random = random.SystemRandom()

#: Service error codes that describe a passing condition on DynamoDB's side, safe to retry.
TRANSIENT_CODES = frozenset(
    {
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "LimitExceededException",
    }
)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying: throttling, a 5xx answer or a dropped connection.

    Errors caused by the request itself (validation, missing table, credentials, failed
    conditions) are not transient: retrying them would fail the same way.
    """
    if isinstance(exc, Throttled):
        return True
    if type(exc) is not ServiceError:  # subclasses name a definite, non-transient cause
        return False
    code = exc.code
    if code in TRANSIENT_CODES or (code.isdigit() and code.startswith("5")):
        return True
    # The transport maps connection-level failures to ServiceError(code=<exception class name>).
    return code.endswith(("ConnectionError", "ClosedError", "TimeoutError", "Disconnected", "ResetError"))


@dataclass(frozen=True, slots=True)
class Backoff:
    """How often and how patiently to retry: ``attempts`` sends in all, pauses from ``base`` to ``cap``.

    ``attempts`` counts the first send, so ``Backoff(attempts=1)`` never retries.
    ``rng`` may be a seeded :class:`random.Random` for reproducible pauses (tests).
    """

    attempts: int = 8
    base: float = 0.05
    cap: float = 2.0
    rng: random.Random | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("Backoff.attempts counts the first try and must be at least 1")
        if self.base < 0 or self.cap < 0:
            raise ValueError("Backoff.base and Backoff.cap cannot be negative")

    def delay(self, retry: int) -> float:
        """The pause before retry number ``retry`` (1 for the first retry): full jitter."""
        ceiling = min(self.cap, self.base * 2.0 ** max(retry - 1, 0))
        return (self.rng or _system_random).uniform(0.0, ceiling)

    async def pause(self, retry: int) -> StopReason | None:
        """Sleep before retry ``retry``; or, without sleeping, say why not to retry at all.

        Returns ``None`` after sleeping, ``"attempts"`` when ``retry`` would exceed the attempts
        allowed, ``"deadline"`` when the active deadline would pass before the pause ends.
        """
        if retry >= self.attempts:
            return "attempts"
        delay = self.delay(retry)
        left = remaining()
        if left is not None and delay >= left:
            return "deadline"
        import anyio

        await anyio.sleep(delay)
        return None


DEFAULT_BACKOFF = Backoff()


@dataclass(slots=True)
class Outcome(Generic[T]):
    """What a bounded retry loop ended with: the work ``left`` (``None`` if all done), and why it stopped."""

    left: T | None
    attempts: int
    reason: StopReason
    error: BaseException | None = None


async def drain(
    send: Callable[[T], Awaitable[T | None]],
    work: T,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Outcome[T]:
    """Send ``work``, then resend what comes back unfinished, until none is left or a bound is hit.

    ``send`` returns the part of its argument that was not done (``None`` or empty when all
    was). A transient error (:func:`is_transient`) counts as "nothing done this time"; any other
    error propagates. A deadline reached before a send (:class:`LambdaTimeoutError` from the
    transport, nothing sent) stops the loop with ``reason="deadline"``.
    """
    attempt = 0
    error: BaseException | None = None
    while True:
        left_s = remaining()
        if left_s is not None and left_s <= 0:  # checked before awaiting: nothing sent, all reported
            return Outcome(work, attempt, "deadline", error)
        attempt += 1
        try:
            left = await send(work)
            error = None
        except LambdaTimeoutError as exc:
            return Outcome(work, attempt - 1, "deadline", exc)
        except ServiceError as exc:
            if not is_transient(exc):
                raise
            left, error = work, exc
        if not left:
            return Outcome(None, attempt, "done")
        work = left
        stop = await backoff.pause(attempt)
        if stop is not None:
            return Outcome(work, attempt, stop, error)


__all__ = ["DEFAULT_BACKOFF", "TRANSIENT_CODES", "Backoff", "Outcome", "StopReason", "drain", "is_transient"]
