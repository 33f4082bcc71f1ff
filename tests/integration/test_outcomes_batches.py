"""Every write of a batch has exactly one outcome (done, not done, in doubt), however the batch ends.

Faults come from :class:`tests.faultproxy.FaultProxy` in front of DynamoDB Local; what was stored
is read back with plain boto3, never through our code, and must agree with the report: every
"done" item is there byte for byte, no "not done" item is there, "in doubt" items may be either.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import pytest

from dynamorm_async import (
    DB,
    Backoff,
    DeadlinePartialFailure,
    HashKey,
    Model,
    PartialFailure,
    RangeKey,
    ServiceError,
    Version,
)
from dynamorm_async.aws_lambda import with_lambda_timeout
from dynamorm_async.batch import BatchWriteResult
from tests.conftest import AWS_REGION
from tests.faultproxy import FaultProxy, Faults
from tests.integration.conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

_SUFFIX = uuid.uuid4().hex[:8]
_BATCH_WRITE = frozenset({"BatchWriteItem"})
#: About one request in five is faulted: 16% exclusive faults, 4% partial answers.
TWENTY_PERCENT = Faults(
    throttle=0.04, server_error=0.04, reset=0.04, drop_response=0.04, partial=0.04, unprocessed_share=0.3
)


class Reading(Model, table=f"outcome-readings-{_SUFFIX}"):
    sensor: Annotated[str, HashKey()]
    seq: Annotated[int, RangeKey()]
    value: int = 0
    payload: str = ""
    version: Annotated[int, Version()] = 0


class Note(Model, table=f"outcome-notes-{_SUFFIX}"):
    note_id: Annotated[str, HashKey()]
    text: str = ""


def _readings(n: int, tag: str = "s") -> list[Reading]:
    return [Reading(sensor=f"{tag}{i % 20}", seq=i, value=i * 7, payload=f"reading {i}") for i in range(n)]


def _wire(r: Reading) -> dict[str, Any]:
    """The item as DynamoDB must hold it after this library wrote ``r`` (version already applied)."""
    return {
        "sensor": {"S": r.sensor},
        "seq": {"N": str(r.seq)},
        "value": {"N": str(r.value)},
        "payload": {"S": r.payload},
        "version": {"N": str(r.version)},
    }


def _stored(client: DynamoDBClient, model: type[Model] = Reading) -> dict[tuple[Any, ...], dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    table = model.__dynamorm_schema__.require_table()
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            if model is Reading:
                out[(str(item["sensor"]["S"]), int(item["seq"]["N"]))] = dict(item)
            else:
                out[(str(item["note_id"]["S"]),)] = dict(item)
    return out


def _check_three_sets(
    everything: list[Reading],
    done: list[Reading],
    not_done: list[Reading],
    in_doubt: list[Reading],
    stored: Any,
) -> None:
    ids = [id(r) for r in (*done, *not_done, *in_doubt)]
    assert len(ids) == len(set(ids)) == len(everything), "every write has exactly one outcome"
    assert set(ids) == {id(r) for r in everything}
    for r in done:
        assert stored[(r.sensor, r.seq)] == _wire(r)  # byte for byte
    for r in not_done:
        assert (r.sensor, r.seq) not in stored
        assert r.version == 0  # not applied to the instance either


async def test_ten_thousand_batch_writes_under_20_percent_faults_each_have_one_outcome(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    readings = _readings(10_000)
    async with (
        FaultProxy(dynamodb_local, TWENTY_PERCENT, seed=14) as proxy,
        # Tight bounds on purpose, so that all three outcomes occur.
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=1) as db,
    ):
        result = await db.manager(Reading).batch_write(
            put=readings, on_unprocessed="return", concurrency=16, backoff=Backoff(attempts=2, base=0.002)
        )
    faulted = sum(proxy.counts[k] for k in ("throttle", "server_error", "reset", "drop_response", "partial"))
    print(
        f"\nbatch_write 10,000: {proxy.counts['requests']} requests, {faulted} faulted {dict(proxy.counts)}; "
        f"done {len(result.put)}, not done {len(result.unprocessed)}, in doubt {len(result.in_doubt)}"
    )
    assert 0.15 < faulted / proxy.counts["requests"] < 0.25
    assert result.put and result.unprocessed and result.in_doubt and result.reason == "attempts"
    stored = _stored(boto3_client)
    _check_three_sets(readings, result.put, result.unprocessed_puts, result.in_doubt_puts, stored)
    assert len(stored) >= len(result.put)


async def test_two_thousand_puts_under_20_percent_faults_each_have_one_outcome(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    readings = _readings(2_000, tag="p")
    done: list[Reading] = []
    not_done: list[Reading] = []
    in_doubt: list[Reading] = []
    async with (
        FaultProxy(dynamodb_local, TWENTY_PERCENT, seed=15) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=2, backoff_base=0.002) as db,
    ):
        manager = db.manager(Reading)
        limiter = anyio.CapacityLimiter(16)

        async def put(r: Reading) -> None:
            async with limiter:
                try:
                    await manager.put(r)  # versioned insert: a lost answer then a retry is recognised
                except ServiceError as exc:
                    (in_doubt if exc.in_doubt else not_done).append(r)
                else:
                    done.append(r)

        async with anyio.create_task_group() as tg:
            for r in readings:
                tg.start_soon(put, r)
    print(
        f"\nput 2,000: {proxy.counts['requests']} requests {dict(proxy.counts)}; "
        f"done {len(done)}, not done {len(not_done)}, in doubt {len(in_doubt)}"
    )
    assert done and in_doubt  # "not done" needs two non-lost faults in a row: a few, maybe none
    _check_three_sets(readings, done, not_done, in_doubt, _stored(boto3_client))


async def test_a_deadline_with_requests_in_flight_reports_the_three_sets(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 1_000

    await tables(Reading)
    readings = _readings(500)
    faults = Faults(latency=1.0, delay=1.5, operations=_BATCH_WRITE)  # held past the deadline
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        start = anyio.current_time()
        with pytest.raises(DeadlinePartialFailure) as caught, with_lambda_timeout(Context(), buffer=0.3):
            await db.manager(Reading).batch_write(put=readings, concurrency=4)
        elapsed = anyio.current_time() - start
    failure = caught.value
    result = failure.result
    assert elapsed < 0.95  # answered before the Lambda deadline itself (1 s)
    assert len(result.in_doubt) == 100 and len(result.unprocessed) == 400 and not result.put
    assert failure.in_doubt == result.in_doubt and failure.unprocessed == result.unprocessed
    assert failure.reason == "deadline"
    await anyio.sleep(1.5)  # the proxy forwards the held requests late; then read the table
    _check_three_sets(
        readings, result.put, result.unprocessed_puts, result.in_doubt_puts, _stored(boto3_client)
    )


async def test_a_batch_cancelled_from_outside_propagates_and_leaves_its_report(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    readings = _readings(300)
    faults = Faults(latency=1.0, delay=0.5, operations=_BATCH_WRITE)
    report: BatchWriteResult[Reading] = BatchWriteResult()
    finished = False
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):

        async def write() -> None:
            nonlocal finished
            await db.manager(Reading).batch_write(put=readings, concurrency=3, outcome=report)
            finished = True

        async with anyio.create_task_group() as tg:
            tg.start_soon(write)
            # The first 3 were answered, the next 3 are in flight (the proxy's counts are plain ints).
            while proxy.counts["requests"] < 6:  # noqa: ASYNC110
                await anyio.sleep(0.01)
            await anyio.sleep(0.1)
            tg.cancel_scope.cancel()
    assert not finished  # the cancellation propagated
    assert len(report.put) == 75 and len(report.in_doubt) == 75 and len(report.unprocessed) == 150
    await anyio.sleep(0.6)
    _check_three_sets(
        readings, report.put, report.unprocessed_puts, report.in_doubt_puts, _stored(boto3_client)
    )


async def test_lost_answers_leave_writes_in_doubt_and_reads_unread(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    readings = _readings(60)
    faults = Faults(drop_response=1.0, operations=frozenset({"BatchWriteItem", "BatchGetItem"}))
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=1) as db,
    ):
        manager = db.manager(Reading)
        with pytest.raises(PartialFailure) as caught:
            await manager.batch_write(put=readings, backoff=Backoff(attempts=2, base=0.001))
        assert (
            caught.value.in_doubt == readings and caught.value.unprocessed == [] and caught.value.done == []
        )
        keys = [(r.sensor, r.seq) for r in readings]
        got = await manager.batch_get(keys, on_unprocessed="return", backoff=Backoff(attempts=1))
    assert got.items == [] and got.in_doubt == keys and got.unprocessed == keys and got.not_done == []
    assert proxy.counts["drop_response"] == 3 + 3 + 1  # 3 chunks twice, 1 read request
    assert len(_stored(boto3_client)) == 60  # forwarded, then the answers were lost


async def test_batch_writer_several_models_under_faults(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    await tables(Note)
    readings = _readings(130, tag="w")
    notes = [Note(note_id=f"n{i}", text=f"note {i}") for i in range(70)]
    faults = Faults(throttle=0.1, drop_response=0.1, partial=0.3, operations=_BATCH_WRITE)
    async with (
        FaultProxy(dynamodb_local, faults, seed=2) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, backoff_base=0.002) as db,
    ):
        async with db.batch_writer(backoff=Backoff(attempts=10, base=0.002)) as w:
            for r, n in zip(readings, notes * 2, strict=False):
                await w.put(r)
                await w.put(n)  # the notes twice over: each key written again later
            await w.delete(notes[0])
            await w.delete(Note, "n1")
            await w.put(readings[0])  # already written: sent again, version 2
        assert proxy.by_operation["BatchWriteItem"] >= 8 and proxy.counts["partial"] > 0
    result = w.result
    assert len(result.put) == 130 + 130 + 1 and len(result.deleted) == 2 and not result.in_doubt
    stored = _stored(boto3_client)
    assert all(stored[(r.sensor, r.seq)] == _wire(r) for r in readings)
    assert readings[0].version == 2
    assert set(_stored(boto3_client, Note)) == {(n.note_id,) for n in notes[2:]}


async def test_batch_writer_error_in_the_block_reports_what_was_done(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Reading)
    readings = _readings(40, tag="e")
    async with DB(region=AWS_REGION, endpoint_url=dynamodb_local) as db:
        w = db.batch_writer()

        async def fail_half_way() -> None:
            async with w:
                for r in readings:
                    await w.put(r)
                raise RuntimeError("the handler failed half way")

        with pytest.raises(RuntimeError) as caught:
            await fail_half_way()
    result = w.result
    assert result.put == readings[:25] and result.unprocessed == readings[25:] and not result.in_doubt
    assert "25 write(s) done, 15 not done, 0 in doubt" in "".join(caught.value.__notes__)
    _check_three_sets(
        readings, result.put, result.unprocessed_puts, result.in_doubt_puts, _stored(boto3_client)
    )


async def test_batch_writer_cut_off_at_the_deadline_reports_the_three_sets(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 800

    await tables(Reading)
    readings = _readings(60, tag="d")
    # The first request is answered; the second is held past the deadline.
    faults = Faults(schedule=("ok",), latency=1.0, delay=1.0, operations=_BATCH_WRITE)
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        w = db.batch_writer()

        async def write_all() -> None:
            async with w:
                for r in readings:
                    await w.put(r)

        with pytest.raises(DeadlinePartialFailure) as caught, with_lambda_timeout(Context(), buffer=0.3):
            await write_all()
    result = w.result
    assert caught.value.result is result and caught.value.operation == "BatchWriteItem"
    assert result.put == readings[:25] and result.in_doubt == readings[25:50]
    assert result.unprocessed == []  # the 50th put raised: the last 10 never reached the writer
    await anyio.sleep(1.0)
    _check_three_sets(
        readings[:50], result.put, result.unprocessed_puts, result.in_doubt_puts, _stored(boto3_client)
    )
