"""Several models in one table, used together: the wrong-model guard on deletes and condition
checks, the table definition made from every model of a table and the check of an existing
one, and transactions cancelled by another model's item. Pure request shapes and MockTransport."""

from __future__ import annotations

from typing import Annotated, Any, cast

import pytest

from dynamorm_async import GSI, LSI, TTL, HashKey, Model, ModelError, RangeKey, WrongModel
from dynamorm_async.errors import CancellationReason, TransactionCanceled, TransactionWrongModel
from dynamorm_async.requests.items import condition_check, delete_item
from dynamorm_async.schema import schema_of
from dynamorm_async.tables import create_table, table_definition, table_differences
from dynamorm_async.testing import MockTransport
from dynamorm_async.transactions import TransactWrite

pytestmark = pytest.mark.anyio

_T = "unit-mixed"


class Account(Model, table=_T, discriminator="ACCOUNT", indexes=[GSI("by_email", hash="email")]):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    email: str = ""


class Invoice(
    Model,
    table=_T,
    discriminator="INVOICE",
    indexes=[GSI("by_due", hash="due", range="sk", projection=["amount"]), LSI("by_amount", range="amount")],
):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    due: str = ""
    amount: int = 0


class Solo(Model, table="unit-mixed-solo", indexes=[GSI("by_n", hash="n", projection=["m"])]):
    pk: Annotated[str, HashKey()]
    n: int = 0
    m: int = 0


# --------------------------------------------------------------------------- the guard


def _condition(params: dict[str, Any]) -> str:
    """The condition expression with its placeholders filled in, for reading."""
    text: str = params["ConditionExpression"]
    for ph, name in params.get("ExpressionAttributeNames", {}).items():
        text = text.replace(ph, name)
    for ph, value in params.get("ExpressionAttributeValues", {}).items():
        text = text.replace(ph, repr(value))
    return text


def test_a_delete_through_a_model_with_a_discriminator_only_applies_to_its_items() -> None:
    params = delete_item(schema_of(Invoice), ("c1", "INV#1")).params
    assert _condition(params) == "(attribute_not_exists(entity)) OR (entity = {'S': 'INVOICE'})"
    assert params["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    with_own = delete_item(schema_of(Invoice), ("c1", "INV#1"), condition=Invoice.attr.amount > 3).params
    assert _condition(with_own) == (
        "((attribute_not_exists(entity)) OR (entity = {'S': 'INVOICE'})) AND (amount > {'N': '3'})"
    )
    # A batch delete cannot be conditional (a DynamoDB limit): its member is the key alone.
    assert delete_item(schema_of(Invoice), ("c1", "INV#1")).batch_item() == {
        "DeleteRequest": {"Key": {"pk": {"S": "c1"}, "sk": {"S": "INV#1"}}}
    }


def test_a_condition_check_through_a_model_with_a_discriminator_requires_its_model() -> None:
    params = condition_check(schema_of(Account), ("c1", "PROFILE"), Account.attr.email.exists()).params
    assert _condition(params) == (
        "((attribute_not_exists(entity)) OR (entity = {'S': 'ACCOUNT'})) AND (attribute_exists(email))"
    )


def test_a_model_without_a_discriminator_sends_no_guard() -> None:
    assert "ConditionExpression" not in delete_item(schema_of(Solo), "a").params
    check = condition_check(schema_of(Solo), "a", Solo.attr.n == 1).params
    assert _condition(check) == "n = {'N': '1'}"


# --------------------------------------------------------------------------- the table definition


def test_the_table_is_made_from_every_model_on_it_whichever_creates_it() -> None:
    via_account = table_definition(schema_of(Account))
    assert via_account == table_definition(schema_of(Invoice))
    assert via_account["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    types = {d["AttributeName"]: d["AttributeType"] for d in via_account["AttributeDefinitions"]}
    assert types == {"pk": "S", "sk": "S", "email": "S", "due": "S", "amount": "N"}
    gsis = {g["IndexName"]: g["Projection"] for g in via_account["GlobalSecondaryIndexes"]}
    # An INCLUDE index also projects the discriminator, so a query through it can tell models apart.
    assert gsis == {
        "by_email": {"ProjectionType": "ALL"},
        "by_due": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount", "entity"]},
    }
    assert [i["IndexName"] for i in via_account["LocalSecondaryIndexes"]] == ["by_amount"]


def test_a_one_model_table_is_made_from_that_model_alone() -> None:
    assert table_definition(schema_of(Solo)) == {
        "TableName": "unit-mixed-solo",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_n",
                "KeySchema": [{"AttributeName": "n", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["m"]},
            }
        ],
    }


class _Proj1(Model, table="unit-mixed-proj", discriminator="A", indexes=[GSI("ggg", hash="x")]):
    pk: Annotated[str, HashKey()]
    x: str = ""


class _Proj2(
    Model, table="unit-mixed-proj", discriminator="B", indexes=[GSI("ggg", hash="x", projection="KEYS_ONLY")]
):
    pk: Annotated[str, HashKey()]
    x: str = ""


class _Ttl1(Model, table="unit-mixed-ttl", discriminator="A"):
    pk: Annotated[str, HashKey()]
    expires: Annotated[int | None, TTL()] = None


async def test_models_that_cannot_make_one_table_are_refused_before_anything_is_sent() -> None:
    transport = MockTransport(lambda op, params: {"TableDescription": {}})
    with pytest.raises(ModelError, match="index 'ggg'"):
        await create_table(cast(Any, transport), schema_of(_Proj1))
    assert transport.calls == []


def test_models_with_different_ttl_attributes_are_refused_when_defined() -> None:
    """One table has one TTL attribute: the second model's is refused at its definition."""
    with pytest.raises(ModelError, match="TTL"):

        class _Ttl2(Model, table="unit-mixed-ttl", discriminator="B"):
            pk: Annotated[str, HashKey()]
            gone_at: Annotated[int | None, TTL()] = None

    assert schema_of(_Ttl1).ttl is not None


def _described(**changes: Any) -> dict[str, Any]:
    """A DescribeTable answer for the table of Account and Invoice, with ``changes`` applied."""
    description = {**table_definition(schema_of(Account)), "TableStatus": "ACTIVE"}
    description.update(changes)
    return description


def test_an_existing_table_is_compared_with_what_its_models_need() -> None:
    schema = schema_of(Invoice)
    assert table_differences(schema, _described()) == []
    full = _described()
    extra = {"IndexName": "other", "KeySchema": [{"AttributeName": "z", "KeyType": "HASH"}]}
    assert (
        table_differences(schema, _described(GlobalSecondaryIndexes=[*full["GlobalSecondaryIndexes"], extra]))
        == []
    )
    # Made before the discriminator was projected: still enough.
    old_include = [
        {**g, "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount"]}}
        if g["IndexName"] == "by_due"
        else g
        for g in full["GlobalSecondaryIndexes"]
    ]
    assert table_differences(schema, _described(GlobalSecondaryIndexes=old_include)) == []
    keys_only = [{**g, "Projection": {"ProjectionType": "KEYS_ONLY"}} for g in full["GlobalSecondaryIndexes"]]
    assert table_differences(schema, _described(GlobalSecondaryIndexes=keys_only)) == [
        "index 'by_email' does not project what the models need ({'ProjectionType': 'ALL'})",
        "index 'by_due' does not project what the models need "
        "({'ProjectionType': 'INCLUDE', 'NonKeyAttributes': ['amount']})",
    ]
    assert table_differences(
        schema, _described(GlobalSecondaryIndexes=full["GlobalSecondaryIndexes"][:1])
    ) == ["it has no GSI 'by_due'"]
    swapped = [
        {**g, "KeySchema": [{"AttributeName": "due", "KeyType": "HASH"}]}
        for g in full["GlobalSecondaryIndexes"]
    ]
    assert "index 'by_due' has keys ('due', None), the models need ('due', 'sk')" in table_differences(
        schema, _described(GlobalSecondaryIndexes=swapped)
    )
    numbers = [{"AttributeName": "pk", "AttributeType": "N"}, {"AttributeName": "sk", "AttributeType": "S"}]
    assert table_differences(schema, _described(AttributeDefinitions=numbers)) == [
        "key attribute 'pk' is N, the models need S"
    ]
    hash_only = _described(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    assert table_differences(schema, hash_only)[0] == (
        "its key is ('pk', None) (hash, range), the models need ('pk', 'sk')"
    )
    assert table_differences(schema, _described(LocalSecondaryIndexes=[])) == ["it has no LSI 'by_amount'"]


# --------------------------------------------------------------------------- transactions


def _cancelled(item: dict[str, Any]) -> Any:
    def handler(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        exc = TransactionCanceled("cancelled", code="TransactionCanceledException", operation=operation)
        exc.reasons = [
            CancellationReason(0, "None", None),
            CancellationReason(1, "ConditionalCheckFailed", "The conditional request failed", item),
        ]
        raise exc

    return handler


async def test_a_transaction_meeting_another_models_item_is_a_wrong_model_error() -> None:
    account = schema_of(Account).encode(Account(pk="c1", sk="INV#1", email="e"))
    tx = TransactWrite(cast(Any, MockTransport(_cancelled(account))))
    tx.put(Account(pk="c1", sk="PROFILE", email="e"))
    tx.delete(Invoice, ("c1", "INV#1"))
    with pytest.raises(TransactionWrongModel) as caught:
        await tx.commit()
    err = caught.value
    assert isinstance(err, TransactionCanceled) and isinstance(err, WrongModel)
    assert (err.index, err.expected, err.found, err.key) == (
        1,
        "INVOICE",
        "ACCOUNT",
        {"pk": {"S": "c1"}, "sk": {"S": "INV#1"}},
    )
    assert [r.failed for r in err.reasons] == [False, True] and err.reasons[1].item is None
    assert not tx.committed
    # The request's own model in the way: an ordinary cancellation, the item decoded.
    invoice = schema_of(Invoice).encode(Invoice(pk="c1", sk="INV#1", due="d", amount=2))
    tx = TransactWrite(cast(Any, MockTransport(_cancelled(invoice))))
    tx.put(Account(pk="c1", sk="PROFILE", email="e"))
    tx.condition_check(Invoice, ("c1", "INV#1"), Invoice.attr.amount > 5)
    with pytest.raises(TransactionCanceled) as plain:
        await tx.commit()
    assert not isinstance(plain.value, WrongModel)
    assert plain.value.reasons[1].item == Invoice(pk="c1", sk="INV#1", due="d", amount=2)
