"""A stream of a table shared by two models, under awslambdaric, fed from DynamoDB Local's real
stream: each record reaches the handler of the model its discriminator names, decoded into that
model, and a record of a model no route knows is reported to Lambda, not crashed on."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dynamorm_async.schema import schema_of
from dynamorm_async.streams import lambda_event, read_stream
from dynamorm_async.tables import table_definition
from dynamorm_async.testing.lambda_runtime import LambdaProcess
from tests.conftest import AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
from tests.lambda_runtime.handlers.mixed_stream_handler import MIXED_TABLE, SEEN_TABLE, Sale, Seen, Shop
from tests.lambda_runtime.tables import fresh_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HANDLERS = Path(__file__).parent / "handlers"


@pytest.fixture(scope="module")
def stream_arn(boto3_client: DynamoDBClient) -> Iterator[str]:
    """The shared table (made from both models) with a NEW_AND_OLD_IMAGES stream; its ARN."""
    mixed = fresh_table(boto3_client, table_definition(schema_of(Shop), stream="NEW_AND_OLD_IMAGES"))
    fresh_table(boto3_client, table_definition(schema_of(Seen)))
    yield mixed["LatestStreamArn"]
    for table in (MIXED_TABLE, SEEN_TABLE):
        boto3_client.delete_table(TableName=table)


@pytest.fixture(scope="module")
def function(dynamodb_local: str, stream_arn: str) -> Iterator[LambdaProcess]:
    env = {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local,
        "AWS_ACCESS_KEY_ID": AWS_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET_ACCESS_KEY,
    }
    process = LambdaProcess(
        "mixed_stream_handler.handler", task_root=HANDLERS, env=env, memory_mb=512, timeout=10.0
    ).start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()
        print(f"--- output of the stream function ---\n{process.output()[-4000:]}")


def test_each_record_reaches_its_models_handler_and_an_unknown_one_is_reported(
    function: LambdaProcess, boto3_client: DynamoDBClient, dynamodb_local: str, stream_arn: str
) -> None:
    import boto3

    run = uuid.uuid4().hex[:8]
    shop, sale = schema_of(Shop), schema_of(Sale)
    items = [
        shop.encode(Shop(pk=f"s-{run}", sk="PROFILE", name="Corner")),
        sale.encode(Sale(pk=f"s-{run}", sk="SALE#1", amount=7)),
        {"pk": {"S": f"t-{run}"}, "sk": {"S": "COUPON#1"}, "entity": {"S": "COUPON"}},  # no model for it
        sale.encode(Sale(pk=f"u-{run}", sk="SALE#2", amount=9)),
    ]
    for item in items:
        boto3_client.put_item(TableName=MIXED_TABLE, Item=item)
    streams = boto3.session.Session(region_name="us-east-1").client(
        "dynamodbstreams", endpoint_url=dynamodb_local
    )
    records = [r for r in read_stream(streams, stream_arn) if r["dynamodb"]["Keys"]["pk"]["S"].endswith(run)]
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert len(seqs) == 4
    event = json.loads(json.dumps(lambda_event(records, stream_arn=stream_arn)))

    answer = function.invoke(event).json()

    assert answer == {"batchItemFailures": [{"itemIdentifier": seqs[2]}]}
    seen = {}
    for seq in seqs:
        found = boto3_client.get_item(TableName=SEEN_TABLE, Key={"sequence_number": {"S": seq}}).get("Item")
        if found is not None:
            seen[seq] = (found["model"]["S"], found["detail"]["S"])
    assert seen == {seqs[0]: ("Shop", "Corner"), seqs[1]: ("Sale", "7"), seqs[3]: ("Sale", "9")}
