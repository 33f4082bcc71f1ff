"""The deadline buffer fits the invocation; the core's concurrency defaults follow the tuning."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import pytest

from dynamorm_async import InvalidInput, concurrency
from dynamorm_async.aws_lambda import optimize_for_memory, with_lambda_timeout
from dynamorm_async.aws_lambda import tuning as tuning_module
from dynamorm_async.aws_lambda.tuning import MIN_BUFFER, choose_buffer, fit_buffer, reset_tuning


@dataclass(frozen=True)
class RemainingTime:
    millis: int

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    reset_tuning()
    tuning_module._said.clear()
    yield
    reset_tuning()
    tuning_module._said.clear()


@pytest.mark.parametrize(
    ("remaining", "cap", "expected"),
    [
        (10.0, 1.5, 1.5),  # time enough: the tier's buffer
        (6.0, 1.5, 1.5),
        (3.0, 1.5, 0.75),  # Lambda's default timeout at 128 MB: a quarter
        (1.4, 1.5, 0.35),  # the buffer alone was longer than the function
        (1.0, 1.0, 0.25),  # Lambda's minimum timeout
        (0.2, 1.0, MIN_BUFFER),  # never less than the floor
        (0.0, 1.0, MIN_BUFFER),
        (1.0, 0.05, 0.05),  # a smaller cap than the floor is kept
    ],
)
def test_fit_buffer(remaining: float, cap: float, expected: float) -> None:
    assert fit_buffer(remaining, cap) == pytest.approx(expected)


@pytest.mark.anyio
async def test_a_one_second_invocation_at_128_mb_keeps_most_of_its_time() -> None:
    optimize_for_memory(128)  # tier buffer 1.5 s: longer than the whole invocation
    now = anyio.current_time()
    with with_lambda_timeout(RemainingTime(1000)) as scope:
        assert scope.deadline - now == pytest.approx(0.75, abs=0.1)
    now = anyio.current_time()
    with with_lambda_timeout(RemainingTime(1400)) as scope:
        assert scope.deadline - now == pytest.approx(1.05, abs=0.1)


@pytest.mark.anyio
async def test_an_explicit_buffer_is_kept_and_a_max_buffer_caps_the_fitted_one() -> None:
    now = anyio.current_time()
    with with_lambda_timeout(RemainingTime(1000), buffer=0.5) as scope:
        assert scope.deadline - now == pytest.approx(0.5, abs=0.1)
    now = anyio.current_time()
    with with_lambda_timeout(RemainingTime(20_000), max_buffer=2.0) as scope:
        assert scope.deadline - now == pytest.approx(18.0, abs=0.1)


def test_the_reduction_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dynamorm_async.lambda"):
        assert choose_buffer(1.0, None, 1.5) == pytest.approx(0.25)
        assert choose_buffer(1.2, None, 1.5) == pytest.approx(0.3)
        assert choose_buffer(10.0, None, 1.5) == 1.5
    [record] = [r for r in caplog.records if "reduced" in r.message]
    assert record.levelno == logging.WARNING  # less than half the tier's buffer
    assert "from 1.5s to 0.250s" in record.message


def test_an_explicit_buffer_that_leaves_no_time_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dynamorm_async.lambda"):
        assert choose_buffer(0.8, 1.0, None) == 1.0
        assert choose_buffer(0.8, 1.0, None) == 1.0
    [record] = [r for r in caplog.records if "every AWS call is refused" in r.message]
    assert record.levelno == logging.WARNING


@pytest.mark.parametrize("bad", [-1.0, True, "1"])
def test_a_nonsense_buffer_is_refused(bad: object) -> None:
    with pytest.raises(InvalidInput, match="buffer"):
        choose_buffer(1.0, bad, None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="buffer"):
        choose_buffer(1.0, None, bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- concurrency defaults


def test_the_core_defaults_follow_the_applied_tuning() -> None:
    assert concurrency.current() is None
    assert (concurrency.batch_concurrency(8), concurrency.scan_concurrency(5)) == (8, 5)
    optimize_for_memory(128)
    assert (concurrency.batch_concurrency(8), concurrency.scan_concurrency(5)) == (2, 2)
    optimize_for_memory(3008)
    assert (concurrency.batch_concurrency(8), concurrency.scan_concurrency(5)) == (16, 16)
    reset_tuning()
    assert concurrency.current() is None


@pytest.mark.anyio
async def test_a_scope_narrows_the_default_for_its_tasks_only() -> None:
    optimize_for_memory(3008)
    seen: list[int] = []

    async def child() -> None:
        seen.append(concurrency.batch_concurrency(8))

    with concurrency.concurrency_scope(concurrency.ConcurrencyLimits(batch=1, scan=1)):
        async with anyio.create_task_group() as tg:
            tg.start_soon(child)
    await child()
    assert seen == [1, 16]


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_limits_are_positive_ints(bad: object) -> None:
    with pytest.raises(InvalidInput):
        concurrency.ConcurrencyLimits(batch=bad, scan=1)  # type: ignore[arg-type]
