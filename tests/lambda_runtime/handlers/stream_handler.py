"""A DynamoDB Streams handler run by the stream tests under awslambdaric.

Each order's ``action`` tells the handler what to do with its change: ``"raise"`` fails it,
``"sleep:<seconds>"`` takes that long first. Every change handled counts one side effect: an
``ADD 1`` on the record's own counter item in the effects table, so the tests can see that each
record was processed exactly once, or not at all.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from dynamorm_async import HashKey, Model, RangeKey
from dynamorm_async.aws_lambda import LambdaDB
from dynamorm_async.streams import Change

#: The tables the stream tests create (with boto3) before starting the function.
ORDERS_TABLE = "lambda_stream_orders"
EFFECTS_TABLE = "lambda_stream_effects"


class StreamOrder(Model, table=ORDERS_TABLE):
    """An order whose ``action`` steers the handler."""

    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    total: int = 0
    action: str = ""


class Effect(Model, table=EFFECTS_TABLE):
    """How many times the record with this sequence number was handled."""

    sequence_number: Annotated[str, HashKey()]
    count: int = 0


db = LambdaDB(models=[StreamOrder, Effect])


@db.stream_handler(StreamOrder)
async def handler(change: Change[StreamOrder]) -> None:
    """Follow the order's ``action``, then count the record as handled."""
    order = change.item
    action = order.action if order is not None else ""
    if action.startswith("sleep:"):
        await asyncio.sleep(float(action.removeprefix("sleep:")))
    if action == "raise":
        raise RuntimeError(f"order {change.keys['order_id']} is told to fail")
    await db.manager(Effect).update(
        change.sequence_number, Effect.attr.count.add(1), return_values="NONE", upsert=True
    )
