"""Tables for the stream tests, made with plain boto3 on DynamoDB Local."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def fresh_table(client: DynamoDBClient, params: dict[str, Any]) -> dict[str, Any]:
    """Create the table ``params`` describe, deleting an older one first; its description."""
    name = params["TableName"]
    try:
        client.delete_table(TableName=name)
        client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    except client.exceptions.ResourceNotFoundException:
        pass
    description: dict[str, Any] = dict(client.create_table(**params)["TableDescription"])
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    return description
