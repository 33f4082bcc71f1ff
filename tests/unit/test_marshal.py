"""Tests for ``dynamorm_async.marshal``: Python values <-> DynamoDB AttributeValues.

boto3's ``TypeSerializer`` / ``TypeDeserializer`` are the reference: for every value boto3 accepts
(and DynamoDB can hold) our output must be identical, down to the types and the order of lists.
"""

from __future__ import annotations

import collections
import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, NamedTuple, Optional, Union, cast

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamorm_async.errors import InvalidInput, InvalidValue
from dynamorm_async.marshal import (
    DYNAMODB_CONTEXT,
    GENERIC,
    MAX_ITEM_BYTES,
    Codec,
    codec_for,
    deserialize,
    deserialize_item,
    item_size,
    serialize,
    serialize_item,
)

BOTO_SER = TypeSerializer()
_BOTO_DE = TypeDeserializer()


def boto_deserialize(wire: Mapping[str, Any]) -> Any:
    """boto3's deserializer on a plain dict (its stubs want their own TypedDict)."""
    return _BOTO_DE.deserialize(cast(Any, wire))


PROPERTY_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
# Whole items are several values each: fewer examples keep the suite quick.
ITEM_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=150)

# --------------------------------------------------------------------------- strict comparison


def canon(value: Any) -> Any:
    """A form in which equal means equal *including types and representation*.

    ``==`` alone would call ``True == 1``, ``Decimal("1.0") == Decimal("1")`` and ``b"" == Binary(b"")``
    equal; here each leaf is compared as (type name, repr). Dict order and list order count; sets are
    compared as sets. boto3's ``Binary`` wrapper is the only thing normalised: to its ``.value`` as
    ``bytes`` (it wraps whatever it was given; botocore hands the deserializer ``bytes``, and ours
    always returns ``bytes``).
    """
    if isinstance(value, Binary):
        return canon(bytes(cast(Any, value).value))  # its stubs leave out .value
    if isinstance(value, dict):
        return ("dict", tuple((canon(k), canon(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(canon(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, tuple(sorted(repr(canon(v)) for v in value)))
    return (type(value).__name__, repr(value))


def assert_identical(ours: Any, theirs: Any) -> None:
    assert canon(ours) == canon(theirs), f"\nours:   {ours!r}\ntheirs: {theirs!r}"


# --------------------------------------------------------------------------- strategies

MAX_INT = 10**38 - 1


@st.composite
def dynamo_decimals(draw: st.DrawFn) -> Decimal:
    """Decimals DynamoDB holds and boto3 accepts: <= 38 digits, 1E-130 <= |x| < 1E+126."""
    coefficient = draw(st.integers(0, MAX_INT) | st.sampled_from([0, 1, 5, 10, 100, MAX_INT, 10**37]))
    digits = tuple(int(c) for c in str(coefficient))
    if coefficient == 0:
        exponent = draw(st.integers(-20, 20))
    else:
        # adjusted exponent (exponent + digits - 1) in [-130, 125]; and exponent >= Etiny (-165)
        low = max(-130 - (len(digits) - 1), DYNAMODB_CONTEXT.Etiny())
        exponent = draw(st.integers(low, 125 - (len(digits) - 1)))
    return Decimal((draw(st.booleans()), digits, exponent))


ints = st.integers(-MAX_INT, MAX_INT) | st.sampled_from([0, -1, MAX_INT, -MAX_INT, 10**37, 2**64, -(2**63)])
numbers = ints | dynamo_decimals()
texts = st.text(max_size=30)
names = texts.filter(bool)  # DynamoDB refuses empty attribute names and map keys
blobs = st.binary(max_size=30)

scalars = st.one_of(
    texts,
    ints,
    dynamo_decimals(),
    st.booleans(),
    st.none(),
    blobs,
    blobs.map(bytearray),
)
sets = st.one_of(
    st.sets(texts, min_size=1, max_size=8),
    st.frozensets(texts, min_size=1, max_size=8),
    st.sets(numbers, min_size=1, max_size=8),
    st.sets(blobs, min_size=1, max_size=8),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=6),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(names, children, max_size=6),
    )


values = st.recursive(st.one_of(scalars, sets), _containers, max_leaves=30)
"""Any value boto3 serializes and DynamoDB stores, nested a few levels deep."""


# --------------------------------------------------------------------------- every DynamoDB type


class Point(NamedTuple):
    x: int
    y: int


SERIALIZE_CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("S", "hello", {"S": "hello"}),
    ("S empty", "", {"S": ""}),
    ("S unicode", "Grüße 🌍", {"S": "Grüße 🌍"}),
    ("N int", 42, {"N": "42"}),
    ("N negative int", -7, {"N": "-7"}),
    ("N zero", 0, {"N": "0"}),
    ("N 38 digits", MAX_INT, {"N": "9" * 38}),
    ("N -38 digits", -MAX_INT, {"N": "-" + "9" * 38}),
    ("N decimal", Decimal("3.14"), {"N": "3.14"}),
    ("N decimal keeps trailing zeros", Decimal("1.500"), {"N": "1.500"}),
    ("N decimal exponent", Decimal("1E+5"), {"N": "1E+5"}),
    ("N decimal negative zero", Decimal("-0"), {"N": "-0"}),
    ("N smallest magnitude", Decimal("1E-130"), {"N": "1E-130"}),
    ("N negative smallest", Decimal("-1E-130"), {"N": "-1E-130"}),
    ("N largest magnitude", Decimal("9." + "9" * 37 + "E+125"), {"N": "9." + "9" * 37 + "E+125"}),
    ("B bytes", b"\x00\xffabc", {"B": b"\x00\xffabc"}),
    ("B empty", b"", {"B": b""}),
    ("BOOL true", True, {"BOOL": True}),
    ("BOOL false", False, {"BOOL": False}),
    ("NULL", None, {"NULL": True}),
    ("L", [1, "a", None], {"L": [{"N": "1"}, {"S": "a"}, {"NULL": True}]}),
    ("L empty", [], {"L": []}),
    ("L from tuple", ("a", True), {"L": [{"S": "a"}, {"BOOL": True}]}),
    ("L from namedtuple", Point(1, 2), {"L": [{"N": "1"}, {"N": "2"}]}),
    ("M", {"a": 1, "b": "x"}, {"M": {"a": {"N": "1"}, "b": {"S": "x"}}}),
    ("M empty", {}, {"M": {}}),
    ("M OrderedDict", collections.OrderedDict(z=1), {"M": {"z": {"N": "1"}}}),
    ("SS one", {"only"}, {"SS": ["only"]}),
    ("NS one int", {7}, {"NS": ["7"]}),
    ("NS one decimal", frozenset({Decimal("2.50")}), {"NS": ["2.50"]}),
    ("BS one", {b"\x01"}, {"BS": [b"\x01"]}),
    (
        "nested",
        {"a": [{"b": {"c": [None, {"d": {b"x"}}]}}]},
        {
            "M": {
                "a": {
                    "L": [
                        {"M": {"b": {"M": {"c": {"L": [{"NULL": True}, {"M": {"d": {"BS": [b"x"]}}}]}}}}},
                    ]
                }
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("value", "expected"), [c[1:] for c in SERIALIZE_CASES], ids=[c[0] for c in SERIALIZE_CASES]
)
def test_serialize_each_type(value: Any, expected: dict[str, Any]) -> None:
    assert_identical(serialize(value), expected)


@pytest.mark.parametrize(
    ("value", "expected"), [c[1:] for c in SERIALIZE_CASES], ids=[c[0] for c in SERIALIZE_CASES]
)
def test_table_cases_match_boto3(value: Any, expected: dict[str, Any]) -> None:
    assert_identical(serialize(value), BOTO_SER.serialize(value))


@pytest.mark.parametrize(
    ("value", "tag", "members"),
    [
        ({"b", "a", "c"}, "SS", ["a", "b", "c"]),
        (frozenset({"x", "y"}), "SS", ["x", "y"]),
        ({3, 1, 2}, "NS", ["1", "2", "3"]),
        ({Decimal("0.5"), 2, Decimal("-1E+10")}, "NS", ["-1E+10", "0.5", "2"]),
        ({0.5, 1.25}, "NS", ["0.5", "1.25"]),
        ({b"b", b"a"}, "BS", [b"a", b"b"]),
    ],
)
def test_sets(value: Any, tag: str, members: list[Any]) -> None:
    out = serialize(value)
    assert list(out) == [tag]
    assert sorted(out[tag]) == members
    assert all(type(m) is type(members[0]) for m in out[tag])


def test_set_order_is_the_sets_own_iteration_order() -> None:
    value = {f"member-{i}" for i in range(50)}
    assert serialize(value) == {"SS": list(value)}
    assert serialize(value) == BOTO_SER.serialize(value)


def test_bytearray_is_passed_through_like_boto3() -> None:
    value = bytearray(b"abc")
    assert serialize(value)["B"] is value
    assert BOTO_SER.serialize(value)["B"] is value


def test_mapping_views_and_subclasses_match_boto3() -> None:
    d = {"k1": 1, "k2": 2}
    for value in (d.keys(), collections.defaultdict(int, d), collections.OrderedDict(d)):
        assert_identical(serialize(value), BOTO_SER.serialize(value))


def test_str_subclass_is_a_string() -> None:
    class Tag(str):
        pass

    assert serialize(Tag("t")) == {"S": "t"}
    assert serialize({Tag("k"): 1}) == {"M": {"k": {"N": "1"}}}


def test_int_subclass_uses_its_integer_value() -> None:
    class Weird(int):
        def __str__(self) -> str:
            return "not a number"

    assert serialize(Weird(12)) == {"N": "12"}
    assert serialize({Weird(3)}) == {"NS": ["3"]}


def test_float_and_decimal_subclasses() -> None:
    class F(float):
        pass

    class D(Decimal):
        pass

    assert serialize(F(0.25)) == {"N": "0.25"}
    assert serialize(D("1.50")) == {"N": "1.50"}


def test_serialize_item_and_deserialize_item() -> None:
    python = {"pk": "user#1", "n": 3, "tags": {"a"}, "none": None, "m": {"x": [Decimal("1.5")]}}
    wire = serialize_item(python)
    assert_identical(wire, {k: BOTO_SER.serialize(v) for k, v in python.items()})
    assert_identical(deserialize_item(wire), {k: boto_deserialize(v) for k, v in wire.items()})
    assert deserialize_item(wire)["n"] == Decimal(3)


def test_serialize_item_keeps_none_and_handles_other_types() -> None:
    class Color(enum.Enum):
        RED = "red"

    out = serialize_item({"a": None, "c": Color.RED, "k": collections.OrderedDict(x=1)})
    assert out == {"a": {"NULL": True}, "c": {"S": "red"}, "k": {"M": {"x": {"N": "1"}}}}


# --------------------------------------------------------------------------- against boto3, generated


@PROPERTY_SETTINGS
@given(values)
def test_serialize_is_identical_to_boto3(value: Any) -> None:
    assert_identical(serialize(value), BOTO_SER.serialize(value))


@ITEM_SETTINGS
@given(st.dictionaries(texts, values, max_size=6))
def test_serialize_item_is_identical_to_boto3(item: dict[str, Any]) -> None:
    assert_identical(serialize_item(item), {k: BOTO_SER.serialize(v) for k, v in item.items()})


@PROPERTY_SETTINGS
@given(values)
def test_deserialize_agrees_with_boto3(value: Any) -> None:
    wire = BOTO_SER.serialize(value)
    assert_identical(deserialize(wire), boto_deserialize(wire))


def expected_roundtrip(value: Any, natural: bool = False) -> Any:
    """What a value reads back as: numbers as Decimal (or int), bytes-likes as bytes, tuples as lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if natural else Decimal(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return [expected_roundtrip(v, natural) for v in value]
    if isinstance(value, dict):
        return {k: expected_roundtrip(v, natural) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return {expected_roundtrip(v, natural) for v in value}
    raise AssertionError(f"unexpected generated value {value!r}")


@PROPERTY_SETTINGS
@given(values)
def test_roundtrip(value: Any) -> None:
    assert_identical(deserialize(serialize(value)), expected_roundtrip(value))


@PROPERTY_SETTINGS
@given(values.filter(lambda v: "Decimal" not in repr(v)))
def test_roundtrip_natural_numbers(value: Any) -> None:
    # Ints come back as ints in "natural" mode (Decimals may come back as ints: 1E+2 is integral).
    assert_identical(
        deserialize(serialize(value), numbers="natural"), expected_roundtrip(value, natural=True)
    )


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"S": "x"}, "x"),
        ({"N": "10"}, Decimal("10")),
        ({"N": "-1.50"}, Decimal("-1.50")),
        ({"B": b"\x00"}, b"\x00"),
        ({"BOOL": False}, False),
        ({"NULL": True}, None),
        ({"L": [{"N": "1"}, {"S": "a"}]}, [Decimal(1), "a"]),
        ({"M": {"k": {"BOOL": True}}}, {"k": True}),
        ({"SS": ["a", "b"]}, {"a", "b"}),
        ({"NS": ["1", "2.5"]}, {Decimal(1), Decimal("2.5")}),
        ({"BS": [b"a", b"b"]}, {b"a", b"b"}),
        ({"M": {"a": {"L": [{"M": {"b": {"NS": ["3"]}}}]}}}, {"a": [{"b": {Decimal(3)}}]}),
    ],
)
def test_deserialize_each_type(wire: dict[str, Any], expected: Any) -> None:
    assert_identical(deserialize(wire), expected)
    assert_identical(deserialize(wire), boto_deserialize(wire))


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"N": "10"}, 10),
        ({"N": "-3"}, -3),
        ({"N": "1.5"}, Decimal("1.5")),
        ({"N": "1E+2"}, Decimal("1E+2")),
        ({"NS": ["1", "2.5"]}, {1, Decimal("2.5")}),
        ({"L": [{"N": "7"}]}, [7]),
        ({"M": {"n": {"N": "-0.25"}}}, {"n": Decimal("-0.25")}),
    ],
)
def test_deserialize_natural_numbers(wire: dict[str, Any], expected: Any) -> None:
    assert_identical(deserialize(wire, numbers="natural"), expected)


def test_deserialize_binary_wrapper_values() -> None:
    # botocore may hand over bytearray-like values; we always give bytes back.
    assert_identical(deserialize({"B": bytearray(b"ab")}), b"ab")
    assert_identical(deserialize({"BS": [bytearray(b"ab")]}), {b"ab"})


@pytest.mark.parametrize("wire", [{}, {"S": "a", "N": "1"}, {"X": 1}, {"s": "lower-case tag"}])
def test_deserialize_rejects_malformed_attribute_values(wire: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        deserialize(wire)
    with pytest.raises(InvalidValue):
        deserialize(wire, numbers="natural")


def test_deserialize_rejects_unknown_number_mode() -> None:
    with pytest.raises(ValueError, match="numbers"):
        deserialize({"N": "1"}, numbers="float")


# --------------------------------------------------------------------------- precision


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(10**38 + 1, id="int 39 significant digits"),
        pytest.param(-(10**38) - 1, id="negative int 39 significant digits"),
        pytest.param(10**40 + 10, id="int 40 significant digits, a trailing zero"),
        pytest.param(2**200, id="huge int"),
        pytest.param(Decimal("1." + "0" * 37 + "1"), id="decimal 39 digits needs rounding"),
        pytest.param(Decimal("0.1234567890123456789012345678901234567891"), id="decimal 40 digits"),
        pytest.param(Decimal("1E-131"), id="below smallest magnitude"),
        pytest.param(Decimal("-1E-131"), id="negative below smallest magnitude"),
        pytest.param(Decimal("1E-200"), id="far below smallest magnitude"),
        pytest.param(Decimal("1E+126"), id="above largest magnitude"),
        pytest.param(Decimal("-1E+126"), id="negative above largest magnitude"),
        pytest.param(Decimal("1E+300"), id="far above largest magnitude"),
        pytest.param(Decimal("NaN"), id="decimal NaN"),
        pytest.param(Decimal("-NaN"), id="decimal -NaN"),
        pytest.param(Decimal("sNaN"), id="decimal sNaN"),
        pytest.param(Decimal("Infinity"), id="decimal inf"),
        pytest.param(Decimal("-Infinity"), id="decimal -inf"),
        pytest.param(float("nan"), id="float nan"),
        pytest.param(float("inf"), id="float inf"),
        pytest.param(float("-inf"), id="float -inf"),
        pytest.param(1e-200, id="float 1e-200"),
        pytest.param(1e200, id="float 1e200"),
        pytest.param(1e-131, id="float 1e-131"),
        pytest.param(1e126, id="float 1e126"),
        pytest.param(5e-324, id="float smallest subnormal"),
    ],
)
def test_numbers_that_would_lose_precision_raise(value: Any) -> None:
    for wrapped in (value, [value], {"n": value}):
        with pytest.raises(InvalidValue):
            serialize(wrapped)
    if not isinstance(value, float) and not (isinstance(value, Decimal) and value.is_nan()):
        with pytest.raises(InvalidValue):
            serialize({value})


def test_invalid_value_is_an_input_error() -> None:
    with pytest.raises(InvalidInput):
        serialize(10**38 + 1)
    assert issubclass(InvalidValue, ValueError)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (0.1, "0.1"),
        (1.5, "1.5"),
        (-2.25e10, "-22500000000.0"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1e16, "1E+16"),
        (1e-7, "1E-7"),
        (0.30000000000000004, "0.30000000000000004"),
        (1.5e125, "1.5E+125"),
        (-9.87654321e125, "-9.87654321E+125"),
        (1e-130, "1E-130"),
    ],
)
def test_floats_are_stored_as_their_shortest_repr(value: float, stored: str) -> None:
    assert serialize(value) == {"N": stored}
    assert Decimal(stored) == Decimal(repr(value))
    back = deserialize(serialize(value))
    assert float(back) == value
    assert codec_for(float).decode(serialize(value)) == value


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_round_trips_or_raises(value: float) -> None:
    shortest = Decimal(repr(value))
    fits = value == 0 or -130 <= shortest.adjusted() <= 125
    if fits:
        out = serialize(value)["N"]
        assert Decimal(out) == shortest
        assert float(out) == value
        assert type(codec_for(float).decode({"N": out})) is float
    else:
        with pytest.raises(InvalidValue):
            serialize(value)


@settings(max_examples=300, deadline=None)
@given(dynamo_decimals())
def test_dynamo_range_decimals_are_stored_exactly(value: Decimal) -> None:
    out = serialize(value)["N"]
    assert out == str(value)
    assert Decimal(out).as_tuple() == value.as_tuple()


# --------------------------------------------------------------------------- refused values


class Opaque:
    pass


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(set(), id="empty set"),
        pytest.param(frozenset(), id="empty frozenset"),
        pytest.param({"a": set()}, id="empty set nested"),
        pytest.param({1, "a"}, id="numbers and strings"),
        pytest.param({"a", b"a"}, id="strings and bytes"),
        pytest.param({1, b"a"}, id="numbers and bytes"),
        pytest.param({True, False}, id="set of bools"),
        pytest.param({2, True}, id="number and bool"),
        pytest.param({None}, id="set of None"),
        pytest.param({(1, 2)}, id="set of tuples"),
        pytest.param({1: "a"}, id="int key"),
        pytest.param({b"k": "a"}, id="bytes key"),
        pytest.param({None: "a"}, id="None key"),
        pytest.param({("a",): 1}, id="tuple key"),
        pytest.param({"ok": {2: "nested int key"}}, id="nested int key"),
        pytest.param([{"ok": 1}, {3.5: 1}], id="float key in a list"),
        pytest.param(object(), id="object"),
        pytest.param(Opaque(), id="custom class"),
        pytest.param(1 + 2j, id="complex"),
        pytest.param(range(3), id="range"),
        pytest.param(print, id="function"),
        pytest.param(dt.timedelta(seconds=1), id="timedelta"),
        pytest.param(["ok", object()], id="object in a list"),
        pytest.param({"deep": [{"deeper": Opaque()}]}, id="object deep in a map"),
    ],
)
def test_unstorable_values_raise_invalid_value(value: Any) -> None:
    with pytest.raises(InvalidValue):
        serialize(value)
    with pytest.raises(InvalidValue):
        serialize_item({"attr": value})


def test_error_messages_name_the_problem() -> None:
    with pytest.raises(InvalidValue, match="empty set"):
        serialize(set())
    with pytest.raises(InvalidValue, match="one kind"):
        serialize({1, "a"})
    with pytest.raises(InvalidValue, match="keys must be strings"):
        serialize({1: "a"})
    with pytest.raises(InvalidValue, match="Opaque"):
        serialize(Opaque())
    with pytest.raises(InvalidValue, match="NaN or infinity"):
        serialize(float("nan"))


# --------------------------------------------------------------------------- richer Python types


class Color(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class Suit(str, enum.Enum):  # noqa: UP042 - the pre-3.11 spelling, common in pydantic code
    HEARTS = "hearts"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Mixed(enum.Enum):
    A = "a"
    B = 2


class Plain(enum.Enum):
    X = 10
    Y = 20


UTC = dt.UTC
SOME_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")

RICH_CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("aware datetime", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), {"S": "2024-01-02T03:04:05+00:00"}),
    (
        "datetime with offset and micros: stored as UTC",
        dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
        {"S": "2024-01-02T08:34:05.000006+00:00"},
    ),
    (
        "naive datetime: taken as UTC",
        dt.datetime(1999, 12, 31, 23, 59, 59),
        {"S": "1999-12-31T23:59:59+00:00"},
    ),
    ("date", dt.date(2024, 2, 29), {"S": "2024-02-29"}),
    ("time", dt.time(7, 8, 9), {"S": "07:08:09"}),
    ("uuid", SOME_UUID, {"S": "12345678-1234-5678-1234-567812345678"}),
    ("StrEnum", Color.RED, {"S": "red"}),
    ("str mixin enum", Suit.HEARTS, {"S": "hearts"}),
    ("int enum", Level.HIGH, {"N": "2"}),
    ("plain enum with int values", Plain.Y, {"N": "20"}),
    ("enum in a list", [Color.GREEN, Level.LOW], {"L": [{"S": "green"}, {"N": "1"}]}),
    (
        "rich values in a map",
        {"when": dt.date(2020, 1, 1), "id": SOME_UUID},
        {"M": {"when": {"S": "2020-01-01"}, "id": {"S": str(SOME_UUID)}}},
    ),
    ("float in a map", {"f": 0.5}, {"M": {"f": {"N": "0.5"}}}),
]


@pytest.mark.parametrize(("value", "expected"), [c[1:] for c in RICH_CASES], ids=[c[0] for c in RICH_CASES])
def test_rich_python_types(value: Any, expected: dict[str, Any]) -> None:
    assert_identical(serialize(value), expected)


def test_datetime_subclass_keeps_its_time() -> None:
    class Stamp(dt.datetime):
        pass

    assert serialize(Stamp(2024, 1, 2, 3, 4, 5)) == {"S": "2024-01-02T03:04:05+00:00"}


def test_sets_of_enums_store_their_plain_values() -> None:
    out = serialize({Color.RED, Color.GREEN})
    assert sorted(out["SS"]) == ["green", "red"]
    assert all(type(x) is str for x in out["SS"])
    assert serialize({Level.LOW}) == {"NS": ["1"]}


def test_enum_values_must_themselves_be_storable() -> None:
    class Bad(enum.Enum):
        X = object()

    with pytest.raises(InvalidValue):
        serialize(Bad.X)


# --------------------------------------------------------------------------- codecs


CodecCase = tuple[str, Any, Any, dict[str, Any], Any, "str | None"]

CODEC_CASES: list[CodecCase] = [
    # id, annotation, python value, attribute value, decoded value, kind
    ("str", str, "abc", {"S": "abc"}, "abc", "S"),
    ("int", int, 12, {"N": "12"}, 12, "N"),
    ("negative int", int, -12, {"N": "-12"}, -12, "N"),
    ("float", float, 0.1, {"N": "0.1"}, 0.1, "N"),
    ("Decimal", Decimal, Decimal("1.10"), {"N": "1.10"}, Decimal("1.10"), "N"),
    ("bool", bool, True, {"BOOL": True}, True, None),
    ("bytes", bytes, b"\x01", {"B": b"\x01"}, b"\x01", "B"),
    # Timestamps and UUIDs decode to their string; pydantic parses it back when validating.
    (
        "datetime",
        dt.datetime,
        dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        {"S": "2024-05-06T07:08:09+00:00"},
        "2024-05-06T07:08:09+00:00",
        "S",
    ),
    ("date", dt.date, dt.date(2024, 5, 6), {"S": "2024-05-06"}, "2024-05-06", "S"),
    ("UUID", uuid.UUID, SOME_UUID, {"S": str(SOME_UUID)}, str(SOME_UUID), "S"),
    ("StrEnum", Color, Color.GREEN, {"S": "green"}, "green", "S"),
    ("str mixin Enum", Suit, Suit.HEARTS, {"S": "hearts"}, "hearts", "S"),
    ("int Enum", Level, Level.LOW, {"N": "1"}, 1, "N"),
    ("plain int-valued Enum", Plain, Plain.X, {"N": "10"}, 10, "N"),
    ("mixed Enum", Mixed, Mixed.A, {"S": "a"}, "a", None),
    ("Optional[int]", Optional[int], 5, {"N": "5"}, 5, "N"),  # noqa: UP045
    ("int | None", int | None, 5, {"N": "5"}, 5, "N"),
    ("Optional[str]", Optional[str], "s", {"S": "s"}, "s", "S"),  # noqa: UP045
    ("Annotated[int, ...]", Annotated[int, "meta"], 3, {"N": "3"}, 3, "N"),
    ("Annotated[Optional[bytes]]", Annotated[Optional[bytes], "m"], b"z", {"B": b"z"}, b"z", "B"),  # noqa: UP045
    (
        "Optional[Annotated[Decimal]]",
        Optional[Annotated[Decimal, "m"]],  # noqa: UP045
        Decimal("2"),
        {"N": "2"},
        Decimal("2"),
        "N",
    ),
    ("Union[UUID, None]", Union[uuid.UUID, None], SOME_UUID, {"S": str(SOME_UUID)}, str(SOME_UUID), "S"),  # noqa: UP007
]


@pytest.mark.parametrize(
    ("annotation", "value", "wire", "decoded", "kind"),
    [c[1:] for c in CODEC_CASES],
    ids=[c[0] for c in CODEC_CASES],
)
def test_codec_for(annotation: Any, value: Any, wire: dict[str, Any], decoded: Any, kind: str | None) -> None:
    codec = codec_for(annotation)
    assert isinstance(codec, Codec)
    assert codec is not GENERIC
    assert codec.kind == kind
    assert_identical(codec.encode(value), wire)
    assert_identical(codec.decode(wire), decoded)


@pytest.mark.parametrize(
    "annotation",
    [list[int], dict[str, Any], Any, Union[int, str], Optional[Union[int, str]], tuple[int, ...]],  # noqa: UP007, UP045
    ids=[
        "list[int]",
        "dict[str, Any]",
        "Any",
        "Union[int, str]",
        "Optional[Union[int, str]]",
        "tuple",
    ],
)
def test_codec_for_falls_back_to_generic(annotation: Any) -> None:
    codec = codec_for(annotation)
    assert codec is GENERIC
    assert codec.kind is None


def test_generic_codec_reads_integral_numbers_as_int() -> None:
    wire = GENERIC.encode({"n": 1, "d": Decimal("1.5"), "l": [2, 3], "s": {4}})
    assert_identical(GENERIC.decode(wire), {"n": 1, "d": Decimal("1.5"), "l": [2, 3], "s": {4}})


@pytest.mark.parametrize(
    ("annotation", "wire", "decoded"),
    [
        (int, {"N": "1E+2"}, Decimal("1E+2")),  # not an integer literal: left for pydantic to coerce
        (int, {"N": "2.5"}, Decimal("2.5")),
        (float, {"N": "1E+16"}, 1e16),
        (Decimal, {"N": "-0"}, Decimal("-0")),
        (bytes, {"B": bytearray(b"q")}, b"q"),
    ],
)
def test_codec_decode_edge_cases(annotation: Any, wire: dict[str, Any], decoded: Any) -> None:
    assert_identical(codec_for(annotation).decode(wire), decoded)


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (int, 10**38 + 1),
        (int, "12"),
        (int, True),
        (float, float("nan")),
        (float, 1e300),
        (Decimal, Decimal("1E-131")),
    ],
)
def test_numeric_codecs_refuse_what_the_generic_serializer_refuses(annotation: Any, value: Any) -> None:
    with pytest.raises(InvalidValue):
        codec_for(annotation).encode(value)


def test_enum_codec_accepts_the_raw_value_too() -> None:
    assert codec_for(Color).encode("red") == {"S": "red"}
    assert codec_for(Level).encode(2) == {"N": "2"}


# --------------------------------------------------------------------------- item size


SIZE_CASES: list[tuple[str, dict[str, Any], int]] = [
    # strings: utf-8 bytes of the name + utf-8 bytes of the value
    ("S", {"name": {"S": "abc"}}, 4 + 3),
    ("S empty", {"a": {"S": ""}}, 1),
    ("S multibyte value", {"k": {"S": "é€"}}, 1 + 2 + 3),
    ("S multibyte name", {"ñame": {"S": "x"}}, 5 + 1),
    # numbers: 1 byte per base-100 digit pair of the significant digits aligned on the decimal
    # point, + 1 (+ 1 more when negative); pinned against DynamoDB Local in tests/integration
    ("N one digit", {"n": {"N": "7"}}, 1 + 1 + 1),
    ("N two digits", {"n": {"N": "12"}}, 1 + 1 + 1),
    ("N three digits", {"n": {"N": "123"}}, 1 + 2 + 1),
    ("N zero", {"n": {"N": "0"}}, 1 + 1),
    ("N one and a half: 01.50", {"n": {"N": "1.5"}}, 1 + 2 + 1),
    ("N 123.456: 01 23 . 45 60", {"n": {"N": "123.456"}}, 1 + 4 + 1),
    ("N trailing zeros trimmed", {"n": {"N": "1000000"}}, 1 + 1 + 1),
    ("N leading zeros trimmed", {"n": {"N": "0.001"}}, 1 + 1 + 1),
    ("N decimal point not a digit", {"n": {"N": "12.34"}}, 1 + 2 + 1),
    ("N exponent only aligns", {"n": {"N": "1.5E+10"}}, 1 + 2 + 1),
    ("N exponent not counted", {"n": {"N": "1.2E+9"}}, 1 + 1 + 1),
    ("N 38 digits", {"n": {"N": "9" * 38}}, 1 + 19 + 1),
    ("N negative", {"n": {"N": "-12"}}, 1 + 1 + 1 + 1),
    # binary: raw bytes
    ("B", {"b": {"B": b"\x00\x01\x02"}}, 1 + 3),
    ("BOOL", {"flag": {"BOOL": False}}, 4 + 1),
    ("NULL", {"nil": {"NULL": True}}, 3 + 1),
    # sets: the sum of their members
    ("SS", {"s": {"SS": ["ab", "c"]}}, 1 + 3),
    ("NS", {"s": {"NS": ["12", "345"]}}, 1 + 2 + 3),
    ("BS", {"s": {"BS": [b"ab", b"c"]}}, 1 + 3),
    # lists and maps: 3 bytes + 1 byte per element + the elements (map elements include their names)
    ("L empty", {"l": {"L": []}}, 1 + 3),
    ("L", {"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (1 + 2) + (1 + 2)),
    ("M empty", {"m": {"M": {}}}, 1 + 3),
    ("M", {"m": {"M": {"a": {"S": "xy"}, "bb": {"BOOL": True}}}}, 1 + 3 + (1 + 1 + 2) + (1 + 2 + 1)),
    (
        "nested",
        {"m": {"M": {"l": {"L": [{"M": {}}, {"NULL": True}]}}}},
        1 + 3 + (1 + 1 + (3 + (1 + 3) + (1 + 1))),
    ),
    (
        "several attributes",
        {"pk": {"S": "user#1"}, "n": {"N": "10"}, "ok": {"BOOL": True}},
        (2 + 6) + (1 + 2) + (2 + 1),
    ),
    ("empty item", {}, 0),
]


@pytest.mark.parametrize(("item", "size"), [c[1:] for c in SIZE_CASES], ids=[c[0] for c in SIZE_CASES])
def test_item_size(item: dict[str, Any], size: int) -> None:
    assert item_size(item) == size


def test_item_size_of_a_serialized_item() -> None:
    item = serialize_item({"pk": "a", "tags": {"x", "yz"}, "n": 1234, "m": {"k": None}})
    assert item_size(item) == (2 + 1) + (4 + 3) + (1 + 3) + (1 + 3 + (1 + 1 + 1))


def test_item_size_at_the_limit() -> None:
    name = "blob"
    exactly = {name: {"S": "a" * (MAX_ITEM_BYTES - len(name))}}
    assert item_size(exactly) == MAX_ITEM_BYTES
    over = {name: {"S": "a" * (MAX_ITEM_BYTES - len(name) + 1)}}
    assert item_size(over) == MAX_ITEM_BYTES + 1


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"blob": "x" * 400 * 1024}, id="one 400 KB string"),
        pytest.param({"blob": b"\x00" * 400 * 1024}, id="one 400 KB binary"),
        pytest.param({"text": "é" * 205 * 1024}, id="multibyte string over the limit in bytes"),
        pytest.param({f"attr{i}": "y" * 1000 for i in range(410)}, id="many attributes"),
        pytest.param({"list": ["z" * 1024] * 400}, id="a long list"),
    ],
)
def test_a_400kb_item_is_over_the_limit(payload: dict[str, Any]) -> None:
    assert item_size(serialize_item({"pk": "id", **payload})) > MAX_ITEM_BYTES


def test_a_399kb_item_is_under_the_limit() -> None:
    assert item_size(serialize_item({"pk": "id", "blob": "x" * 399 * 1024})) < MAX_ITEM_BYTES


@ITEM_SETTINGS
@given(st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1), st.integers(0, 3), st.integers(0, 2))
def test_integer_sizes_match_the_decimal_reading(n: int, zeros: int, pad: int) -> None:
    # Integers are sized from their digits without Decimal; the same number written with a
    # fraction (``12.0``, read through Decimal) must get the same size, leading zeros included.
    text = f"{'-' if n < 0 else ''}{'0' * pad}{abs(n)}{'0' * zeros if n else ''}"
    assert item_size({"n": {"N": text}}) == item_size({"n": {"N": f"{int(text)}.0"}})


def test_ascii_and_non_ascii_text_sizes() -> None:
    assert item_size({"k": {"S": "abc"}, "é": {"S": "é"}}) == (1 + 3) + (2 + 2)
    with pytest.raises(InvalidValue, match="lone surrogate"):
        item_size({"k": {"S": "a\ud800"}})
    with pytest.raises(InvalidValue, match="lone surrogate"):
        item_size({"\ud800": {"S": "a"}})


@given(st.dictionaries(names, values, max_size=4), names, values)
def test_item_size_adds_up(item: dict[str, Any], name: str, value: Any) -> None:
    # Adding an attribute adds its name's bytes plus its value's size; nothing is counted twice.
    item.pop(name, None)
    before = item_size(serialize_item(item))
    after = item_size(serialize_item({**item, name: value}))
    alone = item_size(serialize_item({name: value}))
    assert after - before == alone
    assert alone >= len(name.encode("utf-8"))


# --------------------------------------------------------------------------- the benchmark


def test_benchmark_quick_run(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import marshal_bench

    result = marshal_bench.run(repeats=1, n_items=50)
    for key in ("serialize_ours", "serialize_boto3", "deserialize_ours", "deserialize_boto3"):
        assert result[key] > 0
    assert result["serialize_ratio"] == pytest.approx(result["serialize_ours"] / result["serialize_boto3"])
    assert marshal_bench.main(["--quick", "--items", "20"]) == 0
    assert "speed-up" in capsys.readouterr().out
