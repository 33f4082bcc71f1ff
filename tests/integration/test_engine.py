"""The storage engine used by the integration tests is a real DynamoDB (Local), not a mock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from aiobotocore.session import get_session

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def create_table(client: DynamoDBClient) -> str:
    """Create a fresh table with a string hash key ``pk`` and wait until it is usable."""
    name = f"engine-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    return name


@pytest.fixture
def table_name(boto3_client: DynamoDBClient) -> Iterator[str]:
    name = create_table(boto3_client)
    yield name
    boto3_client.delete_table(TableName=name)


def test_create_put_get_delete(boto3_client: DynamoDBClient) -> None:
    name = create_table(boto3_client)
    assert name in boto3_client.list_tables()["TableNames"]

    boto3_client.put_item(
        TableName=name,
        Item={"pk": {"S": "a"}, "n": {"N": "1.50"}, "tags": {"SS": ["x", "y"]}},
        ConditionExpression="attribute_not_exists(pk)",
    )
    got = boto3_client.get_item(TableName=name, Key={"pk": {"S": "a"}}, ConsistentRead=True)
    assert got["Item"]["pk"] == {"S": "a"}
    assert got["Item"]["n"] == {"N": "1.5"}  # the engine normalises numbers
    assert sorted(got["Item"]["tags"]["SS"]) == ["x", "y"]

    # A real engine enforces conditions; a stub that ignores them would let this through.
    with pytest.raises(boto3_client.exceptions.ConditionalCheckFailedException):
        boto3_client.put_item(
            TableName=name, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)"
        )

    boto3_client.delete_table(TableName=name)
    assert name not in boto3_client.list_tables()["TableNames"]


@pytest.mark.anyio
async def test_async_client_sees_the_same_tables(
    dynamodb_local: str, boto3_client: DynamoDBClient, table_name: str
) -> None:
    boto3_client.put_item(TableName=table_name, Item={"pk": {"S": "from-boto3"}})

    # No explicit credentials: the session fixture's environment must be enough, and must
    # select the same per-credentials database as boto3_client.
    async with get_session().create_client("dynamodb", endpoint_url=dynamodb_local) as client:
        response = await client.get_item(TableName=table_name, Key={"pk": {"S": "from-boto3"}})
    assert response["Item"] == {"pk": {"S": "from-boto3"}}
