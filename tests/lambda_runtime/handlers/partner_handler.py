"""A handler whose DB transport carries a partner label, to check X-Ray's ``partner`` annotation.

Run by the tests under awslambdaric; it reads the example's orders table (``ORDERS_TABLE``).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from dynamorm_async import HashKey, Model, RangeKey
from dynamorm_async.aws_lambda import LambdaDB
from dynamorm_async.transport import build_transport


class PartnerOrder(Model, table=os.environ.get("ORDERS_TABLE", "orders")):
    """The keys and customer of the example's orders (other attributes are not read into it)."""

    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    customer: str


db = LambdaDB(models=[PartnerOrder], transport=build_transport(label=os.environ["PARTNER_LABEL"]), xray=True)


@db.handler
async def handler(event: Any, context: Any) -> Any:
    """Read one order (``{"partner": ..., "order": ...}``) and return its keys and customer."""
    order = await db.manager(PartnerOrder).get(event["partner"], event["order"])
    return order.model_dump(mode="json")
