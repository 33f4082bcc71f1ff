"""A handler that catches ``Exception`` around calls in a loop still stops at the deadline.

A call refused at the deadline yields to the event loop once before raising, which delivers the
deadline scope's cancellation; before, it raised at once without yielding, the handler caught
the error and asked again, and the loop spun past Lambda's deadline (the runtime then killed it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lambda_runtime.conftest import FunctionFactory

pytestmark = pytest.mark.integration

HANDLERS = str(Path(__file__).parent / "handlers")


def test_a_handler_swallowing_every_error_in_a_loop_answers_before_the_deadline(
    start_function: FunctionFactory,
) -> None:
    function = start_function(
        "stubborn_handler.handler", extra_paths=(HANDLERS,), env={"DEADLINE_BUFFER": "0.5"}
    )
    for _ in range(3):  # the environment lives on: every invocation stops in time
        got = function.invoke({}, timeout=1.5)
        assert got.answered_before_deadline, (got.outcome, got.error, got.duration_ms)
        answer = got.json()
        assert answer["stopped"] == "LambdaTimeoutError"
        assert answer["calls"] > 10  # it did work for about a second
        # The loop ended at the first refused call: no spinning through thousands of refusals.
        assert answer["errors"] <= 1
        assert got.duration_ms is not None and got.duration_ms < 1500
