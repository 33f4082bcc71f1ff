"""Per-partner order statistics kept up to date from the orders table's DynamoDB stream.

Lambda calls ``handler`` with batches of stream records (``NEW_AND_OLD_IMAGES``). Each record
becomes a typed :class:`~dynamorm_async.streams.Change` of ``Order``; the function applies it to
the partner's ``PartnerStats`` item:

* an insert counts one more order and adds its total;
* a modification adds the difference between the new and the old total;
* a removal counts one order less and takes its total away; removals made by the table's time to
  live are also counted as ``expired``.

Lambda delivers records at least once (a batch is retried from its first failure), so each update
is applied only if the record is newer than the last one applied to that partner: the condition
on ``last_sequence`` makes a retried record a no-op. Records of one partner arrive in order and
are handled in order, so that comparison is enough.

Configuration (environment): ``ORDERS_TABLE`` and ``STATS_TABLE``; ``AWS_ENDPOINT_URL_DYNAMODB``
points the client elsewhere (DynamoDB Local, for instance).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated

from dynamorm_async import TTL, ConditionCheckFailed, HashKey, LambdaDB, Model, RangeKey
from dynamorm_async.streams import Change, EventName


class Order(Model, table=os.environ.get("ORDERS_TABLE", "orders")):
    """An order of a partner, as the orders API writes it."""

    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    customer: str
    total_cents: int = 0
    status: str = "new"
    expires_at: Annotated[dt.datetime | None, TTL()] = None


class PartnerStats(Model, table=os.environ.get("STATS_TABLE", "partner_stats")):
    """What the stream keeps per partner: live orders, their total, expired orders, last record."""

    partner_id: Annotated[str, HashKey()]
    orders: int = 0
    total_cents: int = 0
    expired: int = 0
    #: The last sequence number applied, zero-padded so that text order is stream order.
    last_sequence: str = ""


db = LambdaDB(models=[Order, PartnerStats])


@db.stream_handler(Order)
async def handler(change: Change[Order]) -> None:
    """Apply one order change to its partner's statistics, once."""
    s = PartnerStats.attr
    before = change.old.total_cents if change.old is not None else 0
    after = change.new.total_cents if change.new is not None else 0
    actions = [s.total_cents.add(after - before), s.last_sequence.set(change.sequence_number.zfill(40))]
    if change.event_name is EventName.INSERT:
        actions.append(s.orders.add(1))
    elif change.event_name is EventName.REMOVE:
        actions.append(s.orders.add(-1))
        if change.by_ttl:
            actions.append(s.expired.add(1))
    newer = s.last_sequence.not_exists() | (s.last_sequence < change.sequence_number.zfill(40))
    try:
        await db.manager(PartnerStats).update(
            change.keys["partner_id"], *actions, condition=newer, return_values="NONE", upsert=True
        )
    except ConditionCheckFailed:
        pass  # this record was applied already (a retried batch): nothing to do
