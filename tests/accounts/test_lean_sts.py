"""STS AssumeRole on the lean transport against moto: the same answers and errors as the aiobotocore
path, and a multi-account function on the lean path that never imports botocore, aiobotocore or
aiohttp (AssumeRole, then the partner's DynamoDB calls signed with the keys it issued)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dynamorm_async import MultiAccountDB
from dynamorm_async.errors import CredentialsError, DynamORMError
from dynamorm_async.transport import RetryingTransport, TransportConfig, build_transport, debug_stats

from .conftest import REGION, AccountFactory, seed
from .recording_proxy import RecordingProxy

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
WAYS = ("lean", "aiobotocore")


def _shape(value: Any) -> Any:
    """The keys and value types of an answer, without its values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k != "ResponseMetadata"}
    return type(value).__name__


async def _assume(proxy: RecordingProxy, http: str, params: dict[str, Any]) -> dict[str, Any]:
    sts = build_transport(
        TransportConfig(region=REGION, endpoint_url=proxy.url, http=http, max_attempts=2), service="sts"
    )
    assert sts.http == http
    try:
        return await sts.call("AssumeRole", params)
    finally:
        await sts.close()


async def test_both_ways_to_sts_give_the_same_answer_and_the_same_errors(
    proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    account = new_account()
    params = {
        "RoleArn": account.role_arn,
        "RoleSessionName": "both-ways",
        "ExternalId": account.external_id,
        "DurationSeconds": 1800,
    }
    answers = {http: await _assume(proxy, http, params) for http in WAYS}
    assert _shape(answers["lean"]) == _shape(answers["aiobotocore"])
    for answer in answers.values():
        expiration = answer["Credentials"]["Expiration"]
        assert isinstance(expiration, datetime.datetime) and expiration.tzinfo is not None
        assert answer["AssumedRoleUser"]["Arn"].endswith("/both-ways")
    calls = proxy.assume_role_calls(account.role_arn)
    assert len(calls) == 2
    assert calls[0] == calls[1]  # the same form fields, whoever encoded them

    with proxy.lock:
        proxy.deny_roles.add(account.role_arn)
    failures: dict[str, DynamORMError] = {}
    for http in WAYS:
        with pytest.raises(DynamORMError) as caught:
            await _assume(proxy, http, params)
        failures[http] = caught.value
    lean, boto = failures["lean"], failures["aiobotocore"]
    assert type(lean) is type(boto)
    assert isinstance(lean, CredentialsError) and isinstance(boto, CredentialsError)
    assert lean.code == boto.code == "AccessDenied"
    assert account.external_id not in f"{lean} {lean!r} {boto}"


async def test_a_lean_multi_account_db_assumes_roles_on_the_lean_transport(
    proxy: RecordingProxy, new_account: AccountFactory
) -> None:
    account = new_account()
    before = debug_stats().by_http.get("lean", 0)
    async with MultiAccountDB(
        {"acme": account}, region=REGION, endpoint_url=proxy.url, sts_endpoint_url=proxy.url, http="lean"
    ) as mdb:
        await seed(mdb, "acme", keys=2)
        sts = mdb._sts_for(REGION)
        assert isinstance(sts, RetryingTransport) and sts.http == "lean"
        assert mdb.credentials("acme").generation == 1
    assert debug_stats().by_http.get("lean", 0) >= before + 2  # STS and the partner's DynamoDB
    [issued] = proxy.issued_for(account.role_arn)
    signed_by = {r.access_key for r in proxy.dynamodb_records(account.role_arn)}
    assert signed_by == {issued.access_key}


SCRIPT = """
import asyncio, json, sys
from typing import Annotated
from dynamorm_async import AccountConfig, HashKey, Model, MultiAccountDB

class Item(Model, table="partner_items"):
    key: Annotated[str, HashKey()]
    owner: str
    n: int = 0

async def main():
    url, role, external = sys.argv[1:4]
    account = AccountConfig(role_arn=role, external_id=external, region="us-east-1")
    async with MultiAccountDB({"acme": account}, region="us-east-1", endpoint_url=url,
                              sts_endpoint_url=url) as mdb:
        async with mdb.partner("acme") as db:
            items = db.manager(Item)
            await items.ensure_table()
            await items.put(Item(key="k", owner="acme", n=3))
            got = await items.get("k")
        return got.n, mdb._sts_for("us-east-1").http

n, sts_http = asyncio.run(main())
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("aiobotocore", "botocore", "aiohttp"))
print(json.dumps({"n": n, "sts_http": sts_http, "heavy": heavy}))
"""


def test_a_lean_multi_account_function_imports_no_botocore(
    proxy: RecordingProxy, new_account: AccountFactory, tmp_path: Path
) -> None:
    account = new_account()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",  # auto picks lean in a Lambda environment
        "AWS_CONFIG_FILE": str(tmp_path / "absent"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "absent"),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, proxy.url, account.role_arn, account.external_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {"n": 3, "sts_http": "lean", "heavy": []}
    # It did assume the role, and the partner's calls were signed with the keys STS issued.
    [issued] = proxy.issued_for(account.role_arn)
    assert {r.access_key for r in proxy.dynamodb_records(account.role_arn)} == {issued.access_key}
    assert {r.action for r in proxy.dynamodb_records(account.role_arn)} >= {"PutItem", "GetItem"}
