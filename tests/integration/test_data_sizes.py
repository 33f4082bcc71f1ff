"""Item sizes as DynamoDB computes them, pinned at the 400 KB limit against DynamoDB Local.

For each value shape an item is padded with a string so that :func:`item_size` says exactly
409,600 bytes: DynamoDB must accept it, and refuse it one byte larger. Both sides of the limit
are probed with boto3 (the library refuses the larger one itself, before sending).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from botocore.exceptions import ClientError

from dynamorm_async import DB, HashKey, ItemTooLarge, Model
from dynamorm_async.marshal import MAX_ITEM_BYTES, item_size, serialize

from .conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

TABLE = "data_sizes"


class Sized(Model, table="data_sizes_orm"):
    pk: Annotated[str, HashKey()]
    pad: str = ""
    probe: Any = None


SHAPES: list[tuple[str, Any]] = [
    ("string", "héllo wörld"),
    ("binary", b"\x00\x01\x02" * 7),
    ("zero", 0),
    ("integer", 12),
    ("hundred", 100),
    ("negative integer", -7),
    ("one and a half", Decimal("1.5")),
    ("123.456", Decimal("123.456")),
    ("small fraction", Decimal("0.001")),
    ("negative fraction", Decimal("-123.456")),
    ("38 digits", Decimal("1.234567890123456789012345678901234567")),
    ("largest", Decimal("9.9999999999999999999999999999999999999E+125")),
    ("smallest", Decimal("1E-130")),
    ("10**38", 10**38),
    ("list", [1, "two", b"3", True, None, [Decimal("4.5")]]),
    ("map", {"a": 1, "bb": {"ccc": "d"}, "e": [None, False]}),
    ("string set", {"x", "yy", "zzz"}),
    ("number set", {Decimal("1.5"), 100, -3}),
    ("binary set", {b"a", b"bc"}),
    ("boolean", True),
    ("null", None),
]


def _item(pad: int, probe: Any) -> dict[str, Any]:
    return {"pk": {"S": "k"}, "pad": {"S": "x" * pad}, "probe": serialize(probe)}


def _accepted(client: DynamoDBClient, item: dict[str, Any]) -> bool:
    try:
        client.put_item(TableName=TABLE, Item=item)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ValidationException":
            raise
        return False
    return True


@pytest.fixture(scope="module")
def sizes_table(dynamodb_local: str, boto3_client: DynamoDBClient) -> str:
    try:
        boto3_client.delete_table(TableName=TABLE)
    except ClientError:
        pass
    boto3_client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return TABLE


@pytest.mark.parametrize(("shape", "probe"), SHAPES, ids=[s[0] for s in SHAPES])
def test_the_limit_is_where_dynamodb_puts_it(
    sizes_table: str, boto3_client: DynamoDBClient, shape: str, probe: Any
) -> None:
    base = item_size(_item(0, probe))
    pad = MAX_ITEM_BYTES - base
    at_limit, over = _item(pad, probe), _item(pad + 1, probe)
    assert item_size(at_limit) == MAX_ITEM_BYTES and item_size(over) == MAX_ITEM_BYTES + 1
    assert _accepted(boto3_client, at_limit), f"{shape}: DynamoDB refused an item sized {MAX_ITEM_BYTES}"
    assert not _accepted(boto3_client, over), f"{shape}: DynamoDB took an item sized {MAX_ITEM_BYTES + 1}"


async def test_the_library_refuses_one_byte_over_and_sends_the_limit(db: DB, tables: TableFactory) -> None:
    await tables(Sized)
    manager = db.manager(Sized)
    probe = Decimal("123.456")
    pad = MAX_ITEM_BYTES - item_size(_item(0, probe))
    await manager.put(Sized(pk="k", pad="x" * pad, probe=probe))
    with pytest.raises(ItemTooLarge):
        await manager.put(Sized(pk="k", pad="x" * (pad + 1), probe=probe))


BISECTED: list[tuple[str, Any]] = [
    ("numbers of every shape", [Decimal("-0.5"), 7, -100, Decimal("1E+100"), Decimal("-1.23456789E-120"), 0]),
    ("a map of sets", {"n": {Decimal("12.5"), -1}, "s": {"a", "é"}, "b": {b"\x00"}}),
]


@pytest.mark.parametrize(("shape", "probe"), BISECTED, ids=[s[0] for s in BISECTED])
def test_bisecting_dynamodb_finds_the_size_we_compute(
    sizes_table: str, boto3_client: DynamoDBClient, shape: str, probe: Any
) -> None:
    # Find DynamoDB's own largest accepted padding without trusting our sizes (a few steps
    # around an estimate), then check that our size of that item is exactly the limit.
    estimate = MAX_ITEM_BYTES - item_size(_item(0, probe))
    low, high = estimate - 64, estimate + 64  # accepted at low, refused at high
    assert _accepted(boto3_client, _item(low, probe)) and not _accepted(boto3_client, _item(high, probe))
    while high - low > 1:
        middle = (low + high) // 2
        if _accepted(boto3_client, _item(middle, probe)):
            low = middle
        else:
            high = middle
    assert item_size(_item(low, probe)) == MAX_ITEM_BYTES, shape
