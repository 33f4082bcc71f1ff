"""The outcome ledger and own-write recognition: pure bookkeeping, no I/O."""

from __future__ import annotations

from typing import Annotated

from dynamorm_async import ConnectionFailed, HashKey, Model, Version
from dynamorm_async.exactly_once import is_own_write
from dynamorm_async.outcome import Ledger
from dynamorm_async.requests import delete_item, put_item, update_item
from dynamorm_async.schema import schema_of
from dynamorm_async.transport.core import IN_DOUBT_ATTEMPTS


class Page(Model, table="ledger-pages"):
    page_id: Annotated[str, HashKey()]
    title: str = ""
    views: int = 0
    version: Annotated[int, Version()] = 0


def _lost() -> ConnectionFailed:
    err = ConnectionFailed("lost", may_have_reached_aws=True, code="CONNECTION_LOST")
    err.in_doubt = True
    return err


def test_each_item_ends_in_one_state() -> None:
    ledger: Ledger[str] = Ledger()
    ledger.sending(["a", "b", "c", "d"])
    assert {ledger.state(k) for k in "abcd"} == {"in_doubt"}  # in flight: may be applied
    ledger.failed(["a", "b", "c", "d"], _lost())
    ledger.sending(["a", "b", "c"])
    ledger.answered(["a", "b", "c"], {"c"}, {"ResponseMetadata": {IN_DOUBT_ATTEMPTS: 0}})
    assert [ledger.state(k) for k in "abcd"] == ["done", "done", "in_doubt", "in_doubt"]
    refused = ConnectionFailed("refused", may_have_reached_aws=False, code="CONNECT_FAILED")
    fresh: Ledger[str] = Ledger()
    fresh.sending(["x"])
    fresh.failed(["x"], refused)
    fresh.sending(["y"])
    fresh.answered(["y"], {"y"}, {"ResponseMetadata": {IN_DOUBT_ATTEMPTS: 1}})  # an earlier attempt lost
    fresh.sending(["z"])
    fresh.answered(["z"], {"z"}, {})
    assert [fresh.state(k) for k in "xyz"] == ["not_done", "in_doubt", "not_done"]


def test_own_writes_are_recognised_and_others_are_not() -> None:
    schema = schema_of(Page)
    page = Page(page_id="p", title="old", version=3)
    put = put_item(schema, page)
    assert is_own_write(schema, put, dict(put.params["Item"]))
    assert not is_own_write(schema, put, {**put.params["Item"], "title": {"S": "other"}})

    update = update_item(schema, page, [Page.attr.title.set("new"), Page.attr.views.add(1)])
    mine = {"page_id": {"S": "p"}, "title": {"S": "new"}, "views": {"N": "9"}, "version": {"N": "4"}}
    actions = [Page.attr.title.set("new"), Page.attr.views.add(1)]
    assert is_own_write(schema, update, mine, actions)
    assert not is_own_write(schema, update, {**mine, "title": {"S": "theirs"}}, actions)
    assert not is_own_write(schema, update, {**mine, "version": {"N": "5"}}, actions)
    only_add = update_item(schema, page, [Page.attr.views.add(1)])
    assert not is_own_write(schema, only_add, mine, [Page.attr.views.add(1)])  # nothing to compare

    delete = delete_item(schema, page)
    assert is_own_write(schema, delete, None)
    assert not is_own_write(schema, delete, mine)
    unversioned = delete_item(schema, "p")
    assert not is_own_write(schema, unversioned, None)
