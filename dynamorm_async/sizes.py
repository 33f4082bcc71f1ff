"""DynamoDB's item size, computed before sending: an item over 400 KB is refused locally."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import InvalidValue

#: DynamoDB's limit on the size of one item.
MAX_ITEM_BYTES = 400 * 1024


#: DynamoDB's limits on document nesting and attribute (and map key) names.
MAX_DEPTH = 32
MAX_NAME_BYTES = 65_535


def _text_size(text: str) -> int:
    if text.isascii():  # the common case: one byte per character, no surrogate possible
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate: DynamoDB (and JSON) cannot carry it
        raise InvalidValue(f"the string {text!r:.60} is not valid Unicode (lone surrogate)") from exc


def _name_size(name: str) -> int:
    size = len(name) if name.isascii() else _text_size(name)
    if not size:
        raise InvalidValue("DynamoDB refuses an empty map key or attribute name")
    if size > MAX_NAME_BYTES:
        raise InvalidValue(
            f"an attribute name or map key is {size} bytes; DynamoDB's limit is {MAX_NAME_BYTES}"
        )
    return size


def _value_size(av: Mapping[str, Any], depth: int = 1) -> int:
    """The value's size; refuses what DynamoDB refuses while walking it (bad text, empty or long
    map keys, values nested deeper than 32 levels)."""
    ((tag, raw),) = av.items()
    if tag == "S":
        return len(raw) if raw.isascii() else _text_size(raw)
    if tag == "N":
        return _number_size(raw)
    if tag == "B":
        return len(raw)
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "SS":
        return sum(_text_size(x) for x in raw)
    if tag == "NS":
        return sum(_number_size(x) for x in raw)
    if tag == "BS":
        return sum(len(x) for x in raw)
    if depth >= MAX_DEPTH and tag in ("L", "M"):
        raise InvalidValue(f"a value is nested deeper than DynamoDB's {MAX_DEPTH} levels")
    total = 3  # a list or map: 3 bytes overhead, plus 1 byte per element and the elements
    if tag == "L":
        for x in raw:
            ((t, r),) = x.items()
            # ASCII strings, the common element, are sized inline: no call per element
            total += 1 + (len(r) if t == "S" and r.isascii() else _value_size(x, depth + 1))
        return total
    if tag == "M":
        for k, v in raw.items():
            ((t, r),) = v.items()
            name = len(k) if k.isascii() and 0 < len(k) <= MAX_NAME_BYTES else _name_size(k)
            total += 1 + name + (len(r) if t == "S" and r.isascii() else _value_size(v, depth + 1))
        return total
    return 0


def value_size(av: Mapping[str, Any]) -> int:
    """One AttributeValue's size, checked as :func:`item_size` checks an item's values."""
    return _value_size(av)


def _number_size(raw: str) -> int:
    """DynamoDB's size of a number: 1 byte, plus 1 per base-100 digit pair of the significant
    digits aligned on the decimal point (``1.5`` is ``01.50``: 3 bytes, ``123.456`` is 5, ``0`` is
    1), plus 1 for a negative number. Leading and trailing zeros are not stored."""
    digits_only = raw[1:] if raw[:1] == "-" else raw
    if digits_only.isascii() and digits_only.isdigit():  # an integer: no Decimal needed
        significant = digits_only.lstrip("0")
        if not significant:
            return 1
        count = len(significant.rstrip("0"))
        zeros = len(significant) - count  # trailing zeros: the exponent of the last digit kept
        return 1 + ((zeros + count - 1) // 2 - zeros // 2 + 1) + (digits_only is not raw)
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


def attribute_size(name: str, av: Mapping[str, Any]) -> int:
    """One attribute's share of :func:`item_size` (its name and its value), checked the same way."""
    ((t, r),) = av.items()
    size = len(name) if name.isascii() and 0 < len(name) <= MAX_NAME_BYTES else _name_size(name)
    return size + (len(r) if t == "S" and r.isascii() else _value_size(av))


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """DynamoDB's documented size of an item in bytes: names plus values."""
    total = 0
    for k, v in item.items():
        ((t, r),) = v.items()
        name = len(k) if k.isascii() and 0 < len(k) <= MAX_NAME_BYTES else _name_size(k)
        total += name + (len(r) if t == "S" and r.isascii() else _value_size(v))
    return total


__all__ = [
    "MAX_DEPTH",
    "MAX_ITEM_BYTES",
    "MAX_NAME_BYTES",
    "attribute_size",
    "item_size",
    "value_size",
]
