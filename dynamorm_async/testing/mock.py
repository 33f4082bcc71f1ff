"""``MockTransport``: a transport that hands each request to a function, for unit tests of request shapes.

In the spirit of ``httpx.MockTransport``::

    def handler(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "GetItem":
            return {"Item": {"pk": {"S": "p1"}}}
        return {}

    transport = MockTransport(handler)
    db = DB(transport=transport)
    await db.manager(Order).get("p1")
    assert transport.calls[0].params["Key"] == {"pk": {"S": "p1"}}

The handler may be sync or async; it returns DynamoDB's response as a dict, or raises one of the
library's errors (``ConditionCheckFailed(...)``, ``Throttled(...)``) to play DynamoDB refusing.
Every call is recorded, with a deep copy of its parameters, in :attr:`MockTransport.calls`.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

#: What a handler gets (operation, params) and gives back (the response, or an awaitable of it).
Handler = Callable[[str, dict[str, Any]], "dict[str, Any] | Awaitable[dict[str, Any]]"]


@dataclass(frozen=True, slots=True)
class MockCall:
    """One request the mock transport received."""

    operation: str
    params: dict[str, Any]
    table: str | None = None


class MockTransport:
    """A transport whose every call is answered by ``handler(operation, params)`` and recorded."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        #: Every call received, in order.
        self.calls: list[MockCall] = []
        #: Whether :meth:`close` was called.
        self.closed = False

    async def call(
        self, operation: str, params: dict[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        """Record the call, then answer it with the handler's response (or its error)."""
        self.calls.append(MockCall(operation, copy.deepcopy(params), table))
        result = self.handler(operation, params)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, dict):
            raise TypeError(f"a MockTransport handler returns a dict, not {type(result).__name__}")
        return result

    async def close(self) -> None:
        """Mark the transport closed (nothing to release)."""
        self.closed = True

    def operations(self) -> list[str]:
        """The operations called, in order (handy in assertions)."""
        return [c.operation for c in self.calls]


__all__ = ["Handler", "MockCall", "MockTransport"]
