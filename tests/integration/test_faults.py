"""Batches under injected faults: throttles, 500s, resets, latency and partial results.

Our client talks to DynamoDB Local through :class:`tests.faultproxy.FaultProxy`; what was stored
is read back with plain boto3 straight from DynamoDB Local, never through our code.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import pytest

from dynamorm_async import DB, Backoff, HashKey, Model, PartialFailure, RangeKey, ServiceError, Version
from dynamorm_async.deadline import Deadline, deadline_scope
from tests.conftest import AWS_REGION
from tests.faultproxy import FaultProxy, Faults
from tests.integration.conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

_SUFFIX = uuid.uuid4().hex[:8]
_BATCH_WRITE = frozenset({"BatchWriteItem"})
_BATCH_GET = frozenset({"BatchGetItem"})


class Reading(Model, table=f"fault-readings-{_SUFFIX}"):
    sensor: Annotated[str, HashKey()]
    seq: Annotated[int, RangeKey()]
    value: int = 0
    payload: str = ""
    version: Annotated[int, Version()] = 0


def _readings(n: int, sensors: int = 20) -> list[Reading]:
    return [
        Reading(sensor=f"s{i % sensors}", seq=i, value=i * 7, payload=f"reading number {i}") for i in range(n)
    ]


def _stored(client: DynamoDBClient) -> dict[tuple[str, int], dict[str, Any]]:
    """Every stored reading, by key, scanned with plain boto3."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    table = Reading.__dynamorm_schema__.require_table()
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            out[(str(item["sensor"]["S"]), int(item["seq"]["N"]))] = dict(item)
    return out


def _seed(client: DynamoDBClient, readings: list[Reading]) -> None:
    """Store readings with plain boto3 (DynamoDB Local never leaves items unprocessed)."""
    table = Reading.__dynamorm_schema__.require_table()
    for i in range(0, len(readings), 25):
        requests: list[Any] = [
            {
                "PutRequest": {
                    "Item": {
                        "sensor": {"S": r.sensor},
                        "seq": {"N": str(r.seq)},
                        "value": {"N": str(r.value)},
                        "payload": {"S": r.payload},
                    }
                }
            }
            for r in readings[i : i + 25]
        ]
        answer = client.batch_write_item(RequestItems={table: requests})
        assert not answer.get("UnprocessedItems")


async def test_ten_thousand_writes_under_faults_are_all_stored(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    faults = Faults(
        throttle=0.03,
        server_error=0.03,
        reset=0.02,
        latency=0.05,
        delay=0.01,
        partial=0.25,
        unprocessed_share=0.3,
    )
    readings = _readings(10_000)
    async with (
        FaultProxy(dynamodb_local, faults, seed=11) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        result = await db.manager(Reading).batch_write(
            put=readings, concurrency=16, backoff=Backoff(attempts=12, base=0.02, cap=0.5)
        )
    assert len(result.put) == 10_000 and result.unprocessed == []
    for kind in ("throttle", "server_error", "reset", "latency", "partial"):
        assert proxy.counts[kind] > 0, f"no {kind} was injected: {dict(proxy.counts)}"
    assert proxy.counts["held_back"] > 100

    stored = _stored(boto3_client)
    assert len(stored) == 10_000
    for r in readings:
        item = stored[(r.sensor, r.seq)]
        assert item["value"] == {"N": str(r.value)} and item["payload"] == {"S": r.payload}
        assert item["version"] == {"N": "1"}


async def test_batch_get_under_faults_returns_every_item(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    readings = _readings(3_000)
    _seed(boto3_client, readings)
    faults = Faults(throttle=0.03, server_error=0.03, reset=0.02, latency=0.05, delay=0.01, partial=0.4)
    keys: list[Any] = [(r.sensor, r.seq) for r in reversed(readings)] + [("nobody", 1)]
    async with (
        FaultProxy(dynamodb_local, faults, seed=5) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        backoff = Backoff(attempts=12, base=0.02)
        got = await db.manager(Reading).batch_get(keys, concurrency=8, backoff=backoff)
    assert proxy.counts["partial"] > 0 and proxy.counts["held_back"] > 0
    assert proxy.counts["throttle"] + proxy.counts["server_error"] + proxy.counts["reset"] > 0
    assert [(g.sensor, g.seq, g.value, g.payload) for g in got] == [
        (r.sensor, r.seq, r.value, r.payload) for r in reversed(readings)
    ]


async def test_write_retries_stop_at_the_bound_and_name_exactly_what_was_not_written(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    # Every BatchWriteItem is answered in part: about 30% of its items are held back (never
    # sent to DynamoDB) and reported unprocessed.
    faults = Faults(partial=1.0, unprocessed_share=0.3, operations=_BATCH_WRITE)
    readings = _readings(500)
    async with (
        FaultProxy(dynamodb_local, faults, seed=3) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        with pytest.raises(PartialFailure) as caught:
            await db.manager(Reading).batch_write(put=readings, backoff=Backoff(attempts=2, base=0.001))

    failure = caught.value
    assert failure.reason == "attempts" and failure.operation == "BatchWriteItem"
    assert proxy.by_operation["BatchWriteItem"] == 20 * 2  # 20 chunks of 25, two attempts each
    stored = _stored(boto3_client)
    missing = {(r.sensor, r.seq) for r in readings} - set(stored)
    assert missing  # with two attempts at 30% held back each, some are left
    assert {(r.sensor, r.seq) for r in failure.unprocessed} == missing
    assert len(failure.unprocessed) == len(missing)  # no duplicates
    assert {(r.sensor, r.seq) for r in failure.done} == set(stored)
    assert failure.result.unprocessed_puts == failure.unprocessed
    # Only what was written has its new version; the rest is untouched.
    assert all(r.version == 0 for r in failure.unprocessed)
    assert all(r.version == 1 for r in failure.done)


async def test_get_retries_stop_at_the_bound_and_return_exactly_the_keys_not_read(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    readings = _readings(400)
    _seed(boto3_client, readings)
    keys = [(r.sensor, r.seq) for r in readings]
    faults = Faults(partial=1.0, unprocessed_share=0.4, operations=_BATCH_GET)
    async with (
        FaultProxy(dynamodb_local, faults, seed=9) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        readings_manager = db.manager(Reading)
        result = await readings_manager.batch_get(
            keys, on_unprocessed="return", backoff=Backoff(attempts=2, base=0.001)
        )
        with pytest.raises(PartialFailure) as caught:
            await readings_manager.batch_get(keys, backoff=Backoff(attempts=1))

    assert result.reason == "attempts"
    read = [(g.sensor, g.seq) for g in result.items]
    assert result.unprocessed  # some keys are left after two attempts
    assert set(read) | set(result.unprocessed) == set(keys)
    assert not set(read) & set(result.unprocessed)
    assert read == [k for k in keys if k not in set(result.unprocessed)]  # request order kept
    assert proxy.by_operation["BatchGetItem"] == 4 * 2 + 4  # 4 chunks of 100: twice, then once

    assert len(caught.value.unprocessed) + len(caught.value.done) == 400
    # The leftovers are the keys as they were passed in, ready to be asked for again.
    async with DB(region=AWS_REGION, endpoint_url=dynamodb_local) as direct:
        again = await direct.manager(Reading).batch_get(result.unprocessed)
    assert [(g.sensor, g.seq) for g in again] == result.unprocessed


async def test_retries_stop_before_the_deadline_and_report_what_is_left(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    faults = Faults(partial=1.0, unprocessed_share=0.5, operations=_BATCH_WRITE)
    readings = _readings(200)
    async with (
        FaultProxy(dynamodb_local, faults, seed=4) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        start = anyio.current_time()
        with deadline_scope(Deadline(start + 0.6)), pytest.raises(PartialFailure) as caught:
            await db.manager(Reading).batch_write(put=readings, backoff=Backoff(attempts=1000, base=0.2))
        elapsed = anyio.current_time() - start

    assert caught.value.reason == "deadline"
    # Requests only start before the deadline and pauses never end after it; the last
    # request in flight may finish a little later.
    assert elapsed < 0.6 + 1.0
    assert proxy.by_operation["BatchWriteItem"] >= 8  # at least one attempt per chunk
    missing = {(r.sensor, r.seq) for r in readings} - set(_stored(boto3_client))
    assert {(r.sensor, r.seq) for r in caught.value.unprocessed} == missing != set()


async def test_transient_errors_that_outlast_botocore_retries_are_retried_by_the_batch(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    readings = _readings(1_000)
    faults = Faults(throttle=0.15, server_error=0.15, reset=0.1, operations=_BATCH_WRITE)
    async with (
        FaultProxy(dynamodb_local, faults, seed=8) as proxy,
        # botocore does not retry at all here: every fault reaches the batch loop.
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=1) as db,
    ):
        backoff = Backoff(attempts=15, base=0.005, cap=0.05)
        await db.manager(Reading).batch_write(put=readings, backoff=backoff)
    assert proxy.counts["throttle"] and proxy.counts["server_error"] and proxy.counts["reset"]
    assert len(_stored(boto3_client)) == 1_000

    # When the bound is one attempt, a chunk that met an error is reported with that error.
    failing = Faults(schedule=("server_error",) * 4, operations=_BATCH_WRITE)
    async with (
        FaultProxy(dynamodb_local, failing) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=1) as db,
    ):
        extra = [Reading(sensor="late", seq=i) for i in range(100)]
        with pytest.raises(PartialFailure) as caught:
            await db.manager(Reading).batch_write(put=extra, backoff=Backoff(attempts=1))
    assert caught.value.unprocessed == extra
    assert isinstance(caught.value.__cause__, ServiceError)
    assert caught.value.__cause__.code == "InternalServerError"


async def test_requests_in_flight_never_exceed_the_concurrency_limit(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    readings = _readings(600)
    faults = Faults(latency=1.0, delay=0.03)  # every request is slow, so requests overlap
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        manager = db.manager(Reading)
        await manager.batch_write(put=readings, concurrency=3)
        assert proxy.max_in_flight == 3  # 24 chunks, three at a time

        # One limiter shared by two batch calls bounds them together.
        shared = anyio.CapacityLimiter(4)
        proxy.max_in_flight = 0
        keys = [(r.sensor, r.seq) for r in readings]
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: manager.batch_get(keys[:300], concurrency=shared))
            tg.start_soon(lambda: manager.batch_get(keys[300:], concurrency=shared))
        assert proxy.max_in_flight == 4
    assert len(_stored(boto3_client)) == 600
