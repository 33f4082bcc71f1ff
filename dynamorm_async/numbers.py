"""DynamoDB numbers: Python numbers -> N strings without loss, N strings -> exact Decimals.

DynamoDB stores up to 38 significant digits (leading and trailing zeros do not count) with a
magnitude from 1E-130 to 9.9999999999999999999999999999999999999E+125. ``int(10**38)`` has one
significant digit and is valid; ``Decimal("1E+38")`` comes back as a 39-character integer, so
reads never round: they take the text exactly as DynamoDB sends it.
"""

from __future__ import annotations

from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import NoReturn

from .errors import InvalidValue

#: DynamoDB's number context, the same as boto3's ``DYNAMODB_CONTEXT``.
DYNAMODB_CONTEXT = Context(
    Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow]
)

INT_FAST_LIMIT = 10**38  # ints strictly inside +-10**38 always fit 38 digits exactly
NEG_INT_FAST_LIMIT = -INT_FAST_LIMIT
# DynamoDB's documented number range, as ``Decimal.adjusted()`` exponents of nonzero values.
_MIN_ADJUSTED = -130
_MAX_ADJUSTED = 125
_MAX_DIGITS = 38
_create_decimal = DYNAMODB_CONTEXT.create_decimal


def lossy(value: object, exc: BaseException | None = None) -> NoReturn:
    """Raise :class:`InvalidValue` for a number DynamoDB cannot hold exactly."""
    raise InvalidValue(
        f"number {value!r:.80} cannot be stored in DynamoDB without losing precision "
        "(38 significant digits, magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125)"
    ) from exc


def _exact(value: object, raw: int | str | Decimal) -> str:
    """The slow path: ``raw`` taken exactly, its significant digits counted without trailing zeros."""
    try:
        number = Decimal(raw)
    except (ArithmeticError, ValueError, TypeError) as exc:
        lossy(value, exc)
    if not number.is_finite():
        raise InvalidValue(f"{value!r:.80} cannot be stored in DynamoDB (no NaN or infinity)")
    if not number:
        return str(raw) if type(raw) is int else str(number)
    digits = number.as_tuple().digits
    significant = len(digits)
    while significant and digits[significant - 1] == 0:
        significant -= 1
    if significant > _MAX_DIGITS or not _MIN_ADJUSTED <= number.adjusted() <= _MAX_ADJUSTED:
        lossy(value)
    return str(raw) if type(raw) is int else str(number)


def checked(value: object, raw: int | str | Decimal) -> str:
    """``raw`` as DynamoDB's N string, or :class:`InvalidValue` (``value`` is for messages)."""
    try:
        number = _create_decimal(raw)
    except (ArithmeticError, ValueError, TypeError):
        return _exact(value, raw)  # rounded trailing zeros (10**38) are fine; the rest is refused
    text = str(number)
    # A finite number always ends in a digit ("NaN", "Infinity" do not), and str() only uses an
    # exponent when the magnitude could be outside DynamoDB's range, so the common case costs two
    # string tests.
    if text[-1] > "9" or "E" in text:
        return _exact(value, raw)
    return text


def number_text(value: int | Decimal | float) -> str:
    """Format a number as DynamoDB's N string, refusing any loss of precision."""
    if type(value) is int:
        if NEG_INT_FAST_LIMIT < value < INT_FAST_LIMIT:
            return str(value)
        return checked(value, value)
    if type(value) is float:
        # repr() is the shortest string that reads back as the same float ("inf"/"nan" are refused).
        return checked(value, repr(value))
    if isinstance(value, bool):
        raise InvalidValue(f"{value!r} is a bool, not a number")
    if isinstance(value, int):  # int subclasses: their str() may be anything, use the int itself
        return number_text(int(value))
    if isinstance(value, float):
        return checked(value, repr(float(value)))
    if isinstance(value, Decimal):
        return checked(value, value)
    raise InvalidValue(f"{type(value).__name__} {value!r:.80} is not a number")


def read_decimal(raw: str) -> Decimal:
    """An N string as DynamoDB sent it, exactly (no context: nothing is rounded or refused)."""
    return Decimal(raw)


def read_natural(raw: str) -> int | Decimal:
    """An N string as ``int`` when it is an integer literal, else as an exact ``Decimal``."""
    if raw.isdigit() or (raw[:1] == "-" and raw[1:].isdigit()):
        return int(raw)
    return Decimal(raw)


__all__ = [
    "DYNAMODB_CONTEXT",
    "INT_FAST_LIMIT",
    "NEG_INT_FAST_LIMIT",
    "checked",
    "lossy",
    "number_text",
    "read_decimal",
    "read_natural",
]
