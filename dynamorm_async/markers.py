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


@frozen
class Key:
    """A key attribute composed from fields by a template: ``Key("pk", "CUSTOMER#{customer_id}")``.

    Given as a model's ``hash_key=``/``range_key=`` class keyword or as a ``GSI``/``LSI`` key;
    ``attr`` is the stored attribute (a string, ``S``), ``template`` its
    :class:`~dynamorm_async.keytemplates.KeyTemplate` text, checked when the class is defined.
    """

    attr: str
    template: str


@frozen
class KeyText:
    """How an ``int`` field is written into a key template: ``Annotated[int, KeyText(width=10)]``.

    Zero-padded to ``width`` digits (negatives as ``-`` and their complement), so the text order
    of the keys is the numbers' order; needed for an ``int`` in a sort key template.
    """

    width: int | None = None


Projection = Literal["ALL", "KEYS_ONLY"] | Sequence[str]


@frozen
class GSI:
    """A global secondary index over model fields (Python names) or :class:`Key` templates."""

    name: str
    hash: str | Key
    range: str | Key | None = None
    projection: Projection = "ALL"
    read_capacity: int | None = None
    write_capacity: int | None = None


@frozen
class LSI:
    """A local secondary index: the table's hash key with another sort key."""

    name: str
    range: str | Key
    projection: Projection = "ALL"


__all__ = [
    "GSI",
    "LSI",
    "TTL",
    "Attribute",
    "CreatedAt",
    "HashKey",
    "Key",
    "KeyText",
    "Projection",
    "RangeKey",
    "UpdatedAt",
    "Version",
]
