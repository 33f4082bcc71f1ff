"""Several models in one table: puts guarded against another model's item (single, exactly-once,
in a transaction; batch puts cannot be), and ``DB.batch_get`` reading keys of several models in
one BatchGetItem stream. Pure request shapes and MockTransport."""

from __future__ import annotations

from typing import Annotated, Any, cast

import anyio
import pytest

from dynamorm_async import (
    DB,
    ConditionCheckFailed,
    DeadlinePartialFailure,
    HashKey,
    InvalidInput,
    Model,
    PartialFailure,
    RangeKey,
    TransactionCanceled,
    TransactionWrongModel,
    Version,
    WrongModel,
)
from dynamorm_async.aws_lambda import with_lambda_timeout
from dynamorm_async.deadline import Deadline, deadline_scope
from dynamorm_async.errors import CancellationReason
from dynamorm_async.requests.items import batch_put, put_item
from dynamorm_async.retry import Backoff
from dynamorm_async.schema import schema_of
from dynamorm_async.testing import MockTransport

pytestmark = pytest.mark.anyio

_T = "unit-puts"


class Shop(Model, table=_T, discriminator="SHOP"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str = ""


class Sale(Model, table=_T, discriminator="SALE"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    amount: int = 0
    version: Annotated[int, Version()] = 0


class Loner(Model, table="unit-puts-loner"):
    pk: Annotated[str, HashKey()]
    n: int = 0


GUARD = "(attribute_not_exists(entity)) OR (entity = {'S': 'SHOP'})"


def _condition(params: dict[str, Any]) -> str:
    """The condition expression with its placeholders filled in, for reading."""
    text: str = params["ConditionExpression"]
    for ph, name in params.get("ExpressionAttributeNames", {}).items():
        text = text.replace(ph, name)
    for ph, value in params.get("ExpressionAttributeValues", {}).items():
        text = text.replace(ph, repr(value))
    return text


def _db(handler: Any) -> tuple[DB, MockTransport]:
    transport = MockTransport(handler)
    return DB(transport=cast(Any, transport)), transport


# --------------------------------------------------------------------------- put shapes


def test_a_put_through_a_model_with_a_discriminator_only_replaces_its_own_items() -> None:
    shop = Shop(pk="s1", sk="PROFILE", name="a")
    params = put_item(schema_of(Shop), shop).params
    assert _condition(params) == GUARD
    assert params["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    own = put_item(schema_of(Shop), shop, condition=Shop.attr.name == "a").params
    assert _condition(own) == f"({GUARD}) AND (name = {{'S': 'a'}})"
    # Insert-only needs no guard: no item at all may be there.
    assert _condition(put_item(schema_of(Shop), shop, overwrite=False).params) == "attribute_not_exists(pk)"


def test_a_versioned_put_checks_the_guard_and_the_version() -> None:
    new = put_item(schema_of(Sale), Sale(pk="s1", sk="SALE#1")).params
    # attribute_not_exists(version) alone would hold on a shop (it has no version): the guard is needed
    assert _condition(new) == (
        "((attribute_not_exists(entity)) OR (entity = {'S': 'SALE'})) AND (attribute_not_exists(version))"
    )
    seen = put_item(schema_of(Sale), Sale(pk="s1", sk="SALE#1", version=3)).params
    assert _condition(seen).endswith("AND (version = {'N': '3'})")


def test_each_put_gets_its_own_parameters_though_the_guard_is_encoded_once() -> None:
    first = put_item(schema_of(Shop), Shop(pk="s1", sk="PROFILE")).params
    first["ExpressionAttributeValues"][":v0"]["S"] = "changed"
    first["ExpressionAttributeNames"].clear()
    assert _condition(put_item(schema_of(Shop), Shop(pk="s2", sk="PROFILE")).params) == GUARD


def test_puts_that_cannot_carry_the_guard() -> None:
    # A model without a discriminator has nothing to guard; a batch put takes no condition (DynamoDB).
    assert "ConditionExpression" not in put_item(schema_of(Loner), Loner(pk="a")).params
    assert batch_put(schema_of(Shop), Shop(pk="s1", sk="PROFILE")).batch_item() == {
        "PutRequest": {
            "Item": {"pk": {"S": "s1"}, "sk": {"S": "PROFILE"}, "name": {"S": ""}, "entity": {"S": "SHOP"}}
        }
    }


# --------------------------------------------------------------------------- puts refused


def _sale_item() -> dict[str, Any]:
    return schema_of(Sale).encode(Sale(pk="s1", sk="PROFILE", amount=5, version=1))


def _refuse(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB refusing a put (or its one-item transaction) onto the sale under the shop's key."""
    if operation == "TransactWriteItems":
        exc = TransactionCanceled("cancelled", code="TransactionCanceledException", operation=operation)
        exc.reasons = [CancellationReason(0, "ConditionalCheckFailed", "failed", _sale_item())]
        raise exc
    failed = ConditionCheckFailed("no", code="ConditionalCheckFailedException", operation=operation)
    failed.item = _sale_item()
    raise failed


async def test_a_put_meeting_another_models_item_raises_wrong_model_and_leaves_the_instance() -> None:
    db, transport = _db(_refuse)
    shop = Shop(pk="s1", sk="PROFILE", name="a")
    with pytest.raises(WrongModel) as caught:
        await db.manager(Shop).put(shop)
    assert (caught.value.expected, caught.value.found) == ("SHOP", "SALE")
    assert caught.value.key == {"pk": {"S": "s1"}, "sk": {"S": "PROFILE"}}
    assert isinstance(caught.value.__context__, ConditionCheckFailed)
    with pytest.raises(TransactionWrongModel) as once:
        await db.manager(Shop).put(shop, exactly_once=True)
    assert (once.value.index, once.value.found) == (0, "SALE")
    assert transport.operations() == ["PutItem", "TransactWriteItems"]
    put = transport.calls[1].params["TransactItems"][0]["Put"]
    assert _condition(put) == GUARD


async def test_a_transaction_put_meeting_another_models_item_cancels_with_wrong_model() -> None:
    def refuse(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        exc = TransactionCanceled("cancelled", code="TransactionCanceledException", operation=operation)
        exc.reasons = [
            CancellationReason(0, "None", None),
            CancellationReason(1, "ConditionalCheckFailed", "failed", _sale_item()),
        ]
        raise exc

    db, transport = _db(refuse)
    tx = db.transact_write()
    tx.put(Sale(pk="s1", sk="SALE#2"))
    tx.put(Shop(pk="s1", sk="PROFILE"), condition=Shop.attr.name.not_exists())
    with pytest.raises(TransactionWrongModel) as caught:
        await tx.commit()
    assert (caught.value.index, caught.value.expected, caught.value.found) == (1, "SHOP", "SALE")
    assert not tx.committed
    puts = [item["Put"] for item in transport.calls[0].params["TransactItems"]]
    assert _condition(puts[1]) == f"({GUARD}) AND (attribute_not_exists(name))"


# --------------------------------------------------------------------------- mixed batch get


def _stored(*items: Model) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for obj in items:
        raw = schema_of(type(obj)).encode(obj)
        out[(raw["pk"]["S"], raw["sk"]["S"])] = raw
    return out


async def test_batch_get_reads_keys_of_several_models_in_one_request_aligned_with_the_request() -> None:
    stored = _stored(Shop(pk="s1", sk="PROFILE", name="a"), Sale(pk="s1", sk="SALE#1", amount=4, version=1))

    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        keys = params["RequestItems"][_T]["Keys"]
        hits = [stored[(k["pk"]["S"], k["sk"]["S"])] for k in keys if (k["pk"]["S"], k["sk"]["S"]) in stored]
        return {"Responses": {_T: hits}, "UnprocessedKeys": {}}

    db, transport = _db(answer)
    sale = Sale(pk="s1", sk="SALE#1")
    got = await db.batch_get(
        [(Shop, ("s1", "PROFILE")), sale, (Sale, ("s1", "SALE#9")), (Sale, ("s1", "SALE#1"))], consistent=True
    )
    assert got == [
        Shop(pk="s1", sk="PROFILE", name="a"),
        Sale(pk="s1", sk="SALE#1", amount=4, version=1),
        None,
        got[1],
    ]
    assert got[1] is not sale and got[3] is not got[1]
    (call,) = transport.calls
    assert call.operation == "BatchGetItem" and call.table == _T
    assert call.params == {
        "RequestItems": {
            _T: {
                "ConsistentRead": True,
                "Keys": [  # a key asked for twice is read once
                    {"pk": {"S": "s1"}, "sk": {"S": "PROFILE"}},
                    {"pk": {"S": "s1"}, "sk": {"S": "SALE#1"}},
                    {"pk": {"S": "s1"}, "sk": {"S": "SALE#9"}},
                ],
            }
        }
    }
    assert await db.batch_get([]) == []
    assert len(transport.calls) == 1


async def test_batch_get_spans_tables_and_chunks_by_100_keys() -> None:
    def answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        responses: dict[str, list[dict[str, Any]]] = {}
        for table, entry in params["RequestItems"].items():
            responses[table] = [
                {**k, **({"n": {"N": "1"}} if table != _T else {"entity": {"S": "SHOP"}})}
                for k in entry["Keys"]
            ]
        return {"Responses": responses}

    db, transport = _db(answer)
    gets: list[Any] = [(Loner, f"l{i}") for i in range(150)] + [(Shop, ("s1", "PROFILE"))]
    got = await db.batch_get(gets)
    assert [type(x).__name__ for x in got] == ["Loner"] * 150 + ["Shop"]
    assert got[0] == Loner(pk="l0", n=1)
    sizes = sorted(sum(len(e["Keys"]) for e in c.params["RequestItems"].values()) for c in transport.calls)
    assert sizes == [51, 100]
    assert {c.table for c in transport.calls} == {None}  # two tables: no single one to name


async def test_batch_get_of_another_models_item_raises_wrong_model() -> None:
    sale = _sale_item()
    db, _ = _db(lambda op, params: {"Responses": {_T: [sale]}})
    with pytest.raises(WrongModel) as caught:
        await db.batch_get([(Shop, ("s1", "PROFILE"))])
    assert (caught.value.expected, caught.value.found) == ("SHOP", "SALE")


async def test_batch_get_retries_unprocessed_keys_then_reports_what_is_left() -> None:
    shop = _stored(Shop(pk="s1", sk="PROFILE"))[("s1", "PROFILE")]
    left = {"pk": {"S": "s1"}, "sk": {"S": "SALE#1"}}

    def stingy(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        keys = params["RequestItems"][_T]["Keys"]
        return {
            "Responses": {_T: [shop] if shop["sk"] in [k["sk"] for k in keys] else []},
            "UnprocessedKeys": {_T: {"Keys": [left]}},
        }

    db, transport = _db(stingy)
    request: tuple[Any, Any] = (Sale, ("s1", "SALE#1"))
    with pytest.raises(PartialFailure) as caught:
        await db.batch_get([(Shop, ("s1", "PROFILE")), request], backoff=Backoff(attempts=3, base=0, cap=0))
    err = caught.value
    assert err.unprocessed == [request] and err.in_doubt == [] and err.reason == "attempts"
    assert err.done == [Shop(pk="s1", sk="PROFILE")] and err.result == [err.done[0], None]
    assert len(transport.calls) == 3
    assert transport.calls[1].params["RequestItems"][_T]["Keys"] == [left]


@pytest.mark.parametrize(
    "bad",
    [Shop, (Shop,), (Shop, "s1", "x"), ("Shop", ("s1", "PROFILE")), (int, 1), 42],
)
async def test_batch_get_refuses_what_is_no_request_before_sending(bad: Any) -> None:
    db, transport = _db(lambda op, params: {})
    with pytest.raises(InvalidInput):
        await db.batch_get([(Shop, ("s1", "PROFILE")), bad])
    assert transport.calls == []


async def test_batch_get_at_the_deadline_reports_what_was_cut_off_in_flight_and_what_was_never_sent() -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 400

    async def slow(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        await anyio.sleep(5)  # answered after the deadline: cut off in flight
        return {}

    db, transport = _db(slow)
    asked: list[Any] = [(Shop, (f"s{i}", "PROFILE")) for i in range(3)]
    with pytest.raises(DeadlinePartialFailure) as caught, with_lambda_timeout(Context(), buffer=0.2):
        await db.batch_get(asked)
    assert caught.value.unprocessed == asked and caught.value.in_doubt == asked
    assert caught.value.result == [None, None, None] and len(transport.calls) == 1
    # Past the deadline already: nothing is sent, every key is reported not done.
    with pytest.raises(DeadlinePartialFailure) as late, deadline_scope(Deadline(at=anyio.current_time() - 1)):
        await db.batch_get(asked)
    assert late.value.unprocessed == asked and late.value.in_doubt == [] and late.value.reason == "deadline"
    assert len(transport.calls) == 1
