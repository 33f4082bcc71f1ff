"""A loopback HTTP proxy in front of DynamoDB Local that can hold requests back, to make calls slow.

Each request is read whole, then held ``delay`` seconds (or until :meth:`SlowProxy.release`)
before it is forwarded, so a held request has not reached DynamoDB yet: a call cancelled while
held changed nothing. Every request's ``X-Amz-Target`` operation is recorded as it arrives, and
:attr:`SlowProxy.max_in_flight` says how many requests were being answered at once at most.
"""

from __future__ import annotations

import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: SlowProxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        proxy._arrived(target.rsplit(".", 1)[-1])
        try:
            self._answer(proxy, body)
        finally:
            with proxy._lock:
                proxy.in_flight -= 1

    def _answer(self, proxy: SlowProxy, body: bytes) -> None:
        delay = proxy.delay
        if delay > 0 and proxy._release.wait(delay) and proxy._stopped:
            self.close_connection = True
            return
        upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            upstream.request("POST", self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class SlowProxy:
    """Forwards to ``upstream`` (DynamoDB Local's URL); set :attr:`delay` to hold requests back."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        #: Seconds each request waits before it is forwarded (0: at once).
        self.delay = 0.0
        #: The operation of every request received, in order.
        self.operations: list[str] = []
        #: Requests being answered now, and the most at once so far.
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._stopped = False
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slow-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        """The proxy's endpoint URL, for clients."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def slow(self, delay: float) -> None:
        """Hold every new request ``delay`` seconds from now on."""
        self._release.clear()
        self.delay = delay

    def release(self) -> None:
        """Forward held requests now and stop delaying new ones."""
        self.delay = 0.0
        self._release.set()

    def _arrived(self, operation: str) -> None:
        with self._lock:
            self.operations.append(operation)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def start(self) -> SlowProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped = True
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SlowProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
