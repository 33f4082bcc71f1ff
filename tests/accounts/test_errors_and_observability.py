"""Typed failures that name partner and role; the partner id in logs and X-Ray; secrets nowhere."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import traceback
from collections.abc import Iterator

import pytest

from dynamorm_async import AssumeRoleError, CredentialsError, MultiAccountDB
from dynamorm_async.accounts import PartnerLogFilter

from .conftest import REGION, AccountFactory, Item, seed
from .recording_proxy import RecordingProxy

pytestmark = pytest.mark.anyio


class ListHandler(logging.Handler):
    """Keeps every record (with ``PartnerLogFilter`` attached, as a user would)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.addFilter(PartnerLogFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        out = []
        for record in self.records:
            text = record.getMessage()
            if record.exc_info:
                text += "".join(traceback.format_exception(*record.exc_info))
            out.append(text)
        return out


@pytest.fixture
def logs() -> Iterator[ListHandler]:
    """Every record of the library (DEBUG and up) and of anything else (INFO and up)."""
    handler = ListHandler()
    ours = logging.getLogger("dynamorm_async")
    root = logging.getLogger()
    saved = (ours.level, root.level)
    ours.setLevel(logging.DEBUG)
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        ours.setLevel(saved[0])
        root.setLevel(saved[1])


async def test_denied_assume_role_is_typed_names_partner_and_role_and_sends_nothing_to_dynamodb(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    account = new_account()
    mdb.add_partner("denied", account)
    with proxy.lock:
        proxy.deny_roles.add(account.role_arn)

    async with mdb.partner("denied"):
        with pytest.raises(AssumeRoleError) as caught:
            await mdb.manager(Item).get("k0")
    error = caught.value
    assert isinstance(error, CredentialsError)
    assert (error.partner, error.role_arn, error.code) == ("denied", account.role_arn, "AccessDenied")
    assert "'denied'" in str(error) and account.role_arn in str(error)
    assert account.external_id not in str(error) + repr(error)
    # The original STS error stays on __cause__ (mapped by the transport, code and all).
    assert isinstance(error.__cause__, CredentialsError) and error.__cause__.code == "AccessDenied"
    assert len(proxy.assume_role_calls(account.role_arn)) == 1
    assert proxy.dynamodb_records(account.role_arn) == []


async def test_unreachable_sts_is_an_assume_role_error(
    proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    account = new_account()
    async with MultiAccountDB(
        {"offline": account}, region=REGION, endpoint_url=proxy.url, sts_endpoint_url=closed, max_attempts=1
    ) as mdb:
        with pytest.raises(AssumeRoleError) as caught:
            await mdb.connect("offline")
    assert caught.value.partner == "offline"
    assert caught.value.role_arn == account.role_arn
    assert caught.value.code and "Connect" in caught.value.code


async def test_secrets_never_appear_in_repr_log_or_error(
    mdb: MultiAccountDB, proxy: RecordingProxy, new_account: AccountFactory, logs: ListHandler
) -> None:
    account = new_account()
    denied = new_account()
    mdb.add_partner("acme", account)
    mdb.add_partner("denied", denied)
    await seed(mdb, "acme", keys=1)
    # A forced refresh (logged) and a failing AssumeRole (logged by aiobotocore with its traceback).
    [issued] = proxy.issued_for(account.role_arn)
    with proxy.lock:
        proxy.expired_keys.add(issued.access_key)
        proxy.deny_roles.add(denied.role_arn)
    async with mdb.partner("acme"):
        await mdb.manager(Item).get("k0")
    async with mdb.partner("denied"):
        with pytest.raises(AssumeRoleError) as caught:
            await mdb.manager(Item).get("k0")

    secrets = {account.external_id, denied.external_id}
    for credentials in proxy.issued_for(account.role_arn):
        secrets |= {credentials.secret_key, credentials.token}
    shown = [
        repr(account),
        str(account),
        repr(mdb),
        repr(mdb.credentials("acme")),
        str(caught.value),
        repr(caught.value),
        "".join(traceback.format_exception(caught.value)),
        *logs.texts(),
    ]
    leaks = [(secret[:6], text[:80]) for secret in secrets for text in shown if secret in text]
    assert leaks == []
    # ... and the partner is named where it matters.
    assert "acme" in repr(mdb.credentials("acme"))
    assert any("refused the credentials as expired" in t and "'acme'" in t for t in logs.texts())
    assert any("'denied'" in t and denied.role_arn in t for t in logs.texts())


async def test_log_records_carry_the_active_partner(
    mdb: MultiAccountDB, new_account: AccountFactory, logs: ListHandler
) -> None:
    mdb.add_partner("acme", new_account())
    app = logging.getLogger("tests.partner_app")
    app.info("before")
    async with mdb.partner("acme"):
        app.info("inside")
        await seed(mdb, "acme", keys=1)  # the library's own DEBUG record of AssumeRole
    app.info("after")

    partner_of = {r.getMessage(): getattr(r, "partner", None) for r in logs.records if r.name == app.name}
    assert partner_of == {"before": "-", "inside": "acme", "after": "-"}
    assumed = [r for r in logs.records if r.name == "dynamorm_async.accounts" and "assumed" in r.getMessage()]
    assert assumed and all(getattr(r, "partner", None) == "acme" for r in assumed)


XRAY_SCRIPT = """
import asyncio, json, sys
from typing import Annotated

from aws_xray_sdk.core import xray_recorder

from dynamorm_async import AccountConfig, HashKey, Model, MultiAccountDB
from dynamorm_async.aws_lambda import enable_xray_tracing

url, role_arn, external_id = sys.argv[1:4]


class Item(Model, table="partner_items"):
    key: Annotated[str, HashKey()]
    owner: str


async def main() -> None:
    enable_xray_tracing()
    account = AccountConfig(role_arn=role_arn, external_id=external_id, region="us-east-1")
    async with MultiAccountDB({"acme": account}, endpoint_url=url, sts_endpoint_url=url) as mdb:
        segment = xray_recorder.begin_segment("partner-test", sampling=1)
        async with mdb.partner("acme") as db:
            await db.manager(Item).ensure_table()
            await db.manager(Item).get_or_none("k0")
        print(json.dumps([[s.name, s.annotations] for s in segment.subsegments]))
        xray_recorder.clear_trace_entities()  # nothing is sent to a daemon


asyncio.run(main())
"""


def test_with_xray_tracing_each_partner_call_subsegment_is_annotated_with_the_partner(
    proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    # In a process of its own: enable_xray_tracing() patches aiobotocore for the whole process.
    account = new_account()
    env = {**os.environ, "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"}
    out = subprocess.run(
        [sys.executable, "-c", XRAY_SCRIPT, proxy.url, account.role_arn, account.external_id],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    subsegments = json.loads(out.stdout.strip().splitlines()[-1])
    operations = [annotations.get("operation") for _, annotations in subsegments]
    assert "DescribeTable" in operations and "GetItem" in operations
    assert [name for name, _ in subsegments] == ["dynamodb"] * len(subsegments)
    assert all(annotations.get("partner") == "acme" for _, annotations in subsegments)
