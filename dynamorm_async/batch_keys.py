"""Key identities within one batch write: which writes name the same item, and which write an
unprocessed item DynamoDB handed back is."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from typing import Any

from .marshal import Item
from .requests import key_from_item, key_id


def call_key_id(attrs: tuple[str, ...], key: Mapping[str, Any]) -> Hashable:
    """A key's identity within one batch write: for a key of text attributes (the common one) the
    tuple of its texts in ``attrs`` order, else :func:`~dynamorm_async.requests.key_id` (numbers
    by value). The two never compare equal (``key_id`` holds tuples, not texts)."""
    if len(key) == len(attrs):
        texts = []
        for attr in attrs:
            av = key.get(attr)
            raw = av.get("S") if av is not None and len(av) == 1 else None
            if type(raw) is not str:
                break
            texts.append(raw)
        else:
            return tuple(texts)
    return key_id(key)


def write_key(key_attrs: Collection[str], write: Mapping[str, Any]) -> Item:
    """The key of one BatchWriteItem member (a ``PutRequest`` or a ``DeleteRequest``)."""
    if "PutRequest" in write:
        return key_from_item(key_attrs, write["PutRequest"]["Item"])
    key: Item = write["DeleteRequest"]["Key"]
    return key


__all__ = ["call_key_id", "write_key"]
