"""Key templates: definition-time checks, format/parse round trips, separator injection, prefixes."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynamorm_async.errors import InvalidKey, ModelError
from dynamorm_async.keytemplates import UPPER_SENTINEL, KeyTemplate, TemplateMismatch, field_names

ORDER = KeyTemplate("ORDER#{created_at}#{order_id}")

# ---------------------------------------------------------------- parsing the template


@pytest.mark.parametrize(
    ("text", "fields", "literals"),
    [
        ("CUSTOMER#{customer_id}", ("customer_id",), ("CUSTOMER#", "")),
        ("ORDER#{created_at}#{order_id}", ("created_at", "order_id"), ("ORDER#", "#", "")),
        ("{customer_id}", ("customer_id",), ("", "")),
        ("{a}|{b}", ("a", "b"), ("", "|", "")),
        ("LINE#{order_id}#{line}#", ("order_id", "line"), ("LINE#", "#", "#")),
        ("{a}::{b}--{c}.end", ("a", "b", "c"), ("", "::", "--", ".end")),
        ("PROFILE", (), ("PROFILE",)),
        ("ÜBER#{naïve}", ("naïve",), ("ÜBER#", "")),
    ],
)
def test_valid_templates_parse_into_fields_and_literals(
    text: str, fields: tuple[str, ...], literals: tuple[str, ...]
) -> None:
    t = KeyTemplate(text)
    assert t.fields == fields
    assert t.literals == literals
    assert t.template == text
    assert t.is_constant is (not fields)
    assert t.leading == literals[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("ORDER#{created_at", "unbalanced '{'"),
        ("ORDER#created_at}", "unbalanced '}'"),
        ("ORDER#}{created_at}", "unbalanced '}'"),
        ("{a}#}", "unbalanced '}'"),
        ("{{a}}", "cannot contain '{'"),
        ("ORDER#{a{b}", "cannot contain '{'"),
        ("ORDER#{}", "empty field name"),
        ("ORDER#{}#{a}", "empty field name"),
        ("{a}#{a}", "'a' appears twice"),
        ("{a}{b}", "no literal between"),
        ("X#{a}#{b}{c}", "no literal between"),
        ("ORDER#{created at}", "not a Python identifier"),
        ("ORDER#{1st}", "not a Python identifier"),
        ("ORDER#{n:04d}", "format specs"),
        ("ORDER#{n!r}", "format specs"),
        ("ORDER#{a.b}", "not a Python identifier"),
    ],
)
def test_invalid_templates_fail_at_definition(text: str, message: str) -> None:
    with pytest.raises(ModelError, match="key template") as info:
        KeyTemplate(text)
    assert message in str(info.value)


def test_a_template_that_is_not_a_str_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="must be a str"):
        KeyTemplate(b"ORDER#{a}")  # type: ignore[arg-type]


def test_a_template_is_an_immutable_hashable_value() -> None:
    again = KeyTemplate("ORDER#{created_at}#{order_id}")
    assert again == ORDER
    assert hash(again) == hash(ORDER)
    assert KeyTemplate("ORDER#{created_at}") != ORDER
    assert ORDER != "ORDER#{created_at}#{order_id}"
    assert repr(ORDER) == "KeyTemplate('ORDER#{created_at}#{order_id}')"
    with pytest.raises(AttributeError):
        ORDER.template = "X#{a}"
    with pytest.raises(AttributeError):
        del ORDER.fields
    assert not hasattr(ORDER, "__dict__")
    assert pickle.loads(pickle.dumps(ORDER)) == ORDER
    assert copy.deepcopy(ORDER) == ORDER


def test_field_names_unions_templates() -> None:
    pk = KeyTemplate("CUSTOMER#{customer_id}")
    assert field_names([pk, ORDER]) == {"customer_id", "created_at", "order_id"}
    assert field_names([KeyTemplate("PROFILE")]) == frozenset()


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("ORDER#{created_at}#{order_id}", "LINE#{order_id}#{line}", False),
        ("ORDER#{order_id}", "ORDERLINE#{order_id}", False),
        ("ORDER#{order_id}", "ORDER#{created_at}#{order_id}", True),  # ORDER#x#y is a key of both
        ("O{x}", "ORDER#{order_id}", True),
        ("A#{x}#1", "A#{y}#2", False),
        ("A#{x}!", "A#{y}#{z}", True),
        ("PROFILE", "PROFILE", True),
        ("PROFILE", "ADDRESS", False),
        ("PROFILE", "ORDER#{order_id}", False),
        ("ORDER#latest", "ORDER#{order_id}", True),
        ("ORDER#", "ORDER#{order_id}", False),  # the field cannot be empty
    ],
)
def test_may_overlap_is_symmetric_and_finds_shared_keys(a: str, b: str, overlap: bool) -> None:
    ta, tb = KeyTemplate(a), KeyTemplate(b)
    assert ta.may_overlap(tb) is overlap
    assert tb.may_overlap(ta) is overlap


@given(x=st.text(alphabet="#ab", min_size=1, max_size=6), y=st.text(alphabet="#ab", min_size=1, max_size=6))
def test_templates_said_disjoint_never_share_a_key(x: str, y: str) -> None:
    texts = ("ORDER#{a}#{b}", "ORDER#{a}", "LINE#{a}#{b}", "ab#{a}", "a{a}#", "a{a}", "ORDER#a#b", "PROFILE")
    templates = [KeyTemplate(t) for t in texts]
    shared = 0
    for t in templates:
        try:
            key = t.format({"a": x, "b": y})
        except InvalidKey:
            continue
        for other in templates:
            if other is not t and other.matches(key):
                shared += 1
                assert t.may_overlap(other), (t, other, key)
    assert shared >= 2  # the constant ORDER#a#b is a key of both ORDER# templates


# ---------------------------------------------------------------- format and parse


@pytest.mark.parametrize(
    ("text", "values", "key"),
    [
        ("CUSTOMER#{customer_id}", {"customer_id": "c1"}, "CUSTOMER#c1"),
        (
            "ORDER#{created_at}#{order_id}",
            {"created_at": "2024-01-05T10:00:00.000000Z", "order_id": "o1"},
            "ORDER#2024-01-05T10:00:00.000000Z#o1",
        ),
        ("{a}|{b}", {"a": "x", "b": "y"}, "x|y"),
        ("LINE#{order_id}#{line}#", {"order_id": "o1", "line": "0003"}, "LINE#o1#0003#"),
        ("PROFILE", {}, "PROFILE"),
        ("ORDER#{created_at}#{order_id}", {"created_at": "d", "order_id": "a#b"}, "ORDER#d#a#b"),
        ("{a}::{b}", {"a": ":x", "b": "::"}, ":x::::"),
    ],
)
def test_format_and_parse_are_inverse(text: str, values: dict[str, str], key: str) -> None:
    t = KeyTemplate(text)
    assert t.format(values) == key
    assert t.parse(key) == values
    assert t.matches(key)


def test_format_ignores_names_not_in_the_template() -> None:
    assert KeyTemplate("CUSTOMER#{customer_id}").format({"customer_id": "c1", "name": "Ann"}) == "CUSTOMER#c1"


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("ORDER#{created_at}#{order_id}", {"created_at": "2024#01", "order_id": "o1"}, "separator '#'"),
        ("ORDER#{created_at}#{order_id}", {"created_at": "2024#", "order_id": "o1"}, "separator '#'"),
        ("{a}##{b}", {"a": "x#", "b": "y"}, "separator '##'"),
        ("{a}::{b}", {"a": "x:", "b": "::"}, "separator '::'"),
        ("{a}##{b}", {"a": "x##y", "b": "y"}, "separator '##'"),
        ("{a}#{b}!", {"a": "x", "b": "y!z"}, "separator '!'"),
        ("ORDER#{created_at}#{order_id}", {"created_at": "2024"}, "'order_id' is missing"),
        ("ORDER#{created_at}#{order_id}", {"created_at": "", "order_id": "o1"}, "'created_at' is empty"),
        ("CUSTOMER#{customer_id}", {"customer_id": ""}, "'customer_id' is empty"),
        ("CUSTOMER#{customer_id}", {"customer_id": 7}, "rendered to str"),
        ("CUSTOMER#{customer_id}", {"customer_id": None}, "rendered to str"),
    ],
)
def test_format_refuses_values_that_would_break_the_key(
    text: str, values: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidKey) as info:
        KeyTemplate(text).format(values)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert not isinstance(info.value, TemplateMismatch)


def test_a_str_subclass_value_is_stored_as_plain_text() -> None:
    class Tag(str):
        pass

    key = KeyTemplate("T#{t}").format({"t": Tag("x")})
    assert key == "T#x"
    assert type(key) is str


@pytest.mark.parametrize(
    ("text", "key", "why"),
    [
        ("ORDER#{created_at}#{order_id}", "CUSTOMER#c1", "does not begin with 'ORDER#'"),
        ("ORDER#{created_at}#{order_id}", "ORDER#2024", "no '#' after field 'created_at'"),
        ("ORDER#{created_at}#{order_id}", "ORDER##o1", "'created_at' is empty"),
        ("ORDER#{created_at}#{order_id}", "ORDER#2024#", "'order_id' is empty"),
        ("CUSTOMER#{customer_id}", "CUSTOMER#", "'customer_id' is empty"),
        ("LINE#{order_id}#{line}#", "LINE#o1#0003", "no '#' after field 'line'"),
        ("LINE#{order_id}#{line}#", "LINE#o1#0003#x", "unexpected text 'x'"),
        ("PROFILE", "PROFILE#2", "unexpected text '#2'"),
        ("PROFILE", "PROF", "does not begin with 'PROFILE'"),
    ],
)
def test_parse_of_a_foreign_key_is_a_typed_mismatch(text: str, key: str, why: str) -> None:
    t = KeyTemplate(text)
    with pytest.raises(TemplateMismatch) as info:
        t.parse(key)
    assert why in str(info.value)
    assert info.value.template == text
    assert info.value.key == key
    assert isinstance(info.value, InvalidKey)
    assert not t.matches(key)


def test_parse_of_a_non_string_is_a_typed_mismatch() -> None:
    with pytest.raises(TemplateMismatch, match="type int"):
        ORDER.parse(5)  # type: ignore[arg-type]
    assert not ORDER.matches(5)


# the text a rendered field value can be: anything non-empty (codecs decide the real alphabet)
values = st.text(min_size=1, max_size=12)
separators = st.sampled_from(["#", "##", "|", "::", "#!", "\u00e9", "\U0001f511"])


@given(sep=separators, a=values, b=values, c=values)
def test_values_round_trip_or_are_refused_never_misread(sep: str, a: str, b: str, c: str) -> None:
    t = KeyTemplate(f"P{sep}{{a}}{sep}{{b}}{sep}{{c}}")
    vals = {"a": a, "b": b, "c": c}
    injecting = any((v + sep).find(sep) != len(v) for v in (a, b))
    try:
        key = t.format(vals)
    except InvalidKey:
        assert injecting
        return
    assert not injecting
    assert t.parse(key) == vals


@given(sep=separators, a=values, b=values)
def test_values_without_the_separator_always_round_trip(sep: str, a: str, b: str) -> None:
    a, b = a.replace(sep[0], "x"), b.replace(sep[0], "x")
    t = KeyTemplate(f"A{sep}{{a}}{sep}{{b}}")
    assert t.parse(t.format({"a": a, "b": b})) == {"a": a, "b": b}


@given(a=values, b=values)
def test_a_value_with_the_separator_is_refused(a: str, b: str) -> None:
    with pytest.raises(InvalidKey, match="separator"):
        ORDER.format({"created_at": a + "#" + b, "order_id": "o1"})


# ---------------------------------------------------------------- prefixes and bounds


@pytest.mark.parametrize(
    ("values", "open_end", "prefix"),
    [
        ({}, False, "ORDER#"),
        ({}, True, "ORDER#"),
        ({"created_at": "2024-01-05"}, False, "ORDER#2024-01-05#"),
        ({"created_at": "2024-01"}, True, "ORDER#2024-01"),
        ({"created_at": "2024-01-05", "order_id": "o1"}, False, "ORDER#2024-01-05#o1"),
        ({"created_at": "2024-01-05", "order_id": "o"}, True, "ORDER#2024-01-05#o"),
    ],
)
def test_prefix_from_the_leading_fields(values: dict[str, str], open_end: bool, prefix: str) -> None:
    assert ORDER.prefix(values, open_end=open_end) == prefix


def test_an_exact_prefix_selects_one_value_of_the_field() -> None:
    day = ORDER.prefix({"created_at": "2024-01-05"})
    same_day = ORDER.format({"created_at": "2024-01-05", "order_id": "o9"})
    later = ORDER.format({"created_at": "2024-01-050", "order_id": "o1"})
    assert same_day.startswith(day)
    assert not later.startswith(day)
    assert later.startswith(ORDER.prefix({"created_at": "2024-01-05"}, open_end=True))


def test_prefix_of_a_trailing_literal_and_of_a_constant() -> None:
    line = KeyTemplate("LINE#{order_id}#{line}#")
    assert line.prefix({"order_id": "o1", "line": "0003"}) == "LINE#o1#0003#"
    assert KeyTemplate("PROFILE").prefix({}) == "PROFILE"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"order_id": "o1"}, "'order_id' is given without 'created_at'"),
        ({"status": "new"}, "no field 'status'"),
        ({"created_at": "2024#01"}, "separator"),
        ({"created_at": ""}, "empty"),
    ],
)
def test_prefix_refuses_gaps_unknown_names_and_injection(values: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidKey) as info:
        ORDER.prefix(values)
    assert message in str(info.value)


def test_range_bounds_cover_every_key_between_two_prefixes() -> None:
    lo, hi = ORDER.range_bounds({"created_at": "2024-01-01"}, {"created_at": "2024-01-31"})
    assert (lo, hi) == ("ORDER#2024-01-01#", "ORDER#2024-01-31#" + UPPER_SENTINEL)
    inside = [
        ORDER.format({"created_at": day, "order_id": oid})
        for day in ("2024-01-01", "2024-01-15", "2024-01-31")
        for oid in ("0", "o1", "zzzz", "\uffff")
    ]
    outside = [ORDER.format({"created_at": day, "order_id": "o1"}) for day in ("2023-12-31", "2024-02-01")]
    for key in inside:  # DynamoDB compares strings as UTF-8 bytes
        assert lo.encode() <= key.encode() <= hi.encode(), key
    for key in outside:
        assert not lo.encode() <= key.encode() <= hi.encode(), key


def test_range_bounds_with_an_open_end_and_uneven_depths() -> None:
    lo, hi = ORDER.range_bounds({"created_at": "2024-01"}, {"created_at": "2024-03"}, open_end=True)
    assert (lo, hi) == ("ORDER#2024-01", "ORDER#2024-03" + UPPER_SENTINEL)
    lo, hi = ORDER.range_bounds({"created_at": "d", "order_id": "o5"}, {"created_at": "d"})
    assert (lo, hi) == ("ORDER#d#o5", "ORDER#d#" + UPPER_SENTINEL)


def test_range_bounds_refuse_a_low_bound_above_the_high_one() -> None:
    with pytest.raises(InvalidKey, match="sorts after"):
        ORDER.range_bounds({"created_at": "2024-02"}, {"created_at": "2024-01"})


def _utf8(text: str) -> bytes:
    return text.encode()


fixed_width = st.text(alphabet="0123456789-:TZ", min_size=6, max_size=6)
order_ids = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\U0010ffff"), min_size=1, max_size=5
)


@given(rows=st.lists(st.tuples(fixed_width, order_ids), min_size=2, max_size=8), t=fixed_width)
def test_fixed_width_values_make_key_order_the_field_order(rows: list[tuple[str, str]], t: str) -> None:
    keys = {ORDER.format({"created_at": c, "order_id": o}): (c, o) for c, o in rows}
    by_key = [keys[k] for k in sorted(keys, key=_utf8)]
    assert by_key == sorted(keys.values(), key=lambda r: (_utf8(r[0]), _utf8(r[1])))
    # created_at < t and created_at > t as single sort-key ranges that stay inside ORDER# keys
    below = (ORDER.leading, ORDER.prefix({"created_at": t}))
    above = (ORDER.prefix({"created_at": t}) + UPPER_SENTINEL, ORDER.leading + UPPER_SENTINEL)
    for key, (c, _) in keys.items():
        assert (_utf8(below[0]) <= _utf8(key) <= _utf8(below[1])) is (c < t)
        assert (_utf8(above[0]) <= _utf8(key) <= _utf8(above[1])) is (c > t)


def test_variable_width_values_break_key_order_as_documented() -> None:
    short = ORDER.format({"created_at": "2024", "order_id": "o"})
    longer = ORDER.format({"created_at": "2024!", "order_id": "o"})  # '!' sorts below the separator '#'
    assert "2024" < "2024!"
    assert _utf8(longer) < _utf8(short)
