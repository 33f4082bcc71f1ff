"""A local Lambda Runtime API and a launcher running a handler under AWS's runtime interface client.

AWS's managed Python runtime runs handlers through ``awslambdaric``, which talks to the Lambda
Runtime API over HTTP. :class:`LambdaRuntimeAPI` is a small implementation of that API (standard
library only, one thread per connection) and :class:`LambdaProcess` starts
``python -m awslambdaric module.function`` against it in a subprocess, with the environment Lambda
would give. Together they are one execution environment: a real cold start (imports and the init
phase), warm invocations in the same process, deadlines, errors, init errors, and the SnapStart
restore handshake, with timings recorded for each invocation.

::

    with LambdaProcess("handler.handler", task_root="examples/lambda", env={...}) as fn:
        first = fn.invoke({"hello": "world"})           # cold
        print(first.json(), first.duration_ms, fn.cold_start_ms)
        again = fn.invoke({"hello": "again"})           # warm, same process

Endpoints served (API version ``2018-06-01``): ``GET runtime/invocation/next``, ``POST
runtime/invocation/{id}/response``, ``POST runtime/invocation/{id}/error``, ``POST
runtime/init/error``, ``GET runtime/restore/next`` and ``POST runtime/restore/error``. Each event
carries ``Lambda-Runtime-Aws-Request-Id``, ``Lambda-Runtime-Deadline-Ms``,
``Lambda-Runtime-Invoked-Function-Arn`` and ``Lambda-Runtime-Trace-Id`` (the client crashes
without the last one).

As in Lambda, an invocation's deadline runs from the moment the runtime receives it, and a
process that has not answered by then is killed (``enforce_deadline``).
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

__all__ = [
    "API_VERSION",
    "Invocation",
    "LambdaProcess",
    "LambdaRuntimeAPI",
    "Outcome",
    "lambda_environment",
    "new_trace_id",
]

API_VERSION = "2018-06-01"
_NEXT = f"/{API_VERSION}/runtime/invocation/next"
_RESULT = re.compile(rf"/{API_VERSION}/runtime/invocation/([^/]+)/(response|error)")
_INIT_ERROR = f"/{API_VERSION}/runtime/init/error"
_RESTORE_NEXT = f"/{API_VERSION}/runtime/restore/next"
_RESTORE_ERROR = f"/{API_VERSION}/runtime/restore/error"
_ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"

#: What became of an invocation: answered (``response``), failed (``error``), killed at its
#: deadline (``timeout``), lost with its process (``crashed``), or not finished yet.
Outcome = Literal["queued", "running", "response", "error", "timeout", "crashed"]


def new_trace_id(*, sampled: bool = True) -> str:
    """A fresh X-Ray trace header value (``Root=1-...;Parent=...;Sampled=1``), as Lambda sends it."""
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return f"Root={root};Parent={secrets.token_hex(8)};Sampled={int(sampled)}"


@dataclass(eq=False)
class Invocation:
    """One event sent to the function and, once it finishes, its answer and timings.

    Times ending in ``_at`` are ``time.perf_counter()`` readings; ``deadline_ms`` and
    ``finished_epoch_ms`` are epoch milliseconds, the clock of ``Lambda-Runtime-Deadline-Ms``.
    """

    request_id: str
    payload: bytes
    timeout: float
    trace_id: str
    function_arn: str
    client_context: str | None = None
    queued_at: float = field(default_factory=time.perf_counter)
    delivered_at: float | None = None
    deadline_ms: int | None = None
    finished_at: float | None = None
    finished_epoch_ms: int | None = None
    outcome: Outcome = "queued"
    response: bytes | None = None
    error: dict[str, Any] | None = None
    error_type: str | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def done(self) -> bool:
        """Whether the invocation has finished, one way or another."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the invocation finishes (or ``timeout`` seconds pass); whether it finished."""
        return self._done.wait(timeout)

    def json(self) -> Any:
        """The response decoded from JSON.

        :raises AssertionError: the invocation did not end with a response (the message says how
            it ended, with the error if there was one).
        """
        if self.outcome != "response" or self.response is None:
            raise AssertionError(f"invocation {self.request_id} ended with {self.outcome!r}: {self.error}")
        return json.loads(self.response)

    @property
    def duration_ms(self) -> float | None:
        """From the runtime receiving the event to the answer arriving (Lambda's "Duration")."""
        if self.delivered_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.delivered_at) * 1000.0

    @property
    def latency_ms(self) -> float | None:
        """From :meth:`LambdaRuntimeAPI.submit` to the answer, including any wait for the runtime."""
        return None if self.finished_at is None else (self.finished_at - self.queued_at) * 1000.0

    @property
    def answered_before_deadline(self) -> bool:
        """Whether a response or error arrived before ``Lambda-Runtime-Deadline-Ms``."""
        return (
            self.outcome in ("response", "error")
            and self.deadline_ms is not None
            and self.finished_epoch_ms is not None
            and self.finished_epoch_ms < self.deadline_ms
        )

    def _finish(self, outcome: Outcome, **values: Any) -> bool:
        if self._done.is_set():
            return False
        self.finished_at = time.perf_counter()
        self.finished_epoch_ms = int(time.time() * 1000)
        self.outcome = outcome
        for name, value in values.items():
            setattr(self, name, value)
        self._done.set()
        return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: LambdaRuntimeAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a runtime killed mid-request
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle's algorithm on, the peer's delayed
    # ACK would add ~40 ms to every event.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read the records
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        api = self.server.api
        path = self.path.split("?", 1)[0]
        if path == _NEXT:
            invocation = api._next_invocation()
            if invocation is None:  # shutting down: leave the runtime without an event
                self.close_connection = True
                return
            self._reply(200, invocation.payload, api._event_headers(invocation))
        elif path == _RESTORE_NEXT:
            api._restore_requested()
            self._reply(200)
        else:
            self._reply(404, b'{"errorMessage": "unknown path"}')

    def do_POST(self) -> None:
        api = self.server.api
        path = self.path.split("?", 1)[0]
        body = self._body()
        error_type = self.headers.get(_ERROR_TYPE_HEADER)
        match = _RESULT.fullmatch(path)
        if match is not None:
            accepted = api._record_result(match.group(1), match.group(2), body, error_type)
            self._reply(202 if accepted else 400, b'{"status": "OK"}' if accepted else b"{}")
        elif path == _INIT_ERROR:
            api._record_init_error(body, error_type)
            self._reply(202, b'{"status": "OK"}')
        elif path == _RESTORE_ERROR:
            api._record_restore_error(body, error_type)
            self._reply(202, b'{"status": "OK"}')
        else:
            self._reply(404, b'{"errorMessage": "unknown path"}')


class LambdaRuntimeAPI:
    """The Lambda Runtime API on a loopback port: a queue of events in, responses and errors recorded.

    Thread-safe: events may be submitted from any thread while the runtime is polling.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local",
    ) -> None:
        self.function_arn = function_arn
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._queue: queue.Queue[Invocation] = queue.Queue()
        self._by_id: dict[str, Invocation] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._polled = threading.Event()
        #: Every invocation submitted, in order.
        self.invocations: list[Invocation] = []
        #: Bodies (decoded JSON) posted to ``runtime/init/error``, with their error type header.
        self.init_errors: list[dict[str, Any]] = []
        #: Bodies posted to ``runtime/restore/error``.
        self.restore_errors: list[dict[str, Any]] = []
        #: How many times the runtime asked for ``runtime/restore/next`` (SnapStart).
        self.restores = 0
        #: ``perf_counter()`` of the first ``invocation/next`` poll: the end of the init phase.
        self.first_poll_at: float | None = None
        #: How many ``invocation/next`` polls arrived.
        self.polls = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LambdaRuntimeAPI:
        """Start serving in a background thread (idempotent)."""
        if self._server is None:
            server = _Server((self._host, self._port), _Handler)
            server.api = self
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="lambda-runtime-api",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; a runtime waiting for an event is left without one."""
        self._stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LambdaRuntimeAPI:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """``host:port``, the value of ``AWS_LAMBDA_RUNTIME_API``."""
        if self._server is None:
            raise RuntimeError("the Runtime API is not started")
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    # ------------------------------------------------------------------ events
    def submit(
        self,
        event: Any,
        *,
        timeout: float = 3.0,
        request_id: str | None = None,
        trace_id: str | None = None,
        client_context: Mapping[str, Any] | None = None,
    ) -> Invocation:
        """Queue an event (JSON-serialisable, or raw ``bytes``) and return its :class:`Invocation`.

        ``timeout`` is the function timeout in seconds: the deadline is that long after the
        runtime receives the event.
        """
        payload = event if isinstance(event, bytes) else json.dumps(event).encode()
        invocation = Invocation(
            request_id=request_id or str(uuid.uuid4()),
            payload=payload,
            timeout=timeout,
            trace_id=trace_id or new_trace_id(),
            function_arn=self.function_arn,
            client_context=None if client_context is None else json.dumps(client_context),
        )
        with self._lock:
            self._by_id[invocation.request_id] = invocation
            self.invocations.append(invocation)
        self._queue.put(invocation)
        return invocation

    def wait_for_poll(self, timeout: float) -> bool:
        """Block until the runtime first asks for an event (its init phase is over)."""
        return self._polled.wait(timeout)

    def abandon(self, outcome: Outcome = "crashed") -> None:
        """Finish every unfinished invocation with ``outcome`` (its runtime is gone)."""
        with self._lock:
            pending = [i for i in self.invocations if not i.done]
        for invocation in pending:
            invocation._finish(outcome)

    # ------------------------------------------------------------------ called by the server
    def _next_invocation(self) -> Invocation | None:
        with self._lock:
            self.polls += 1
            if self.first_poll_at is None:
                self.first_poll_at = time.perf_counter()
        self._polled.set()
        while not self._stopping.is_set():
            try:
                invocation = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if invocation.done:  # abandoned while queued
                continue
            invocation.delivered_at = time.perf_counter()
            invocation.deadline_ms = int(time.time() * 1000 + invocation.timeout * 1000)
            invocation.outcome = "running"
            return invocation
        return None

    def _event_headers(self, invocation: Invocation) -> dict[str, str]:
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
            "Lambda-Runtime-Trace-Id": invocation.trace_id,
        }
        if invocation.client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = invocation.client_context
        return headers

    def _record_result(self, request_id: str, kind: str, body: bytes, error_type: str | None) -> bool:
        with self._lock:
            invocation = self._by_id.get(request_id)
        if invocation is None:
            return False
        if kind == "response":
            return invocation._finish("response", response=body)
        error = _decode(body)
        return invocation._finish(
            "error", error=error, error_type=error_type or str(error.get("errorType") or "") or None
        )

    def _record_init_error(self, body: bytes, error_type: str | None) -> None:
        error = _decode(body)
        error.setdefault("errorType", error_type)
        with self._lock:
            self.init_errors.append(error)

    def _record_restore_error(self, body: bytes, error_type: str | None) -> None:
        error = _decode(body)
        error.setdefault("errorType", error_type)
        with self._lock:
            self.restore_errors.append(error)

    def _restore_requested(self) -> None:
        with self._lock:
            self.restores += 1


def _decode(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {"raw": body.decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}


_counter = itertools.count(1)


def lambda_environment(
    *,
    handler: str,
    runtime_api: str,
    task_root: str | os.PathLike[str],
    function_name: str = "local-function",
    memory_mb: int = 128,
    region: str = "us-east-1",
    initialization_type: str = "on-demand",
    timeout: float = 3.0,
) -> dict[str, str]:
    """The variables Lambda sets for a Python function (credentials and endpoints are the caller's)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{secrets.token_hex(16)}"
    return {
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(timeout)),
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "LAMBDA_TASK_ROOT": os.fspath(task_root),
        "_HANDLER": handler,
        "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",
    }


class LambdaProcess:
    """One execution environment: ``python -m awslambdaric <handler>`` fed by a :class:`LambdaRuntimeAPI`.

    ``handler`` is ``module.function`` as Lambda's handler setting, importable from ``task_root``
    (the working directory, also put first on ``PYTHONPATH`` with ``extra_paths``). The environment
    is this process's (``inherit_env``) plus :func:`lambda_environment` plus ``env``, which wins.
    ``timeout`` is the function timeout, the default deadline of each invocation. With
    ``enforce_deadline`` a process that misses an invocation's deadline is killed, as Lambda does.
    Output (stdout and stderr) goes to a temporary file; :meth:`output` reads it.
    """

    def __init__(
        self,
        handler: str,
        *,
        task_root: str | os.PathLike[str],
        env: Mapping[str, str] | None = None,
        function_name: str | None = None,
        memory_mb: int = 128,
        timeout: float = 3.0,
        region: str = "us-east-1",
        initialization_type: str = "on-demand",
        python: str | os.PathLike[str] | None = None,
        inherit_env: bool = True,
        extra_paths: tuple[str | os.PathLike[str], ...] = (),
        enforce_deadline: bool = True,
        deadline_grace: float = 0.5,
        api: LambdaRuntimeAPI | None = None,
    ) -> None:
        self.handler = handler
        self.task_root = Path(task_root).resolve()
        self.timeout = timeout
        self.enforce_deadline = enforce_deadline
        self.deadline_grace = deadline_grace
        self.python = os.fspath(python or sys.executable)
        self.function_name = function_name or f"local-function-{next(_counter)}"
        self.api = api or LambdaRuntimeAPI(
            function_arn=f"arn:aws:lambda:{region}:123456789012:function:{self.function_name}"
        )
        self.memory_mb = memory_mb
        self.region = region
        self.initialization_type = initialization_type
        self._env = dict(env or {})
        self._inherit = inherit_env
        self._extra_paths = tuple(Path(p).resolve() for p in extra_paths)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        #: ``perf_counter()`` just before the process was spawned.
        self.spawned_at: float | None = None
        #: The environment the process was given (set by :meth:`start`).
        self.environment: dict[str, str] = {}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LambdaProcess:
        """Start the Runtime API and spawn the runtime; returns at once (see :meth:`wait_ready`)."""
        if self._process is not None:
            return self
        self.api.start()
        environment = dict(os.environ) if self._inherit else {}
        environment.update(
            lambda_environment(
                handler=self.handler,
                runtime_api=self.api.address,
                task_root=self.task_root,
                function_name=self.function_name,
                timeout=self.timeout,
                memory_mb=self.memory_mb,
                region=self.region,
                initialization_type=self.initialization_type,
            )
        )
        paths = [str(self.task_root), *map(str, self._extra_paths)]
        if environment.get("PYTHONPATH"):
            paths.append(environment["PYTHONPATH"])
        environment["PYTHONPATH"] = os.pathsep.join(paths)
        environment.update(self._env)
        self.environment = environment
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the process's life)
        self.spawned_at = time.perf_counter()
        self._process = subprocess.Popen(
            [self.python, "-m", "awslambdaric", self.handler],
            cwd=self.task_root,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def stop(self) -> None:
        """Stop the runtime process (TERM, then KILL) and the Runtime API."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.api.abandon("crashed")
        self.api.stop()

    def __enter__(self) -> LambdaProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    # ------------------------------------------------------------------ state
    @property
    def alive(self) -> bool:
        """Whether the runtime process is running."""
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The process's exit status, ``None`` while it runs."""
        return None if self._process is None else self._process.poll()

    @property
    def pid(self) -> int | None:
        """The runtime process's id."""
        return None if self._process is None else self._process.pid

    def output(self) -> str:
        """Everything the process wrote so far (stdout and stderr together)."""
        if self._log is None:
            return ""
        self._log.flush()
        position = self._log.tell()
        self._log.seek(0)
        text = bytes(self._log.read()).decode("utf-8", "replace")
        self._log.seek(position)
        return text

    @property
    def init_ms(self) -> float | None:
        """Spawn to the first ``invocation/next`` poll: interpreter start, imports and init phase."""
        if self.spawned_at is None or self.api.first_poll_at is None:
            return None
        return (self.api.first_poll_at - self.spawned_at) * 1000.0

    @property
    def cold_start_ms(self) -> float | None:
        """Spawn to the first answer (response or error): the whole cold start as a caller sees it."""
        if self.spawned_at is None:
            return None
        finished = [i.finished_at for i in self.api.invocations if i.finished_at is not None]
        return None if not finished else (min(finished) - self.spawned_at) * 1000.0

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Block until the init phase is over (first poll); returns :attr:`init_ms`.

        :raises RuntimeError: the process exited first (an init error) or ``timeout`` passed;
            the message holds the process's output.
        """
        end = time.monotonic() + timeout
        while not self.api.wait_for_poll(0.05):
            if not self.alive:
                raise RuntimeError(f"the runtime exited during init ({self.returncode}):\n{self.output()}")
            if time.monotonic() > end:
                raise RuntimeError(f"the runtime did not finish its init in {timeout}s:\n{self.output()}")
        init = self.init_ms
        assert init is not None
        return init

    # ------------------------------------------------------------------ invocations
    def submit(self, event: Any, *, timeout: float | None = None, **options: Any) -> Invocation:
        """Queue an event without waiting (see :meth:`LambdaRuntimeAPI.submit` for ``options``)."""
        return self.api.submit(event, timeout=self.timeout if timeout is None else timeout, **options)

    def invoke(self, event: Any, *, timeout: float | None = None, **options: Any) -> Invocation:
        """Send an event and wait until it is answered, fails, times out or its process dies.

        ``timeout`` is this invocation's function timeout (default: the process's). Waiting
        allows for the init phase (30 s) while the event has not been received yet.
        """
        if self._process is None:
            self.start()
        invocation = self.submit(event, timeout=timeout, **options)
        return self.wait(invocation)

    def wait(self, invocation: Invocation, *, init_allowance: float = 30.0) -> Invocation:
        """Wait for ``invocation`` as :meth:`invoke` does; returns it, finished."""
        started = time.monotonic()
        while not invocation.wait(0.02):
            if not self.alive:
                invocation.wait(0.2)  # an answer posted just before exiting
                invocation._finish("crashed")
                break
            if invocation.deadline_ms is None:
                if time.monotonic() - started > init_allowance + invocation.timeout:
                    raise RuntimeError(f"the runtime never took the event:\n{self.output()}")
                continue
            late = time.time() * 1000 - invocation.deadline_ms
            if late > self.deadline_grace * 1000:
                if self.enforce_deadline:
                    self._kill()
                    invocation._finish("timeout")
                    break
                if late > (self.deadline_grace + invocation.timeout) * 1000:
                    invocation._finish("timeout")
                    break
        return invocation

    def _kill(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=5)
