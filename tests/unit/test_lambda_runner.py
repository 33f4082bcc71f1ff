"""The handler runner in this process: one loop across invocations, cold/warm marks, errors, timeouts.

(The same runner under AWS's runtime client is tested in tests/lambda_runtime/.)
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from dynamorm_async import LambdaDB, LambdaTimeoutError
from dynamorm_async.aws_lambda import HandlerRunner, InvocationInfo, current_invocation
from dynamorm_async.aws_lambda.runner import RUNTIME_STATS
from dynamorm_async.deadline import current_deadline


@dataclass(frozen=True)
class Context:
    """The parts of Lambda's context the runner reads."""

    millis: int = 60_000
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


@pytest.fixture
def runner() -> Iterator[HandlerRunner]:
    r = HandlerRunner()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def on_demand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)


async def where(event: Any, context: Any) -> dict[str, Any]:
    info = current_invocation()
    assert info is not None
    deadline = current_deadline()
    return {"loop": id(asyncio.get_running_loop()), "info": info, "deadline": deadline, "event": event}


def test_every_invocation_runs_on_the_one_loop(runner: HandlerRunner) -> None:
    loops = RUNTIME_STATS.loops_created
    handler = runner.handler(where)
    answers = [handler({"n": n}, Context()) for n in range(20)]
    assert len({a["loop"] for a in answers}) == 1
    assert RUNTIME_STATS.loops_created == loops + 1
    assert [a["event"]["n"] for a in answers] == list(range(20))


def test_the_first_invocation_is_cold_and_the_rest_warm(runner: HandlerRunner) -> None:
    cold = RUNTIME_STATS.cold_starts
    handler = runner.handler(where)
    infos: list[InvocationInfo] = [handler({}, Context(aws_request_id=f"r{n}"))["info"] for n in range(3)]
    assert [(i.number, i.start, i.cold, i.request_id) for i in infos] == [
        (1, "cold", True, "r0"),
        (2, "warm", False, "r1"),
        (3, "warm", False, "r2"),
    ]
    assert RUNTIME_STATS.cold_starts == cold + 1


@pytest.mark.parametrize(
    ("init_type", "first", "cold"),
    [
        ("on-demand", "cold", True),
        ("provisioned-concurrency", "provisioned", False),
        ("snap-start", "restore", True),
    ],
)
def test_the_initialization_type_decides_how_the_first_invocation_started(
    runner: HandlerRunner, monkeypatch: pytest.MonkeyPatch, init_type: str, first: str, cold: bool
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", init_type)
    handler = runner.handler(where)
    info = handler({}, Context())["info"]
    assert (info.start, info.cold, info.initialization_type) == (first, cold, init_type)
    assert handler({}, Context())["info"].start == "warm"


def test_a_restore_marks_the_next_invocation(runner: HandlerRunner) -> None:
    handler = runner.handler(where)
    handler({}, Context())
    runner.mark_restored()
    assert handler({}, Context())["info"].start == "restore"
    assert handler({}, Context())["info"].start == "warm"


def test_the_deadline_comes_from_the_context(runner: HandlerRunner) -> None:
    handler = runner.handler(where, buffer=2.0)
    answer = handler({}, Context(millis=30_000))
    deadline = answer["deadline"]
    assert deadline is not None and "2s buffer" in deadline.label
    assert runner.handler(where)({}, None)["deadline"] is None  # a local call: no deadline


def test_context_variables_do_not_leak_between_invocations(runner: HandlerRunner) -> None:
    var: contextvars.ContextVar[int] = contextvars.ContextVar("var", default=0)

    async def bump(event: Any, context: Any) -> int:
        var.set(var.get() + 1)
        return var.get()

    handler = runner.handler(bump)
    assert [handler({}, Context()) for _ in range(3)] == [1, 1, 1]


def test_an_error_propagates_and_the_next_invocation_runs(runner: HandlerRunner) -> None:
    errors = RUNTIME_STATS.errors

    async def fails(event: Any, context: Any) -> None:
        raise KeyError(event["missing"])

    handler = runner.handler(fails)
    with pytest.raises(KeyError):
        handler({}, Context())
    assert RUNTIME_STATS.errors == errors + 1
    assert runner.handler(where)({"ok": 1}, Context())["event"] == {"ok": 1}


async def slow(event: Any, context: Any) -> str:
    await anyio.sleep(10)
    return "finished"


def test_at_the_deadline_on_timeout_answers(runner: HandlerRunner) -> None:
    timeouts = RUNTIME_STATS.timeouts
    seen: list[LambdaTimeoutError] = []

    def answer(event: Any, context: Any, error: LambdaTimeoutError) -> str:
        seen.append(error)
        return f"timeout for {event['id']}"

    handler = runner.handler(slow, buffer=0.05, on_timeout=answer)
    assert handler({"id": 7}, Context(millis=150)) == "timeout for 7"
    assert RUNTIME_STATS.timeouts == timeouts + 1
    assert isinstance(seen[0], LambdaTimeoutError)


def test_at_the_deadline_without_on_timeout_the_error_is_raised(runner: HandlerRunner) -> None:
    handler = runner.handler(slow, buffer=0.05)
    with pytest.raises(LambdaTimeoutError):
        handler({}, Context(millis=150))


def test_only_async_functions_are_accepted(runner: HandlerRunner) -> None:
    def sync_handler(event: Any, context: Any) -> None:
        return None

    with pytest.raises(TypeError, match="async def"):
        runner.handler(sync_handler)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_from_async_code_await_invoke_instead(runner: HandlerRunner) -> None:
    handler = runner.handler(where)
    with pytest.raises(RuntimeError, match="invoke"):
        handler({}, Context())
    answer = await handler.invoke({"via": "invoke"}, Context())
    assert answer["loop"] == id(asyncio.get_running_loop())


def test_close_runs_the_closers_and_a_later_run_makes_a_new_loop() -> None:
    runner = HandlerRunner()
    closed: list[str] = []

    async def closer() -> None:
        closed.append("db")

    runner.on_close(closer)
    first = runner.loop
    runner.close()
    assert closed == ["db"] and first.is_closed()
    assert runner.loop is not first
    runner.close()


def test_lambda_db_handler_decorator_forms(runner: HandlerRunner) -> None:
    db = LambdaDB(region="us-east-1", runner=runner, timeout_buffer=0.5)

    @db.handler
    async def plain(event: Any, context: Any) -> str:
        deadline = current_deadline()
        return "none" if deadline is None else deadline.label

    @db.handler(on_timeout=lambda event, context, error: "late")
    async def slow_one(event: Any, context: Any) -> str:
        await anyio.sleep(10)
        return "finished"

    assert "0.5s buffer" in plain({}, Context())
    assert slow_one({}, Context(millis=600)) == "late"
    assert plain.__name__ == "plain"  # a wrapper that keeps the handler's name and docs
