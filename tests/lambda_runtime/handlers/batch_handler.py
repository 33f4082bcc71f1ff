"""A handler that writes many orders with one ``batch_write`` (or scans them in parallel), to see
how many requests run at once.

Run by the tests under awslambdaric; it writes to the example's orders table (``ORDERS_TABLE``).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from dynamorm_async import HashKey, Model, RangeKey
from dynamorm_async.aws_lambda import LambdaDB


class BatchOrder(Model, table=os.environ.get("ORDERS_TABLE", "orders")):
    """The example's order keys and a customer name."""

    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    customer: str


db = LambdaDB(models=[BatchOrder])


@db.handler
async def handler(event: Any, context: Any) -> Any:
    """Write ``{"partner": ..., "count": n}`` orders in one batch call; return how many were written.

    ``{"segments": n}`` instead counts the table's items with a parallel scan of ``n`` segments.
    """
    if "segments" in event:
        return {"counted": await db.manager(BatchOrder).scan().parallel(event["segments"]).count()}
    orders = [
        BatchOrder(partner_id=event["partner"], order_id=f"b{n:05d}", customer="batch")
        for n in range(event["count"])
    ]
    result = await db.manager(BatchOrder).batch_write(put=orders)
    return {"written": len(orders), "result": type(result).__name__}
