"""The active partner, carried by a context variable, and kept inside the async generator that set it.

A context variable is copied into every task spawned inside ``async with mdb.partner(...)``, so
concurrent tasks for different partners each see their own, and a task can never see a partner
it was not started under.

An async generator is the one place where that is not enough: it runs in its consumer's context,
so a generator that enters ``mdb.partner("a")`` and yields inside the block would leave partner
``a`` active in the consumer's loop body (and after a ``break``), and the consumer's writes would
go to a's account. So a scope entered by an async generator remembers the generator and the
partner active before it (``outer``), and :data:`ACTIVE` reads through it: while the generator
runs (or awaits), its partner is active; while it is suspended at a ``yield``, or once it is
finished, the consumer sees its own partner again. A task that inherited the scope from a
suspended generator cannot tell whose partner it should use, so it gets a
:class:`PartnerScopeError` instead of a guess. A generator made into a context manager by
``@contextlib.asynccontextmanager`` (as FastAPI does with ``yield`` dependencies) is the exception:
there the scope is meant for the ``async with`` body, and it is not bound to the generator.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import inspect
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import PartnerScopeError

if TYPE_CHECKING:
    from .multi import MultiAccountDB, PartnerSlot


class Active(NamedTuple):
    """What ``async with mdb.partner(...)`` makes active: the owning MultiAccountDB and partner slot.

    ``generator`` is set when the scope was entered by an async generator; ``outer`` is then the
    value active before it, and ``task`` the task that entered it.
    """

    owner: MultiAccountDB
    partner: PartnerSlot
    partner_id: str
    generator: Any = None
    outer: Active | None = None
    task: object = None


class _ActiveVar:
    """The active-partner context variable, read through the async-generator rule (module docstring)."""

    __slots__ = ("_var",)

    def __init__(self) -> None:
        self._var: contextvars.ContextVar[Active | None] = contextvars.ContextVar(
            "dynamorm_partner", default=None
        )

    def get(self) -> Active | None:
        """The partner active for the running code.

        :raises PartnerScopeError: the scope in force was entered by a suspended async generator
            and this is not the task that entered it.
        """
        return _resolve(self._var.get())

    def raw(self) -> Active | None:
        """The value stored in this context, without the async-generator rule."""
        return self._var.get()

    def set(self, value: Active | None) -> contextvars.Token[Active | None]:
        return self._var.set(value)

    def reset(self, token: contextvars.Token[Active | None]) -> None:
        self._var.reset(token)


#: The active partner. ``ACTIVE.get()`` / ``.set()`` / ``.reset()`` as a context variable's.
ACTIVE = _ActiveVar()


def _resolve(active: Active | None) -> Active | None:
    while active is not None and active.generator is not None:
        generator = active.generator
        if generator.ag_frame is None:  # finished: its scope is over
            active = active.outer
        elif generator.ag_running:  # running, or awaiting inside: the code reading is its own
            return active
        elif _task_id() == active.task:  # suspended at a yield: the reader is its consumer
            active = active.outer
        else:
            raise PartnerScopeError(
                f"partner {active.partner_id!r} was entered by an async generator that is suspended "
                "at a yield; a task that inherited it cannot tell which partner it should use. "
                "Enter `mdb.partner(...)` in the task itself, or do not yield inside the block"
            )
    return active


def _task_id() -> object:
    import anyio

    try:
        return anyio.get_current_task().id
    except RuntimeError:  # no async library running
        return None


_CONTEXT_MANAGER_ENTER = contextlib._AsyncGeneratorContextManager.__aenter__.__code__


def entering_generator(depth: int = 2) -> Any:
    """The async generator whose frame is ``depth`` frames up, or ``None`` (the common case).

    Called from ``PartnerScope.__aenter__``: a scope entered by an async generator is bound to it.
    """
    frame = sys._getframe(depth)
    if not frame.f_code.co_flags & inspect.CO_ASYNC_GENERATOR:
        return None
    driver = frame.f_back
    if driver is not None and driver.f_code is _CONTEXT_MANAGER_ENTER:
        # ``@asynccontextmanager`` (FastAPI's yield dependencies too): the generator is a context
        # manager, and its scope is meant for the ``async with`` body, as a plain scope is.
        return None
    for candidate in _live_async_generators():
        if candidate.ag_frame is frame:
            return candidate
    for referrer in gc.get_referrers(frame):  # another event loop: slower (a scan of the heap)
        if inspect.isasyncgen(referrer) and referrer.ag_frame is frame:
            return referrer
    return None  # pragma: no cover (every running async generator frame has its generator)


def _live_async_generators() -> list[Any]:
    # asyncio keeps every async generator iterated on its loop (to finalise them at shutdown):
    # a short list to search, where a scan of the heap costs milliseconds.
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return []
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return []
    return list(getattr(loop, "_asyncgens", ()))


def enter_scope(active: Active) -> contextvars.Token[Active | None]:
    """Make ``active`` the partner; bound to the calling async generator if one called (3 frames up)."""
    generator = entering_generator(3)
    if generator is not None:
        active = active._replace(generator=generator, outer=ACTIVE.raw(), task=_task_id())
    return ACTIVE.set(active)


def current_partner() -> str | None:
    """The id of the partner active in this task (``async with mdb.partner(...)``), or ``None``.

    :raises PartnerScopeError: see :class:`PartnerScopeError`.
    """
    active = ACTIVE.get()
    return None if active is None else active.partner_id


__all__ = ["ACTIVE", "Active", "PartnerScopeError", "current_partner", "enter_scope", "entering_generator"]
