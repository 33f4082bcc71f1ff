"""Fixtures for the Lambda runtime tests: the example's table, a slow proxy, functions under awslambdaric."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from dynamorm_async.testing.lambda_runtime import LambdaProcess
from tests.lambda_runtime.slow_proxy import SlowProxy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "lambda"
#: The table the example handler uses in these tests (``ORDERS_TABLE``).
ORDERS_TABLE = "lambda_runtime_orders"

FunctionFactory = Callable[..., LambdaProcess]


def load_example_module(name: str) -> ModuleType:
    """Import ``examples/lambda/<name>.py`` (the folder is not a package: ``lambda`` is a keyword)."""
    spec = importlib.util.spec_from_file_location(f"lambda_example_{name}", EXAMPLE_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def events() -> ModuleType:
    """``examples/lambda/run_local.py``: API Gateway event builders for the example's routes."""
    return load_example_module("run_local")


@pytest.fixture(scope="session")
def orders_table(boto3_client: DynamoDBClient) -> Iterator[str]:
    """The example's table on DynamoDB Local, made independently of the library with boto3."""
    try:
        boto3_client.delete_table(TableName=ORDERS_TABLE)
        boto3_client.get_waiter("table_not_exists").wait(TableName=ORDERS_TABLE, WaiterConfig={"Delay": 1})
    except boto3_client.exceptions.ResourceNotFoundException:
        pass
    boto3_client.create_table(
        TableName=ORDERS_TABLE,
        AttributeDefinitions=[
            {"AttributeName": "partner_id", "AttributeType": "S"},
            {"AttributeName": "order_id", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "partner_id", "KeyType": "HASH"},
            {"AttributeName": "order_id", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3_client.get_waiter("table_exists").wait(TableName=ORDERS_TABLE, WaiterConfig={"Delay": 1})
    yield ORDERS_TABLE
    boto3_client.delete_table(TableName=ORDERS_TABLE)


@pytest.fixture
def slow_proxy(dynamodb_local: str) -> Iterator[SlowProxy]:
    """A proxy in front of DynamoDB Local that forwards at once until told to hold requests."""
    with SlowProxy(dynamodb_local) as proxy:
        yield proxy


@pytest.fixture
def start_function(dynamodb_local: str, orders_table: str) -> Iterator[FunctionFactory]:
    """``start_function(handler="debug_handler.handler", endpoint=..., env=..., **options)``.

    Starts the example (by default with its debug answer) under awslambdaric against DynamoDB
    Local (or ``endpoint``) and waits for its init phase; every function is stopped after the test,
    and its output is shown if the test failed.
    """
    started: list[LambdaProcess] = []

    def start(
        handler: str = "debug_handler.handler",
        *,
        endpoint: str | None = None,
        env: Mapping[str, str] | None = None,
        ready: bool = True,
        **options: Any,
    ) -> LambdaProcess:
        variables = {
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint or dynamodb_local,
            "ORDERS_TABLE": orders_table,
            "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
            **(env or {}),
        }
        options.setdefault("memory_mb", 512)
        options.setdefault("timeout", 10.0)
        function = LambdaProcess(handler, task_root=EXAMPLE_DIR, env=variables, **options)
        started.append(function.start())
        if ready:
            function.wait_ready()
        return function

    yield start
    for function in started:
        function.stop()
        print(f"--- output of {function.handler} (pid {function.pid}) ---\n{function.output()[-4000:]}")
