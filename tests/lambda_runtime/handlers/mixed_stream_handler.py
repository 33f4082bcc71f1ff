"""A DynamoDB Streams handler for a table shared by two models, run under awslambdaric.

``StreamRouter.for_models`` sends each record to the handler of the model its discriminator
names; every change handled is written to the effects table under its sequence number, with the
model it was decoded into, so the test can see which handler got which record.
"""

from __future__ import annotations

from typing import Annotated

from dynamorm_async import HashKey, Model, RangeKey
from dynamorm_async.aws_lambda import LambdaDB
from dynamorm_async.streams import Change, StreamRouter

#: The tables the test creates before starting the function.
MIXED_TABLE = "lambda_stream_mixed"
SEEN_TABLE = "lambda_stream_mixed_seen"


class Shop(Model, table=MIXED_TABLE, discriminator="SHOP"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str


class Sale(Model, table=MIXED_TABLE, discriminator="SALE"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    amount: int = 0


class Seen(Model, table=SEEN_TABLE):
    """The record with this sequence number was handled as ``model``, with ``detail`` from its item."""

    sequence_number: Annotated[str, HashKey()]
    model: str
    detail: str


db = LambdaDB(models=[Shop, Sale, Seen])


async def shop_changed(change: Change[Shop]) -> None:
    """Record the shop's name."""
    assert change.item is not None
    await db.manager(Seen).put(
        Seen(sequence_number=change.sequence_number, model="Shop", detail=change.item.name)
    )


async def sale_changed(change: Change[Sale]) -> None:
    """Record the sale's amount."""
    assert change.item is not None
    detail = str(change.item.amount)
    await db.manager(Seen).put(Seen(sequence_number=change.sequence_number, model="Sale", detail=detail))


handler = db.stream_handler(StreamRouter.for_models({Shop: shop_changed, Sale: sale_changed}))
