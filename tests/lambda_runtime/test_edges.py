"""Lambda's edges under awslambdaric: the shortest timeout, a dead endpoint at init, small memory.

Each test runs the example (or a handler of ``handlers/``) in a real execution environment
against DynamoDB Local, directly or through :class:`~tests.lambda_runtime.slow_proxy.SlowProxy`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from types import ModuleType

import pytest

from tests.lambda_runtime.conftest import FunctionFactory
from tests.lambda_runtime.slow_proxy import SlowProxy

pytestmark = pytest.mark.integration

HANDLERS = Path(__file__).parent / "handlers"


def partner() -> str:
    return f"p-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(("memory_mb", "timeout"), [(128, 1.0), (128, 1.4), (512, 1.0)])
def test_a_function_with_lambdas_shortest_timeouts_makes_its_dynamodb_calls(
    start_function: FunctionFactory, events: ModuleType, memory_mb: int, timeout: float
) -> None:
    # The tier's buffer (1.5 s at 128 MB, 1 s at 512 MB) is as long as the whole invocation:
    # kept as it is, every call would be refused before it is sent.
    function = start_function(memory_mb=memory_mb, timeout=timeout)
    who = partner()
    created = function.invoke(events.create_event(who, "Ada", 1000))
    assert created.outcome == "response", created.error
    assert created.json()["statusCode"] == 201, created.json()
    order = events.body_of(created.json())
    got = function.invoke(events.get_event(who, order["order_id"]))
    assert got.json()["statusCode"] == 200, got.json()
    assert events.body_of(got.json()) == order
    assert created.answered_before_deadline and got.answered_before_deadline
    # Said once in the log, not per invocation.
    assert function.output().count("Lambda deadline buffer reduced") == 1


def test_warm_up_against_an_endpoint_that_never_answers_keeps_init_short(
    start_function: FunctionFactory, events: ModuleType, slow_proxy: SlowProxy
) -> None:
    slow_proxy.slow(60.0)  # accepts connections and requests, never answers
    function = start_function(endpoint=slow_proxy.url, memory_mb=128, timeout=3.0)  # warm=True
    assert function.init_ms is not None and function.init_ms < 6000, function.init_ms
    print(f"init with a black-hole endpoint: {function.init_ms:.0f} ms")
    assert "DescribeTable" in slow_proxy.operations  # it did try
    assert "warming the connection stopped after its 2s budget" in function.output()
    assert function.api.init_errors == []

    first = function.invoke(events.get_event(partner(), "anything"))
    assert first.outcome == "response", first.error
    assert first.answered_before_deadline
    assert first.json()["statusCode"] == 503  # on_timeout: the GetItem was cut off at the deadline
    assert events.body_of(first.json())["operation"] == "GetItem"


def test_at_128_mb_a_batch_write_runs_at_most_the_tiers_concurrency(
    start_function: FunctionFactory, slow_proxy: SlowProxy
) -> None:
    slow_proxy.slow(0.05)  # each request takes a moment, so concurrent ones overlap
    function = start_function(
        "batch_handler.handler",
        endpoint=slow_proxy.url,
        memory_mb=128,
        timeout=20.0,
        extra_paths=(str(HANDLERS),),
    )
    done = function.invoke({"partner": partner(), "count": 200})  # 8 BatchWriteItem requests
    assert done.outcome == "response", done.error
    assert done.json()["written"] == 200
    assert slow_proxy.operations.count("BatchWriteItem") >= 8
    assert slow_proxy.max_in_flight == 2  # the 128 MB tier's batch concurrency


def test_at_128_mb_a_parallel_scan_reads_at_most_the_tiers_concurrency(
    start_function: FunctionFactory, slow_proxy: SlowProxy
) -> None:
    slow_proxy.slow(0.05)
    function = start_function(
        "batch_handler.handler",
        endpoint=slow_proxy.url,
        memory_mb=128,
        timeout=20.0,
        extra_paths=(str(HANDLERS),),
    )
    done = function.invoke({"segments": 8})
    assert done.outcome == "response", done.error
    assert slow_proxy.operations.count("Scan") >= 8
    assert slow_proxy.max_in_flight == 2  # the 128 MB tier's scan concurrency
