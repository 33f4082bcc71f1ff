"""The library's one retry policy: what to retry, how long to pause, how many tries, and a budget.

Retries are the library's, not botocore's (the aiobotocore transport switches botocore's off):
the retrying transport (:mod:`dynamorm_async.transport.core`) runs :class:`RetryPolicy` around
every call, and batch loops (:func:`drain`) resend leftovers (``UnprocessedItems`` /
``UnprocessedKeys``) with the same :class:`Backoff`. Every loop is bounded twice, by a number of
attempts and by the active deadline (:mod:`dynamorm_async.deadline`): a pause that would end
past the deadline is not taken, so the caller stops at once and reports what is left instead of
being cancelled in the middle of a sleep.

What is retried (:func:`is_transient`): throttling, 5xx answers and the transient codes below,
connection failures (:class:`~dynamorm_async.errors.ConnectionFailed`, corrupt answers
included). Delays follow "full jitter": before retry ``n`` (1-based) the pause is drawn
uniformly from ``[0, min(cap, base * 2 ** (n - 1))]``, which spreads competing clients apart.

:class:`RetryBudget` keeps a storm of failures from multiplying load: each retry costs tokens,
each success refills some. Unlike botocore's quota it can never switch retries off for good:
when it is empty, the *first* retry of each call is still allowed (free), so a long-lived
client that went through a bad patch still retries the next dropped answer.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Literal, TypeVar

from ._frozen import frozen
from .deadline import remaining
from .errors import ConnectionFailed, DeadlineExceeded, ServiceError, Throttled

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
        "TransactionInProgressException",
    }
)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying: throttling, a 5xx answer, a transient code, no answer.

    Errors caused by the request itself (validation, missing table, credentials, failed
    conditions, cancelled transactions) are not transient: retrying them would fail the same way.
    """
    if isinstance(exc, (Throttled, ConnectionFailed)):
        return True
    if type(exc) is not ServiceError:  # other subclasses name a definite, non-transient cause
        return False
    if exc.code in TRANSIENT_CODES:
        return True
    return exc.status is not None and exc.status >= 500


@frozen
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


class RetryBudget:
    """A token bucket shared by the calls of one transport: retries spend, successes refill.

    A retry costs ``retry_cost`` tokens (``failure_cost`` after a connection failure, which
    usually means a sick endpoint); a call that succeeds puts back what its retries cost, or
    ``refill`` when it needed none, up to ``capacity``. When the bucket cannot pay, the first
    retry of a call is still allowed, free: the budget slows a storm down, it never switches
    retries off for the life of a process. (A plain slotted class: no dataclass generation on
    the cold path.)
    """

    __slots__ = ("capacity", "failure_cost", "refill", "retry_cost", "tokens")

    def __init__(
        self,
        capacity: int = 500,
        retry_cost: int = 5,
        failure_cost: int = 10,
        refill: int = 1,
        tokens: int = -1,
    ) -> None:
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.failure_cost = failure_cost
        self.refill = refill
        self.tokens = capacity if tokens < 0 else tokens

    def __repr__(self) -> str:
        return (
            f"RetryBudget(capacity={self.capacity!r}, retry_cost={self.retry_cost!r}, "
            f"failure_cost={self.failure_cost!r}, refill={self.refill!r}, tokens={self.tokens!r})"
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _state(self) == _state(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass would be

    def withdraw(self, error: BaseException, *, retry: int) -> int | None:
        """Pay for retry number ``retry`` after ``error``: the cost paid, or ``None`` if refused."""
        cost = self.failure_cost if isinstance(error, ConnectionFailed) else self.retry_cost
        if self.tokens >= cost:
            self.tokens -= cost
            return cost
        return 0 if retry == 1 else None

    def deposit(self, spent: int) -> None:
        """A call succeeded after its retries cost ``spent`` tokens: refund them (or ``refill``)."""
        self.tokens = min(self.capacity, self.tokens + (spent or self.refill))


@frozen
class RetryPolicy:
    """What the retrying transport does on a failed attempt: retry or not, and after which pause.

    ``attempts`` is the total number of tries per call, the first included
    (:attr:`TransportConfig.max_attempts <dynamorm_async.transport.TransportConfig.max_attempts>`).
    ``throttle_base`` is the larger backoff base used after throttling (DynamoDB's partitions
    need time to recover); other retries use ``backoff.base``. ``retryable`` decides what to retry.
    """

    attempts: int = 3
    backoff: Backoff = DEFAULT_BACKOFF
    throttle_base: float = 0.1
    retryable: Callable[[BaseException], bool] = is_transient

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts counts the first try and must be at least 1")

    def delay(self, error: BaseException, retry: int) -> float:
        """The pause before retry number ``retry`` after ``error`` (full jitter)."""
        b = self.backoff
        base = max(b.base, self.throttle_base) if isinstance(error, Throttled) else b.base
        ceiling = min(b.cap, base * 2.0 ** max(retry - 1, 0))
        return (b.rng or _system_random).uniform(0.0, ceiling)


class Outcome(Generic[T]):
    """What a bounded retry loop ended with: the work ``left`` (``None`` if all done), and why it stopped."""

    __slots__ = ("attempts", "error", "left", "reason")

    def __init__(
        self, left: T | None, attempts: int, reason: StopReason, error: BaseException | None = None
    ) -> None:
        self.left = left
        self.attempts = attempts
        self.reason = reason
        self.error = error

    def __repr__(self) -> str:
        return (
            f"Outcome(left={self.left!r}, attempts={self.attempts!r}, reason={self.reason!r}, "
            f"error={self.error!r})"
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _state(self) == _state(other)

    __hash__ = None  # type: ignore[assignment]


def _state(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, name) for name in type(obj).__slots__)


async def drain(
    send: Callable[[T], Awaitable[T | None]],
    work: T,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Outcome[T]:
    """Send ``work``, then resend what comes back unfinished, until none is left or a bound is hit.

    ``send`` returns the part of its argument that was not done (``None`` or empty when all
    was). A transient error (:func:`is_transient`) left after the transport's own retries counts
    as "nothing done this time"; any other error propagates. A deadline reached before a send
    (:class:`~dynamorm_async.errors.DeadlineExceeded` from the transport, or seen here first)
    stops the loop with ``reason="deadline"``.
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
        except DeadlineExceeded as exc:
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


__all__ = [
    "DEFAULT_BACKOFF",
    "TRANSIENT_CODES",
    "Backoff",
    "Outcome",
    "RetryBudget",
    "RetryPolicy",
    "StopReason",
    "drain",
    "is_transient",
]
