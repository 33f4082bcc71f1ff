"""The example handler under AWS's runtime interface client (awslambdaric), against DynamoDB Local.

Each test runs a real execution environment: ``python -m awslambdaric`` in a subprocess, fed by the
local Lambda Runtime API of :mod:`dynamorm_async.testing.lambda_runtime`. Counters are read
through the example's ``debug_handler`` (the library's own debug counters, not its logs).
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from dynamorm_async.testing.lambda_runtime import new_trace_id
from tests.lambda_runtime.conftest import ORDERS_TABLE, FunctionFactory
from tests.lambda_runtime.slow_proxy import SlowProxy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.integration


def partner() -> str:
    """A partner id of its own for each test (the table is shared by the session)."""
    return f"p-{uuid.uuid4().hex[:8]}"


def stats(function: Any) -> dict[str, int]:
    invocation = function.invoke({"debug": "stats"})
    result: dict[str, int] = invocation.json()
    return result


def test_one_cold_and_fifty_warm_invocations_share_one_loop_and_one_client(
    start_function: FunctionFactory, events: ModuleType, boto3_client: DynamoDBClient
) -> None:
    function = start_function()
    pid = function.pid
    ledger = events.Ledger(partners=(partner(), partner()))
    plan = events.workload(51, ledger)
    for n, (label, make_event, check) in enumerate(plan):
        invocation = function.invoke(make_event())
        assert invocation.outcome == "response", (n, label, invocation.error)
        assert check(invocation.json()) is None, (n, label, invocation.json())
    assert function.alive and function.pid == pid

    counters = stats(function)
    assert counters["invocations"] == 51
    assert counters["cold_starts"] == 1
    assert counters["loops_created"] == 1
    assert counters["clients_created"] == 1
    assert counters["errors"] == counters["timeouts"] == 0

    # What the function wrote, read back with a plain boto3 client.
    some = ledger.orders[ledger.partners[1]][-1]
    stored = boto3_client.get_item(
        TableName=ORDERS_TABLE,
        Key={"partner_id": {"S": some["partner_id"]}, "order_id": {"S": some["order_id"]}},
        ConsistentRead=True,
    )["Item"]
    assert stored["customer"] == {"S": some["customer"]}
    assert stored["total_cents"] == {"N": str(some["total_cents"])}
    assert stored["version"] == {"N": "1"}


def test_a_call_cut_off_by_the_deadline_answers_in_time_and_the_environment_lives_on(
    start_function: FunctionFactory, events: ModuleType, slow_proxy: SlowProxy
) -> None:
    who = partner()
    function = start_function(endpoint=slow_proxy.url)  # 512 MB: a 1.0 s buffer
    created = events.body_of(function.invoke(events.create_event(who, "Ada", 4200)).json())

    slow_proxy.slow(30.0)
    before = len(slow_proxy.operations)
    cut = function.invoke(events.get_event(who, created["order_id"]), timeout=2.5)
    assert cut.outcome == "response", cut.error
    assert cut.answered_before_deadline
    assert cut.duration_ms is not None and 1200 < cut.duration_ms < 2500  # the buffer was kept
    answer = cut.json()
    assert answer["statusCode"] == 503
    body = events.body_of(answer)
    assert body["operation"] == "GetItem"
    assert f"cancelled GetItem on {ORDERS_TABLE!r}" in body["detail"]
    assert slow_proxy.operations[before:] == ["GetItem"]  # it really was sent, and held
    assert function.alive

    slow_proxy.release()
    again = function.invoke(events.get_event(who, created["order_id"]))
    assert again.json()["statusCode"] == 200
    assert events.body_of(again.json()) == created
    counters = stats(function)
    assert counters["timeouts"] == 1
    assert counters["clients_created"] == 1  # the pool survived the cancelled request
    assert counters["loops_created"] == 1


def test_an_invocation_with_less_time_left_than_the_smallest_buffer_sends_nothing(
    start_function: FunctionFactory, events: ModuleType
) -> None:
    function = start_function()
    calls = stats(function)["calls"]
    # The buffer fits the time an invocation has, but never drops below 0.1 s.
    late = function.invoke(events.get_event(partner(), "anything"), timeout=0.05)
    assert late.json()["statusCode"] == 503
    assert events.body_of(late.json())["operation"] == "GetItem"
    assert "was not sent" in events.body_of(late.json())["detail"]
    assert stats(function)["calls"] == calls


def test_a_handler_error_is_reported_with_its_type_and_the_next_invocation_succeeds(
    start_function: FunctionFactory, events: ModuleType
) -> None:
    function = start_function()
    failed = function.invoke({"not": "an API Gateway event"})
    assert failed.outcome == "error"
    assert failed.error_type == "UnsupportedEvent"
    assert failed.error is not None
    assert "routeKey" in failed.error["errorMessage"]
    assert any("handler.py" in line for line in failed.error["stackTrace"])
    assert failed.answered_before_deadline

    created = function.invoke(events.create_event(partner(), "Grace", 1))
    assert created.json()["statusCode"] == 201
    counters = stats(function)
    assert (counters["errors"], counters["invocations"], counters["loops_created"]) == (1, 2, 1)
    assert function.alive


class XRayDaemon:
    """A UDP socket standing in for the X-Ray daemon; collects the segment documents sent to it."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.documents: list[dict[str, Any]] = []

    @property
    def address(self) -> str:
        host, port = self.socket.getsockname()
        return f"{host}:{port}"

    def collect(self, until: Any, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Receive documents until ``until(documents)`` is true or ``timeout`` passes."""
        end = time.monotonic() + timeout
        while not until(self.documents) and time.monotonic() < end:
            try:
                datagram = self.socket.recv(65536)
            except TimeoutError:
                continue
            header, _, body = datagram.decode().partition("\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            self.documents.append(json.loads(body))
        return self.documents


def dynamodb_subsegments(documents: list[dict[str, Any]], trace: str) -> list[dict[str, Any]]:
    root = trace.split(";")[0].removeprefix("Root=")
    return [d for d in documents if d.get("name") == "dynamodb" and d.get("trace_id") == root]


@pytest.fixture
def daemon() -> Any:
    d = XRayDaemon()
    yield d
    d.socket.close()


@pytest.mark.parametrize("http", ["lean", "aiobotocore"])
def test_xray_segments_name_the_dynamodb_operations(
    start_function: FunctionFactory, events: ModuleType, daemon: XRayDaemon, http: str, tmp_path: Path
) -> None:
    env = {"ENABLE_XRAY": "1", "AWS_XRAY_DAEMON_ADDRESS": daemon.address}
    if http == "aiobotocore":
        # An AWS config file may say things only botocore reads: ``auto`` then keeps aiobotocore.
        (tmp_path / "config").write_text("[default]\n")
        env["AWS_CONFIG_FILE"] = str(tmp_path / "config")
    function = start_function(env=env)
    assert stats(function)[f"transports_{http}"] == 1  # the way to the wire ``auto`` chose
    who = partner()
    put_trace, summary_trace = new_trace_id(), new_trace_id()
    assert (
        function.invoke(events.create_event(who, "Edsger", 7), trace_id=put_trace).json()["statusCode"] == 201
    )
    assert function.invoke(events.summary_event(who), trace_id=summary_trace).json()["statusCode"] == 200

    def complete(docs: list[dict[str, Any]]) -> bool:
        return (
            len(dynamodb_subsegments(docs, put_trace)) >= 1
            and len(dynamodb_subsegments(docs, summary_trace)) >= 2
        )

    documents = daemon.collect(complete)
    (put,) = dynamodb_subsegments(documents, put_trace)
    assert put["type"] == "subsegment" and put["namespace"] == "aws"
    assert put["aws"]["operation"] == "PutItem"
    assert put["aws"]["table_name"] == ORDERS_TABLE
    assert put["annotations"] == {"operation": "PutItem", "table": ORDERS_TABLE}
    assert put["parent_id"] == put_trace.split(";")[1].removeprefix("Parent=")
    assert put["http"]["response"]["status"] == 200

    # The summary reads twice at once: two Query subsegments, siblings under the invocation's
    # segment (not nested in each other), each ended once.
    queries = dynamodb_subsegments(documents, summary_trace)
    assert [q["aws"]["operation"] for q in queries] == ["Query", "Query"]
    assert {q["parent_id"] for q in queries} == {summary_trace.split(";")[1].removeprefix("Parent=")}
    assert all(q["annotations"]["table"] == ORDERS_TABLE for q in queries)
    assert all(q["end_time"] >= q["start_time"] for q in queries)


def test_xray_annotates_the_partner_of_the_transport(
    start_function: FunctionFactory, events: ModuleType, daemon: XRayDaemon
) -> None:
    who = partner()
    function = start_function()
    created = events.body_of(function.invoke(events.create_event(who, "Barbara", 3)).json())
    labelled = start_function(
        "partner_handler.handler",
        env={"PARTNER_LABEL": who, "AWS_XRAY_DAEMON_ADDRESS": daemon.address},
        extra_paths=(str(__import__("pathlib").Path(__file__).parent / "handlers"),),
    )
    trace = new_trace_id()
    got = labelled.invoke({"partner": who, "order": created["order_id"]}, trace_id=trace)
    assert got.json() == {"partner_id": who, "order_id": created["order_id"], "customer": "Barbara"}
    (subsegment,) = dynamodb_subsegments(
        daemon.collect(lambda d: bool(dynamodb_subsegments(d, trace))), trace
    )
    assert subsegment["annotations"] == {"operation": "GetItem", "table": ORDERS_TABLE, "partner": who}


def test_snapstart_closes_the_client_before_the_snapshot_and_reconnects_after_the_restore(
    start_function: FunctionFactory, events: ModuleType
) -> None:
    function = start_function(initialization_type="snap-start")
    assert function.api.restores == 1  # awslambdaric asked for restore/next after the hooks ran
    assert function.api.restore_errors == [] and function.api.init_errors == []
    created = function.invoke(events.create_event(partner(), "Alan", 5))
    assert created.json()["statusCode"] == 201
    counters = stats(function)
    assert counters["restores"] == 1
    assert counters["clients_created"] == 2  # one made at init, one after the restore
    assert counters["clients_closed"] == 1  # the init one, before the snapshot
    assert counters["cold_starts"] == 1 and counters["loops_created"] == 1


def test_an_init_error_is_reported_to_the_runtime_api(start_function: FunctionFactory) -> None:
    function = start_function("no_such_module.handler", ready=False)
    deadline = time.monotonic() + 30
    while function.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not function.alive
    (error,) = function.api.init_errors
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "no_such_module" in error["errorMessage"]
