"""DynamoDB's item size, computed before sending: an item over 400 KB is refused locally."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
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
    """DynamoDB's size of a number: 1 byte, plus 1 per base-100 digit pair of the significant
    digits aligned on the decimal point (``1.5`` is ``01.50``: 3 bytes, ``123.456`` is 5, ``0`` is
    1), plus 1 for a negative number. Leading and trailing zeros are not stored."""
    try:
        number = Decimal(raw)
    except ArithmeticError:
        return 21  # not a number DynamoDB takes; counted at its largest
    if not number.is_finite() or not number:
        return 1
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    count = len(digits)
    while count and digits[count - 1] == 0:
        count -= 1
        exponent += 1
    low = exponent // 2  # the pair holding the least significant digit
    high = (exponent + count - 1) // 2  # the pair holding the most significant one
    return 1 + (high - low + 1) + sign


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """DynamoDB's documented size of an item in bytes: names plus values."""
    return sum(len(k.encode("utf-8")) + _value_size(v) for k, v in item.items())


__all__ = ["MAX_ITEM_BYTES", "item_size"]
