"""Single writes under lost answers: exactly-once updates, versioned writes that recognise their own
success, transactions that retry conflicts.

Our client talks to DynamoDB Local through :class:`tests.faultproxy.FaultProxy`; what was stored
is read back with plain boto3 straight from DynamoDB Local, never through our code.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import pytest

from dynamorm_async import DB, ConditionCheckFailed, HashKey, InvalidInput, Model, Version
from tests.conftest import AWS_REGION
from tests.faultproxy import FaultProxy, Faults
from tests.integration.conftest import TableFactory

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

_SUFFIX = uuid.uuid4().hex[:8]


class Counter(Model, table=f"outcome-counters-{_SUFFIX}"):
    name: Annotated[str, HashKey()]
    total: int = 0


class Doc(Model, table=f"outcome-docs-{_SUFFIX}"):
    doc_id: Annotated[str, HashKey()]
    title: str = ""
    hits: int = 0
    version: Annotated[int, Version()] = 0


def _get(client: DynamoDBClient, model: type[Model], key: dict[str, str]) -> Any:
    table = model.__dynamorm_schema__.require_table()
    answer = client.get_item(TableName=table, Key={k: {"S": v} for k, v in key.items()}, ConsistentRead=True)
    return answer.get("Item")


async def _in_parallel(n: int, work: object, limit: int = 16) -> None:
    limiter = anyio.CapacityLimiter(limit)

    async def one(i: int) -> None:
        async with limiter:
            await work(i)  # type: ignore[operator]

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(one, i)


async def test_exactly_once_adds_with_every_first_answer_dropped_count_once(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Counter)
    faults = Faults(drop_first=True, operations=frozenset({"TransactWriteItems"}))
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, backoff_base=0.002) as db,
    ):
        counters = db.manager(Counter)

        async def add(i: int) -> None:
            await counters.update("total", Counter.attr.total.add(1), exactly_once=True, upsert=True)

        await _in_parallel(1_000, add)
    assert proxy.counts["drop_response"] == 1_000  # every first answer was lost
    assert proxy.by_operation["TransactWriteItems"] == 2_000
    assert _get(boto3_client, Counter, {"name": "total"}) == {"name": {"S": "total"}, "total": {"N": "1000"}}


async def test_plain_adds_with_lost_answers_are_applied_twice(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    """The hazard ``exactly_once`` exists for: a plain ADD whose answer is lost is resent."""
    await tables(Counter)
    faults = Faults(drop_first=True, operations=frozenset({"UpdateItem"}))
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, backoff_base=0.002) as db,
    ):
        await db.manager(Counter).update("once", Counter.attr.total.add(1), upsert=True)
    assert proxy.counts["drop_response"] == 1
    assert _get(boto3_client, Counter, {"name": "once"}) == {"name": {"S": "once"}, "total": {"N": "2"}}


async def test_exactly_once_put_and_delete_and_conditions(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Doc)
    faults = Faults(drop_first=True, operations=frozenset({"TransactWriteItems"}))
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, backoff_base=0.002) as db,
    ):
        docs = db.manager(Doc)
        doc = Doc(doc_id="d1", title="first")
        await docs.put(doc, exactly_once=True)  # versioned insert: lost answer, resent, applied once
        assert doc.version == 1
        stale = Doc(doc_id="d1", title="stale")  # version 0: the item exists, the condition fails
        with pytest.raises(ConditionCheckFailed) as caught:
            await docs.put(stale, exactly_once=True)
        assert isinstance(caught.value.item, Doc) and caught.value.item.title == "first"
        with pytest.raises(InvalidInput):
            await docs.delete(doc, return_old=True, exactly_once=True)
        await docs.delete(doc, exactly_once=True)
    assert proxy.counts["drop_response"] == 3
    assert _get(boto3_client, Doc, {"doc_id": "d1"}) is None


async def test_versioned_updates_with_every_first_answer_dropped_succeed_once(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Doc)
    async with DB(region=AWS_REGION, endpoint_url=dynamodb_local) as direct:
        docs = [Doc(doc_id=f"v{i}", title="draft") for i in range(100)]
        await direct.manager(Doc).batch_write(put=docs)  # version 1 each
    faults = Faults(drop_first=True, operations=frozenset({"UpdateItem", "PutItem", "DeleteItem"}))
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url, backoff_base=0.002) as db,
    ):
        manager = db.manager(Doc)

        async def update(i: int) -> None:
            got = await manager.update(docs[i], Doc.attr.title.set(f"final {i}"), Doc.attr.hits.add(1))
            assert got is not None and got.version == 2 and got.title == f"final {i}" and got.hits == 1

        await _in_parallel(100, update)
        assert proxy.counts["drop_response"] == 100
        assert all(d.version == 2 and d.hits == 1 for d in docs)

        # A versioned put and delete recognise their own success the same way.
        fresh = Doc(doc_id="new", title="made once")
        await manager.put(fresh)
        assert fresh.version == 1
        await manager.delete(docs[0])
        assert proxy.counts["drop_response"] == 102

        # Not every condition failure is our own write: someone else's change still raises.
        other = Doc(doc_id="v1", title="someone else's", version=2)
        await manager.put(other)  # now at version 3 (answer lost once, recognised)
        with pytest.raises(ConditionCheckFailed):
            await manager.update(docs[1], Doc.attr.title.set("late"))
    for i in range(2, 100):
        item = _get(boto3_client, Doc, {"doc_id": f"v{i}"})
        assert item is not None
        assert (
            item["version"] == {"N": "2"}
            and item["hits"] == {"N": "1"}
            and item["title"] == {"S": f"final {i}"}
        )
    assert _get(boto3_client, Doc, {"doc_id": "v0"}) is None
    assert _get(boto3_client, Doc, {"doc_id": "new"}) == {
        "doc_id": {"S": "new"},
        "title": {"S": "made once"},
        "hits": {"N": "0"},
        "version": {"N": "1"},
    }


async def test_a_transaction_that_meets_a_conflict_commits_on_retry_once(
    dynamodb_local: str, tables: TableFactory, boto3_client: DynamoDBClient
) -> None:
    await tables(Counter)
    faults = Faults(schedule=("conflict",), operations=frozenset({"TransactWriteItems"}))
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        async with db.transact_write() as tx:
            tx.update(Counter, "a", Counter.attr.total.add(1), upsert=True)
            tx.update(Counter, "b", Counter.attr.total.add(5), upsert=True)
        assert tx.committed
    assert proxy.counts["conflict"] == 1 and proxy.by_operation["TransactWriteItems"] == 2
    assert _get(boto3_client, Counter, {"name": "a"}) == {"name": {"S": "a"}, "total": {"N": "1"}}
    assert _get(boto3_client, Counter, {"name": "b"}) == {"name": {"S": "b"}, "total": {"N": "5"}}


async def test_conflict_retries_are_bounded(dynamodb_local: str, tables: TableFactory) -> None:
    from dynamorm_async import Backoff, TransactionCanceled

    await tables(Counter)
    faults = Faults(conflict=1.0, operations=frozenset({"TransactWriteItems"}))
    async with (
        FaultProxy(dynamodb_local, faults) as proxy,
        DB(region=AWS_REGION, endpoint_url=proxy.endpoint_url) as db,
    ):
        tx = db.transact_write()
        tx.backoff = Backoff(attempts=3, base=0.001)
        tx.update(Counter, "a", Counter.attr.total.add(1), upsert=True)
        with pytest.raises(TransactionCanceled) as caught:
            await tx.commit()
    assert [r.code for r in caught.value.reasons] == ["TransactionConflict"]
    assert proxy.counts["conflict"] == 3 and not tx.committed
