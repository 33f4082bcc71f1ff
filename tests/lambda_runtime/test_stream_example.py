"""examples/streams: the template agrees with the code, and the handler keeps the statistics right.

The handler runs under awslambdaric, fed events made from DynamoDB Local's real stream of the
orders table; a retried batch must not count anything twice.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from dynamorm_async.schema import schema_of
from dynamorm_async.streams import as_ttl_removal, lambda_event, read_stream
from dynamorm_async.tables import table_definition
from dynamorm_async.testing.lambda_runtime import LambdaProcess
from tests.conftest import AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "streams"
TEMPLATE = EXAMPLE_DIR / "template.yaml"
ORDERS_TABLE = "stream_example_orders"
STATS_TABLE = "stream_example_stats"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    """``examples/streams/handler.py``, imported under its own name."""
    spec = importlib.util.spec_from_file_location("streams_example_handler", EXAMPLE_DIR / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def template() -> dict[str, Any]:
    from cfnlint.decode import decode_str

    data, problems = decode_str(TEMPLATE.read_text())
    assert not problems
    result: dict[str, Any] = data
    return result


def test_the_template_passes_cfn_lint_with_the_sam_transform() -> None:
    from cfnlint.api import ManualArgs, lint_file

    assert lint_file(Path(TEMPLATE), ManualArgs()) == []


def test_the_template_feeds_the_stream_to_the_handler_with_partial_batch_failures(
    example: ModuleType,
) -> None:
    resources = template()["Resources"]
    function = resources["OrderStatsFunction"]["Properties"]
    module, name = function["Handler"].split(".")
    assert (EXAMPLE_DIR / f"{module}.py").is_file() and name == "handler"
    (source,) = function["Events"].values()
    assert source["Type"] == "DynamoDB"
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["Properties"]["Stream"] == {"Fn::GetAtt": ["OrdersTable", "StreamArn"]}

    orders = resources["OrdersTable"]["Properties"]
    assert orders["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    ttl = schema_of(example.Order).ttl
    assert ttl is not None and orders["TimeToLiveSpecification"]["AttributeName"] == ttl.attr
    for resource, model in (("OrdersTable", example.Order), ("PartnerStatsTable", example.PartnerStats)):
        table = resources[resource]["Properties"]
        expected = table_definition(schema_of(model))
        assert table["KeySchema"] == expected["KeySchema"]
        assert table["AttributeDefinitions"] == expected["AttributeDefinitions"]


def _fresh(client: DynamoDBClient, params: dict[str, Any]) -> dict[str, Any]:
    try:
        client.delete_table(TableName=params["TableName"])
        client.get_waiter("table_not_exists").wait(TableName=params["TableName"], WaiterConfig={"Delay": 1})
    except client.exceptions.ResourceNotFoundException:
        pass
    description: dict[str, Any] = dict(client.create_table(**params)["TableDescription"])
    client.get_waiter("table_exists").wait(TableName=params["TableName"], WaiterConfig={"Delay": 1})
    return description


@pytest.fixture(scope="module")
def stream_arn(boto3_client: DynamoDBClient, example: ModuleType) -> Iterator[str]:
    """The example's two tables on DynamoDB Local (orders with its stream); the stream's ARN."""
    orders = table_definition(schema_of(example.Order), stream="NEW_AND_OLD_IMAGES")
    stats = table_definition(schema_of(example.PartnerStats))
    arn = _fresh(boto3_client, {**orders, "TableName": ORDERS_TABLE})["LatestStreamArn"]
    _fresh(boto3_client, {**stats, "TableName": STATS_TABLE})
    yield arn
    for table in (ORDERS_TABLE, STATS_TABLE):
        boto3_client.delete_table(TableName=table)


def test_the_handler_keeps_partner_statistics_once_per_record(
    dynamodb_local: str, boto3_client: DynamoDBClient, example: ModuleType, stream_arn: str
) -> None:
    import boto3

    partner = f"p-{uuid.uuid4().hex[:8]}"
    schema = schema_of(example.Order)

    def put(order_id: str, total: int) -> None:
        order = example.Order(partner_id=partner, order_id=order_id, customer="Ada", total_cents=total)
        boto3_client.put_item(TableName=ORDERS_TABLE, Item=schema.encode(order))

    def delete(order_id: str) -> None:
        boto3_client.delete_item(
            TableName=ORDERS_TABLE, Key={"partner_id": {"S": partner}, "order_id": {"S": order_id}}
        )

    put("o1", 100)
    put("o2", 50)
    put("o1", 120)  # a modification
    delete("o2")
    put("o3", 7)
    delete("o3")  # made into a removal by time to live below
    streams = boto3.session.Session(region_name="us-east-1").client(
        "dynamodbstreams", endpoint_url=dynamodb_local
    )
    records = [
        r for r in read_stream(streams, stream_arn) if r["dynamodb"]["Keys"]["partner_id"]["S"] == partner
    ]
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT", "MODIFY", "REMOVE", "INSERT", "REMOVE"]
    records[-1] = as_ttl_removal(records[-1])
    event = json.loads(json.dumps(lambda_event(records, stream_arn=stream_arn)))

    env = {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local,
        "AWS_ACCESS_KEY_ID": AWS_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET_ACCESS_KEY,
        "ORDERS_TABLE": ORDERS_TABLE,
        "STATS_TABLE": STATS_TABLE,
    }
    with LambdaProcess("handler.handler", task_root=EXAMPLE_DIR, env=env, memory_mb=512, timeout=10.0) as fn:
        first = fn.invoke(event)
        again = fn.invoke(event)  # Lambda retrying the batch: nothing is counted twice
        output = fn.output()
    assert first.json() == {"batchItemFailures": []}, output
    assert again.json() == {"batchItemFailures": []}, output

    item = boto3_client.get_item(TableName=STATS_TABLE, Key={"partner_id": {"S": partner}})["Item"]
    stats = {k: next(iter(v.values())) for k, v in item.items()}
    assert stats == {
        "partner_id": partner,
        "orders": "1",
        "total_cents": "120",
        "expired": "1",
        "last_sequence": records[-1]["dynamodb"]["SequenceNumber"].zfill(40),
    }
