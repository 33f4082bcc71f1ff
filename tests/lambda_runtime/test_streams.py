"""``@db.stream_handler`` under awslambdaric, fed events made from DynamoDB Local's real stream.

The function (``handlers/stream_handler.py``) counts every record it handles in an effects table,
so each test can check that processed records were handled exactly once and reported ones not
at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dynamorm_async.schema import schema_of
from dynamorm_async.streams import lambda_event, read_stream
from dynamorm_async.tables import table_definition
from dynamorm_async.testing.lambda_runtime import LambdaProcess
from tests.conftest import AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
from tests.lambda_runtime.handlers.stream_handler import EFFECTS_TABLE, ORDERS_TABLE, Effect, StreamOrder
from tests.lambda_runtime.tables import fresh_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HANDLERS = Path(__file__).parent / "handlers"


@pytest.fixture(scope="module")
def stream_arn(boto3_client: DynamoDBClient) -> Iterator[str]:
    """The orders table with a NEW_AND_OLD_IMAGES stream, and the effects table; the stream's ARN."""
    orders = fresh_table(boto3_client, table_definition(schema_of(StreamOrder), stream="NEW_AND_OLD_IMAGES"))
    fresh_table(boto3_client, table_definition(schema_of(Effect)))
    yield orders["LatestStreamArn"]
    for table in (ORDERS_TABLE, EFFECTS_TABLE):
        boto3_client.delete_table(TableName=table)


@pytest.fixture(scope="module")
def streams_client(dynamodb_local: str) -> Any:
    """A boto3 ``dynamodbstreams`` client on DynamoDB Local."""
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    return session.client("dynamodbstreams", endpoint_url=dynamodb_local)


@pytest.fixture(scope="module")
def function(dynamodb_local: str, stream_arn: str) -> Iterator[LambdaProcess]:
    """The stream handler in one execution environment (512 MB: 1 s buffer, 4 keys at once)."""
    env = {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local,
        "AWS_ACCESS_KEY_ID": AWS_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET_ACCESS_KEY,
    }
    process = LambdaProcess(
        "stream_handler.handler", task_root=HANDLERS, env=env, memory_mb=512, timeout=10.0
    ).start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()
        print(f"--- output of the stream function ---\n{process.output()[-4000:]}")


def write(client: DynamoDBClient, *orders: StreamOrder) -> None:
    """Put each order in turn (the stream keeps this order), encoded by the model's schema."""
    schema = schema_of(StreamOrder)
    for order in orders:
        client.put_item(TableName=ORDERS_TABLE, Item=schema.encode(order))


def event_for(streams_client: Any, stream_arn: str, partners: set[str]) -> tuple[dict[str, Any], list[str]]:
    """The Lambda event of these partners' records, and their sequence numbers in stream order."""
    records = read_stream(streams_client, stream_arn)
    records = [r for r in records if r["dynamodb"]["Keys"]["partner_id"]["S"] in partners]
    event = json.loads(json.dumps(lambda_event(records, stream_arn=stream_arn)))
    return event, [r["dynamodb"]["SequenceNumber"] for r in records]


def effects(client: DynamoDBClient, sequences: list[str]) -> dict[str, int]:
    """How many times each of these records was handled (absent: never)."""
    counts = {}
    for seq in sequences:
        item = client.get_item(TableName=EFFECTS_TABLE, Key={"sequence_number": {"S": seq}}).get("Item")
        if item is not None:
            counts[seq] = int(item["count"]["N"])
    return counts


def reported(answer: Any) -> list[str]:
    """The sequence numbers of Lambda's ``batchItemFailures`` answer."""
    assert set(answer) == {"batchItemFailures"}
    return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]


def test_records_3_and_7_raise_and_only_they_and_the_later_records_of_their_keys_are_reported(
    function: LambdaProcess, boto3_client: DynamoDBClient, streams_client: Any, stream_arn: str
) -> None:
    run = uuid.uuid4().hex[:8]
    layout = ["a", "b", "c", "a", "b", "c", "c", "b", "a", "b"]
    write(
        boto3_client,
        *(
            StreamOrder(
                partner_id=f"{key}-{run}", order_id=f"o{i}", total=i, action="raise" if i in (3, 7) else ""
            )
            for i, key in enumerate(layout)
        ),
    )
    event, seqs = event_for(streams_client, stream_arn, {f"{key}-{run}" for key in layout})
    assert len(seqs) == 10

    answer = function.invoke(event).json()

    # 3 and 7 failed; 8 comes after 3 on key "a", 9 after 7 on key "b": retried in order.
    assert reported(answer) == [seqs[3], seqs[7], seqs[8], seqs[9]]
    assert effects(boto3_client, seqs) == {seqs[i]: 1 for i in (0, 1, 2, 4, 5, 6)}


def test_an_undecodable_record_is_reported_and_the_others_succeed(
    function: LambdaProcess, boto3_client: DynamoDBClient, streams_client: Any, stream_arn: str
) -> None:
    run = uuid.uuid4().hex[:8]
    write(boto3_client, StreamOrder(partner_id=f"good-{run}", order_id="o1", total=1))
    boto3_client.put_item(  # another writer put a string in the int field
        TableName=ORDERS_TABLE,
        Item={"partner_id": {"S": f"bad-{run}"}, "order_id": {"S": "o2"}, "total": {"S": "abc"}},
    )
    write(boto3_client, StreamOrder(partner_id=f"good-{run}", order_id="o3", total=3))
    event, seqs = event_for(streams_client, stream_arn, {f"good-{run}", f"bad-{run}"})
    assert len(seqs) == 3

    answer = function.invoke(event).json()

    assert reported(answer) == [seqs[1]]
    assert effects(boto3_client, seqs) == {seqs[0]: 1, seqs[2]: 1}
    assert "does not decode as StreamOrder (attribute 'total', field 'total')" in function.output()


def test_a_batch_reaching_the_deadline_answers_in_time_and_reports_every_unprocessed_record(
    function: LambdaProcess, boto3_client: DynamoDBClient, streams_client: Any, stream_arn: str
) -> None:
    run = uuid.uuid4().hex[:8]
    fast, stuck = f"fast-{run}", f"stuck-{run}"
    write(
        boto3_client,
        StreamOrder(partner_id=stuck, order_id="s0", action="sleep:30"),
        *(StreamOrder(partner_id=fast, order_id=f"f{i}", action="sleep:0.4") for i in range(6)),
        StreamOrder(partner_id=stuck, order_id="s1"),
        StreamOrder(partner_id=stuck, order_id="s2"),
    )
    event, seqs = event_for(streams_client, stream_arn, {fast, stuck})
    assert len(seqs) == 9
    stuck_seqs, fast_seqs = [seqs[0], seqs[7], seqs[8]], seqs[1:7]

    # Function timeout 3 s, buffer 1 s: the deadline is 2 s in; no record starts after 1.5 s.
    invocation = function.invoke(event, timeout=3.0)

    assert invocation.outcome == "response" and invocation.answered_before_deadline
    failed = reported(invocation.json())
    done = effects(boto3_client, seqs)
    assert set(done.values()) == {1}
    assert set(done).isdisjoint(failed) and set(done) | set(failed) == set(seqs)
    assert failed == sorted(failed, key=seqs.index)
    # The stuck record was cancelled at the deadline; its key's later records never started.
    assert set(stuck_seqs) <= set(failed)
    # The fast key went on in order until the stop margin: a prefix done, the rest reported.
    handled = [seq for seq in fast_seqs if seq in done]
    assert handled == fast_seqs[: len(handled)]
    assert 1 <= len(handled) < len(fast_seqs)
    # Running records are cancelled just before the deadline (2 s in), well before Lambda's (3 s).
    assert invocation.duration_ms is not None and invocation.duration_ms < 2600
