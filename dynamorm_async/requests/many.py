"""Batch and transaction requests as values: BatchGetItem/BatchWriteItem chunks, transaction bodies.

DynamoDB's per-request limits live here, next to the requests they bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..expressions import Encoder
from .common import Projection, projection_params

if TYPE_CHECKING:
    from ..marshal import Item
    from ..schema import Schema
    from .items import ItemRequest

T = TypeVar("T")

#: DynamoDB's limits per request.
MAX_GET_KEYS = 100
MAX_WRITE_ITEMS = 25
MAX_TRANSACT_ITEMS = 100


def chunks(seq: Sequence[T], size: int) -> list[list[T]]:
    """``seq`` cut into lists of at most ``size`` (the requests of a batch)."""
    return [list(seq[i : i + size]) for i in range(0, len(seq), size)]


def batch_get_template(schema: Schema, *, consistent: bool, projection: Projection | None) -> dict[str, Any]:
    """What every BatchGetItem chunk of one call asks of its table, besides the keys."""
    enc = Encoder()
    template: dict[str, Any] = {}
    if consistent:
        template["ConsistentRead"] = True
    template.update(projection_params(schema, enc, projection))
    template.update(enc.params())  # a projection has names only, never values
    return template


def batch_get_request(table: str, template: dict[str, Any], keys: list[Item]) -> dict[str, Any]:
    """One BatchGetItem request: up to :data:`MAX_GET_KEYS` keys of one table."""
    return {"RequestItems": {table: {**template, "Keys": keys}}}


def batch_write_request(table: str, writes: list[dict[str, Any]]) -> dict[str, Any]:
    """One BatchWriteItem request: up to :data:`MAX_WRITE_ITEMS` puts and deletes of one table."""
    return {"RequestItems": {table: writes}}


def transact_write_request(items: Sequence[ItemRequest], token: str) -> dict[str, Any]:
    """A TransactWriteItems request of staged item requests, with its idempotency token."""
    return {"TransactItems": [r.transact_item() for r in items], "ClientRequestToken": token}


def transact_get_request(items: Sequence[ItemRequest]) -> dict[str, Any]:
    """A TransactGetItems request of GetItem requests."""
    return {"TransactItems": [r.transact_item() for r in items]}


__all__ = [
    "MAX_GET_KEYS",
    "MAX_TRANSACT_ITEMS",
    "MAX_WRITE_ITEMS",
    "batch_get_request",
    "batch_get_template",
    "batch_write_request",
    "chunks",
    "transact_get_request",
    "transact_write_request",
]
