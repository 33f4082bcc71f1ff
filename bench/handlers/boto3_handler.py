"""boto3: a client made at module level (the init phase), as the AWS documentation advises."""

from __future__ import annotations

import os
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer

TABLE = os.environ.get("BENCH_TABLE", "dynamorm_bench")
client = boto3.client("dynamodb", endpoint_url=os.environ.get("BENCH_ENDPOINT_URL"))
deserialize = TypeDeserializer().deserialize


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Read one item and return it as JSON data."""
    response = client.get_item(TableName=TABLE, Key={"pk": {"S": event["pk"]}, "sk": {"S": event["sk"]}})
    return {k: deserialize(v) for k, v in response["Item"].items()}
