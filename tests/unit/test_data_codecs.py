"""Numbers over DynamoDB's whole range, the canonical datetime form, decoding of foreign values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynamorm_async.errors import InvalidValue
from dynamorm_async.marshal import canonical_datetime, codec_for, decode_value, deserialize, serialize
from dynamorm_async.numbers import number_text, read_natural


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (10**38, str(10**38)),
        (-(10**38), str(-(10**38))),
        (10**125, str(10**125)),
        (Decimal("1E+38"), "1E+38"),
        (
            Decimal("9.9999999999999999999999999999999999999E+125"),
            "9.9999999999999999999999999999999999999E+125",
        ),
        (Decimal("1E-130"), "1E-130"),
        (Decimal("1." + "0" * 38), "1." + "0" * 38),
    ],
)
def test_dynamodb_numbers_with_trailing_zeros_are_valid(value: Any, text: str) -> None:
    assert number_text(value) == text


@pytest.mark.parametrize("value", [10**38 + 1, 10**126, Decimal("1E-131"), Decimal("1E+126")])
def test_numbers_outside_the_range_or_over_38_digits_are_refused(value: Any) -> None:
    with pytest.raises(InvalidValue):
        number_text(value)


def test_a_39_character_integer_from_dynamodb_reads_exactly() -> None:
    stored = str(10**38)  # how DynamoDB returns Decimal("1E+38")
    assert deserialize({"N": stored}) == Decimal(10**38)
    assert codec_for(Decimal).decode({"N": stored}) == Decimal(10**38)
    assert read_natural(stored) == 10**38


aware = st.datetimes(
    min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9998, 1, 1), timezones=st.timezones()
)


@given(aware, aware)
def test_canonical_text_order_is_time_order(a: dt.datetime, b: dt.datetime) -> None:
    # Instants compared as timestamps: PEP 495 makes times in a DST gap or fold unequal to any
    # time in another zone, so ``==`` between zones is not an instant comparison there.
    ta, tb = canonical_datetime(a), canonical_datetime(b)
    assert (ta < tb) == (a.timestamp() < b.timestamp()) and (ta == tb) == (a.timestamp() == b.timestamp())
    assert dt.datetime.fromisoformat(ta).timestamp() == a.timestamp()


def test_a_naive_datetime_is_utc() -> None:
    naive = dt.datetime(2024, 1, 2, 3, 4, 5)
    assert serialize(naive) == serialize(naive.replace(tzinfo=dt.UTC)) == {"S": "2024-01-02T03:04:05+00:00"}


@pytest.mark.parametrize("annotation", [int, str, bool, bytes, float, Decimal, set[str], dt.datetime])
def test_null_decodes_to_none_and_other_types_fail_typed(annotation: Any) -> None:
    codec = codec_for(annotation)
    assert decode_value(codec, {"NULL": True}) is None
    with pytest.raises(InvalidValue):
        decode_value(codec, {"L": []} if annotation is not set[str] else {"S": "x"})


@pytest.mark.parametrize("wire", [{"S": 5, "N": "1"}, {"L": 3}, {"M": [1]}, {"N": "abc"}, {"SS": 7}])
def test_malformed_attribute_values_fail_typed(wire: Any) -> None:
    with pytest.raises(InvalidValue):
        deserialize(wire)
