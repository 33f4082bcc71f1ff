"""The exact DynamoDB request every manager, batch and transaction operation sends.

Run through ``DB(transport=MockTransport(handler))``: the handler plays DynamoDB, the mock records
each request, so no DynamoDB is needed. Time is frozen so timestamps are known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, cast

import pytest

from dynamorm_async import (
    DB,
    GSI,
    TTL,
    ConditionCheckFailed,
    CreatedAt,
    DuplicateKey,
    HashKey,
    KeyUpdateError,
    Model,
    RangeKey,
    UnknownAttribute,
    UpdatedAt,
    Version,
)
from dynamorm_async.requests import items as request_items
from dynamorm_async.testing import MockTransport

pytestmark = pytest.mark.anyio

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
NOW_S = {"S": NOW.isoformat()}


class Order(Model, table="orders", indexes=[GSI("by_status", hash="status", range="total")]):
    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    status: str = "new"
    total: int = 0
    version: Annotated[int, Version()] = 0
    created_at: Annotated[dt.datetime | None, CreatedAt()] = None
    updated_at: Annotated[dt.datetime | None, UpdatedAt()] = None
    expires: Annotated[dt.datetime | None, TTL()] = None


class Note(Model, table="notes"):
    pk: Annotated[str, HashKey()]
    text: str = ""


Handler = Callable[[str, dict[str, Any]], dict[str, Any]]


@pytest.fixture(autouse=True)
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(request_items, "now", lambda: NOW)


def mock_db(handler: Handler | None = None) -> tuple[DB, MockTransport]:
    transport = MockTransport(handler or (lambda op, params: {}))
    # The cast goes once the transport parameter is typed as the Transport protocol.
    return DB(transport=cast(Any, transport)), transport


def order_item(**extra: Any) -> dict[str, Any]:
    return {
        "partner_id": {"S": "p1"},
        "order_id": {"S": "o1"},
        "status": {"S": "new"},
        "total": {"N": "0"},
        **extra,
    }


KEY = {"partner_id": {"S": "p1"}, "order_id": {"S": "o1"}}


# --------------------------------------------------------------------------- get


async def test_get_sends_the_key_only() -> None:
    db, t = mock_db(lambda op, p: {"Item": order_item(version={"N": "3"})})
    got = await db.manager(Order).get("p1", "o1")
    assert got.version == 3
    assert [(c.operation, c.params, c.table) for c in t.calls] == [
        ("GetItem", {"TableName": "orders", "Key": KEY}, "orders")
    ]


async def test_get_with_projection_and_consistency_reads_the_keys_too() -> None:
    db, t = mock_db(lambda op, p: {"Item": {**KEY, "total": {"N": "5"}}})
    got = await db.manager(Order).get(("p1", "o1"), consistent=True, projection=[Order.attr.total])
    assert got.total == 5
    assert t.calls[0].params == {
        "TableName": "orders",
        "Key": KEY,
        "ConsistentRead": True,
        "ProjectionExpression": "#n0, #n1, #n2",
        "ExpressionAttributeNames": {"#n0": "total", "#n1": "partner_id", "#n2": "order_id"},
    }


async def test_get_or_none_of_a_missing_item() -> None:
    db, t = mock_db()
    assert await db.manager(Note).get_or_none("n1") is None
    assert t.calls[0].params == {"TableName": "notes", "Key": {"pk": {"S": "n1"}}}


# --------------------------------------------------------------------------- put


async def test_put_of_a_new_versioned_item_requires_absence_and_sets_version_and_timestamps() -> None:
    db, t = mock_db()
    order = Order(partner_id="p1", order_id="o1")
    await db.manager(Order).put(order)
    assert t.calls[0].params == {
        "TableName": "orders",
        "Item": order_item(version={"N": "1"}, created_at=NOW_S, updated_at=NOW_S),
        "ConditionExpression": "attribute_not_exists(#n0)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "ExpressionAttributeNames": {"#n0": "version"},
    }
    assert (order.version, order.created_at, order.updated_at) == (1, NOW, NOW)


async def test_put_insert_only_with_a_condition_and_ttl() -> None:
    db, t = mock_db()
    order = Order(partner_id="p1", order_id="o1", version=4, created_at=NOW - dt.timedelta(days=1))
    await db.manager(Order).put(order, overwrite=False, condition=Order.attr.status == "new", ttl=60)
    expires = NOW + dt.timedelta(seconds=60)
    assert t.calls[0].params == {
        "TableName": "orders",
        "Item": order_item(
            version={"N": "5"},
            created_at={"S": (NOW - dt.timedelta(days=1)).isoformat()},
            updated_at=NOW_S,
            expires={"N": str(int(expires.timestamp()))},
        ),
        "ConditionExpression": "(attribute_not_exists(#n0)) AND (#n1 = :v0) AND (#n2 = :v1)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "ExpressionAttributeNames": {"#n0": "partner_id", "#n1": "version", "#n2": "status"},
        "ExpressionAttributeValues": {":v0": {"N": "4"}, ":v1": {"S": "new"}},
    }
    assert (order.version, order.expires) == (5, expires)


async def test_put_refused_leaves_the_instance_and_decodes_the_current_item() -> None:
    def refuse(op: str, params: dict[str, Any]) -> dict[str, Any]:
        exc = ConditionCheckFailed("no", code="ConditionalCheckFailedException", operation=op)
        exc.item = order_item(version={"N": "9"})  # as the transport attaches it
        raise exc

    db, _ = mock_db(refuse)
    order = Order(partner_id="p1", order_id="o1", version=2)
    with pytest.raises(ConditionCheckFailed) as info:
        await db.manager(Order).put(order)
    assert isinstance(info.value.item, Order) and info.value.item.version == 9
    assert (order.version, order.updated_at) == (2, None)


async def test_put_of_an_unversioned_item_is_unconditional() -> None:
    db, t = mock_db()
    await db.manager(Note).put(Note(pk="n1", text="hi"))
    assert t.calls[0].params == {"TableName": "notes", "Item": {"pk": {"S": "n1"}, "text": {"S": "hi"}}}


# --------------------------------------------------------------------------- update


async def test_update_of_an_instance_checks_and_bumps_its_version() -> None:
    new = order_item(total={"N": "7"}, version={"N": "3"}, updated_at=NOW_S)
    db, t = mock_db(lambda op, p: {"Attributes": new})
    order = Order(partner_id="p1", order_id="o1", version=2)
    result = await db.manager(Order).update(
        order, Order.attr.total.add(7), condition=Order.attr.status == "new"
    )
    assert t.calls[0].params == {
        "TableName": "orders",
        "Key": KEY,
        "UpdateExpression": "ADD #n0 :v0 SET #n1 = :v1, #n2 = :v2",
        "ReturnValues": "ALL_NEW",
        "ConditionExpression": "(#n1 = :v3) AND (#n3 = :v4)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "ExpressionAttributeNames": {"#n0": "total", "#n1": "version", "#n2": "updated_at", "#n3": "status"},
        "ExpressionAttributeValues": {
            ":v0": {"N": "7"},
            ":v1": {"N": "3"},
            ":v2": NOW_S,
            ":v3": {"N": "2"},
            ":v4": {"S": "new"},
        },
    }
    assert result is not None and (order.total, order.version, order.updated_at) == (7, 3, NOW)


@pytest.mark.parametrize("return_values", ["NONE", "ALL_OLD"])
async def test_update_of_an_instance_without_all_new_still_moves_its_version(return_values: Any) -> None:
    db, t = mock_db(
        lambda op, p: {"Attributes": order_item(version={"N": "2"})} if return_values == "ALL_OLD" else {}
    )
    orders = db.manager(Order)
    order = Order(partner_id="p1", order_id="o1", version=2)
    await orders.update(order, Order.attr.total.add(1), return_values=return_values)
    assert (order.version, order.updated_at) == (3, NOW)
    await orders.update(order, Order.attr.total.add(1), return_values=return_values)
    # The second update expects the version the first one wrote, as DynamoDB holds it.
    assert t.calls[1].params["ExpressionAttributeValues"][":v3"] == {"N": "3"}


async def test_update_by_key_increments_the_stored_version_without_checking_it() -> None:
    # The item must exist (no partial item is created): the update is conditional on its key.
    db, t = mock_db()
    got = await db.manager(Order).update(("p1", "o1"), Order.attr.status.set("paid"), return_values="NONE")
    assert got is None
    assert t.calls[0].params == {
        "TableName": "orders",
        "Key": KEY,
        "UpdateExpression": "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1) + :v2, #n2 = :v3",
        "ReturnValues": "NONE",
        "ConditionExpression": "attribute_exists(#n3)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "ExpressionAttributeNames": {
            "#n0": "status",
            "#n1": "version",
            "#n2": "updated_at",
            "#n3": "partner_id",
        },
        "ExpressionAttributeValues": {
            ":v0": {"S": "paid"},
            ":v1": {"N": "0"},
            ":v2": {"N": "1"},
            ":v3": NOW_S,
        },
    }


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (lambda: Order.attr.order_id.set("x"), KeyUpdateError),
        (lambda: Note.attr.text.set("x"), UnknownAttribute),  # Order declares no "text"
    ],
)
async def test_update_refuses_bad_actions_before_sending(
    action: Callable[[], Any], error: type[Exception]
) -> None:
    db, t = mock_db()
    with pytest.raises(error):
        await db.manager(Order).update(("p1", "o1"), action())
    assert t.calls == []


# --------------------------------------------------------------------------- delete


async def test_delete_of_an_instance_checks_its_version_and_returns_the_old_item() -> None:
    db, t = mock_db(lambda op, p: {"Attributes": order_item(version={"N": "2"})})
    old = await db.manager(Order).delete(Order(partner_id="p1", order_id="o1", version=2), return_old=True)
    assert old is not None and old.version == 2
    assert t.calls[0].params == {
        "TableName": "orders",
        "Key": KEY,
        "ConditionExpression": "#n0 = :v0",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "ReturnValues": "ALL_OLD",
        "ExpressionAttributeNames": {"#n0": "version"},
        "ExpressionAttributeValues": {":v0": {"N": "2"}},
    }


async def test_delete_by_key_is_unconditional() -> None:
    db, t = mock_db()
    assert await db.manager(Order).delete("p1", "o1") is None
    assert t.calls[0].params == {"TableName": "orders", "Key": KEY}


# --------------------------------------------------------------------------- query, scan, count


def pages_of(*responses: dict[str, Any]) -> Handler:
    """A handler answering successive calls with ``responses``, in order."""
    left = list(responses)

    def handler(op: str, params: dict[str, Any]) -> dict[str, Any]:
        return left.pop(0)

    return handler


def order_row(order_id: str, status: str = "new", total: int = 0) -> dict[str, Any]:
    return {
        "partner_id": {"S": "p1"},
        "order_id": {"S": order_id},
        "status": {"S": status},
        "total": {"N": str(total)},
    }


async def test_query_with_filter_and_page_size_follows_last_evaluated_key() -> None:
    last = {"partner_id": {"S": "p1"}, "order_id": {"S": "o2"}}
    db, t = mock_db(pages_of({"Items": [order_row("o1", total=5)], "LastEvaluatedKey": last}, {"Items": []}))
    q = db.manager(Order).query(Order.attr.partner_id == "p1").filter(Order.attr.total > 3).page_size(10)
    assert [o.order_id async for o in q] == ["o1"]
    first = {
        "TableName": "orders",
        "KeyConditionExpression": "#n0 = :v0",
        "FilterExpression": "#n1 > :v1",
        "ExpressionAttributeNames": {"#n0": "partner_id", "#n1": "total"},
        "ExpressionAttributeValues": {":v0": {"S": "p1"}, ":v1": {"N": "3"}},
        "Limit": 10,
    }
    assert [c.params for c in t.calls] == [first, {**first, "ExclusiveStartKey": last}]
    assert [c.table for c in t.calls] == ["orders", "orders"]


async def test_query_limit_without_filter_asks_only_for_what_is_left() -> None:
    db, t = mock_db(
        pages_of({"Items": [order_row("o1")], "LastEvaluatedKey": KEY}, {"Items": [order_row("o2")]})
    )
    q = db.manager(Order).query(Order.attr.partner_id == "p1").limit(2).descending()
    assert [o.order_id async for o in q] == ["o1", "o2"]
    assert [c.params["Limit"] for c in t.calls] == [2, 1]
    assert t.calls[0].params["ScanIndexForward"] is False


async def test_query_on_an_index_pages_with_a_cursor() -> None:
    rows = [order_row("o1", "paid", 1), order_row("o2", "paid", 2)]
    db, t = mock_db(pages_of({"Items": rows}, {"Items": [order_row("o3", "paid", 3)]}))
    q = db.manager(Order).query(Order.attr.status == "paid").limit(1)
    page = await q.page()
    assert [o.order_id for o in page] == ["o1"] and page.cursor is not None
    assert t.calls[0].params == {
        "TableName": "orders",
        "IndexName": "by_status",
        "KeyConditionExpression": "#n0 = :v0",
        "ExpressionAttributeNames": {"#n0": "status"},
        "ExpressionAttributeValues": {":v0": {"S": "paid"}},
        "Limit": 1,
    }
    await q.page(page.cursor)
    # The next page starts after the last item handed out, keyed by the table's and the index's keys.
    start = {a: rows[0][a] for a in ("partner_id", "order_id", "status", "total")}
    assert t.calls[1].params["ExclusiveStartKey"] == start


async def test_count_sums_pages_and_stops_at_the_limit() -> None:
    db, t = mock_db(pages_of({"Count": 3, "LastEvaluatedKey": KEY}, {"Count": 4, "LastEvaluatedKey": KEY}))
    n = await db.manager(Order).query(Order.attr.partner_id == "p1").limit(5).count()
    assert n == 5
    assert [c.params.get("Select") for c in t.calls] == ["COUNT", "COUNT"]
    assert [c.params["Limit"] for c in t.calls] == [5, 2]
    assert "ExclusiveStartKey" in t.calls[1].params


async def test_scan_pages_through_the_table() -> None:
    db, t = mock_db(
        pages_of({"Items": [{"pk": {"S": "a"}}], "LastEvaluatedKey": {"pk": {"S": "a"}}}, {"Items": []})
    )
    assert [n.pk async for n in db.manager(Note).scan().page_size(5)] == ["a"]
    assert [c.params for c in t.calls] == [
        {"TableName": "notes", "Limit": 5},
        {"TableName": "notes", "Limit": 5, "ExclusiveStartKey": {"pk": {"S": "a"}}},
    ]


async def test_parallel_scan_reads_every_segment() -> None:
    def handler(op: str, params: dict[str, Any]) -> dict[str, Any]:
        assert op == "Scan"
        return {"Items": [{"pk": {"S": f"seg{params['Segment']}"}}], "Count": 1}

    db, t = mock_db(handler)
    scan = db.manager(Note).scan().project("text")
    got = sorted(n.pk for n in await scan.parallel(3).all())
    assert got == ["seg0", "seg1", "seg2"]
    assert sorted((c.params["Segment"], c.params["TotalSegments"]) for c in t.calls) == [
        (0, 3),
        (1, 3),
        (2, 3),
    ]
    assert {c.params["ProjectionExpression"] for c in t.calls} == {"#n0, #n1"}
    assert await db.manager(Note).scan().parallel(2).count() == 2


# --------------------------------------------------------------------------- batches


def echo_batch_get(op: str, params: dict[str, Any]) -> dict[str, Any]:
    assert op == "BatchGetItem"
    ((table, request),) = params["RequestItems"].items()
    return {"Responses": {table: [{**k, "text": {"S": "t"}} for k in request["Keys"]]}}


async def test_batch_get_sends_100_keys_per_request_deduplicated() -> None:
    db, t = mock_db(echo_batch_get)
    keys = [f"n{i}" for i in range(250)] + ["n0", ("n1",)]
    got = await db.manager(Note).batch_get(keys, consistent=True)
    assert [n.pk for n in got] == [f"n{i}" for i in range(250)]
    sizes = sorted(len(c.params["RequestItems"]["notes"]["Keys"]) for c in t.calls)
    assert sizes == [50, 100, 100]
    assert all(c.params["RequestItems"]["notes"]["ConsistentRead"] is True for c in t.calls)
    sent = [k["pk"]["S"] for c in t.calls for k in c.params["RequestItems"]["notes"]["Keys"]]
    assert sorted(sent) == sorted(f"n{i}" for i in range(250))


async def test_batch_get_with_projection() -> None:
    db, t = mock_db(echo_batch_get)
    await db.manager(Order).batch_get([("p1", "o1")], projection=["total"])
    assert t.calls[0].params == {
        "RequestItems": {
            "orders": {
                "ProjectionExpression": "#n0, #n1, #n2",
                "ExpressionAttributeNames": {"#n0": "total", "#n1": "partner_id", "#n2": "order_id"},
                "Keys": [KEY],
            }
        }
    }


async def test_batch_write_sends_25_writes_per_request_and_updates_instances() -> None:
    db, t = mock_db()
    orders = [Order(partner_id="p1", order_id=f"o{i}") for i in range(60)]
    result = await db.manager(Order).batch_write(put=orders, delete=[("p2", f"d{i}") for i in range(10)])
    assert sorted(len(c.params["RequestItems"]["orders"]) for c in t.calls) == [20, 25, 25]
    writes = [w for c in t.calls for w in c.params["RequestItems"]["orders"]]
    puts = [w["PutRequest"]["Item"] for w in writes if "PutRequest" in w]
    assert puts[0] == order_item(order_id={"S": "o0"}, version={"N": "1"}, created_at=NOW_S, updated_at=NOW_S)
    deletes = [w["DeleteRequest"]["Key"] for w in writes if "DeleteRequest" in w]
    assert sorted(d["order_id"]["S"] for d in deletes) == sorted(f"d{i}" for i in range(10))
    assert len(result.put) == 60 and len(result.deleted) == 10 and not result.unprocessed
    assert all(o.version == 1 and o.updated_at == NOW for o in orders)


async def test_batch_write_refuses_a_key_twice_before_sending() -> None:
    db, t = mock_db()
    with pytest.raises(DuplicateKey):
        await db.manager(Note).batch_write(put=[Note(pk="a")], delete=["a"])
    assert t.calls == []


# --------------------------------------------------------------------------- transactions


async def test_transact_write_of_each_kind_of_request() -> None:
    db, t = mock_db()
    order = Order(partner_id="p1", order_id="o1", version=1)
    bumped = Order(partner_id="p1", order_id="o2", version=5)
    async with db.transact_write(token="tok") as tx:
        assert tx.put(order, condition=Order.attr.status == "new") == 0
        tx.update(bumped, Order.attr.total.add(1))
        tx.delete(Note, "n1")
        tx.condition_check(Order, ("p1", "o3"), Order.attr.status.exists())
    assert [c.operation for c in t.calls] == ["TransactWriteItems"]
    assert t.calls[0].params == {
        "TransactItems": [
            {
                "Put": {
                    "TableName": "orders",
                    "Item": order_item(version={"N": "2"}, created_at=NOW_S, updated_at=NOW_S),
                    "ConditionExpression": "(#n0 = :v0) AND (#n1 = :v1)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    "ExpressionAttributeNames": {"#n0": "version", "#n1": "status"},
                    "ExpressionAttributeValues": {":v0": {"N": "1"}, ":v1": {"S": "new"}},
                }
            },
            {
                "Update": {
                    "TableName": "orders",
                    "Key": {"partner_id": {"S": "p1"}, "order_id": {"S": "o2"}},
                    "UpdateExpression": "ADD #n0 :v0 SET #n1 = :v1, #n2 = :v2",
                    "ConditionExpression": "#n1 = :v3",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    "ExpressionAttributeNames": {"#n0": "total", "#n1": "version", "#n2": "updated_at"},
                    "ExpressionAttributeValues": {
                        ":v0": {"N": "1"},
                        ":v1": {"N": "6"},
                        ":v2": NOW_S,
                        ":v3": {"N": "5"},
                    },
                }
            },
            {"Delete": {"TableName": "notes", "Key": {"pk": {"S": "n1"}}}},
            {
                "ConditionCheck": {
                    "TableName": "orders",
                    "Key": {"partner_id": {"S": "p1"}, "order_id": {"S": "o3"}},
                    "ConditionExpression": "attribute_exists(#n0)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    "ExpressionAttributeNames": {"#n0": "status"},
                }
            },
        ],
        "ClientRequestToken": "tok",
    }
    assert tx.committed and (order.version, order.created_at) == (2, NOW)
    assert (bumped.version, bumped.updated_at, bumped.total) == (6, NOW, 0)  # total is DynamoDB's to add


async def test_transact_write_refuses_an_item_twice_when_it_is_added() -> None:
    db, t = mock_db()
    tx = db.transact_write()
    tx.delete(Note, "n1")
    with pytest.raises(DuplicateKey):
        tx.condition_check(Note(pk="n1"), Note.attr.text == "x")
    await tx.commit()
    assert [len(c.params["TransactItems"]) for c in t.calls] == [1]


async def test_transact_get_reads_each_item_in_order() -> None:
    def handler(op: str, params: dict[str, Any]) -> dict[str, Any]:
        return {"Responses": [{"Item": {"pk": {"S": "n1"}, "text": {"S": "hi"}}}, {}]}

    db, t = mock_db(handler)
    got = await db.transact_get([(Note, "n1"), Order(partner_id="p1", order_id="o1")])
    assert isinstance(got[0], Note) and got[0].text == "hi" and got[1] is None
    assert [(c.operation, c.params) for c in t.calls] == [
        (
            "TransactGetItems",
            {
                "TransactItems": [
                    {"Get": {"TableName": "notes", "Key": {"pk": {"S": "n1"}}}},
                    {"Get": {"TableName": "orders", "Key": KEY}},
                ]
            },
        )
    ]


async def test_mock_transport_takes_async_handlers_and_closes() -> None:
    async def handler(op: str, params: dict[str, Any]) -> dict[str, Any]:
        return {"Item": {"pk": {"S": "n1"}}}

    db, t = mock_db(cast(Handler, handler))
    assert (await db.manager(Note).get("n1")).pk == "n1"
    await db.close()
    assert t.closed and t.operations() == ["GetItem"]


async def test_a_manager_whose_table_was_renamed_sends_every_request_there() -> None:
    db, t = mock_db(lambda op, p: {"Item": {"pk": {"S": "n1"}}} if op == "GetItem" else {})
    notes = db.manager(Note)
    notes.table = "notes_test_run"  # e.g. a fresh table per run, as the benchmarks do
    await notes.get("n1")
    await notes.put(Note(pk="n1"))
    await notes.update("n1", Note.attr.text.set("x"))
    await notes.delete("n1")
    await notes.batch_write(put=[Note(pk="n2")], delete=["n3"])
    tables = [c.params.get("TableName") or next(iter(c.params["RequestItems"])) for c in t.calls]
    assert tables == ["notes_test_run"] * 5
    assert [c.table for c in t.calls] == ["notes_test_run"] * 5


async def test_transactions_send_each_item_to_its_managers_table() -> None:
    db, t = mock_db(lambda op, p: {"Responses": [{}]} if op == "TransactGetItems" else {})
    db.manager(Note).table = "notes_test_run"
    async with db.transact_write() as tx:
        tx.put(Note(pk="n1"))
        tx.condition_check(Order, ("p1", "o1"), Order.attr.status.exists())
    await db.transact_get([(Note, "n1")])
    writes = t.calls[0].params["TransactItems"]
    assert [writes[0]["Put"]["TableName"], writes[1]["ConditionCheck"]["TableName"]] == [
        "notes_test_run",
        "orders",
    ]
    assert t.calls[1].params["TransactItems"][0]["Get"]["TableName"] == "notes_test_run"


async def test_a_current_item_the_model_cannot_read_is_left_out_of_the_error() -> None:
    def refuse(op: str, params: dict[str, Any]) -> dict[str, Any]:
        exc = ConditionCheckFailed("no", code="ConditionalCheckFailedException", operation=op)
        exc.item = {"partner_id": {"S": "p1"}, "order_id": {"S": "o1"}, "total": {"N": "1.5"}}  # not an int
        raise exc

    db, _ = mock_db(refuse)
    with pytest.raises(ConditionCheckFailed) as info:
        await db.manager(Order).put(Order(partner_id="p1", order_id="o1"))
    assert info.value.item is None  # one rule for managers and transactions: a model or None
