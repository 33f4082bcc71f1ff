"""Key condition values are validated as their field's type and checked as keys before sending.

Through ``DB(transport=MockTransport(...))``: a refused value raises a typed error and the mock
records no call; an accepted one is sent as the checked encoding.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

import pytest
from pydantic import Field

from dynamorm_async import DB, GSI, HashKey, InvalidInput, InvalidKey, Model, RangeKey
from dynamorm_async.expressions import Condition
from dynamorm_async.testing import MockTransport

pytestmark = pytest.mark.anyio


class Reading(Model, table="readings", indexes=[GSI("by_site", hash="site", range="code")]):
    sensor: Annotated[str, HashKey()]
    seq: Annotated[int, RangeKey()]
    site: str = "s"
    code: Annotated[str, Field(max_length=4000)] = "c"
    level: Annotated[int, Field(ge=0)] = 0


def _db() -> tuple[DB, MockTransport]:
    transport = MockTransport(lambda op, params: {"Items": [], "Count": 0, "ScannedCount": 0})
    return DB(transport=cast(Any, transport)), transport


BAD: dict[str, Any] = {
    "an int sort key given text": lambda: (Reading.attr.sensor == "a") & (Reading.attr.seq == "abc"),
    "an int sort key given a fraction": lambda: (Reading.attr.sensor == "a") & (Reading.attr.seq > 1.5),
    "a between bound of another type": lambda: (
        (Reading.attr.sensor == "a") & Reading.attr.seq.between(1, "z")
    ),
    "a str partition key given an int": lambda: Reading.attr.sensor == 5,
    "a partition key over 2,048 bytes": lambda: Reading.attr.sensor == "x" * 2049,
    "a multibyte partition key over 2,048 bytes": lambda: Reading.attr.sensor == "é" * 1025,
    "an index partition key over 2,048 bytes": lambda: Reading.attr.site == "x" * 2049,
    "an index sort key over 1,024 bytes": lambda: (
        (Reading.attr.site == "s") & (Reading.attr.code < "x" * 1025)
    ),
    "a begins_with prefix over 1,024 bytes": lambda: (
        (Reading.attr.site == "s") & Reading.attr.code.begins_with("x" * 1025)
    ),
    "a between bound over 1,024 bytes": lambda: (
        (Reading.attr.site == "s") & Reading.attr.code.between("a", "z" * 1025)
    ),
}


@pytest.mark.parametrize("make", BAD.values(), ids=BAD.keys())
async def test_bad_key_condition_values_raise_typed_errors_and_send_nothing(make: Any) -> None:
    db, transport = _db()
    condition: Condition = make()
    with pytest.raises(InvalidKey) as info:
        await db.manager(Reading).query(condition).page()
    assert isinstance(info.value, InvalidInput)
    assert transport.calls == []


async def test_key_values_at_the_limits_are_sent_as_checked() -> None:
    db, transport = _db()
    readings = db.manager(Reading)
    await readings.query((Reading.attr.sensor == "x" * 2048) & (Reading.attr.seq > 3)).page()
    await readings.query((Reading.attr.site == "s") & Reading.attr.code.begins_with("y" * 1024)).page()
    await readings.query((Reading.attr.sensor == "a") & (Reading.attr.seq == "7")).page()  # int("7")
    first, second, third = (c.params for c in transport.calls)
    assert sorted(first["ExpressionAttributeValues"].values(), key=str) == [
        {"N": "3"},
        {"S": "x" * 2048},
    ]
    assert {"S": "y" * 1024} in second["ExpressionAttributeValues"].values()
    assert second["IndexName"] == "by_site"
    assert {"N": "7"} in third["ExpressionAttributeValues"].values()


async def test_the_limit_follows_the_role_in_the_key_condition() -> None:
    """A value of 1,025 to 2,048 bytes is fine as a partition key, refused as a sort key."""
    db, transport = _db()
    await db.manager(Reading).query(Reading.attr.sensor == "x" * 1500).page()
    assert len(transport.calls) == 1
    with pytest.raises(InvalidKey, match="1024"):
        await db.manager(Reading).query((Reading.attr.site == "s") & (Reading.attr.code == "x" * 1500)).page()
    assert len(transport.calls) == 1
