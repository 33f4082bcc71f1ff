"""The one pagination loop: every response of a Query or Scan, page after page.

Query and scan iteration, ``page()``, ``count()`` and each parallel scan segment all read through
:func:`pages`; they differ only in where they start, what ``Limit`` each request asks for, and
what they do with the responses.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..requests import page_request

if TYPE_CHECKING:
    from anyio import CapacityLimiter

    from ..marshal import Item
    from ..requests import ReadPlan

#: ``transport.call``: sends one request and returns DynamoDB's response.
Call = Callable[..., Awaitable[dict[str, Any]]]


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


__all__ = ["Call", "pages"]
