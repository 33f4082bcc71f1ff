"""HTTP/1.1 with keep-alive over asyncio streams: a bounded connection pool and a one-shot GET.

Just enough HTTP for DynamoDB and credential endpoints: requests are pre-built bytes, answers are
read by ``Content-Length`` (or chunked, or to end of stream). A pooled connection that the server
closed while idle is noticed before reuse and replaced; a request that fails on a reused connection
is reported (:class:`LeanConnectionError` with ``reused_connection``), never re-sent here.

TLS always verifies the certificate chain and the host name. The CA bundle (``AWS_CA_BUNDLE``, else
the system's) is loaded once per process into one ``ssl.SSLContext``, made on first use.
"""

from __future__ import annotations

import asyncio
import select
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .errors import LeanConnectionError

if TYPE_CHECKING:
    import ssl

_TLS_CONTEXTS: dict[str | None, ssl.SSLContext] = {}
_MAX_HEAD = 64 * 1024


def tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """The process's verifying TLS context for ``cafile`` (None: the system's CA store), made once."""
    context = _TLS_CONTEXTS.get(cafile)
    if context is None:
        import ssl  # only https endpoints pay for it

        context = ssl.create_default_context(cafile=cafile)
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        _TLS_CONTEXTS[cafile] = context
    return context


@dataclass(slots=True)
class Response:
    """An HTTP answer: status, headers (lower-case names) and the whole body."""

    status: int
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


class _ProtocolError(Exception):
    """The peer's bytes are not a well-formed HTTP/1.1 answer."""


class _Connection:
    """One keep-alive connection and when it was last used."""

    __slots__ = ("last_used", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.last_used = time.monotonic()

    def usable(self, now: float, idle_timeout: float, probe_after: float) -> bool:
        """Still open at our end, no end-of-stream or error from the server, not idle too long.

        The event loop learns of a server's close only when it next polls; after a long idle time
        (a frozen Lambda environment) the socket itself is asked: readable while idle means the
        server closed it (or sent something unasked), so it is not reused.
        """
        if (
            self.writer.is_closing()
            or self.reader.at_eof()
            or self.reader.exception() is not None
            or now - self.last_used > idle_timeout
        ):
            return False
        if now - self.last_used >= probe_after:
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                try:
                    readable, _, _ = select.select([sock.fileno()], [], [], 0)
                except (OSError, ValueError):
                    return False
                return not readable
        return True

    def close(self) -> None:
        """Close at our end; the event loop finishes it (no await: also called from ``finally``)."""
        self.writer.close()


class ConnectionPool:
    """Keep-alive connections to one ``scheme://host:port``, at most ``max_connections`` at a time.

    ``connect_timeout`` bounds the TCP connect and TLS handshake, ``read_timeout`` the writing of
    the request and the reading of the whole answer; idle connections older than ``idle_timeout``
    are closed instead of reused. A pool belongs to one event loop: :meth:`close` it before that
    loop ends. Used from another loop it starts afresh, dropping the old loop's connections.
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 10,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        idle_timeout: float = 30.0,
        cafile: str | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self.cafile = cafile
        self.connections_made = 0
        #: Idle seconds after which a pooled connection's socket is probed before reuse.
        self.probe_after = 1.0
        self._idle: list[_Connection] = []
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"ConnectionPool({self.scheme}://{self.host}:{self.port}, idle={len(self._idle)})"

    async def request(self, data: bytes) -> Response:
        """Send ``data`` (a whole HTTP/1.1 request) and read the answer.

        :raises LeanConnectionError: connect, TLS, write or read failed or timed out.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._idle.clear()  # connections of a dead loop cannot be used (nor closed) here
            self._semaphore = asyncio.Semaphore(self.max_connections)
            self._loop = loop
        assert self._semaphore is not None
        async with self._semaphore:
            connection, reused = await self._acquire()
            keep = False
            try:
                response = await self._exchange(connection, data, reused)
                keep = response.keep_alive
                return response
            finally:
                if keep:
                    connection.last_used = time.monotonic()
                    self._idle.append(connection)
                else:
                    connection.close()

    async def _acquire(self) -> tuple[_Connection, bool]:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if connection.usable(now, self.idle_timeout, self.probe_after):
                return connection, True
            connection.close()
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await self._open()
        except (OSError, TimeoutError) as exc:
            raise _connection_error("connect", exc, sent=False, reused=False) from exc
        self.connections_made += 1
        return _Connection(reader, writer), False

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.scheme == "https":
            reader, writer = await asyncio.open_connection(
                self.host, self.port, ssl=tls_context(self.cafile), server_hostname=self.host
            )
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return reader, writer

    async def _exchange(self, connection: _Connection, data: bytes, reused: bool) -> Response:
        try:
            async with asyncio.timeout(self.read_timeout):
                connection.writer.write(data)
                await connection.writer.drain()
        except (OSError, TimeoutError) as exc:
            raise _connection_error("send", exc, sent=False, reused=reused) from exc
        try:
            async with asyncio.timeout(self.read_timeout):
                return await read_response(connection.reader)
        except (
            OSError,
            TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            _ProtocolError,
        ) as exc:
            raise _connection_error("read", exc, sent=True, reused=reused) from exc

    async def close(self) -> None:
        """Close every idle connection (connections in use close when their request ends)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        for connection in idle:
            try:
                await connection.writer.wait_closed()
            except (OSError, RuntimeError):
                pass


def _connection_error(stage: str, exc: BaseException, *, sent: bool, reused: bool) -> LeanConnectionError:
    if isinstance(exc, TimeoutError):
        what = f"timed out ({stage})"
    elif isinstance(exc, asyncio.IncompleteReadError):
        what = (
            "the server closed the connection before answering"
            if not exc.partial
            else ("the server closed the connection in the middle of the answer")
        )
    else:
        what = f"{stage} failed: {type(exc).__name__}: {exc}"
    if reused:
        what += " (on a reused keep-alive connection)"
    return LeanConnectionError(what, cause=exc, request_sent=sent, reused_connection=reused)


async def read_response(reader: asyncio.StreamReader) -> Response:
    """Read one HTTP/1.x answer from ``reader``."""
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > _MAX_HEAD:
        raise _ProtocolError("answer head too large")
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1.") or len(rest) < 3 or not rest[:3].isdigit():
        raise _ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    status = int(rest[:3])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise _ProtocolError("malformed header line")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    elif "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise _ProtocolError("bad Content-Length") from None
        body = await reader.readexactly(length)
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:
        body = await reader.read()
        keep_alive = False
    return Response(status, headers, body, keep_alive)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise _ProtocolError("bad chunk size") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise _ProtocolError("bad chunk terminator")


async def get_once(
    url: str, headers: dict[str, str], *, seconds: float, cafile: str | None = None
) -> Response:
    """One ``GET`` on a fresh connection closed afterwards (credential endpoints).

    :raises LeanConnectionError: the endpoint could not be reached or did not answer within ``seconds``.
    """
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    pool = ConnectionPool(
        url, max_connections=1, connect_timeout=seconds, read_timeout=seconds, cafile=cafile
    )
    host = parts.netloc.rpartition("@")[2]
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}", "Connection: close", "Accept: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    try:
        return await pool.request(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    finally:
        await pool.close()
