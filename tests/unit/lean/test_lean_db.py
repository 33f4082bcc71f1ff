"""The lean transport behind ``DB``: its failures arrive as the library's errors through the shared
error table, retried by the library's one policy, and TLS is verified through the whole stack."""

from __future__ import annotations

import ssl
from typing import Annotated

import pytest

from dynamorm_async import DB, HashKey, Model
from dynamorm_async.errors import (
    ConditionCheckFailed,
    ConnectionFailed,
    CredentialsError,
    InvalidInput,
    Throttled,
)
from dynamorm_async.transport import TransportConfig, build_transport, choose_http, debug_stats
from dynamorm_async.transport.errortable import CHECKSUM_MISMATCH, CONNECTION_LOST, TLS_FAILED
from dynamorm_async.transport.lean import Credentials
from dynamorm_async.transport.lean.raw import LeanRawTransport
from tests.transports import managed

from .scripted_server import Request, ScriptedServer, answer
from .test_tls import pki, server_context

pytestmark = pytest.mark.anyio
__all__ = ["pki"]  # the fixture, re-used


class Parcel(Model, table="parcels"):
    parcel_id: Annotated[str, HashKey()]
    weight: int = 0


ITEM = {"Item": {"parcel_id": {"S": "p1"}, "weight": {"N": "7"}}}


def lean_db(url: str, *, attempts: int = 3) -> DB:
    config = TransportConfig(
        region="us-east-1", endpoint_url=url, http="lean", max_attempts=attempts, backoff_base=0.001
    )
    return DB(config=config)


async def test_a_get_item_goes_through_the_lean_transport() -> None:
    async def ok(request: Request) -> bytes:
        assert request.headers["x-amz-target"] == "DynamoDB_20120810.GetItem"
        return answer(body=ITEM)

    async with ScriptedServer(ok) as server, lean_db(server.url) as db:
        transport = managed(db)
        assert transport.http == "lean" and isinstance(transport.raw, LeanRawTransport)
        got = await db.manager(Parcel).get("p1")
        assert got.weight == 7


async def test_an_error_answer_is_mapped_by_the_error_table() -> None:
    async def refuse(request: Request) -> bytes:
        body = {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "no"}
        return answer(400, body)

    async with ScriptedServer(refuse) as server, lean_db(server.url) as db:
        with pytest.raises(ConditionCheckFailed) as info:
            await db.manager(Parcel).put(Parcel(parcel_id="p1"), condition=Parcel.attr.weight == 1)
        assert info.value.code == "ConditionalCheckFailedException"
        assert info.value.request_id == "req-1" and info.value.table == "parcels"
        assert len(server.requests) == 1  # not retried


async def test_throttling_is_retried_by_the_library_policy() -> None:
    async def throttle_once(request: Request) -> bytes:
        if len(server.requests) == 1:
            return answer(400, {"__type": "x#ThrottlingException", "message": "slow down"})
        return answer(body=ITEM)

    async with ScriptedServer(throttle_once) as server, lean_db(server.url) as db:
        before = debug_stats().retries
        assert (await db.manager(Parcel).get("p1")).weight == 7
        assert debug_stats().retries == before + 1
    async with ScriptedServer(lambda r: _throttle()) as server, lean_db(server.url, attempts=2) as db:
        with pytest.raises(Throttled) as err:
            await db.manager(Parcel).get("p1")
        assert err.value.attempts == 2


async def _throttle() -> bytes:
    return answer(400, {"__type": "x#ThrottlingException", "message": "slow down"})


async def test_a_damaged_answer_is_retried_and_never_returned() -> None:
    async def damaged_once(request: Request) -> bytes:
        return answer(body=ITEM, crc=1 if len(server.requests) == 1 else None)

    async with ScriptedServer(damaged_once) as server, lean_db(server.url) as db:
        assert (await db.manager(Parcel).get("p1")).weight == 7
        assert len(server.requests) == 2
    async with ScriptedServer(lambda r: _damaged()) as server, lean_db(server.url, attempts=1) as db:
        with pytest.raises(ConnectionFailed) as info:
            await db.manager(Parcel).get("p1")
        assert info.value.code == CHECKSUM_MISMATCH and info.value.may_have_reached_aws


async def _damaged() -> bytes:
    return answer(body=ITEM, crc=1)


async def test_a_lost_answer_is_a_connection_failure_in_doubt() -> None:
    async def swallow(request: Request) -> None:
        return None

    async with ScriptedServer(swallow) as server, lean_db(server.url, attempts=2) as db:
        with pytest.raises(ConnectionFailed) as info:
            await db.manager(Parcel).put(Parcel(parcel_id="p1"))
        assert info.value.code == CONNECTION_LOST
        assert info.value.may_have_reached_aws and info.value.in_doubt
        assert info.value.attempts == 2 and len(server.requests) == 2


async def test_no_credentials_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    async with ScriptedServer(lambda r: _damaged()) as server, lean_db(server.url) as db:
        with pytest.raises(CredentialsError) as info:
            await db.manager(Parcel).get("p1")
        assert info.value.code == "NoCredentials"
        assert server.requests == []


async def test_tls_through_the_db(pki: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    async def ok(request: Request) -> bytes:
        return answer(body=ITEM)

    async with ScriptedServer(ok, ssl=server_context(pki)) as server:
        port = server.url.rsplit(":", 1)[1]
        monkeypatch.setenv("AWS_CA_BUNDLE", pki["ca"])
        async with lean_db(f"https://localhost:{port}") as db:
            assert (await db.manager(Parcel).get("p1")).weight == 7
        for host, ca in (("127.0.0.1", pki["ca"]), ("localhost", pki["other_ca"])):
            monkeypatch.setenv("AWS_CA_BUNDLE", ca)
            async with lean_db(f"https://{host}:{port}", attempts=1) as db:
                with pytest.raises(ConnectionFailed) as info:
                    await db.manager(Parcel).get("p1")
            assert info.value.code == TLS_FAILED
            assert info.value.may_have_reached_aws is False
            assert isinstance(info.value.__cause__.__cause__, ssl.SSLCertVerificationError)  # type: ignore[union-attr]
        assert len(server.requests) == 1  # only the valid one was sent


LAMBDA = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_REGION": "eu-west-1"}
KEYS = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}


def test_auto_picks_lean_only_in_a_complete_lambda_environment(tmp_path: object) -> None:
    absent = {"AWS_CONFIG_FILE": "/nonexistent/c", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/s"}
    auto = TransportConfig()
    assert choose_http(auto, environ={**LAMBDA, **KEYS, **absent})[0] == "lean"
    assert choose_http(auto, environ={**KEYS, **absent, "AWS_REGION": "eu-west-1"})[0] == "aiobotocore"
    with_profile = {**LAMBDA, **absent, "AWS_PROFILE": "dev"}
    assert choose_http(auto, environ=with_profile) == (
        "aiobotocore",
        "auto: AWS_PROFILE is set (profiles and web identity need botocore)",
    )
    assert choose_http(auto, environ={**LAMBDA, **absent})[0] == "aiobotocore"  # IMDS only
    given = choose_http(auto, environ={**LAMBDA, **absent}, lean_credentials=Credentials("A", "s"))
    assert given[0] == "lean"
    proxied = {**LAMBDA, **KEYS, **absent, "HTTPS_PROXY": "http://proxy:3128"}
    assert choose_http(auto, environ=proxied)[0] == "aiobotocore"


def test_a_session_credentials_or_another_service_force_aiobotocore() -> None:
    lean = TransportConfig(http="lean", region="us-east-1")
    assert choose_http(lean)[0] == "lean"
    assert choose_http(lean, session=object())[0] == "aiobotocore"
    assert choose_http(lean, credentials=object())[0] == "aiobotocore"
    assert choose_http(lean, service="sts")[0] == "lean"  # AssumeRole has a lean way too
    assert choose_http(lean, service="sts", session=object())[0] == "aiobotocore"
    assert choose_http(lean, service="iam")[0] == "aiobotocore"
    assert build_transport(lean, session=object()).http == "aiobotocore"
    assert build_transport(TransportConfig(http="aiobotocore")).http == "aiobotocore"
    with pytest.raises(InvalidInput, match="http must be one of"):
        TransportConfig(http="curl")
