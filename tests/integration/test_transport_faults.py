"""The transport under lost answers, exhausted budgets and deadlines, through the fault proxy.

Our client talks to DynamoDB Local through :class:`tests.faultproxy.FaultProxy`:

* with every answer dropped after forwarding, every public operation raises the library's own
  typed error (never botocore's or aiohttp's), saying the request is in doubt;
* a client that retried 500 failed requests (its retry budget long empty) still retries the
  next lost answer;
* a throttle whose backoff would outlast the deadline raises the deadline error before it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio
import pytest

from dynamorm_async import DB, Backoff, HashKey, Manager, Model, PartialFailure
from dynamorm_async.aws_lambda import with_lambda_timeout
from dynamorm_async.deadline import Deadline, deadline_scope
from dynamorm_async.errors import (
    ConnectionFailed,
    DeadlineExceeded,
    DynamORMError,
    LambdaTimeoutError,
    ServiceError,
    Throttled,
)
from dynamorm_async.retry import RetryPolicy
from dynamorm_async.transport import (
    IN_DOUBT_ATTEMPTS,
    RETRY_ATTEMPTS,
    AiobotocoreTransport,
    RetryingTransport,
    TransportConfig,
    debug_stats,
)
from dynamorm_async.transport.errortable import CHECKSUM_MISMATCH, CONNECTION_LOST
from tests.conftest import AWS_REGION
from tests.faultproxy import FaultProxy, Faults
from tests.integration.conftest import TableFactory

pytestmark = pytest.mark.anyio

_SUFFIX = uuid.uuid4().hex[:8]


class Parcel(Model, table=f"transport-parcels-{_SUFFIX}"):
    parcel_id: Annotated[str, HashKey()]
    owner: str = "nobody"
    weight: int = 0


class Crate(Model, table=f"transport-crates-{_SUFFIX}"):
    crate_id: Annotated[str, HashKey()]


async def _transact_write(db: DB, m: Manager[Parcel]) -> None:
    tx = db.transact_write()
    tx.put(Parcel(parcel_id="t1"))
    await tx.commit()


OPERATIONS: dict[str, Callable[[DB, Manager[Parcel]], Awaitable[Any]]] = {
    "get": lambda db, m: m.get("p1"),
    "put": lambda db, m: m.put(Parcel(parcel_id="p2", weight=3)),
    "update": lambda db, m: m.update("p1", Parcel.attr.weight.add(1)),
    "delete": lambda db, m: m.delete("p1"),
    "query page": lambda db, m: m.query(Parcel.attr.parcel_id == "p1").page(),
    "scan": lambda db, m: m.scan().all(),
    "count": lambda db, m: m.scan().count(),
    "batch_get": lambda db, m: m.batch_get(["p1", "p2"], backoff=Backoff(attempts=2, base=0.0)),
    "batch_write": lambda db, m: m.batch_write(
        put=[Parcel(parcel_id=f"b{i}") for i in range(3)], backoff=Backoff(attempts=2, base=0.0)
    ),
    "transact_write": _transact_write,
    "transact_get": lambda db, m: db.transact_get([(Parcel, "p1")]),
    "create_table": lambda db, m: db.manager(Crate).create_table(),
    "describe_table": lambda db, m: m.describe_table(),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_every_operation_raises_a_typed_error_when_every_answer_is_lost(
    name: str, dynamodb_local: str, db: DB, tables: TableFactory
) -> None:
    await tables(Parcel)
    await db.manager(Parcel).put(Parcel(parcel_id="p1"))
    faults = Faults(drop_response=1.0)
    async with FaultProxy(dynamodb_local, faults) as proxy:
        config = TransportConfig(
            region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=2, backoff_base=0.001
        )
        async with DB(config=config) as flaky:
            with pytest.raises(DynamORMError) as caught:
                await OPERATIONS[name](flaky, flaky.manager(Parcel))
    exc = caught.value
    assert type(exc).__module__.startswith("dynamorm_async."), type(exc)
    lost = exc if isinstance(exc, ConnectionFailed) else exc.__cause__
    if isinstance(exc, PartialFailure):  # batches: what is left is listed; the last error says why
        # Sent and never answered: in doubt (DynamoDB may have applied it), not "not done".
        assert exc.in_doubt and not exc.not_done
    else:
        assert isinstance(lost, ConnectionFailed), repr(exc)
        assert lost.code == CONNECTION_LOST and lost.may_have_reached_aws
        assert lost.attempts == 2 and lost.in_doubt
        assert str(lost.code) in str(lost)
    assert proxy.counts["drop_response"] >= 2
    if name == "create_table":
        async with DB(region=AWS_REGION, endpoint_url=dynamodb_local) as clean:
            await clean.manager(Crate).delete_table(wait=False)


async def test_a_client_that_retried_500_failed_requests_still_retries_a_lost_answer(
    dynamodb_local: str, db: DB, tables: TableFactory
) -> None:
    await tables(Parcel)
    await db.manager(Parcel).put(Parcel(parcel_id="p1", weight=7))
    failing = 500
    # Each failed call is two 500s (first try and its one retry); then one lost answer, then fine.
    schedule = ("server_error",) * (2 * failing) + ("drop_response", "ok")
    faults = Faults(schedule=schedule, operations=frozenset({"GetItem"}))
    before = debug_stats()
    async with FaultProxy(dynamodb_local, faults) as proxy:
        config = TransportConfig(
            region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=2, backoff_base=0.0005
        )
        async with DB(config=config) as client:
            parcels = client.manager(Parcel)
            for _ in range(failing):
                with pytest.raises(ServiceError) as caught:
                    await parcels.get("p1")
                assert caught.value.code == "InternalServerError" and caught.value.attempts == 2
            transport = client.transport
            assert isinstance(transport, RetryingTransport)
            assert transport.budget.tokens < transport.budget.retry_cost  # the budget is empty
            got = await parcels.get("p1")  # first answer lost, the retry answers
            assert got.weight == 7
    after = debug_stats()
    assert proxy.counts["server_error"] == 2 * failing and proxy.counts["drop_response"] == 1
    assert after.retries - before.retries == failing + 1
    assert after.retries_free - before.retries_free > 0  # retries went on with the budget empty


def _throttling_db(proxy: FaultProxy, seed: int) -> DB:
    """A DB whose first backoff after a throttle is drawn from ``seed`` (long: 0.5 to 5 s)."""
    config = TransportConfig(region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=5)
    policy = RetryPolicy(attempts=5, backoff=Backoff(attempts=5, base=5.0, cap=5.0, rng=random.Random(seed)))
    return DB(transport=RetryingTransport(AiobotocoreTransport(config), config, policy=policy))


_SEED = 11


def test_the_seed_draws_a_pause_longer_than_the_deadline() -> None:
    policy = RetryPolicy(backoff=Backoff(base=5.0, cap=5.0, rng=random.Random(_SEED)))
    assert policy.delay(Throttled("slow", code="ThrottlingException"), 1) > 0.5


async def test_a_throttle_whose_backoff_outlasts_the_deadline_raises_before_it(
    dynamodb_local: str, db: DB, tables: TableFactory
) -> None:
    await tables(Parcel)
    faults = Faults(throttle=1.0, operations=frozenset({"GetItem"}))
    async with FaultProxy(dynamodb_local, faults) as proxy, _throttling_db(proxy, _SEED) as flaky:
        await flaky.transport.call("DescribeTable", {"TableName": Parcel.__dynamorm_schema__.require_table()})
        start = anyio.current_time()
        with deadline_scope(Deadline(start + 0.3)), pytest.raises(DeadlineExceeded) as caught:
            await flaky.manager(Parcel).get("p1")
        elapsed = anyio.current_time() - start
    assert type(caught.value) is DeadlineExceeded
    assert elapsed < 0.3, elapsed
    assert caught.value.attempts == 1 and not caught.value.in_doubt
    assert isinstance(caught.value.__cause__, Throttled)
    assert caught.value.remaining is not None and caught.value.remaining > 0
    assert proxy.counts["throttle"] == 1  # no second request


class _Remaining:
    def __init__(self, millis: int) -> None:
        self.millis = millis

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


async def test_in_a_lambda_scope_the_same_throttle_raises_lambda_timeout_before_the_deadline(
    dynamodb_local: str, db: DB, tables: TableFactory
) -> None:
    await tables(Parcel)
    faults = Faults(throttle=1.0, operations=frozenset({"GetItem"}))
    async with FaultProxy(dynamodb_local, faults) as proxy, _throttling_db(proxy, _SEED) as flaky:
        await flaky.transport.call("DescribeTable", {"TableName": Parcel.__dynamorm_schema__.require_table()})
        start = anyio.current_time()
        with pytest.raises(LambdaTimeoutError) as caught, with_lambda_timeout(_Remaining(1300), buffer=1.0):
            await flaky.manager(Parcel).get("p1")
        elapsed = anyio.current_time() - start
    assert elapsed < 0.3, elapsed
    assert caught.value.attempts == 1
    assert isinstance(caught.value.__cause__, Throttled)


async def test_a_successful_answer_says_which_attempt_succeeded_and_what_is_in_doubt(
    dynamodb_local: str, db: DB, tables: TableFactory
) -> None:
    await tables(Parcel)
    table = Parcel.__dynamorm_schema__.require_table()
    faults = Faults(schedule=("drop_response", "server_error", "ok"), operations=frozenset({"PutItem"}))
    async with FaultProxy(dynamodb_local, faults) as proxy:
        config = TransportConfig(region=AWS_REGION, endpoint_url=proxy.endpoint_url, backoff_base=0.001)
        async with DB(config=config) as client:
            answer = await client.transport.call(
                "PutItem", {"TableName": table, "Item": {"parcel_id": {"S": "m1"}}}, table=table
            )
    meta = answer["ResponseMetadata"]
    assert meta[RETRY_ATTEMPTS] == 2  # the third attempt succeeded
    assert meta[IN_DOUBT_ATTEMPTS] == 1  # the first was sent and its answer lost


async def test_an_answer_that_fails_its_crc32_is_retried_and_never_returned(
    dynamodb_local: str, db: DB, tables: TableFactory
) -> None:
    await tables(Parcel)
    await db.manager(Parcel).put(Parcel(parcel_id="p1", weight=4))
    faults = Faults(
        schedule=("bad_checksum", "ok", "bad_checksum", "bad_checksum"), operations=frozenset({"GetItem"})
    )
    async with FaultProxy(dynamodb_local, faults) as proxy:
        config = TransportConfig(
            region=AWS_REGION, endpoint_url=proxy.endpoint_url, max_attempts=2, backoff_base=0.001
        )
        async with DB(config=config) as client:
            parcels = client.manager(Parcel)
            assert (await parcels.get("p1")).weight == 4  # the corrupt answer was refused, the retry used
            with pytest.raises(ConnectionFailed) as caught:
                await parcels.get("p1")
    assert caught.value.code == CHECKSUM_MISMATCH
    assert caught.value.may_have_reached_aws and caught.value.in_doubt and caught.value.attempts == 2
    assert proxy.counts["bad_checksum"] == 3
