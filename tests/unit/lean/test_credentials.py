"""Lean credentials: environment variables, the container endpoint (on a loopback HTTP server),
explicit providers, refresh before expiry with a single flight, and no secret in any text."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dynamorm_async.transport.lean import (
    Credentials,
    LeanCredentialsError,
    LeanTransport,
    RefreshingCredentials,
)
from dynamorm_async.transport.lean.credentials import ContainerProvider, from_environment

from .scripted_server import Request, ScriptedServer, ThreadedServer, answer

pytestmark = pytest.mark.anyio

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzzSECRET"
TOKEN = "IQoJb3JpZ2luX2VjSESSIONTOKEN"


def iso(seconds_from_now: float) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def container() -> Iterator[ThreadedServer]:
    server = ThreadedServer(
        {"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": SECRET, "Token": TOKEN, "Expiration": iso(3600)}
    )
    yield server
    server.stop()


def test_environment_credentials() -> None:
    assert from_environment({}) is None
    assert from_environment({"AWS_ACCESS_KEY_ID": "AKID"}) is None
    found = from_environment(
        {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}
    )
    assert found == Credentials("AKID", SECRET, TOKEN)
    assert SECRET not in repr(found)
    assert TOKEN not in repr(found)


async def test_transport_signs_with_environment_credentials() -> None:
    async def ok(request: Request) -> bytes:
        return answer(body={})

    environ = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}
    async with ScriptedServer(ok) as server:
        lean = LeanTransport(endpoint_url=server.url, region="eu-west-1", environ=environ)
        await lean.call("PutItem", {"TableName": "t", "Item": {}})
        (request,) = server.requests
        assert "Credential=AKIDENV/" in request.headers["authorization"]
        assert request.headers["x-amz-security-token"] == TOKEN
        assert SECRET not in repr(lean)
        await lean.close()


async def test_container_provider_full_uri_with_token(container: ThreadedServer) -> None:
    provider = ContainerProvider(
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url + "/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "auth-token-1",
        }
    )
    got = await provider()
    assert (got.access_key, got.secret_key, got.token) == ("ASIACONTAINER", SECRET, TOKEN)
    assert got.expiry is not None
    assert abs(got.expiry - (time.time() + 3600)) < 5
    assert container.headers_seen[0]["authorization"] == "auth-token-1"
    assert "auth-token-1" not in repr(provider)


async def test_container_token_file_is_read_at_every_fetch(container: ThreadedServer, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("first\n")
    provider = ContainerProvider(
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url + "/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-when-a-file-is-set",
        }
    )
    await provider()
    token_file.write_text("second")
    await provider()
    assert [h["authorization"] for h in container.headers_seen] == ["first", "second"]


async def test_transport_uses_container_credentials(container: ThreadedServer) -> None:
    async def ok(request: Request) -> bytes:
        return answer(body={})

    environ = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url + "/creds"}
    async with ScriptedServer(ok) as server:
        lean = LeanTransport(endpoint_url=server.url, region="eu-west-1", environ=environ)
        await lean.call("PutItem", {"TableName": "t", "Item": {}})
        await lean.call("PutItem", {"TableName": "t", "Item": {}})
        assert container.requests == 1  # cached until close to expiry
        assert all(r.headers["x-amz-security-token"] == TOKEN for r in server.requests)
        assert "Credential=ASIACONTAINER/" in server.requests[0].headers["authorization"]
        await lean.close()


@pytest.mark.parametrize(("status", "fetches"), [(500, 2), (403, 1)])
async def test_container_endpoint_errors(status: int, fetches: int) -> None:
    server = ThreadedServer({"message": f"refused {SECRET}"}, get_status=status)
    try:
        provider = ContainerProvider({"AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url + "/creds"})
        with pytest.raises(LeanCredentialsError, match=f"HTTP {status}") as info:
            await provider()
        assert SECRET not in str(info.value)
        assert server.requests == fetches
    finally:
        server.stop()


async def test_container_endpoint_unreachable() -> None:
    async with ScriptedServer(lambda r: asyncio.sleep(0, None)) as server:
        url = server.url
    provider = ContainerProvider({"AWS_CONTAINER_CREDENTIALS_FULL_URI": url + "/creds"}, timeout=0.5)
    with pytest.raises(LeanCredentialsError, match="unavailable"):
        await provider()


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/creds?id=1"}, "http://169.254.170.2/v2/creds?id=1"),
        (
            {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://creds.example.com/x"},
            "https://creds.example.com/x",
        ),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://[::1]:9/x"}, "http://[::1]:9/x"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1"}, "http://169.254.170.23/v1"),
    ],
)
def test_container_urls(environ: dict[str, str], url: str) -> None:
    assert ContainerProvider(environ).url == url


@pytest.mark.parametrize("full", ["http://example.com/creds", "http://10.0.0.1/creds", "ftp://127.0.0.1/"])
def test_container_full_uri_must_be_safe(full: str) -> None:
    with pytest.raises(LeanCredentialsError):
        ContainerProvider({"AWS_CONTAINER_CREDENTIALS_FULL_URI": full})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_refresh_before_expiry_single_flight() -> None:
    clock = Clock()
    calls = 0

    async def provider() -> Credentials:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return Credentials(f"AK{calls}", SECRET, TOKEN, clock.now + 3600)

    refreshing = RefreshingCredentials(provider, clock=clock)
    got = await asyncio.gather(*(refreshing.get() for _ in range(20)))
    assert calls == 1
    assert {c.access_key for c in got} == {"AK1"}
    clock.now += 3600 - 16 * 60  # outside the refresh window: cached
    assert (await refreshing.get()).access_key == "AK1"
    clock.now += 2 * 60  # 14 minutes before expiry: refreshed, once for all callers
    got = await asyncio.gather(*(refreshing.get() for _ in range(20)))
    assert calls == 2
    assert {c.access_key for c in got} == {"AK2"}


async def test_failed_refresh_keeps_credentials_until_the_mandatory_margin() -> None:
    clock = Clock()
    fail = False

    async def provider() -> tuple[str, str, str | None, datetime.datetime]:
        if fail:
            raise RuntimeError(f"backend said {SECRET}")
        expiry = datetime.datetime.fromtimestamp(clock.now + 1200, datetime.UTC)
        return ("AKTUPLE", SECRET, None, expiry)

    refreshing = RefreshingCredentials(provider, clock=clock)
    first = await refreshing.get()
    assert first.expiry == clock.now + 1200
    fail = True
    clock.now += 600  # in the refresh window, 10 minutes left: the old ones still serve
    assert await refreshing.get() is first
    clock.now += 570  # 30 s left: no longer
    with pytest.raises(LeanCredentialsError) as info:
        await refreshing.get()
    assert SECRET not in str(info.value)
    assert info.value.__suppress_context__


async def test_provider_returning_garbage() -> None:
    async def provider() -> Credentials:
        return "nope"  # type: ignore[return-value]

    with pytest.raises(LeanCredentialsError, match="not credentials"):
        await RefreshingCredentials(provider).get()


async def test_no_credentials_at_all() -> None:
    lean = LeanTransport(endpoint_url="http://127.0.0.1:9", region="us-east-1", environ={})
    with pytest.raises(LeanCredentialsError, match="no credentials"):
        await lean.call("GetItem", {"TableName": "t", "Key": {}})
