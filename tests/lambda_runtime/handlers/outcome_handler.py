"""A handler whose ``batch_write`` may be cut off by the deadline; it answers with the three sets.

Run by the tests under awslambdaric; it writes to the example's orders table (``ORDERS_TABLE``).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from dynamorm_async import DeadlinePartialFailure, HashKey, Model, RangeKey
from dynamorm_async.aws_lambda import LambdaDB


class OutcomeOrder(Model, table=os.environ.get("ORDERS_TABLE", "orders")):
    """The example's order keys and a customer name."""

    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    customer: str


db = LambdaDB(models=[OutcomeOrder])


@db.handler
async def handler(event: Any, context: Any) -> Any:
    """Write ``{"partner": ..., "count": n}`` orders; answer which were done, not done, in doubt."""
    orders = [
        OutcomeOrder(partner_id=event["partner"], order_id=f"o{n:05d}", customer="outcome")
        for n in range(event["count"])
    ]
    try:
        result = await db.manager(OutcomeOrder).batch_write(put=orders)
    except DeadlinePartialFailure as failure:
        result = failure.result
        left = context.get_remaining_time_in_millis()
        return {
            "timed_out": True,
            "done": [o.order_id for o in result.done],
            "not_done": [o.order_id for o in result.not_done],
            "in_doubt": [o.order_id for o in result.in_doubt],
            "remaining_ms": left,
        }
    return {"timed_out": False, "done": [o.order_id for o in result.done], "not_done": [], "in_doubt": []}
