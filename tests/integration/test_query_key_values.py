"""Key condition values on DynamoDB Local: checked as the field's type and as keys before sending."""

from __future__ import annotations

import uuid
from typing import Annotated

import pytest

from dynamorm_async import DB, HashKey, InvalidKey, Model, RangeKey
from dynamorm_async.transport import debug_stats
from tests.integration.conftest import TableFactory

pytestmark = pytest.mark.anyio

_SUFFIX = uuid.uuid4().hex[:8]


class Reading(Model, table=f"key-values-{_SUFFIX}"):
    sensor: Annotated[str, HashKey()]
    seq: Annotated[int, RangeKey()]


async def test_key_condition_values_are_checked_before_sending(db: DB, tables: TableFactory) -> None:
    await tables(Reading)
    readings = db.manager(Reading)
    long_sensor = "x" * 2048  # the largest partition key DynamoDB stores
    await readings.put(Reading(sensor=long_sensor, seq=1))
    await readings.put(Reading(sensor=long_sensor, seq=2))
    calls = debug_stats().calls
    for bad in (
        (Reading.attr.sensor == long_sensor) & (Reading.attr.seq > 1.5),
        (Reading.attr.sensor == long_sensor) & (Reading.attr.seq == "abc"),
        Reading.attr.sensor == long_sensor + "x",
        Reading.attr.sensor == 5,
    ):
        with pytest.raises(InvalidKey):
            await readings.query(bad).all()
    assert debug_stats().calls == calls
    found = await readings.query((Reading.attr.sensor == long_sensor) & (Reading.attr.seq >= "2")).all()
    assert [r.seq for r in found] == [2]  # "2" validated as the int field: compared as a number
