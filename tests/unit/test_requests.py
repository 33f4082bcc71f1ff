"""The request builders on their own: pure values, checked before anything could be sent."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pytest

from dynamorm_async import HashKey, InvalidInput, Model, RangeKey, UpdatedAt, Version
from dynamorm_async.errors import InvalidKey, UnknownAttribute
from dynamorm_async.requests import (
    batch_put,
    condition_check,
    delete_item,
    get_item,
    key_id,
    key_item,
    put_item,
    update_item,
)
from dynamorm_async.schema import schema_of


class Doc(Model, table="docs"):
    owner: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    title: str = ""
    tags: set[str] = set()
    views: int = 0
    version: Annotated[int, Version()] = 0
    updated_at: Annotated[dt.datetime | None, UpdatedAt()] = None


S = schema_of(Doc)
KEY = {"owner": {"S": "a"}, "n": {"N": "1"}}


@pytest.mark.parametrize("key", [Doc(owner="a", n=1), ("a", 1)])
def test_every_key_form_gives_one_key(key: object) -> None:
    assert key_item(S, key) == KEY


def test_a_number_written_otherwise_is_the_same_key() -> None:
    assert key_item(S, ("a", 1.0)) != KEY
    assert key_id(key_item(S, ("a", 1.0))) == key_id(KEY)


def test_key_forms_that_are_refused() -> None:
    with pytest.raises(InvalidInput):
        key_item(S, ("a", 1, 2))
    with pytest.raises(InvalidInput):
        key_item(S, ("a", 1), 2)
    with pytest.raises(InvalidKey):
        key_item(S, "a")  # the range key is missing


def test_numbers_identify_keys_by_value() -> None:
    assert key_id({"n": {"N": "1"}}) == key_id({"n": {"N": "1.0"}})
    assert key_id({"n": {"N": "1"}}) != key_id({"n": {"S": "1"}})


def test_a_put_carries_what_to_apply_and_applies_it_only_when_asked() -> None:
    doc = Doc(owner="a", n=1, version=3)
    request = put_item(S, doc)
    assert request.expected_version == 3 and request.idempotent
    assert request.changes["version"] == 4 and request.params["Item"]["version"] == {"N": "4"}
    assert doc.version == 3 and doc.updated_at is None  # nothing changes before DynamoDB accepts it
    request.apply()
    assert doc.version == 4 and doc.updated_at == request.changes["updated_at"]


def test_a_new_item_expects_version_zero_and_a_batch_put_checks_nothing() -> None:
    assert put_item(S, Doc(owner="a", n=1)).expected_version == 0
    request = batch_put(S, Doc(owner="a", n=1, version=7))
    assert "ConditionExpression" not in request.params and request.expected_version is None
    assert request.batch_item() == {"PutRequest": {"Item": request.params["Item"]}}
    assert request.changes["version"] == 8


@pytest.mark.parametrize(
    ("action", "idempotent"),
    [
        (Doc.attr.title.set("x"), True),
        (Doc.attr.title.remove(), True),
        (Doc.attr.tags.delete({"x"}), True),
        (Doc.attr.views.add(1), False),
        (Doc.attr.views.set(Doc.attr.views + 1), False),
        (Doc.attr.tags.add({"x"}), False),
    ],
)
def test_updates_know_whether_a_resend_is_harmless(action: object, idempotent: bool) -> None:
    # With an instance, the version is set to a plain value (and checked), so only the action counts.
    assert update_item(S, Doc(owner="a", n=1, version=2), [action]).idempotent is idempotent  # type: ignore[list-item]


def test_an_update_by_key_increments_the_stored_version_so_is_not_idempotent() -> None:
    request = update_item(S, ("a", 1), [Doc.attr.title.set("x")])
    assert not request.idempotent and request.expected_version is None and request.target is None


def test_an_update_of_an_instance_mirrors_version_and_timestamp() -> None:
    doc = Doc(owner="a", n=1, version=2)
    request = update_item(S, doc, [Doc.attr.title.set("x")])
    assert request.target is doc and request.expected_version == 2
    assert set(request.changes) == {"version", "updated_at"} and request.changes["version"] == 3


def test_transaction_members_have_no_return_values() -> None:
    update = update_item(S, ("a", 1), [Doc.attr.title.set("x")])
    assert set(update.transact_item()) == {"Update"} and "ReturnValues" not in update.params
    delete = delete_item(S, Doc(owner="a", n=1, version=1))
    assert delete.transact_item()["Delete"]["ConditionExpression"] == "#n0 = :v0"
    assert delete.batch_item() == {"DeleteRequest": {"Key": KEY}}
    check = condition_check(S, ("a", 1), Doc.attr.title == "x")
    assert check.params["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert get_item(S, ("a", 1)).transact_item() == {"Get": {"TableName": "docs", "Key": KEY}}


def test_builders_refuse_bad_input() -> None:
    with pytest.raises(InvalidInput):
        update_item(S, ("a", 1), [])
    with pytest.raises(InvalidInput):
        condition_check(S, ("a", 1), "title = x")  # type: ignore[arg-type]
    with pytest.raises(UnknownAttribute):
        get_item(S, ("a", 1), projection=["nope"])
    with pytest.raises(InvalidInput):
        update_item(S, ("a", 1), [Doc.attr.title.set("x")]).batch_item()
