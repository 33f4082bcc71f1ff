"""The lean transport's HTTP layer against scripted loopback servers: keep-alive, dead connections,
checksums, timeouts and error answers."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings

import pytest

from dynamorm_async.transport.lean import (
    Credentials,
    LeanChecksumError,
    LeanConnectionError,
    LeanServiceError,
    LeanTransport,
)

from .scripted_server import Request, ScriptedServer, ThreadedServer, answer

pytestmark = pytest.mark.anyio

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
KEY = {"TableName": "t", "Key": {"pk": {"S": "a"}}}


def transport(url: str, read_timeout: float = 10.0) -> LeanTransport:
    return LeanTransport(
        endpoint_url=url, region="us-east-1", credentials=CREDENTIALS, environ={}, read_timeout=read_timeout
    )


async def ok(request: Request) -> bytes:
    return answer(body={"Item": {"pk": {"S": "a"}, "b": {"B": "AAE="}}})


async def test_request_shape_and_answer() -> None:
    async with ScriptedServer(ok) as server:
        lean = transport(server.url)
        got = await lean.call("GetItem", KEY)
        assert got["Item"] == {"pk": {"S": "a"}, "b": {"B": b"\x00\x01"}}
        assert got["ResponseMetadata"]["RequestId"] == "req-1"
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
        (request,) = server.requests
        assert request.line == "POST / HTTP/1.1"
        assert request.headers["x-amz-target"] == "DynamoDB_20120810.GetItem"
        assert request.headers["content-type"] == "application/x-amz-json-1.0"
        assert request.headers["x-amz-security-token"] == "session-token"
        assert request.headers["host"] == server.url.removeprefix("http://")
        auth = request.headers["authorization"]
        assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert "/us-east-1/dynamodb/aws4_request" in auth
        assert "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target," in auth
        await lean.close()


async def test_idle_connection_closed_by_server_is_replaced_silently() -> None:
    async with ScriptedServer(ok, close_after_answer=True) as server:
        lean = transport(server.url)
        await lean.call("GetItem", KEY)
        await asyncio.sleep(0.05)  # the server's FIN reaches the client's idle connection
        await lean.call("GetItem", KEY)
        assert len(server.requests) == 2
        assert lean.pool.connections_made == 2
        await lean.close()


async def test_close_unseen_by_the_loop_is_found_before_reuse() -> None:
    """As after a frozen Lambda environment thaws: the server closed the idle connection while the
    event loop did not run, so only the socket knows."""
    async with ScriptedServer(ok, close_after_answer=True) as server:
        lean = transport(server.url)
        lean.pool.probe_after = 0.0
        await lean.call("GetItem", KEY)
        time.sleep(0.1)  # blocks the loop: the FIN arrives but no callback sees it  # noqa: ASYNC251
        await lean.call("GetItem", KEY)
        assert lean.pool.connections_made == 2
        await lean.close()


async def test_reused_connection_dying_with_the_request_is_reported_not_resent() -> None:
    async def swallow_second(request: Request) -> bytes | None:
        return None if len(server.requests) == 2 else await ok(request)

    async with ScriptedServer(swallow_second) as server:
        lean = transport(server.url)
        await lean.call("GetItem", KEY)
        with pytest.raises(LeanConnectionError) as info:
            await lean.call("PutItem", {"TableName": "t", "Item": {"pk": {"S": "a"}}})
        assert info.value.request_sent is True
        assert info.value.reused_connection is True
        assert "closed the connection before answering" in str(info.value)
        assert len(server.requests) == 2  # the PutItem went out once
        await lean.call("GetItem", KEY)  # and a fresh connection serves the next call
        assert lean.pool.connections_made == 2
        await lean.close()


async def test_crc_mismatch_raises() -> None:
    async def damaged(request: Request) -> bytes:
        return answer(body={"Item": {"pk": {"S": "a"}}}, crc=12345)

    async with ScriptedServer(damaged) as server:
        lean = transport(server.url)
        with pytest.raises(LeanChecksumError) as info:
            await lean.call("GetItem", KEY)
        assert info.value.expected == 12345
        assert info.value.in_doubt is True
        assert info.value.request_id == "req-1"
        await lean.close()


async def test_chunked_answer() -> None:
    async def chunked(request: Request) -> bytes:
        body = b'{"Item":{"pk":{"S":"chunked"}}}'
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-amzn-RequestId: r\r\n\r\n"
        return head + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])

    async with ScriptedServer(chunked) as server:
        lean = transport(server.url)
        assert (await lean.call("GetItem", KEY))["Item"] == {"pk": {"S": "chunked"}}
        assert (await lean.call("GetItem", KEY))["Item"] == {"pk": {"S": "chunked"}}
        assert lean.pool.connections_made == 1
        await lean.close()


async def test_connection_close_answer_is_not_reused() -> None:
    async def closing(request: Request) -> bytes:
        return answer(body={}, extra=(("Connection", "close"),))

    async with ScriptedServer(closing) as server:
        lean = transport(server.url)
        await lean.call("PutItem", KEY)
        await lean.call("PutItem", KEY)
        assert lean.pool.connections_made == 2
        await lean.close()


async def test_read_timeout() -> None:
    async def stall(request: Request) -> bytes:
        await asyncio.sleep(5)
        return answer()

    async with ScriptedServer(stall) as server:
        lean = transport(server.url, read_timeout=0.2)
        with pytest.raises(LeanConnectionError) as info:
            await lean.call("GetItem", KEY)
        assert info.value.request_sent is True
        assert isinstance(info.value.cause, TimeoutError)
        await lean.close()


async def test_connect_refused_is_not_in_doubt() -> None:
    async with ScriptedServer(ok) as server:
        url = server.url
    lean = transport(url)
    with pytest.raises(LeanConnectionError) as info:
        await lean.call("GetItem", KEY)
    assert info.value.request_sent is False
    assert not info.value.in_doubt
    assert isinstance(info.value.__cause__, OSError)


@pytest.mark.parametrize(
    ("reply", "code", "status"),
    [
        (
            answer(
                400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow"}
            ),
            "ThrottlingException",
            400,
        ),
        (answer(400, {"__type": "ValidationException", "Message": "bad"}), "ValidationException", 400),
        (answer(400, {"__type": "a#SerializationException:http://x/"}), "SerializationException", 400),
        (answer(502, raw_body=b"<html>bad gateway</html>"), "502", 502),
    ],
)
async def test_error_answers(reply: bytes, code: str, status: int) -> None:
    async def reply_with(request: Request) -> bytes:
        return reply

    async with ScriptedServer(reply_with) as server:
        lean = transport(server.url)
        with pytest.raises(LeanServiceError) as info:
            await lean.call("GetItem", KEY)
        assert (info.value.code, info.value.status, info.value.request_id) == (code, status, "req-1")
        await lean.close()


async def test_cancelled_call_does_not_return_its_connection_to_the_pool() -> None:
    async def slow_first(request: Request) -> bytes:
        if len(server.requests) == 1:
            await asyncio.sleep(5)
        return await ok(request)

    async with ScriptedServer(slow_first) as server:
        lean = transport(server.url)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await lean.call("GetItem", KEY)
        await lean.call("GetItem", KEY)
        assert lean.pool.connections_made == 2  # the half-used connection was closed, not reused
        await lean.close()


@pytest.mark.parametrize("operation", ["", "Get Item", "GetItem\r\nX: y", "Gét"])
async def test_bad_operation_names_send_nothing(operation: str) -> None:
    async with ScriptedServer(ok) as server:
        lean = transport(server.url)
        with pytest.raises(ValueError, match="invalid operation name"):
            await lean.call(operation, KEY)
        assert server.requests == []


async def test_unencodable_params_send_nothing() -> None:
    async with ScriptedServer(ok) as server:
        lean = transport(server.url)
        with pytest.raises(ValueError, match="cannot send a value of type object"):
            await lean.call("PutItem", {"TableName": "t", "Item": {"x": {"S": object()}}})
        assert server.requests == []
        assert lean.pool.connections_made == 0


def test_a_transport_works_across_event_loops() -> None:
    """``asyncio.run`` per invocation: each loop gets its own connection."""
    server = ThreadedServer()

    async def invocation(lean: LeanTransport, close: bool) -> dict[str, object]:
        try:
            return await lean.call("GetItem", KEY)
        finally:
            if close:
                await lean.close()

    try:
        lean = transport(server.url)
        first = asyncio.run(invocation(lean, close=True))
        second = asyncio.run(invocation(lean, close=True))
        assert first["Item"] == second["Item"] == {"pk": {"S": "threaded"}}
        assert lean.pool.connections_made == 2
        # Not closed before its loop ended: the dead loop's connection is dropped, not reused.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            asyncio.run(invocation(lean, close=False))
            asyncio.run(invocation(lean, close=False))
            gc.collect()
        assert lean.pool.connections_made == 4
        assert server.requests == 4
    finally:
        server.stop()
