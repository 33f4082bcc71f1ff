"""Every public operation, at the Lambda deadline, raises ``LambdaTimeoutError``: never a bare
``CancelledError`` or ``TimeoutError``, whether the deadline passed before the call (nothing is
sent) or while it was in flight (it is cancelled, and the error names it).

DynamoDB Local sits behind :class:`~tests.lambda_runtime.slow_proxy.SlowProxy`, which holds
requests back: a held request has not reached DynamoDB, and the proxy records what arrived.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import pytest

from dynamorm_async import (
    DB,
    TTL,
    DeadlinePartialFailure,
    HashKey,
    LambdaTimeoutError,
    Manager,
    Model,
    RangeKey,
    TableNotFound,
    Version,
)
from dynamorm_async.aws_lambda import with_lambda_timeout
from dynamorm_async.query import ParallelScan, Query, Scan
from tests.lambda_runtime.slow_proxy import SlowProxy

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


class Ticket(Model, table="lambda_timeout_tickets"):
    owner: Annotated[str, HashKey()]
    ticket_id: Annotated[str, RangeKey()]
    points: int = 0
    version: Annotated[int, Version()] = 0
    expires: Annotated[dt.datetime | None, TTL()] = None


@dataclass(frozen=True)
class RemainingTime:
    """Lambda's context as far as the deadline goes: a fixed time left."""

    millis: int

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


Operation = Callable[[DB, Manager[Ticket]], Awaitable[Any]]


async def _iterate(query: Query[Ticket] | Scan[Ticket]) -> list[Ticket]:
    return [t async for t in query]


async def _stream(scan: ParallelScan[Ticket]) -> list[Ticket]:
    async with scan.stream() as items:
        return [t async for t in items]


async def _transact_write(db: DB, m: Manager[Ticket]) -> None:
    async with db.transact_write() as tx:
        tx.put(Ticket(owner="o", ticket_id="tx"))


def _query(m: Manager[Ticket]) -> Query[Ticket]:
    return m.query(Ticket.attr.owner == "o")


#: name -> (what it covers, the call, the AWS operation sent first)
OPERATIONS: dict[str, tuple[str, Operation, str]] = {
    "get": ("Manager.get", lambda db, m: m.get("o", "t1"), "GetItem"),
    "get_or_none": ("Manager.get_or_none", lambda db, m: m.get_or_none("o", "t1"), "GetItem"),
    "put": ("Manager.put", lambda db, m: m.put(Ticket(owner="o", ticket_id="new")), "PutItem"),
    "update": (
        "Manager.update",
        lambda db, m: m.update(("o", "t1"), Ticket.attr.points.add(1)),
        "UpdateItem",
    ),
    "delete": ("Manager.delete", lambda db, m: m.delete("o", "t2"), "DeleteItem"),
    "create_table": ("Manager.create_table", lambda db, m: m.create_table(), "CreateTable"),
    "ensure_table": ("Manager.ensure_table", lambda db, m: m.ensure_table(), "DescribeTable"),
    "describe_table": ("Manager.describe_table", lambda db, m: m.describe_table(), "DescribeTable"),
    "delete_table": ("Manager.delete_table", lambda db, m: m.delete_table(), "DeleteTable"),
    "enable_ttl": ("Manager.enable_ttl", lambda db, m: m.enable_ttl(), "DescribeTimeToLive"),
    "batch_get": ("Manager.batch_get", lambda db, m: m.batch_get([("o", "t1"), ("o", "t2")]), "BatchGetItem"),
    "batch_write": (
        "Manager.batch_write",
        lambda db, m: m.batch_write(put=[Ticket(owner="o", ticket_id="b1")], delete=[("o", "t2")]),
        "BatchWriteItem",
    ),
    "query.page": ("Query.page", lambda db, m: _query(m).page(), "Query"),
    "query.all": ("Query.all", lambda db, m: _query(m).all(), "Query"),
    "query.first": ("Query.first", lambda db, m: _query(m).first(), "Query"),
    "query.count": ("Query.count", lambda db, m: _query(m).count(), "Query"),
    "query.iterate": ("Query.__aiter__", lambda db, m: _iterate(_query(m)), "Query"),
    "scan.page": ("Scan.page", lambda db, m: m.scan().page(), "Scan"),
    "scan.all": ("Scan.all", lambda db, m: m.scan().all(), "Scan"),
    "scan.first": ("Scan.first", lambda db, m: m.scan().first(), "Scan"),
    "scan.iterate": ("Scan.__aiter__", lambda db, m: _iterate(m.scan()), "Scan"),
    "scan.count": ("Scan.count", lambda db, m: m.scan().count(), "Scan"),
    "parallel_scan.all": ("ParallelScan.all", lambda db, m: m.scan().parallel(3).all(), "Scan"),
    "parallel_scan.count": ("ParallelScan.count", lambda db, m: m.scan().parallel(3).count(), "Scan"),
    "parallel_scan.stream": ("ParallelScan.stream", lambda db, m: _stream(m.scan().parallel(3)), "Scan"),
    "transact_get": (
        "DB.transact_get",
        lambda db, m: db.transact_get([(Ticket, ("o", "t1"))]),
        "TransactGetItems",
    ),
    "transact_write": ("DB.transact_write", _transact_write, "TransactWriteItems"),
}

#: Calls that start tasks first: a deadline already past cancels them at that first checkpoint,
#: before any request is built, so the error cannot name the request that was never made.
STARTS_TASKS = {
    "parallel_scan.all",
    "parallel_scan.count",
    "parallel_scan.stream",
}


#: Batch calls stop at the deadline and report what is left (``DeadlinePartialFailure``).
BATCHES = {"batch_get", "batch_write"}


def _public_async(cls: type) -> set[str]:
    names = set()
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") and name != "__aiter__":
            continue
        is_async = inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member)
        if is_async or name == "stream":  # ``stream`` is an async context manager
            names.add(f"{cls.__name__}.{name}")
    return names


def test_every_public_operation_has_a_case() -> None:
    public = _public_async(Manager) | _public_async(Query) | _public_async(Scan) | _public_async(ParallelScan)
    public |= {"DB.transact_get", "DB.transact_write"}
    covered = {covers for covers, _, _ in OPERATIONS.values()}
    assert public <= covered, f"no deadline case for {sorted(public - covered)}"


@pytest.fixture(scope="module")
async def ticket_table(dynamodb_local: str) -> AsyncIterator[str]:
    """Tickets t1 and t2 on DynamoDB Local. No test changes them: nothing they send gets through."""
    async with DB(region="us-east-1", endpoint_url=dynamodb_local) as direct:
        manager = direct.manager(Ticket)
        try:
            await manager.delete_table()
        except TableNotFound:
            pass
        await manager.create_table()
        for ticket_id in ("t1", "t2"):
            await manager.put(Ticket(owner="o", ticket_id=ticket_id))
        yield manager.table
        await manager.delete_table(wait=False)


@pytest.fixture(scope="module")
def session() -> Any:
    """One aiobotocore session for the module: it loads DynamoDB's service model once."""
    from aiobotocore.session import AioSession

    return AioSession()


@pytest.fixture
async def tickets(
    ticket_table: str, slow_proxy: SlowProxy, session: Any
) -> AsyncIterator[tuple[DB, Manager[Ticket]]]:
    """A connected DB that reaches the tickets through the proxy."""
    async with DB(region="us-east-1", endpoint_url=slow_proxy.url, session=session) as db:
        await db.connect()
        yield db, db.manager(Ticket)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_a_deadline_already_passed_sends_nothing(
    name: str, tickets: tuple[DB, Manager[Ticket]], slow_proxy: SlowProxy
) -> None:
    db, manager = tickets
    _, call, operation = OPERATIONS[name]
    with pytest.raises(LambdaTimeoutError) as raised, with_lambda_timeout(RemainingTime(400), buffer=1.0):
        await call(db, manager)  # 0.6 s late already
    if name in STARTS_TASKS:
        assert raised.value.operation is None
        assert "no AWS call was in flight" in str(raised.value)
    elif name in BATCHES:
        # A batch reports exactly what it did not do: here, everything.
        assert isinstance(raised.value, DeadlinePartialFailure)
        assert raised.value.operation == operation
        assert raised.value.reason == "deadline"
        assert len(raised.value.unprocessed) == 2
        assert raised.value.done == []
    else:
        assert raised.value.operation == operation
        assert f"{operation} was not sent" in str(raised.value)
    assert raised.value.remaining is not None and raised.value.remaining < 0
    assert slow_proxy.operations == []


@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_a_call_in_flight_at_the_deadline_is_cancelled_and_named(
    name: str, tickets: tuple[DB, Manager[Ticket]], slow_proxy: SlowProxy
) -> None:
    db, manager = tickets
    _, call, operation = OPERATIONS[name]
    slow_proxy.slow(30.0)
    with pytest.raises(LambdaTimeoutError) as raised, with_lambda_timeout(RemainingTime(350), buffer=0.1):
        await call(db, manager)
    assert raised.value.operation == operation
    assert f"cancelled {operation}" in str(raised.value)
    assert slow_proxy.operations and set(slow_proxy.operations) == {operation}
