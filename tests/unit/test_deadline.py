"""Deadline arithmetic and ``with_lambda_timeout``: the deadline in the past, within the buffer, far away.

No DynamoDB is needed here: a call refused at the deadline never reaches the network (the calls
cut off in flight, against DynamoDB Local, are in tests/lambda_runtime/test_operation_timeouts.py).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

import anyio
import pytest

from dynamorm_async import DB, HashKey, LambdaTimeoutError, Model
from dynamorm_async.aws_lambda import lambda_deadline, optimize_for_memory, with_lambda_timeout
from dynamorm_async.aws_lambda.tuning import reset_tuning
from dynamorm_async.deadline import Deadline, current_deadline, deadline_scope, remaining
from dynamorm_async.retry import Backoff
from dynamorm_async.transport import debug_stats
from tests.transports import managed

pytestmark = pytest.mark.anyio


class Note(Model, table="deadline_notes"):
    key: Annotated[str, HashKey()]


@dataclass(frozen=True)
class RemainingTime:
    """Lambda's context as far as the deadline goes: a fixed time left."""

    millis: int

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


@pytest.fixture(autouse=True)
def no_applied_tuning() -> Iterator[None]:
    reset_tuning()
    yield
    reset_tuning()


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("remaining_ms", "buffer", "expected"),
    [
        (0, 1.0, 99.0),  # the deadline has passed: stop a buffer ago
        (-250, 1.0, 99.0),  # never less than no time at all
        (500, 1.0, 99.5),  # within the buffer: already late by half a second
        (1000, 1.0, 100.0),  # exactly the buffer: stop now
        (900_000, 1.0, 999.0),  # fifteen minutes away
        (3000, 0.0, 103.0),  # no buffer
    ],
)
def test_lambda_deadline(remaining_ms: int, buffer: float, expected: float) -> None:
    assert lambda_deadline(remaining_ms, buffer=buffer, now=100.0) == pytest.approx(expected)


# --------------------------------------------------------------------------- the scope


async def test_far_away_the_deadline_is_set_for_every_task_inside() -> None:
    seen: list[float | None] = []

    async def child() -> None:
        seen.append(remaining())

    before = anyio.current_time()
    with with_lambda_timeout(RemainingTime(900_000), buffer=1.0) as scope:
        deadline = current_deadline()
        assert deadline is not None
        assert deadline.at == scope.deadline
        assert deadline.at - before == pytest.approx(899.0, abs=0.5)
        async with anyio.create_task_group() as tg:
            tg.start_soon(child)
            tg.start_soon(child)
    assert len(seen) == 2 and all(s is not None and 898.0 < s <= 899.0 for s in seen)
    assert current_deadline() is None


async def test_without_a_context_nothing_changes() -> None:
    with with_lambda_timeout(None) as scope:
        assert current_deadline() is None
        assert scope.deadline == float("inf")
        await anyio.lowlevel.checkpoint()


@pytest.mark.parametrize("remaining_ms", [0, 400], ids=["passed", "within-buffer"])
async def test_a_call_after_the_deadline_is_refused_without_sending(remaining_ms: int) -> None:
    db = DB(region="us-east-1", endpoint_url="http://127.0.0.1:9")  # nothing listens there
    calls = debug_stats().calls
    with (
        pytest.raises(LambdaTimeoutError) as raised,
        with_lambda_timeout(RemainingTime(remaining_ms), buffer=1.0),
    ):
        await db.manager(Note).get("k")
    assert raised.value.operation == "GetItem"
    assert raised.value.remaining is not None and raised.value.remaining < 0
    assert "GetItem was not sent" in str(raised.value)
    assert debug_stats().calls == calls
    assert not managed(db).has_client  # not even a client was made


async def test_work_still_running_at_the_deadline_is_cancelled_into_lambda_timeout_error() -> None:
    started = time.monotonic()
    with pytest.raises(LambdaTimeoutError) as raised, with_lambda_timeout(RemainingTime(150), buffer=0.05):
        await anyio.sleep(10)
    assert 0.05 < time.monotonic() - started < 1.0
    assert raised.value.operation is None
    assert "no AWS call was in flight" in str(raised.value)
    assert "0.05s buffer" in str(raised.value)


async def test_tasks_cut_off_inside_a_task_group_give_one_lambda_timeout_error() -> None:
    async def sleepers() -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(anyio.sleep, 10)

    with pytest.raises(LambdaTimeoutError), with_lambda_timeout(RemainingTime(100), buffer=0.0):
        await sleepers()


async def test_deadline_errors_raised_by_several_tasks_collapse_into_one() -> None:
    async def late(operation: str) -> None:
        deadline = current_deadline()
        assert deadline is not None
        deadline.check(operation)

    async def both() -> None:
        async with anyio.create_task_group() as tg:
            with anyio.CancelScope(shield=True):  # start both before the scope's cancellation lands
                tg.start_soon(late, "GetItem")
                tg.start_soon(late, "PutItem")
                await anyio.lowlevel.checkpoint()

    with pytest.raises(LambdaTimeoutError) as raised, with_lambda_timeout(RemainingTime(0), buffer=0.0):
        await both()
    assert raised.value.operation in ("GetItem", "PutItem")
    assert isinstance(raised.value.__cause__, BaseExceptionGroup)
    assert len(raised.value.__cause__.exceptions) == 2


async def test_other_errors_inside_a_task_group_are_not_hidden() -> None:
    async def late() -> None:
        raise LambdaTimeoutError("late", operation="GetItem")

    async def broken() -> None:
        raise ValueError("broken")

    async def both() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(late)
            tg.start_soon(broken)

    with pytest.raises(ExceptionGroup) as raised, with_lambda_timeout(RemainingTime(60_000), buffer=0.0):
        await both()
    assert raised.group_contains(ValueError)


async def test_cancelling_the_scope_yourself_is_quiet() -> None:
    with with_lambda_timeout(RemainingTime(60_000)) as scope:
        scope.cancel()
        await anyio.sleep(10)
    assert scope.cancelled_caught


async def test_an_earlier_deadline_in_force_wins() -> None:
    earlier = Deadline(anyio.current_time() + 5.0, "outer")
    with deadline_scope(earlier), with_lambda_timeout(RemainingTime(900_000)) as scope:
        assert current_deadline() == earlier
        assert scope.deadline == earlier.at


async def test_the_default_buffer_is_one_second_or_the_applied_tuning() -> None:
    now = anyio.current_time()
    with with_lambda_timeout(RemainingTime(10_000)) as scope:
        assert scope.deadline - now == pytest.approx(9.0, abs=0.2)
    optimize_for_memory(128)
    now = anyio.current_time()
    with with_lambda_timeout(RemainingTime(10_000)) as scope:
        assert scope.deadline - now == pytest.approx(8.5, abs=0.2)


async def test_a_negative_buffer_is_refused() -> None:
    with pytest.raises(ValueError, match="buffer"), with_lambda_timeout(RemainingTime(1000), buffer=-1):
        pass


class Longest(random.Random):
    """Jitter that always draws the longest pause allowed."""

    def uniform(self, a: float, b: float) -> float:
        return b


async def test_retry_backoff_never_sleeps_past_the_deadline() -> None:
    backoff = Backoff(attempts=5, base=0.2, cap=5.0, rng=Longest())
    with with_lambda_timeout(RemainingTime(600), buffer=0.1):  # 0.5 s left
        started = time.monotonic()
        assert await backoff.pause(1) is None  # 0.2 s fits: it sleeps
        assert await backoff.pause(3) == "deadline"  # 0.8 s would pass the deadline: it does not
        assert 0.15 < time.monotonic() - started < 0.4
