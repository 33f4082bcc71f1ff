"""A loopback HTTP proxy that injects DynamoDB faults between a client and DynamoDB Local.

::

    async with FaultProxy(upstream_url, Faults(throttle=0.05, partial=0.3), seed=7) as proxy:
        db = DB(endpoint_url=proxy.endpoint_url)
        ...
        assert proxy.counts["throttle"] > 0

It speaks just enough HTTP/1.1 for botocore: keep-alive connections, requests and responses
framed by ``Content-Length`` (chunked responses are read too). Per request it can

* answer a throttle (HTTP 400, ``ProvisionedThroughputExceededException``) or an internal
  error (HTTP 500) without forwarding anything;
* reset the connection before forwarding (nothing reaches DynamoDB), or forward the request and
  then reset without answering (DynamoDB applied it, the client cannot know: ``drop_response``);
* forward the request and answer with a body that no longer matches its ``x-amz-crc32``
  header (``bad_checksum``: an answer corrupted on the way);
* answer a TransactWriteItems with a cancellation for a conflict (``conflict``: every item's
  reason is ``TransactionConflict``, as when another transaction holds the items), nothing
  forwarded;
* add latency;
* answer a BatchWriteItem or BatchGetItem in part. The *request* is rewritten to leave some
  items (keys) out, and those are reported in ``UnprocessedItems`` (``UnprocessedKeys``) of the
  response, so nothing reported unprocessed was written. When a body is rewritten its
  ``x-amz-crc32`` header, which botocore verifies for DynamoDB, is recomputed.

Decisions come from one ``random.Random(seed)``, drawn once per request in arrival order, so a
schedule is reproducible for a given order of requests. ``schedule`` can also name the faults
of the first matching requests explicitly. ``counts`` says what was done, ``by_operation``
how many requests of each operation came in and ``max_in_flight`` how many were being answered
at once at most, for assertions.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import struct
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import anyio
from anyio.abc import SocketAttribute, SocketStream, TaskGroup
from anyio.streams.buffered import BufferedByteReceiveStream

_JSON_TYPE = "application/x-amz-json-1.0"
_MAX_HEAD = 64 * 1024
_ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"

#: Faults that replace the normal answer; at most one applies to a request.
EXCLUSIVE_FAULTS = ("throttle", "server_error", "reset", "drop_response", "bad_checksum", "conflict")


@dataclass(frozen=True)
class Faults:
    """Probabilities (0 to 1) of each fault per request, and which operations they apply to.

    ``throttle``, ``server_error``, ``reset``, ``drop_response`` and ``bad_checksum`` exclude each
    other (their sum must not pass 1); ``latency`` (a pause of ``delay`` seconds) and ``partial``
    are drawn apart. A partial answer holds back each item or key with probability
    ``unprocessed_share``, and at least one. ``operations`` limits faults to those operations
    (``None``: all of them), e.g. ``frozenset({"BatchWriteItem"})``. ``schedule`` names the fault
    of each of the first matching requests (``"ok"``, ``"partial"`` or one of the exclusive
    faults), before the probabilities take over.
    """

    throttle: float = 0.0
    server_error: float = 0.0
    reset: float = 0.0
    drop_response: float = 0.0
    bad_checksum: float = 0.0
    conflict: float = 0.0
    latency: float = 0.0
    delay: float = 0.02
    partial: float = 0.0
    unprocessed_share: float = 0.5
    operations: frozenset[str] | None = None
    schedule: tuple[str, ...] = ()
    drop_first: bool = False

    def __post_init__(self) -> None:
        if sum(getattr(self, f) for f in EXCLUSIVE_FAULTS) > 1.0:
            raise ValueError(f"the probabilities of {EXCLUSIVE_FAULTS} add up to more than 1")
        for name in self.schedule:
            if name not in (*EXCLUSIVE_FAULTS, "ok", "partial"):
                raise ValueError(f"unknown fault {name!r} in schedule")


@dataclass
class _Plan:
    """What to do with one request, decided when it arrives."""

    fault: str | None = None
    delay: float = 0.0
    partial: bool = False
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class _Message:
    start: bytes
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def encode(self, *, drop: tuple[str, ...] = ()) -> bytes:
        dropped = {"content-length", "transfer-encoding", "connection", *drop}
        lines = [self.start]
        lines += [f"{k}: {v}".encode("latin-1") for k, v in self.headers if k.lower() not in dropped]
        lines.append(f"Content-Length: {len(self.body)}".encode())
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


async def _read_message(buf: BufferedByteReceiveStream) -> _Message:
    head = await buf.receive_until(b"\r\n\r\n", _MAX_HEAD)
    start, *lines = head.split(b"\r\n")
    headers = []
    for line in lines:
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    msg = _Message(start, headers, b"")
    length = msg.header("content-length")
    if length is not None:
        msg.body = await buf.receive_exactly(int(length)) if int(length) else b""
    elif (msg.header("transfer-encoding") or "").lower() == "chunked":
        parts = []
        while True:
            size = int((await buf.receive_until(b"\r\n", 1024)).split(b";")[0], 16)
            if size == 0:
                while await buf.receive_until(b"\r\n", _MAX_HEAD):  # trailers, then a blank line
                    pass
                break
            parts.append(await buf.receive_exactly(size))
            await buf.receive_exactly(2)
        msg.body = b"".join(parts)
    return msg


def _crc32(body: bytes) -> str:
    return str(zlib.crc32(body) & 0xFFFFFFFF)


class FaultProxy:
    """The proxy; an async context manager that serves on ``127.0.0.1`` until the block ends."""

    def __init__(self, upstream: str, faults: Faults | None = None, *, seed: int = 0) -> None:
        parts = urlsplit(upstream)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"upstream must be http://host:port, got {upstream!r}")
        self.upstream_host: str = parts.hostname
        self.upstream_port: int = parts.port
        self.faults = faults or Faults()
        self.counts: Counter[str] = Counter()
        self.by_operation: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._schedule = list(self.faults.schedule)
        self._bodies: set[bytes] = set()
        self._port: int | None = None
        self._tg: TaskGroup | None = None
        self._in_flight = 0
        #: The most requests the proxy was answering at one time.
        self.max_in_flight = 0

    @property
    def endpoint_url(self) -> str:
        """Where clients should send their requests."""
        if self._port is None:
            raise RuntimeError("the proxy is not running")
        return f"http://127.0.0.1:{self._port}"

    async def __aenter__(self) -> FaultProxy:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self._port = listener.extra(SocketAttribute.local_port)
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(listener.serve, self._handle)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._tg is not None
        self._tg.cancel_scope.cancel()
        try:
            # The block's own exception is not handed to the task group (which only serves
            # connections), so it propagates as it is, not wrapped in an exception group.
            await self._tg.__aexit__(None, None, None)
        finally:
            self._tg = None
            self._port = None

    # ------------------------------------------------------------------ decisions
    def _plan(self, operation: str) -> _Plan:
        f = self.faults
        plan = _Plan(rng=random.Random(self._rng.random()))
        if f.operations is not None and operation not in f.operations:
            return plan
        if self._schedule:
            name = self._schedule.pop(0)
            plan.fault = name if name in EXCLUSIVE_FAULTS else None
            plan.partial = name == "partial"
            return plan
        draw = self._rng.random()
        for name in EXCLUSIVE_FAULTS:
            p = getattr(f, name)
            if draw < p:
                plan.fault = name
                break
            draw -= p
        if self._rng.random() < f.latency:
            plan.delay = f.delay
        plan.partial = self._rng.random() < f.partial
        return plan

    # ------------------------------------------------------------------ connections
    async def _handle(self, client: SocketStream) -> None:
        buf = BufferedByteReceiveStream(client)
        upstream = _Upstream(self.upstream_host, self.upstream_port)
        try:
            while True:
                try:
                    request = await _read_message(buf)
                except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, OSError):
                    return
                self._in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)
                try:
                    keep_open = await self._answer(client, request, upstream)
                finally:
                    self._in_flight -= 1
                if not keep_open:
                    return
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            return
        finally:
            await upstream.aclose()
            await client.aclose()

    async def _answer(self, client: SocketStream, request: _Message, upstream: _Upstream) -> bool:
        """Answer one request as planned; ``False`` when the connection was reset."""
        target = request.header("x-amz-target") or ""
        operation = target.rpartition(".")[2]
        self.counts["requests"] += 1
        self.by_operation[operation] += 1
        plan = self._plan(operation)
        if self.faults.drop_first and (self.faults.operations is None or operation in self.faults.operations):
            digest = hashlib.sha256(request.body).digest()
            if digest not in self._bodies:
                self._bodies.add(digest)
                plan.fault = "drop_response"
        if plan.delay:
            self.counts["latency"] += 1
            await anyio.sleep(plan.delay)
        if plan.fault in ("throttle", "server_error"):
            self.counts[plan.fault] += 1
            await client.send(_error_response(plan.fault))
            return True
        if plan.fault == "conflict" and operation == "TransactWriteItems":
            self.counts["conflict"] += 1
            await client.send(_conflict_response(request))
            return True
        if plan.fault == "reset":
            self.counts["reset"] += 1
            await _reset(client)
            return False
        response: _Message | None = None
        held: dict[str, Any] = {}
        if plan.partial and operation in ("BatchWriteItem", "BatchGetItem"):
            request, held = _hold_back(operation, request, plan.rng, self.faults.unprocessed_share)
            if held:
                self.counts["partial"] += 1
                sizes = (len(v["Keys"] if isinstance(v, dict) else v) for v in held.values())
                self.counts["held_back"] += sum(sizes)
        if request.body:  # empty only when every item was held back: the proxy answers alone
            response = await upstream.exchange(request.encode())
            self.counts["forwarded"] += 1
        if plan.fault == "drop_response":
            self.counts["drop_response"] += 1
            await _reset(client)
            return False
        if held:
            response = _merge_unprocessed(operation, response, held)
        assert response is not None
        if plan.fault == "bad_checksum":
            self.counts["bad_checksum"] += 1
            # Still valid JSON, but not the bytes the checksum was computed on.
            response = _Message(response.start, response.headers, response.body + b" ")
        await client.send(response.encode())
        return True


class _Upstream:
    """One keep-alive connection to DynamoDB Local, reopened when DynamoDB Local closed it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._stream: SocketStream | None = None
        self._buf: BufferedByteReceiveStream | None = None

    async def exchange(self, raw: bytes) -> _Message:
        for attempt in (1, 2):
            if self._stream is None:
                self._stream = await anyio.connect_tcp(self.host, self.port)
                self._buf = BufferedByteReceiveStream(self._stream)
            assert self._buf is not None
            try:
                await self._stream.send(raw)
                response = await _read_message(self._buf)
            except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, OSError):
                await self.aclose()
                if attempt == 2:
                    raise
                continue
            if (response.header("connection") or "").lower() == "close":
                await self.aclose()
            return response
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        stream, self._stream, self._buf = self._stream, None, None
        if stream is not None:
            await stream.aclose()


# --------------------------------------------------------------------------- rewriting


def _error_response(fault: str) -> bytes:
    if fault == "throttle":
        status, kind, text = b"400 Bad Request", "ProvisionedThroughputExceededException", "Injected throttle"
    else:
        status, kind, text = b"500 Internal Server Error", "InternalServerError", "Injected internal error"
    body = json.dumps({"__type": _ERROR_PREFIX + kind, "message": text}).encode()
    headers = [
        ("Content-Type", _JSON_TYPE),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("x-amz-crc32", _crc32(body)),
    ]
    return _Message(b"HTTP/1.1 " + status, headers, body).encode()


def _conflict_response(request: _Message) -> bytes:
    """A TransactionCanceledException naming a conflict for every item of the transaction."""
    items = json.loads(request.body).get("TransactItems", [])
    reasons = [
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"} for _ in items
    ]
    body = json.dumps(
        {
            "__type": _ERROR_PREFIX + "TransactionCanceledException",
            "message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{', '.join('TransactionConflict' for _ in items)}]",
            "CancellationReasons": reasons,
        }
    ).encode()
    headers = [
        ("Content-Type", _JSON_TYPE),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("x-amz-crc32", _crc32(body)),
    ]
    return _Message(b"HTTP/1.1 400 Bad Request", headers, body).encode()


async def _reset(stream: SocketStream) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashed or overloaded peer would."""
    sock = stream.extra(SocketAttribute.raw_socket)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    await stream.aclose()


def _pick(items: list[Any], rng: random.Random, share: float) -> tuple[list[Any], list[Any]]:
    """Split ``items`` into (kept, held back); at least one is held back."""
    held_mask = [rng.random() < share for _ in items]
    if items and not any(held_mask):
        held_mask[rng.randrange(len(items))] = True
    kept = [x for x, h in zip(items, held_mask, strict=True) if not h]
    held = [x for x, h in zip(items, held_mask, strict=True) if h]
    return kept, held


def _hold_back(
    operation: str, request: _Message, rng: random.Random, share: float
) -> tuple[_Message, dict[str, Any]]:
    """The request without the held-back items or keys, and those, by table.

    For BatchGetItem each held entry keeps the table's other request fields (projection,
    consistency), as DynamoDB's own ``UnprocessedKeys`` do.
    """
    payload = json.loads(request.body)
    held: dict[str, Any] = {}
    remaining: dict[str, Any] = {}
    for table, spec in payload.get("RequestItems", {}).items():
        if operation == "BatchWriteItem":
            kept, out = _pick(spec, rng, share)
            if kept:
                remaining[table] = kept
        else:
            kept, out = _pick(spec["Keys"], rng, share)
            if kept:
                remaining[table] = {**spec, "Keys": kept}
            if out:
                held[table] = {**spec, "Keys": out}
            continue
        if out:
            held[table] = out
    if remaining:
        payload["RequestItems"] = remaining
        body = json.dumps(payload).encode()
    else:
        body = b""  # nothing left to send: the proxy answers alone
    return _Message(request.start, request.headers, body), held


def _merge_unprocessed(operation: str, response: _Message | None, held: dict[str, Any]) -> _Message:
    """The response with the held-back items or keys added to its unprocessed ones."""
    if response is None:
        payload: dict[str, Any] = {}
        if operation == "BatchGetItem":
            payload["Responses"] = {table: [] for table in held}
        response = _Message(
            b"HTTP/1.1 200 OK",
            [("Content-Type", _JSON_TYPE), ("x-amzn-RequestId", str(uuid.uuid4()))],
            b"",
        )
    else:
        if not response.start.split(b" ")[1].startswith(b"2"):
            return response  # DynamoDB refused the request: pass its error on unchanged
        payload = json.loads(response.body)
    if operation == "BatchWriteItem":
        unprocessed = payload.setdefault("UnprocessedItems", {})
        for table, items in held.items():
            unprocessed.setdefault(table, []).extend(items)
    else:
        unprocessed = payload.setdefault("UnprocessedKeys", {})
        for table, spec in held.items():
            entry = unprocessed.setdefault(table, {k: v for k, v in spec.items() if k != "Keys"})
            entry.setdefault("Keys", []).extend(spec["Keys"])
    body = json.dumps(payload).encode()
    headers = [(k, v) for k, v in response.headers if k.lower() != "x-amz-crc32"]
    headers.append(("x-amz-crc32", _crc32(body)))
    return _Message(response.start, headers, body)


__all__ = ["EXCLUSIVE_FAULTS", "FaultProxy", "Faults"]
