"""Async handlers on Lambda's synchronous runtime: one event loop for the life of the environment.

Lambda's Python runtime calls the handler as a plain function, once per invocation. Running each
invocation with ``asyncio.run`` would make a new loop every time and throw the client's connection
pool away with the old one (an aiohttp pool belongs to the loop that made it). A
:class:`HandlerRunner` makes one loop, the first time it is needed, and runs every invocation on it
with ``run_until_complete``: the client and its pool, made on that loop during the init phase,
serve every warm invocation. Each invocation runs as one task in a fresh copy of the context, so
context variables set by one invocation (deadline, partner, trace) never leak into the next.

:class:`LambdaHandler` is the function Lambda calls. For each invocation it counts the start as
cold or warm (see :class:`InvocationInfo`), opens the deadline scope of
:func:`~dynamorm_async.aws_lambda.with_lambda_timeout` from the ``context`` (as
:func:`~.timeout.lambda_timeout_scope`: on asyncio, without importing anyio), and awaits the
async handler; a deadline reached turns into the answer of ``on_timeout`` when one is given.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, Literal, TypeVar

from .._frozen import frozen
from ..errors import LambdaTimeoutError
from .env import PROVISIONED_CONCURRENCY, SNAP_START, get_initialization_type
from .timeout import lambda_timeout_scope

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger("dynamorm_async.lambda")

#: How an invocation's environment started: the first invocation after an on-demand init is
#: ``"cold"``; after a provisioned-concurrency init, ``"provisioned"`` (the init ran ahead of time);
#: the first after a SnapStart restore, ``"restore"``; every later one, ``"warm"``.
StartKind = Literal["cold", "warm", "provisioned", "restore"]

#: An async Lambda handler: ``async def handler(event, context)``.
AsyncHandler = Callable[[Any, Any], Awaitable[R]]
#: Builds the answer when the deadline is reached: ``on_timeout(event, context, error)``.
TimeoutAnswer = Callable[[Any, Any, LambdaTimeoutError], R]


class RuntimeStats:
    """Process-wide debug counters of the Lambda layer (read by tests and benchmarks); a plain
    slotted class, no dataclass generation on the cold path."""

    __slots__ = ("cold_starts", "errors", "invocations", "loops_created", "restores", "timeouts")

    def __init__(self) -> None:
        self.loops_created = 0
        self.invocations = 0
        self.cold_starts = 0
        self.timeouts = 0
        self.errors = 0
        self.restores = 0

    def as_dict(self) -> dict[str, int]:
        """The counters by name."""
        return {name: getattr(self, name) for name in _RUNTIME_FIELDS}

    def __repr__(self) -> str:
        return "RuntimeStats(" + ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items()) + ")"


_RUNTIME_FIELDS = ("loops_created", "invocations", "cold_starts", "timeouts", "errors", "restores")

#: The counters for this process.
RUNTIME_STATS = RuntimeStats()


def runtime_stats() -> dict[str, int]:
    """A snapshot of the Lambda counters plus the transport's client and call counters."""
    from ..transport import debug_stats

    stats = debug_stats()
    out = RUNTIME_STATS.as_dict()
    out.update(clients_created=stats.clients_created, clients_closed=stats.clients_closed, calls=stats.calls)
    for http, count in stats.by_http.items():
        out[f"transports_{http}"] = count  # which way to the wire the environment's DBs chose
    return out


@frozen
class InvocationInfo:
    """What the runner knows about the running invocation (see :func:`current_invocation`)."""

    #: 1 for the first invocation of this environment, then 2, 3, ...
    number: int
    start: StartKind
    #: ``AWS_LAMBDA_INITIALIZATION_TYPE`` as the environment reported it.
    initialization_type: str | None
    request_id: str | None

    @property
    def cold(self) -> bool:
        """Whether this invocation paid for starting the environment (a cold start or a restore)."""
        return self.start in ("cold", "restore")


_invocation: contextvars.ContextVar[InvocationInfo | None] = contextvars.ContextVar(
    "dynamorm_invocation", default=None
)


def current_invocation() -> InvocationInfo | None:
    """The invocation being handled by the runner in this task, or ``None`` outside one."""
    return _invocation.get()


class HandlerRunner:
    """Owns the environment's one event loop and runs coroutines on it, one invocation at a time.

    Normally there is one per process (:func:`default_runner`), shared by every
    :class:`~dynamorm_async.aws_lambda.LambdaDB` and handler in it.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._invocations = 0
        self._restored = False
        self._closers: list[Callable[[], Awaitable[None]]] = []

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop, made on first use and kept until :meth:`close`."""
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
            RUNTIME_STATS.loops_created += 1
        return self._loop

    def run(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run ``fn(*args)`` to completion on the loop, from synchronous code; return its result.

        :raises RuntimeError: called while an event loop is running in this thread (from async
            code, await the coroutine instead, e.g. :meth:`LambdaHandler.invoke`).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError(
                "HandlerRunner.run() was called from inside a running event loop; "
                "await the coroutine instead (for a handler: `await handler.invoke(event, context)`)"
            )
        return self.loop.run_until_complete(fn(*args))

    def begin_invocation(self, request_id: str | None = None) -> InvocationInfo:
        """Count one invocation and say how its environment started (cold, warm, ...)."""
        self._invocations += 1
        init_type = get_initialization_type()
        start: StartKind = "warm"
        if self._restored:
            start, self._restored = "restore", False
        elif self._invocations == 1:
            if init_type == PROVISIONED_CONCURRENCY:
                start = "provisioned"
            elif init_type == SNAP_START:
                start = "restore"
            else:
                start = "cold"
        RUNTIME_STATS.invocations += 1
        info = InvocationInfo(self._invocations, start, init_type, request_id)
        if info.cold:
            RUNTIME_STATS.cold_starts += 1
        return info

    def mark_restored(self) -> None:
        """Record a SnapStart restore: the next invocation is counted as a ``"restore"`` start."""
        self._restored = True
        RUNTIME_STATS.restores += 1

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Have :meth:`close` await ``closer()`` on the loop first (e.g. a DB closing its client)."""
        self._closers.append(closer)

    def close(self) -> None:
        """Run the closers, finish async generators and close the loop (at interpreter exit)."""
        loop, self._loop = self._loop, None
        if loop is None or loop.is_closed() or loop.is_running():
            return
        closers, self._closers = self._closers, []

        async def finish() -> None:
            for closer in reversed(closers):
                try:
                    await closer()
                except Exception:  # closing must not hide the others
                    logger.exception("closing %r failed", closer)

        try:
            loop.run_until_complete(finish())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    def handler(
        self,
        fn: AsyncHandler[R],
        *,
        buffer: float | None = None,
        max_buffer: float | None = None,
        on_timeout: TimeoutAnswer[R] | None = None,
    ) -> LambdaHandler[R]:
        """Wrap an async handler into the synchronous function Lambda calls (see :class:`LambdaHandler`)."""
        return LambdaHandler(fn, runner=self, buffer=buffer, max_buffer=max_buffer, on_timeout=on_timeout)


_default: HandlerRunner | None = None


def default_runner() -> HandlerRunner:
    """The process-wide runner (made on first use; its loop is closed at interpreter exit)."""
    global _default
    if _default is None:
        _default = HandlerRunner()
        atexit.register(_default.close)
    return _default


class LambdaHandler(Generic[R]):
    """The synchronous ``handler(event, context)`` Lambda calls, running an async handler on one loop.

    Each call runs :meth:`invoke` on the runner's loop. From async code (tests, other frameworks)
    ``await handler.invoke(event, context)`` does the same on the running loop. It carries the
    async handler's name and docstring. ``buffer`` fixes the deadline buffer; left unset, it fits
    each invocation, at most ``max_buffer`` (see :func:`~dynamorm_async.aws_lambda.with_lambda_timeout`).
    """

    __name__: str

    def __init__(
        self,
        fn: AsyncHandler[R],
        *,
        runner: HandlerRunner,
        buffer: float | None = None,
        max_buffer: float | None = None,
        on_timeout: TimeoutAnswer[R] | None = None,
    ) -> None:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"{fn!r} is not an async function; a Lambda handler runner needs `async def`")
        self.fn = fn
        self.runner = runner
        self.buffer = buffer
        self.max_buffer = max_buffer
        self.on_timeout = on_timeout
        functools.update_wrapper(self, fn)

    def __call__(self, event: Any, context: Any) -> R:
        return self.runner.run(self.invoke, event, context)

    async def invoke(self, event: Any, context: Any) -> R:
        """Handle one invocation: count it, open the deadline scope, await the handler.

        :raises LambdaTimeoutError: the deadline was reached and there is no ``on_timeout``.
        """
        info = self.runner.begin_invocation(getattr(context, "aws_request_id", None))
        token = _invocation.set(info)
        try:
            remaining = _remaining_time(context)
            async with lambda_timeout_scope(remaining, self.buffer, max_buffer=self.max_buffer):
                return await self.fn(event, context)
        except LambdaTimeoutError as exc:
            RUNTIME_STATS.timeouts += 1
            logger.warning("invocation %d stopped at its deadline: %s", info.number, exc)
            if self.on_timeout is None:
                raise
            return self.on_timeout(event, context, exc)
        except BaseException:
            RUNTIME_STATS.errors += 1
            raise
        finally:
            _invocation.reset(token)


def _remaining_time(context: Any) -> Any:
    """The context if it can tell the time left (Lambda's does); ``None`` for local calls."""
    return context if callable(getattr(context, "get_remaining_time_in_millis", None)) else None


__all__ = [
    "RUNTIME_STATS",
    "AsyncHandler",
    "HandlerRunner",
    "InvocationInfo",
    "LambdaHandler",
    "RuntimeStats",
    "StartKind",
    "TimeoutAnswer",
    "current_invocation",
    "default_runner",
    "runtime_stats",
]
