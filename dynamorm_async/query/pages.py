"""The one pagination loop: every response of a Query or Scan, page after page.

Query and scan iteration, ``page()``, ``count()`` and each parallel scan segment all read through
:func:`pages`; they differ only in where they start, what ``Limit`` each request asks for, and
what they do with the responses.

Each of them first calls :func:`bind` on the manager's transport, once, when it starts, and sends
every later request (every page, every segment) through what it returned. A transport that picks
its destination per call from the calling context (one account among several) thereby keeps one
result stream in one place: the second page goes where the first went, whatever is active when
the consumer asks for it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..requests import page_request

if TYPE_CHECKING:
    from anyio import CapacityLimiter

    from ..marshal import Item
    from ..requests import ReadPlan
    from ..transport import Transport

M = TypeVar("M")


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    """One page of results and the cursor for the next one (``None`` after the last page).

    A plain dataclass: FastAPI (pydantic) can serialise ``Page[Order]`` as a response model.
    DynamoDB may report more results when the last page ended exactly at the end; the page after
    such a cursor is then empty, with ``cursor=None``.
    """

    items: list[M]
    cursor: str | None = None

    def __iter__(self) -> Iterator[M]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_more(self) -> bool:
        """Whether a next page may exist (a cursor was returned)."""
        return self.cursor is not None


#: ``transport.call``: sends one request and returns DynamoDB's response.
Call = Callable[..., Awaitable[dict[str, Any]]]


def bind(transport: Transport) -> Transport:
    """The transport to send a whole read through: ``transport.bind()`` if it has one, else itself.

    ``bind()`` is optional on a transport (see :class:`~dynamorm_async.transport.Transport`).
    """
    binder = getattr(transport, "bind", None)
    if binder is None:
        return transport
    bound: Transport = binder()
    return bound


def label_of(transport: Transport) -> str | None:
    """The label of a (bound) transport, or ``None``: whom its cursors belong to."""
    label = getattr(transport, "label", None)
    return label if isinstance(label, str) else None


async def pages(
    call: Call,
    plan: ReadPlan,
    *,
    start: Item | None = None,
    limit: Callable[[], int | None] | None = None,
    limiter: CapacityLimiter | None = None,
) -> AsyncGenerator[dict[str, Any], None]:
    """Each response of ``plan``, from ``start``, until DynamoDB returns no ``LastEvaluatedKey``.

    ``limit`` is asked before each request for its ``Limit`` (callers that stop after some items
    ask for no more than they still need); ``limiter`` is held only while a request is in flight.
    A caller that stops early should close the generator (``contextlib.aclosing``).
    """
    while True:
        request = page_request(plan, start, None if limit is None else limit())
        if limiter is None:
            response = await call(plan.operation, request, table=plan.table)
        else:
            async with limiter:
                response = await call(plan.operation, request, table=plan.table)
        yield response
        start = response.get("LastEvaluatedKey") or None
        if start is None:
            return


__all__ = ["Call", "Page", "bind", "label_of", "pages"]
