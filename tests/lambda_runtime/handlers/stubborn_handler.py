"""A handler written the way a new user might: it catches ``Exception`` around calls, in a loop.

Every iteration does some blocking work (``time.sleep``, as synchronous code would) and then one
GetItem; any error is counted and ignored. The loop never ends by itself: only the library's
deadline scope can stop it, by delivering its cancellation when a call refused at the deadline
yields to the event loop. The timeout answer reports how many calls were made and refused.
"""

from __future__ import annotations

import os
import time
from typing import Annotated, Any

from dynamorm_async import HashKey, Model, RangeKey
from dynamorm_async.aws_lambda import LambdaDB

COUNTS = {"calls": 0, "errors": 0}


class StubbornOrder(Model, table=os.environ.get("ORDERS_TABLE", "orders")):
    """The example table's keys."""

    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]


db = LambdaDB(models=[StubbornOrder])


def on_timeout(event: Any, context: Any, error: Exception) -> dict[str, Any]:
    """The answer when the deadline stops the handler: what the loop went through."""
    return {"stopped": type(error).__name__, **COUNTS}


@db.handler(buffer=float(os.environ.get("DEADLINE_BUFFER", "1.0")), on_timeout=on_timeout)
async def handler(event: Any, context: Any) -> Any:
    """Read one order over and over, swallowing every error."""
    COUNTS.update(calls=0, errors=0)
    orders = db.manager(StubbornOrder)
    while True:
        time.sleep(0.005)  # noqa: ASYNC251 (deliberate blocking work: the deadline passes here)
        COUNTS["calls"] += 1
        try:
            await orders.get_or_none("nobody", "nothing")
        except Exception:
            COUNTS["errors"] += 1
