"""The lean transport on DynamoDB Local, answer for answer against boto3 on the same requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
import pytest
from botocore.exceptions import ClientError

from dynamorm_async.transport.lean import LeanConnectionError, LeanServiceError, LeanTransport
from tests.conftest import AWS_REGION
from tests.faultproxy import FaultProxy, Faults

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

BINARY_HASH = b"\x00\xffkey"


def strip(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without its per-request metadata."""
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


@pytest.fixture
async def lean(dynamodb_local: str) -> AsyncIterator[LeanTransport]:
    transport = LeanTransport(endpoint_url=dynamodb_local, region=AWS_REGION)
    yield transport
    await transport.close()


@pytest.fixture
async def table(lean: LeanTransport, boto3_client: DynamoDBClient) -> AsyncIterator[str]:
    """A fresh table (binary hash key, string range key), created through the lean transport."""
    name = f"lean_{uuid.uuid4().hex[:8]}"
    answer = await lean.call(
        "CreateTable",
        {
            "TableName": name,
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "B"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
        table=name,
    )
    described = boto3_client.describe_table(TableName=name)["Table"]
    assert answer["TableDescription"]["KeySchema"] == described["KeySchema"]
    assert answer["TableDescription"]["AttributeDefinitions"] == described["AttributeDefinitions"]
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["ResponseMetadata"]["RequestId"]
    yield name
    boto3_client.delete_table(TableName=name)


def full_item(sk: str) -> dict[str, Any]:
    return {
        "pk": {"B": BINARY_HASH},
        "sk": {"S": sk},
        "s": {"S": "héllo ✓"},
        "n": {"N": "-12.5e3"},
        "b": {"B": b"\x00\x01\x02\xfe"},
        "bs": {"BS": [b"a", b"\x00b"]},
        "null": {"NULL": True},
        "bool": {"BOOL": False},
        "ss": {"SS": ["x", "y"]},
        "ns": {"NS": ["1", "2.5"]},
        "m": {"M": {"B": {"B": b"\x07"}, "inner": {"L": [{"S": "a"}, {"N": "1"}, {"BS": [b"z"]}]}}},
        "l": {"L": [{"NULL": True}, {"M": {}}, {"B": b""}]},
    }


async def test_put_and_get_every_type(lean: LeanTransport, boto3_client: DynamoDBClient, table: str) -> None:
    item = full_item("a")
    put = await lean.call("PutItem", {"TableName": table, "Item": item}, table=table)
    assert strip(put) == {}
    key = {"pk": item["pk"], "sk": item["sk"]}
    ours = await lean.call("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
    theirs = boto3_client.get_item(TableName=table, Key=key, ConsistentRead=True)
    assert strip(ours) == strip(dict(theirs))
    assert ours["Item"]["b"] == {"B": b"\x00\x01\x02\xfe"}
    assert sorted(ours["Item"]["bs"]["BS"]) == [b"\x00b", b"a"]
    missing = await lean.call("GetItem", {"TableName": table, "Key": {"pk": item["pk"], "sk": {"S": "zz"}}})
    assert strip(missing) == {}


async def test_query_pagination_matches_boto3(
    lean: LeanTransport, boto3_client: DynamoDBClient, table: str
) -> None:
    for i in range(7):
        item = {**full_item(f"s{i:02}"), "i": {"N": str(i)}}
        await lean.call("PutItem", {"TableName": table, "Item": item})
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "ExpressionAttributeValues": {":p": {"B": BINARY_HASH}, ":s": {"S": "s"}},
        "Limit": 3,
        "ReturnConsumedCapacity": "TOTAL",
    }
    pages = 0
    seen: list[str] = []
    while True:
        ours = await lean.call("Query", request, table=table)
        theirs = boto3_client.query(**request)
        assert strip(ours) == strip(dict(theirs))
        seen += [i["sk"]["S"] for i in ours["Items"]]
        pages += 1
        if "LastEvaluatedKey" not in ours:
            break
        assert ours["LastEvaluatedKey"]["pk"] == {"B": BINARY_HASH}
        request["ExclusiveStartKey"] = ours["LastEvaluatedKey"]
    assert pages >= 3
    assert seen == [f"s{i:02}" for i in range(7)]


async def test_batch_write(lean: LeanTransport, boto3_client: DynamoDBClient, table: str) -> None:
    requests = [{"PutRequest": {"Item": full_item(f"b{i:02}")}} for i in range(25)]
    answer = await lean.call("BatchWriteItem", {"RequestItems": {table: requests}})
    assert answer["UnprocessedItems"] == {}
    count = boto3_client.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"B": BINARY_HASH}},
        Select="COUNT",
    )["Count"]
    assert count == 25


def boto3_error(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return dict(info.value.response)


async def test_transaction_cancellation_carries_reasons(
    lean: LeanTransport, boto3_client: DynamoDBClient, table: str
) -> None:
    old = full_item("t1")
    await lean.call("PutItem", {"TableName": table, "Item": old})
    request: dict[str, Any] = {
        "TransactItems": [
            {"Put": {"TableName": table, "Item": full_item("t2")}},
            {
                "Put": {
                    "TableName": table,
                    "Item": {**old, "s": {"S": "new"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        ]
    }
    with pytest.raises(LeanServiceError) as info:
        await lean.call("TransactWriteItems", request)
    theirs = boto3_error(boto3_client.transact_write_items, **request)
    error = info.value
    assert error.code == "TransactionCanceledException" == theirs["Error"]["Code"]
    assert error.status == 400
    assert error.request_id
    assert error.message == theirs["Error"]["Message"]
    assert error.body["CancellationReasons"] == theirs["CancellationReasons"]
    returned = error.body["CancellationReasons"][1]["Item"]
    assert (returned["sk"], returned["b"], returned["s"]) == (old["sk"], old["b"], old["s"])


async def test_conditional_check_failed_returns_old_item(
    lean: LeanTransport, boto3_client: DynamoDBClient, table: str
) -> None:
    old = full_item("c1")
    await lean.call("PutItem", {"TableName": table, "Item": old})
    request = {
        "TableName": table,
        "Item": old,
        "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    with pytest.raises(LeanServiceError) as info:
        await lean.call("PutItem", request)
    theirs = boto3_error(boto3_client.put_item, **request)
    assert info.value.code == "ConditionalCheckFailedException" == theirs["Error"]["Code"]
    assert info.value.body["Item"] == theirs["Item"]
    assert info.value.body["Item"]["m"] == old["m"]


async def test_missing_table(lean: LeanTransport, boto3_client: DynamoDBClient) -> None:
    request = {"TableName": "lean_no_such_table", "Key": {"pk": {"S": "x"}}}
    with pytest.raises(LeanServiceError) as info:
        await lean.call("GetItem", request)
    theirs = boto3_error(boto3_client.get_item, **request)
    assert info.value.code == "ResourceNotFoundException" == theirs["Error"]["Code"]
    assert info.value.status == theirs["ResponseMetadata"]["HTTPStatusCode"]


async def test_keep_alive_reuses_one_connection(lean: LeanTransport, table: str) -> None:
    for _ in range(5):
        await lean.call("GetItem", {"TableName": table, "Key": {"pk": {"B": b"x"}, "sk": {"S": "x"}}})
    assert lean.pool.connections_made == 1


async def test_dropped_answer_is_in_doubt_and_not_resent(
    dynamodb_local: str, boto3_client: DynamoDBClient, table: str
) -> None:
    faults = Faults(operations=frozenset({"PutItem"}), schedule=("ok", "drop_response"))
    async with FaultProxy(dynamodb_local, faults) as proxy:
        transport = LeanTransport(endpoint_url=proxy.endpoint_url, region=AWS_REGION)
        await transport.call("PutItem", {"TableName": table, "Item": full_item("d0")})
        with pytest.raises(LeanConnectionError) as info:
            await transport.call("PutItem", {"TableName": table, "Item": full_item("d1")})
        assert info.value.request_sent is True
        assert info.value.in_doubt
        assert info.value.reused_connection is True
        assert proxy.by_operation["PutItem"] == 2  # reported, not re-sent
        # DynamoDB did apply it: exactly the doubt the error reports.
        got = boto3_client.get_item(TableName=table, Key={"pk": {"B": BINARY_HASH}, "sk": {"S": "d1"}})
        assert "Item" in got
        # The transport goes on with a fresh connection.
        await transport.call("GetItem", {"TableName": table, "Key": {"pk": {"B": b"x"}, "sk": {"S": "x"}}})
        assert transport.pool.connections_made == 2
        await transport.close()


async def test_pool_bounds_connections(dynamodb_local: str, table: str) -> None:
    async with FaultProxy(dynamodb_local, Faults(latency=1.0, delay=0.05)) as proxy:
        transport = LeanTransport(endpoint_url=proxy.endpoint_url, region=AWS_REGION, max_connections=2)
        key = {"pk": {"B": b"x"}, "sk": {"S": "x"}}
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(transport.call, "GetItem", {"TableName": table, "Key": key})
        assert proxy.by_operation["GetItem"] == 10
        assert proxy.max_in_flight == 2
        assert transport.pool.connections_made == 2
        await transport.close()
