"""Declaration markers: what a model's fields are to DynamoDB (``HashKey()``, ``Version()``, ...)
and the indexes a model declares. Plain frozen values; :mod:`~dynamorm_async.schema` reads them
when a model class is defined."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ._frozen import frozen


@frozen
class Attribute:
    """Store a field under another DynamoDB attribute name: ``Annotated[str, Attribute("dn")]``."""

    name: str | None = None


@frozen
class HashKey(Attribute):
    """Marks the table's partition (hash) key."""


@frozen
class RangeKey(Attribute):
    """Marks the table's sort (range) key."""


@frozen
class Version(Attribute):
    """An ``int`` version for optimistic locking: checked and incremented on every write."""


@frozen
class TTL(Attribute):
    """The table's time-to-live attribute: a ``datetime`` or epoch seconds, stored as epoch seconds."""


@frozen
class CreatedAt(Attribute):
    """A ``datetime`` set (UTC) when an item is first put, and kept afterwards."""


@frozen
class UpdatedAt(Attribute):
    """A ``datetime`` set (UTC) on every put and update."""


Projection = Literal["ALL", "KEYS_ONLY"] | Sequence[str]


@frozen
class GSI:
    """A global secondary index over model fields (Python names), with its projection."""

    name: str
    hash: str
    range: str | None = None
    projection: Projection = "ALL"
    read_capacity: int | None = None
    write_capacity: int | None = None


@frozen
class LSI:
    """A local secondary index: the table's hash key with another sort key."""

    name: str
    range: str
    projection: Projection = "ALL"


__all__ = [
    "GSI",
    "LSI",
    "TTL",
    "Attribute",
    "CreatedAt",
    "HashKey",
    "Projection",
    "RangeKey",
    "UpdatedAt",
    "Version",
]
