"""Bounded backoff: full jitter, attempt bounds, the deadline, and which errors are worth retrying."""

from __future__ import annotations

import random

import anyio
import pytest

from dynamorm_async.deadline import Deadline, deadline_scope
from dynamorm_async.errors import (
    ConditionCheckFailed,
    ConnectionFailed,
    CredentialsError,
    DeadlineExceeded,
    LambdaTimeoutError,
    ServiceError,
    ServiceValidationError,
    TableNotFound,
    Throttled,
)
from dynamorm_async.retry import Backoff, drain, is_transient
from dynamorm_async.transport.errortable import (
    CHECKSUM_MISMATCH,
    CONNECT_FAILED,
    CONNECTION_LOST,
    READ_TIMEOUT,
)

pytestmark = pytest.mark.anyio


def test_delays_use_the_whole_jitter_range_up_to_the_cap() -> None:
    b = Backoff(attempts=20, base=0.1, cap=1.0, rng=random.Random(1))
    for retry, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (12, 1.0)]:
        draws = [b.delay(retry) for _ in range(2000)]
        assert all(0.0 <= d <= ceiling for d in draws)
        # Full jitter: uniform over [0, ceiling], not "ceiling plus a little noise".
        assert min(draws) < 0.02 * ceiling
        assert max(draws) > 0.98 * ceiling


def test_seeded_backoff_is_reproducible() -> None:
    a = Backoff(rng=random.Random(7))
    b = Backoff(rng=random.Random(7))
    assert [a.delay(n) for n in range(1, 9)] == [b.delay(n) for n in range(1, 9)]


@pytest.mark.parametrize("kwargs", [{"attempts": 0}, {"base": -1.0}, {"cap": -0.5}])
def test_invalid_backoff_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="Backoff"):
        Backoff(**kwargs)  # type: ignore[arg-type]


async def test_pause_stops_at_the_attempt_bound_without_sleeping() -> None:
    b = Backoff(attempts=3, base=10.0, cap=10.0)
    start = anyio.current_time()
    assert await b.pause(3) == "attempts"
    assert await b.pause(4) == "attempts"
    assert anyio.current_time() - start < 0.05


async def test_pause_never_sleeps_past_the_deadline() -> None:
    b = Backoff(attempts=10, base=5.0, cap=5.0, rng=random.Random(3))  # each delay is 0..5 s
    start = anyio.current_time()
    with deadline_scope(Deadline(start + 0.3)):
        reasons = [await b.pause(1) for _ in range(20)]
    assert "deadline" in reasons
    # Whatever was drawn, no pause ran past the deadline.
    assert anyio.current_time() - start < 0.3


async def test_pause_sleeps_the_drawn_delay_when_there_is_time() -> None:
    expected = Backoff(base=0.2, cap=0.2, rng=random.Random(5)).delay(1)
    b = Backoff(attempts=5, base=0.2, cap=0.2, rng=random.Random(5))
    start = anyio.current_time()
    with deadline_scope(Deadline(start + 10)):
        assert await b.pause(1) is None
    assert anyio.current_time() - start >= expected * 0.9
    assert expected > 0.05  # the seed draws a delay long enough to measure


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (Throttled("slow down", code="ProvisionedThroughputExceededException"), True),
        (Throttled("slow down", code="ThrottlingException"), True),
        (ServiceError("boom", code="InternalServerError"), True),
        (ServiceError("boom", code="ServiceUnavailable"), True),
        (ServiceError("boom", code="SomethingOdd", status=503), True),
        (ConnectionFailed("reset", code=CONNECTION_LOST, may_have_reached_aws=True), True),
        (ConnectionFailed("refused", code=CONNECT_FAILED, may_have_reached_aws=False), True),
        (ConnectionFailed("slow", code=READ_TIMEOUT, may_have_reached_aws=True), True),
        (ConnectionFailed("corrupt", code=CHECKSUM_MISMATCH, may_have_reached_aws=True), True),
        (ServiceError("odd", code="SomethingElse"), False),
        (ServiceError("bad", code="SomethingElse", status=400), False),
        (ServiceValidationError("bad", code="ValidationException"), False),
        (TableNotFound("gone", code="ResourceNotFoundException"), False),
        (ConditionCheckFailed("no", code="ConditionalCheckFailedException"), False),
        (CredentialsError("who?"), False),
        (LambdaTimeoutError("late"), False),
        (DeadlineExceeded("late"), False),
        (RuntimeError("bug"), False),
    ],
)
def test_which_errors_are_transient(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


async def test_drain_resends_only_what_is_left_until_done() -> None:
    sent: list[list[int]] = []

    async def send(work: list[int]) -> list[int]:
        sent.append(work)
        return work[1:]  # one item done per call

    outcome = await drain(send, [1, 2, 3], Backoff(attempts=5, base=0.0))
    assert outcome.left is None
    assert outcome.reason == "done"
    assert outcome.attempts == 3
    assert sent == [[1, 2, 3], [2, 3], [3]]


async def test_drain_stops_at_the_bound_and_reports_what_is_left() -> None:
    calls = 0

    async def send(work: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        return work[1:]

    outcome = await drain(send, [1, 2, 3, 4, 5], Backoff(attempts=2, base=0.0))
    assert calls == 2
    assert outcome.left == [3, 4, 5]
    assert outcome.reason == "attempts"
    assert outcome.attempts == 2


async def test_drain_counts_a_transient_error_as_nothing_done() -> None:
    answers: list[BaseException | list[str]] = [
        Throttled("slow", code="ThrottlingException"),
        ServiceError("boom", code="InternalServerError"),
        [],
    ]
    seen: list[list[str]] = []

    async def send(work: list[str]) -> list[str]:
        seen.append(work)
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    outcome = await drain(send, ["a", "b"], Backoff(attempts=5, base=0.0))
    assert outcome.reason == "done"
    assert seen == [["a", "b"]] * 3


async def test_drain_reports_the_last_transient_error_when_it_gives_up() -> None:
    async def send(work: list[str]) -> list[str]:
        raise ServiceError("boom", code="InternalServerError")

    outcome = await drain(send, ["a"], Backoff(attempts=3, base=0.0))
    assert outcome.left == ["a"]
    assert outcome.reason == "attempts"
    assert isinstance(outcome.error, ServiceError)


async def test_drain_lets_other_errors_through() -> None:
    calls = 0

    async def send(work: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        raise ServiceValidationError("bad request", code="ValidationException")

    with pytest.raises(ServiceValidationError):
        await drain(send, ["a"], Backoff(attempts=5, base=0.0))
    assert calls == 1


async def test_drain_stops_at_the_deadline_with_the_work_unsent() -> None:
    async def send(work: list[str]) -> list[str]:
        raise LambdaTimeoutError("deadline passed; not sent", operation="BatchWriteItem")

    outcome = await drain(send, ["a", "b"], Backoff(attempts=5, base=0.0))
    assert outcome.left == ["a", "b"]
    assert outcome.reason == "deadline"
    assert outcome.attempts == 0


async def test_drain_gives_up_before_a_pause_would_pass_the_deadline() -> None:
    async def send(work: list[str]) -> list[str]:
        return work  # never any progress

    start = anyio.current_time()
    with deadline_scope(Deadline(start + 0.25)):
        outcome = await drain(send, ["a"], Backoff(attempts=1000, base=0.02, cap=0.1))
    elapsed = anyio.current_time() - start
    assert outcome.reason == "deadline"
    assert outcome.left == ["a"]
    assert elapsed < 0.25
