"""The retrying transport's policy: what is retried, the budget, the deadline, what callers are told.

The way to the wire is a scripted raw transport (the :class:`RawTransport` seam): each attempt
takes the next outcome of its script. The real wire is exercised in
``tests/integration/test_transport_faults.py`` through the fault proxy.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import anyio
import pytest

from dynamorm_async import DB
from dynamorm_async.deadline import Deadline, deadline_scope
from dynamorm_async.errors import (
    ConditionCheckFailed,
    ConnectionFailed,
    DeadlineExceeded,
    ServiceError,
    Throttled,
)
from dynamorm_async.retry import Backoff, RetryBudget, RetryPolicy
from dynamorm_async.transport import (
    IN_DOUBT_ATTEMPTS,
    RETRY_ATTEMPTS,
    RetryingTransport,
    Transport,
    as_transport,
    observe_calls,
)
from dynamorm_async.transport.errortable import CONNECT_FAILED, CONNECTION_LOST

pytestmark = pytest.mark.anyio

Outcome = dict[str, Any] | BaseException


class Scripted:
    """A raw transport whose attempts follow a script (answers or exceptions), then answer ``{}``."""

    service = "dynamodb"

    def __init__(self, *script: Outcome) -> None:
        self.script = list(script)
        self.sent: list[str] = []

    @property
    def has_client(self) -> bool:
        return True

    async def connect(self) -> None:
        return None

    async def send(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.sent.append(operation)
        outcome = self.script.pop(0) if self.script else {}
        if isinstance(outcome, BaseException):
            raise outcome
        return dict(outcome)

    async def close(self) -> None:
        return None


def throttle() -> Throttled:
    return Throttled("slow down", code="ThrottlingException", status=400)


def lost() -> ConnectionFailed:
    return ConnectionFailed("reset", code=CONNECTION_LOST, may_have_reached_aws=True)


def refused() -> ConnectionFailed:
    return ConnectionFailed("refused", code=CONNECT_FAILED, may_have_reached_aws=False)


def fast(attempts: int = 3) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, backoff=Backoff(attempts=attempts, base=0.0), throttle_base=0.0)


# --------------------------------------------------------------------------- budget
def test_the_budget_pays_retries_and_refuses_only_later_retries_when_empty() -> None:
    budget = RetryBudget(capacity=20, retry_cost=5, failure_cost=10)
    assert budget.withdraw(throttle(), retry=1) == 5
    assert budget.withdraw(lost(), retry=2) == 10
    assert budget.withdraw(throttle(), retry=2) == 5
    assert budget.tokens == 0
    assert budget.withdraw(throttle(), retry=2) is None  # a second retry is refused when empty
    assert budget.withdraw(lost(), retry=1) == 0  # a first retry is always allowed, free
    budget.deposit(0)  # a success without retries refills a little
    assert budget.tokens == 1
    budget.deposit(15)  # a success after retries refunds what they cost, up to the capacity
    assert budget.tokens == 16
    budget.deposit(100)
    assert budget.tokens == 20


def test_the_budget_never_switches_retries_off() -> None:
    budget = RetryBudget()
    for _ in range(10_000):  # a long bad patch with no success at all
        budget.withdraw(lost(), retry=1)
        budget.withdraw(lost(), retry=2)
    assert budget.tokens < budget.failure_cost
    assert budget.withdraw(lost(), retry=1) == 0


def test_throttles_back_off_from_a_larger_base_with_full_jitter() -> None:
    policy = RetryPolicy(backoff=Backoff(base=0.01, cap=5.0, rng=random.Random(2)), throttle_base=0.5)
    throttled = [policy.delay(throttle(), 1) for _ in range(500)]
    other = [policy.delay(lost(), 1) for _ in range(500)]
    assert max(throttled) <= 0.5 and max(throttled) > 0.45 and min(throttled) < 0.01
    assert max(other) <= 0.01
    assert max(policy.delay(throttle(), 10) for _ in range(200)) <= 5.0


# --------------------------------------------------------------------------- the transport
async def test_transient_failures_are_retried_and_the_answer_says_how() -> None:
    raw = Scripted(lost(), throttle(), {"Item": {"k": {"S": "v"}}})
    answer = await RetryingTransport(raw, policy=fast()).call("GetItem", {}, table="t")
    assert raw.sent == ["GetItem"] * 3
    assert answer["Item"] == {"k": {"S": "v"}}
    assert answer["ResponseMetadata"][RETRY_ATTEMPTS] == 2
    assert answer["ResponseMetadata"][IN_DOUBT_ATTEMPTS] == 1


async def test_a_first_success_reports_no_retries() -> None:
    answer = await RetryingTransport(Scripted({"ResponseMetadata": {"RequestId": "R"}}), policy=fast()).call(
        "GetItem", {}
    )
    assert answer["ResponseMetadata"] == {"RequestId": "R", RETRY_ATTEMPTS: 0, IN_DOUBT_ATTEMPTS: 0}


async def test_the_last_error_says_how_many_attempts_and_whether_one_is_in_doubt() -> None:
    raw = Scripted(lost(), refused(), refused())
    with pytest.raises(ConnectionFailed) as caught:
        await RetryingTransport(raw, policy=fast(), label="acme").call("PutItem", {}, table="orders")
    err = caught.value
    assert (err.attempts, err.in_doubt, err.may_have_reached_aws) == (3, True, False)
    assert (err.table, err.partner, err.operation) == ("orders", "acme", "PutItem")
    raw = Scripted(refused(), refused(), refused())
    with pytest.raises(ConnectionFailed) as caught:
        await RetryingTransport(raw, policy=fast()).call("PutItem", {})
    assert (caught.value.attempts, caught.value.in_doubt) == (3, False)


async def test_errors_caused_by_the_request_are_not_retried() -> None:
    raw = Scripted(ConditionCheckFailed("no", code="ConditionalCheckFailedException"))
    with pytest.raises(ConditionCheckFailed) as caught:
        await RetryingTransport(raw, policy=fast()).call("PutItem", {})
    assert raw.sent == ["PutItem"] and caught.value.attempts == 1


async def test_5xx_answers_are_retried_4xx_are_not() -> None:
    raw = Scripted(ServiceError("odd", code="Weird", status=503), {})
    await RetryingTransport(raw, policy=fast()).call("GetItem", {})
    assert len(raw.sent) == 2
    raw = Scripted(ServiceError("odd", code="Weird", status=400), {})
    with pytest.raises(ServiceError):
        await RetryingTransport(raw, policy=fast()).call("GetItem", {})
    assert len(raw.sent) == 1


async def test_foreign_exceptions_are_mapped_with_the_table() -> None:
    raw = Scripted(ConnectionResetError(104, "reset"), ConnectionResetError(104, "reset"))
    with pytest.raises(ConnectionFailed) as caught:
        await RetryingTransport(raw, policy=fast(2)).call("GetItem", {})
    assert caught.value.code == CONNECTION_LOST
    assert isinstance(caught.value.__cause__, ConnectionResetError)


async def test_an_empty_budget_still_allows_one_retry_per_call() -> None:
    transport = RetryingTransport(Scripted(), policy=fast(), budget=RetryBudget(capacity=0))
    for _ in range(3):
        transport.raw = raw = Scripted(lost(), lost(), {})
        with pytest.raises(ConnectionFailed) as caught:
            await transport.call("GetItem", {})
        assert raw.sent == ["GetItem", "GetItem"] and caught.value.attempts == 2


# --------------------------------------------------------------------------- the deadline
async def test_a_backoff_that_would_pass_the_deadline_raises_before_it_without_sleeping() -> None:
    policy = RetryPolicy(attempts=5, backoff=Backoff(base=10.0, cap=10.0, rng=random.Random(4)))
    assert policy.delay(throttle(), 1) > 0.3  # what the seed draws first
    policy = RetryPolicy(attempts=5, backoff=Backoff(base=10.0, cap=10.0, rng=random.Random(4)))
    raw = Scripted(throttle())
    start = anyio.current_time()
    with deadline_scope(Deadline(start + 0.3)), pytest.raises(DeadlineExceeded) as caught:
        await RetryingTransport(raw, policy=policy).call("GetItem", {})
    assert anyio.current_time() - start < 0.1
    assert raw.sent == ["GetItem"]
    assert caught.value.attempts == 1 and isinstance(caught.value.__cause__, Throttled)
    assert caught.value.remaining is not None and caught.value.remaining > 0


async def test_no_attempt_starts_past_the_deadline_and_the_refusal_yields_once() -> None:
    raw = Scripted()
    transport = RetryingTransport(raw, policy=fast())
    with anyio.CancelScope() as scope:
        scope.cancel()  # as a deadline scope past its deadline would be
        with deadline_scope(Deadline(anyio.current_time() - 1)):
            try:
                await transport.call("GetItem", {})
            except DeadlineExceeded:  # a handler swallowing errors in a loop
                pass
            pytest.fail("the refused call must deliver the pending cancellation")  # pragma: no cover
    assert scope.cancelled_caught
    assert raw.sent == []
    with deadline_scope(Deadline(anyio.current_time() - 1)), pytest.raises(DeadlineExceeded) as caught:
        await transport.call("GetItem", {})
    assert caught.value.attempts == 0 and not caught.value.in_doubt
    assert raw.sent == []


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def call_started(self, operation: str, table: str | None) -> object:
        self.events.append(("start", (operation, table)))
        return len(self.events)

    def call_ended(self, token: object, error: BaseException | None) -> None:
        self.events.append(("end", (token, type(error).__name__ if error else None)))


async def test_the_call_observer_sees_every_call_start_and_end_once() -> None:
    transport = RetryingTransport(Scripted({}, throttle(), throttle(), throttle()), policy=fast())
    recorder = Recorder()
    with observe_calls(recorder):
        await transport.call("GetItem", {}, table="t")
        with pytest.raises(Throttled):
            await transport.call("PutItem", {}, table="t")
        with deadline_scope(Deadline(anyio.current_time() - 1)), pytest.raises(DeadlineExceeded):
            await transport.call("Query", {}, table="t")
    await transport.call("Scan", {})  # outside the block: not observed
    assert recorder.events == [
        ("start", ("GetItem", "t")),
        ("end", (1, None)),
        ("start", ("PutItem", "t")),
        ("end", (3, "Throttled")),
        ("start", ("Query", "t")),
        ("end", (5, "DeadlineExceeded")),
    ]


async def test_db_wraps_a_raw_transport_and_uses_a_full_one_as_is() -> None:
    raw = Scripted()
    db = DB(transport=raw)
    assert isinstance(db.transport, RetryingTransport) and db.transport.raw is raw
    full = RetryingTransport(raw)
    assert DB(transport=full).transport is full
    assert as_transport(full) is full
    assert isinstance(full, Transport) and not isinstance(raw, Transport)
