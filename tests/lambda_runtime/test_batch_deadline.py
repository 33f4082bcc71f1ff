"""A batch write held up until the Lambda deadline answers, before it, with done / not done / in doubt.

The function runs under awslambdaric against DynamoDB Local behind
:class:`~tests.lambda_runtime.slow_proxy.SlowProxy`, which holds every request back; what was
stored is read with plain boto3.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.lambda_runtime.conftest import FunctionFactory
from tests.lambda_runtime.slow_proxy import SlowProxy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.integration

HANDLERS = Path(__file__).parent / "handlers"


def test_a_500_item_batch_write_held_until_the_deadline_answers_with_the_three_sets(
    start_function: FunctionFactory, slow_proxy: SlowProxy, orders_table: str, boto3_client: DynamoDBClient
) -> None:
    function = start_function(
        "outcome_handler.handler",
        endpoint=slow_proxy.url,
        memory_mb=512,
        timeout=3.0,
        extra_paths=(str(HANDLERS),),
    )
    partner = f"p-{uuid.uuid4().hex[:8]}"
    slow_proxy.slow(30.0)  # every request is held: in flight when the deadline comes
    answer = function.invoke({"partner": partner, "count": 500})
    assert answer.outcome == "response", answer.error
    body = answer.json()
    assert body["timed_out"] is True
    assert body["remaining_ms"] > 0  # answered before Lambda's own deadline
    done, not_done, in_doubt = set(body["done"]), set(body["not_done"]), set(body["in_doubt"])
    everything = {f"o{n:05d}" for n in range(500)}
    assert done | not_done | in_doubt == everything
    assert len(done) + len(not_done) + len(in_doubt) == 500  # disjoint
    assert in_doubt and not_done  # the requests in flight, and the rest never sent
    print(
        f"\nLambda 500 held: done {len(done)}, not done {len(not_done)}, in doubt {len(in_doubt)}, "
        f"{body['remaining_ms']} ms left"
    )

    slow_proxy.release()  # held requests now reach DynamoDB: in doubt means "either"
    time.sleep(0.5)
    stored: set[str] = set()
    pages = boto3_client.get_paginator("query").paginate(
        TableName=orders_table,
        KeyConditionExpression="partner_id = :p",
        ExpressionAttributeValues={":p": {"S": partner}},
        ConsistentRead=True,
    )
    for page in pages:
        stored.update(str(item["order_id"]["S"]) for item in page["Items"])
    assert done <= stored
    assert not (not_done & stored)
