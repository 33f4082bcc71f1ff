"""Scan and parallel scan against DynamoDB Local, checked against plain boto3 scans."""

from __future__ import annotations

import asyncio
import gc
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import pytest

from dynamorm_async import (
    DB,
    GSI,
    HashKey,
    InvalidCursor,
    InvalidInput,
    Manager,
    Model,
    RangeKey,
    TableNotFound,
    TransportConfig,
)
from dynamorm_async.transport import build_transport, debug_stats

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

N_ITEMS = 90


class Event(
    Model, table=f"scan_events_{uuid.uuid4().hex[:10]}", indexes=[GSI("by_kind", hash="kind", range="n")]
):
    device: Annotated[str, HashKey()]
    seq: Annotated[int, RangeKey()]
    kind: str = "tick"
    n: int = 0
    payload: str = ""


class Missing(Model, table=f"scan_missing_{uuid.uuid4().hex[:10]}"):
    pk: Annotated[str, HashKey()]


EVENTS = [
    Event(device=f"d{i % 7}", seq=i, kind="alarm" if i % 5 == 0 else "tick", n=i, payload="x" * (i % 11))
    for i in range(N_ITEMS)
]


def key(e: Event) -> tuple[str, int]:
    return (e.device, e.seq)


@pytest.fixture(scope="module")
def event_table(dynamodb_local: str, boto3_client: DynamoDBClient) -> Iterator[str]:
    """Event's table, made by ``Manager.create_table`` and filled through boto3; deleted after."""

    async def create() -> None:
        async with DB(region="us-east-1", endpoint_url=dynamodb_local) as setup:
            await setup.manager(Event).create_table()

    anyio.run(create)
    table = Event.__dynamorm_schema__.require_table()
    for start in range(0, N_ITEMS, 25):
        boto3_client.batch_write_item(
            RequestItems={
                table: [
                    {
                        "PutRequest": {
                            "Item": {
                                "device": {"S": e.device},
                                "seq": {"N": str(e.seq)},
                                "kind": {"S": e.kind},
                                "n": {"N": str(e.n)},
                            }
                            | ({"payload": {"S": e.payload}} if e.payload else {})
                        }
                    }
                    for e in EVENTS[start : start + 25]
                ]
            }
        )
    yield table
    boto3_client.delete_table(TableName=table)


def boto3_keys(client: DynamoDBClient, table: str, **extra: Any) -> list[tuple[str, int]]:
    """Every key of the table by a plain boto3 scan, independent of the library."""
    keys: list[tuple[str, int]] = []
    kwargs: dict[str, Any] = {"TableName": table, **extra}
    while True:
        response = client.scan(**kwargs)
        keys.extend((i["device"]["S"], int(i["seq"]["N"])) for i in response["Items"])
        if "LastEvaluatedKey" not in response:
            return keys
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class InFlight:
    """The real transport, counting how many calls are in flight at once (instrumentation only)."""

    def __init__(self, config: TransportConfig) -> None:
        self.inner = build_transport(config)
        self.now = 0
        self.peak = 0

    async def close(self) -> None:
        await self.inner.close()

    async def call(
        self, operation: str, params: Mapping[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            return await self.inner.call(operation, params, table=table)
        finally:
            self.now -= 1


@pytest.fixture
async def db(event_table: str, dynamodb_local: str) -> AsyncIterator[DB]:
    async with DB(
        transport=InFlight(TransportConfig(region="us-east-1", endpoint_url=dynamodb_local))
    ) as database:
        yield database


@pytest.fixture
def events(db: DB) -> Manager[Event]:
    return db.manager(Event)


# --------------------------------------------------------------------------- plain scans


async def test_scan_reads_the_whole_table(
    events: Manager[Event], boto3_client: DynamoDBClient, event_table: str
) -> None:
    before = debug_stats().by_operation.get("Scan", 0)
    got = [e async for e in events.scan().page_size(10)]
    assert sorted(map(key, got)) == sorted(boto3_keys(boto3_client, event_table)) == sorted(map(key, EVENTS))
    assert len(got) == N_ITEMS
    assert debug_stats().by_operation["Scan"] - before == N_ITEMS // 10 + 1  # the last page is empty
    by_key = {key(e): e for e in EVENTS}
    assert all(e == by_key[key(e)] for e in got)


async def test_scan_pages_with_cursors(events: Manager[Event]) -> None:
    scan = events.scan().limit(20)
    seen: list[tuple[str, int]] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await scan.page(cursor)
        pages += 1
        seen.extend(map(key, page.items))
        cursor = page.cursor
        if cursor is None:
            break
    assert pages >= 5
    assert len(seen) == len(set(seen)) == N_ITEMS
    with pytest.raises(InvalidCursor):  # a scan cursor is bound to its scan
        await events.scan().index("by_kind").limit(20).page(scan_cursor := (await scan.page()).cursor)
    assert scan_cursor is not None
    with pytest.raises(InvalidCursor):
        await events.query(Event.attr.device == "d1").page(scan_cursor)


async def test_scan_filter_projection_limit_count(
    events: Manager[Event], boto3_client: DynamoDBClient
) -> None:
    alarms = await events.scan().filter(Event.attr.kind == "alarm").page_size(7).all()
    assert sorted(e.seq for e in alarms) == list(range(0, N_ITEMS, 5))
    projected = await events.scan().project("n").page_size(13).all()
    assert len(projected) == N_ITEMS
    assert all(e.kind == "tick" and e.payload == "" and e.n == e.seq for e in projected)  # not read: defaults
    assert len(await events.scan().limit(17).page_size(5).all()) == 17
    assert await events.scan().count() == N_ITEMS
    assert await events.scan().filter(Event.attr.kind == "alarm").page_size(10).count() == N_ITEMS // 5
    assert await events.scan().limit(30).count() == 30
    first = await events.scan().filter(Event.attr.n == 42).page_size(10).first()
    assert first is not None and first.seq == 42


async def test_scan_an_index_and_segments(
    events: Manager[Event], boto3_client: DynamoDBClient, event_table: str
) -> None:
    indexed = await events.scan().index("by_kind").page_size(8).all()
    assert sorted(map(key, indexed)) == sorted(map(key, EVENTS))
    with pytest.raises(InvalidInput, match="consistent"):
        events.scan().index("by_kind").consistent()
    assert len(await events.scan().consistent().all()) == N_ITEMS
    parts = [await events.scan().segment(i, 3).page_size(9).all() for i in range(3)]
    assert sorted(k for part in parts for k in map(key, part)) == sorted(map(key, EVENTS))
    want = sorted(boto3_keys(boto3_client, event_table, Segment=1, TotalSegments=3))
    assert sorted(map(key, parts[1])) == want
    with pytest.raises(InvalidInput):
        events.scan().segment(3, 3)


async def test_filter_values_that_look_like_expression_syntax(events: Manager[Event]) -> None:
    for value in (":v0", "#n", ") OR (1=1", "x) OR (attribute_exists(n)"):
        assert await events.scan().filter(Event.attr.kind == value).all() == []
    assert len(await events.scan().filter(Event.attr.kind != ") OR (1=1").all()) == N_ITEMS


# --------------------------------------------------------------------------- parallel scans


async def test_parallel_scan_returns_the_table_exactly_once(
    db: DB, events: Manager[Event], boto3_client: DynamoDBClient, event_table: str
) -> None:
    transport = db.transport
    assert isinstance(transport, InFlight)
    before = debug_stats().by_operation.get("Scan", 0)
    async with events.scan().page_size(6).parallel(segments=4, concurrency=2).stream() as items:
        got = [e async for e in items]
    keys = list(map(key, got))
    assert len(keys) == len(set(keys)) == N_ITEMS
    assert sorted(keys) == sorted(boto3_keys(boto3_client, event_table))
    assert transport.peak == 2  # bounded by the limiter, and really concurrent
    assert debug_stats().by_operation["Scan"] - before >= N_ITEMS // 6
    assert sorted(map(key, await events.scan().parallel(3).all())) == sorted(keys)
    assert await events.scan().parallel(4, concurrency=2).count() == N_ITEMS
    assert await events.scan().filter(Event.attr.kind == "alarm").parallel(5).count() == N_ITEMS // 5
    assert len(await events.scan().limit(11).page_size(4).parallel(4).all()) == 11


def workers(tasks: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """The parallel scan's own tasks (other tests may leave unrelated tasks on the shared loop)."""
    return {t for t in tasks if "ParallelScan" in t.get_name()}


async def test_breaking_out_of_a_parallel_scan_stops_every_worker(db: DB, events: Manager[Event]) -> None:
    transport = db.transport
    assert isinstance(transport, InFlight)
    await transport.inner.connect()  # the client's own tasks (if any) are not ours to count
    tasks_before = asyncio.all_tasks()
    gc.collect()  # garbage from earlier tests must not be blamed on this scan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with events.scan().page_size(2).parallel(segments=4, concurrency=2).stream() as items:
            taken = []
            async for e in items:
                taken.append(e)
                if len(taken) == 3:
                    break
            assert len(workers(asyncio.all_tasks() - tasks_before)) == 4  # still alive here
        assert workers(asyncio.all_tasks() - tasks_before) == set()
        assert transport.now == 0
        calls = debug_stats().calls
        await anyio.sleep(0.2)
        assert debug_stats().calls == calls  # nothing left running sends anything
        gc.collect()
    assert [str(w.message) for w in caught] == []
    assert len(taken) == 3


async def test_errors_inside_the_block_and_in_workers_come_out_as_themselves(
    db: DB, events: Manager[Event]
) -> None:
    async def fail_inside() -> None:
        async with events.scan().page_size(3).parallel(4).stream() as items:
            async for _ in items:
                raise KeyError("mine")

    async def read_missing() -> None:
        async with db.manager(Missing).scan().parallel(3).stream() as missing:
            async for _ in missing:
                pass

    tasks_before = asyncio.all_tasks()
    with pytest.raises(KeyError, match="mine"):
        await fail_inside()
    assert workers(asyncio.all_tasks() - tasks_before) == set()
    with pytest.raises(TableNotFound):
        await read_missing()
    with pytest.raises(TableNotFound):
        await db.manager(Missing).scan().parallel(3).count()
    assert workers(asyncio.all_tasks() - tasks_before) == set()


async def test_parallel_scan_arguments(events: Manager[Event]) -> None:
    with pytest.raises(InvalidInput):
        events.scan().parallel(0)
    with pytest.raises(InvalidInput):
        events.scan().parallel(4, concurrency=0)
    with pytest.raises(InvalidInput):
        events.scan().segment(0, 2).parallel(2)
    with pytest.raises(TypeError, match="async with"):
        async for _ in events.scan().parallel(2):
            pass
