"""A loopback HTTP/1.1 server whose answers a test scripts, for faults no real engine makes on
demand: a damaged body (CRC), an idle connection closed, a request swallowed, a stalled answer."""

from __future__ import annotations

import asyncio
import json
import threading
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class Request:
    """One request the server read: start line, headers (lower-case) and body, and which
    connection (1-based, in accept order) it came on."""

    line: str
    headers: dict[str, str]
    body: bytes
    connection: int


def answer(
    status: int = 200,
    body: Any = None,
    *,
    crc: int | None = None,
    extra: tuple[tuple[str, str], ...] = (),
    raw_body: bytes | None = None,
) -> bytes:
    """A DynamoDB-like answer: JSON body, request id, ``x-amz-crc32`` (``crc`` overrides it)."""
    data = raw_body if raw_body is not None else json.dumps(body if body is not None else {}).encode()
    checksum = zlib.crc32(data) & 0xFFFFFFFF if crc is None else crc
    reason = {200: "OK", 400: "Bad Request", 502: "Bad Gateway"}.get(status, "X")
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/x-amz-json-1.0",
        "x-amzn-RequestId: req-1",
        f"x-amz-crc32: {checksum}",
        f"Content-Length: {len(data)}",
        *(f"{k}: {v}" for k, v in extra),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


#: Given the request, returns bytes to send, or None to close the connection without answering;
#: may sleep first (a stalled answer).
Script = Callable[[Request], Awaitable[bytes | None]]


@dataclass
class ScriptedServer:
    """``async with ScriptedServer(script) as server:`` serves on ``server.url``."""

    script: Script
    close_after_answer: bool = False
    ssl: Any = None
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Request(lines[0], headers, body, number)
                self.requests.append(request)
                out = await self.script(request)
                if out is None:
                    return
                writer.write(out)
                await writer.drain()
                if self.close_after_answer:
                    return
        finally:
            writer.close()


class ThreadedServer:
    """A keep-alive HTTP/1.1 server on a thread (it outlives event loops): every POST gets a
    fixed GetItem answer, every GET the JSON ``get_body``; ``requests`` counts them."""

    def __init__(self, get_body: dict[str, Any] | None = None, get_status: int = 200) -> None:
        owner = self
        self.requests = 0
        self.get_body = get_body or {}
        self.get_status = get_status
        self.headers_seen: list[dict[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, status: int, data: bytes) -> None:
                owner.requests += 1
                owner.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amz-crc32", str(zlib.crc32(data) & 0xFFFFFFFF))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._reply(200, b'{"Item":{"pk":{"S":"threaded"}}}')

            def do_GET(self) -> None:
                self._reply(owner.get_status, json.dumps(owner.get_body).encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
