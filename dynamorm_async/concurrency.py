"""How many requests a batch call or a parallel scan runs at once when the call does not say.

The core knows nothing about Lambda: an outer layer (the Lambda layer's memory tuning) may set a
process-wide default with :func:`set_defaults`, and may narrow it for one task and the tasks it
starts with :func:`concurrency_scope`. Batch and parallel scan read :func:`batch_concurrency` and
:func:`scan_concurrency`, passing their own fallback; an explicit argument of the call wins over
both.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ConcurrencyLimits:
    """Requests in flight at once: ``batch`` for one batch call, ``scan`` for one parallel scan."""

    batch: int
    scan: int

    def __post_init__(self) -> None:
        for name in ("batch", "scan"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInput(f"ConcurrencyLimits.{name} must be a positive int, not {value!r}")


_process_default: ConcurrencyLimits | None = None
_scoped: contextvars.ContextVar[ConcurrencyLimits | None] = contextvars.ContextVar(
    "dynamorm_concurrency", default=None
)


def set_defaults(limits: ConcurrencyLimits | None) -> None:
    """Make ``limits`` the process-wide default (``None``: back to each caller's own fallback)."""
    global _process_default
    _process_default = limits


def current() -> ConcurrencyLimits | None:
    """The limits in force for this task: a :func:`concurrency_scope`'s, else the process default."""
    return _scoped.get() or _process_default


def batch_concurrency(fallback: int) -> int:
    """Concurrent requests for one batch call that did not choose: the limit in force, else ``fallback``."""
    limits = current()
    return fallback if limits is None else limits.batch


def scan_concurrency(fallback: int) -> int:
    """Concurrent segment readers for one parallel scan that did not choose, else ``fallback``."""
    limits = current()
    return fallback if limits is None else limits.scan


@contextmanager
def concurrency_scope(limits: ConcurrencyLimits | None) -> Iterator[None]:
    """Use ``limits`` inside the block (and in tasks started inside it); ``None`` changes nothing."""
    if limits is None:
        yield
        return
    token = _scoped.set(limits)
    try:
        yield
    finally:
        _scoped.reset(token)


__all__ = [
    "ConcurrencyLimits",
    "batch_concurrency",
    "concurrency_scope",
    "current",
    "scan_concurrency",
    "set_defaults",
]
