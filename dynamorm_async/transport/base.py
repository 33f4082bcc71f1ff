"""What every transport shares: the protocols, the configuration, call hooks, the call observer, stats.

Two protocols meet here:

* :class:`Transport` is what the rest of the library calls (managers, batch, query,
  transactions): one method, :meth:`Transport.call`, that sends one operation and returns its
  answer or raises the library's errors, and :meth:`Transport.close`.
* :class:`RawTransport` is one way to the wire (aiobotocore today, a lean stdlib one later): it
  sends *one attempt* and knows nothing of deadlines, retries, hooks or error mapping. The
  retrying transport (:class:`~dynamorm_async.transport.core.RetryingTransport`) wraps any raw
  transport into a :class:`Transport`, so both ways share the deadline check, the retry policy,
  the error table (:mod:`.errortable`), hooks, the observer and these stats.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Transport(Protocol):
    """Sends DynamoDB (or STS) operations: the only thing the request layer above calls.

    Optional, and so not part of the protocol's checked methods: ``bind() -> Transport``, the
    transport to send a run of related calls through (every page of one query, every segment of
    one parallel scan). A transport that routes each call by the calling context returns the one
    it would route to now; a transport without ``bind`` is used as it is. Queries and scans call
    it once, when they start. Likewise optional: ``label``, the ``str | None`` that names the
    transport's account (a partner id); cursors are bound to it.
    """

    async def call(
        self, operation: str, params: Mapping[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        """Send ``operation`` (``"GetItem"``, ...) with ``params``; ``table`` names it in errors.

        :raises DynamORMError: always one of the library's errors, never a lower layer's.
        """
        ...

    async def close(self) -> None:
        """Release connections; the transport may be used again afterwards."""
        ...


@runtime_checkable
class RawTransport(Protocol):
    """One way to the wire: one attempt per :meth:`send`, nothing else.

    :meth:`send` returns the parsed answer, or raises: either one of the library's errors built
    with :func:`.errortable.aws_error` / :func:`.errortable.connection_failed`, or the lower
    layer's own exception, which the retrying transport maps with :func:`.errortable.library_error`.
    """

    service: str

    @property
    def has_client(self) -> bool:
        """Whether a client (connection pool) exists now."""
        ...

    async def connect(self) -> None:
        """Make the client now instead of on the first send."""
        ...

    async def send(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one attempt of ``operation``."""
        ...

    async def close(self) -> None:
        """Close the client and its connections; the next send makes a new one."""
        ...


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """How clients are made: where, how many connections, timeouts and retries."""

    region: str | None = None
    endpoint_url: str | None = None
    max_pool_connections: int = 50
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    #: botocore's retry mode for clients built elsewhere from this config (the benchmarks' raw
    #: peers). The library's own transports switch botocore's retries off and use the library's
    #: policy (:mod:`dynamorm_async.retry`) whatever this says.
    retry_mode: str = "standard"
    #: Total tries per call, the first included.
    max_attempts: int = 3
    tcp_keepalive: bool = True
    #: Backoff before retries: full jitter from ``backoff_base`` doubling up to ``backoff_cap`` seconds.
    backoff_base: float = 0.05
    backoff_cap: float = 2.0
    #: The way to the wire: ``"lean"`` (the standard-library DynamoDB transport), ``"aiobotocore"``,
    #: or ``"auto"``: lean inside a Lambda execution environment where it is complete (see
    #: :func:`~dynamorm_async.transport.choose_http`), aiobotocore elsewhere.
    http: str = "auto"

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts counts the first try and must be at least 1")
        if self.http not in HTTP_CHOICES:
            from ..errors import InvalidInput  # a ValueError too

            raise InvalidInput(f"http must be one of {sorted(HTTP_CHOICES)}, not {self.http!r}")


#: The ways to the wire :attr:`TransportConfig.http` may name.
HTTP_CHOICES = frozenset({"auto", "lean", "aiobotocore"})


#: What a call hook may return to hear how the call ended: called once with the answer (or
#: ``None``) and the error (or ``None``; a ``BaseException`` when the call was cancelled).
CallEnd = Callable[[Mapping[str, Any] | None, BaseException | None], None]
#: Hooks called with (operation, params, label) once before each call's first attempt (X-Ray
#: subsegments and annotations, logging); one may return a :data:`CallEnd`, so a hook spans the
#: whole call, retries included, on every way to the wire.
CallHook = Callable[[str, Mapping[str, Any], str | None], CallEnd | None]


#: Hooks every transport of the process runs before its own (see :func:`add_process_hook`).
PROCESS_HOOKS: list[CallHook] = []


def add_process_hook(hook: CallHook) -> None:
    """Run ``hook`` on every call of every transport of the process (once, even if a transport
    also carries it in its own ``hooks``); e.g. X-Ray tracing, switched on once for all."""
    if hook not in PROCESS_HOOKS:
        PROCESS_HOOKS.append(hook)


class CallObserver(Protocol):
    """Watches the calls made in a context (:func:`observe_calls`), e.g. to name those cut off.

    ``call_started`` runs before a call's first attempt and returns a token; ``call_ended`` runs
    with that token when the call returns (``error`` is ``None``) or raises, cancellation
    included (``error`` is then the cancellation exception, a ``BaseException``).
    """

    def call_started(self, operation: str, table: str | None) -> object: ...

    def call_ended(self, token: object, error: BaseException | None) -> None: ...


_observer: contextvars.ContextVar[CallObserver | None] = contextvars.ContextVar(
    "dynamorm_call_observer", default=None
)


def current_observer() -> CallObserver | None:
    """The call observer installed for the running task, if any."""
    return _observer.get()


@contextmanager
def observe_calls(observer: CallObserver) -> Iterator[CallObserver]:
    """Install ``observer`` for every call made inside the block (and tasks started in it)."""
    token = _observer.set(observer)
    try:
        yield observer
    finally:
        _observer.reset(token)


class TransportStats:
    """Debug counters across every transport of the process (see :func:`debug_stats`).

    ``calls`` counts calls that sent something, ``attempts`` requests sent (retries included), ``retries`` the
    retries among them, ``retries_free`` those the empty budget let through as a first retry.
    ``by_http`` counts transports built per way to the wire (``lean``, ``aiobotocore``) and ``http``
    names the last one chosen. (A plain slotted class: no dataclass generation on the cold path.)
    """

    __slots__ = (
        "attempts",
        "by_http",
        "by_operation",
        "calls",
        "clients_closed",
        "clients_created",
        "http",
        "retries",
        "retries_free",
    )

    def __init__(
        self,
        clients_created: int = 0,
        clients_closed: int = 0,
        calls: int = 0,
        attempts: int = 0,
        retries: int = 0,
        retries_free: int = 0,
        by_operation: dict[str, int] | None = None,
        by_http: dict[str, int] | None = None,
        http: str | None = None,
    ) -> None:
        self.clients_created = clients_created
        self.clients_closed = clients_closed
        self.calls = calls
        self.attempts = attempts
        self.retries = retries
        self.retries_free = retries_free
        self.by_operation: dict[str, int] = {} if by_operation is None else by_operation
        self.by_http: dict[str, int] = {} if by_http is None else by_http
        self.http = http

    def _state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _STATS_FIELDS}

    def __repr__(self) -> str:
        return "TransportStats(" + ", ".join(f"{k}={v!r}" for k, v in self._state().items()) + ")"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, TransportStats)
        return self._state() == other._state()

    __hash__ = None  # type: ignore[assignment]  # mutable counters


_STATS_FIELDS = (
    "clients_created",
    "clients_closed",
    "calls",
    "attempts",
    "retries",
    "retries_free",
    "by_operation",
    "by_http",
    "http",
)

#: The live counters; read them through :func:`debug_stats`.
STATS = TransportStats()


def debug_stats() -> TransportStats:
    """A snapshot of the process-wide transport counters (clients made and closed, calls, retries).

    For tests, benchmarks and debugging; the numbers are not a stable API.
    """
    snapshot = TransportStats(**STATS._state())
    snapshot.by_operation = dict(STATS.by_operation)
    snapshot.by_http = dict(STATS.by_http)
    return snapshot


__all__ = [
    "HTTP_CHOICES",
    "PROCESS_HOOKS",
    "STATS",
    "CallEnd",
    "CallHook",
    "CallObserver",
    "RawTransport",
    "Transport",
    "TransportConfig",
    "TransportStats",
    "add_process_hook",
    "current_observer",
    "debug_stats",
    "observe_calls",
]
