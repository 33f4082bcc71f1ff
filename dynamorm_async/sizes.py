"""DynamoDB's item size, computed before sending: an item over 400 KB is refused locally."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: DynamoDB's limit on the size of one item.
MAX_ITEM_BYTES = 400 * 1024


def _value_size(av: Mapping[str, Any]) -> int:
    ((tag, raw),) = av.items()
    if tag == "S":
        return len(raw.encode("utf-8"))
    if tag == "N":
        return _number_size(raw)
    if tag == "B":
        return len(raw)
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "SS":
        return sum(len(x.encode("utf-8")) for x in raw)
    if tag == "NS":
        return sum(_number_size(x) for x in raw)
    if tag == "BS":
        return sum(len(x) for x in raw)
    if tag == "L":  # 3 bytes overhead, plus 1 byte per element
        return 3 + sum(1 + _value_size(x) for x in raw)
    if tag == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(v) for k, v in raw.items())
    return 0


def _number_size(raw: str) -> int:
    """1 byte per two significant digits, plus 1 (plus 1 more for a negative number, conservatively)."""
    mantissa = raw.lstrip("+-").partition("E")[0].partition("e")[0].replace(".", "")
    digits = len(mantissa.strip("0")) or 1  # leading and trailing zeros are not stored
    return 1 + (digits + 1) // 2 + (1 if raw.startswith("-") else 0)


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """DynamoDB's documented size of an item in bytes: names plus values."""
    return sum(len(k.encode("utf-8")) + _value_size(v) for k, v in item.items())


__all__ = ["MAX_ITEM_BYTES", "item_size"]
