"""The one-walk encoder of batch writes (``item_encoding.encode_sized``) against ``Schema.encode`` then
``sizes.item_size``: the same item, the same size, the same first error, for random instances
(validated ones, and ``model_construct``ed ones holding values of any type)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from dynamorm_async import GSI, Attribute, HashKey, Key, Model, RangeKey
from dynamorm_async.errors import DynamORMError, ItemTooLarge
from dynamorm_async.item_encoding import encode_sized, encode_within_limit
from dynamorm_async.requests import batch_put, put_item
from dynamorm_async.sizes import MAX_ITEM_BYTES, item_size

from .test_marshal import blobs, ints, names, values


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Inner(BaseModel):
    label: str
    n: int = 0


class Wide(Model, table="unit-batch-encoding"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[int, RangeKey()]
    text: str | None = None
    flag: bool | None = None
    n: int | None = None
    ratio: float | None = None
    amount: Decimal | None = None
    raw: bytes | None = None
    tags: list[str] = []
    labels: set[str] = set()
    address: dict[str, str] = {}
    anything: Any = None
    color: Color | None = None
    when: dt.datetime | None = None
    inner: Inner | None = None
    renamed: Annotated[str | None, Attribute("réel")] = None


class Tagged(Model, table="unit-batch-encoding-st", discriminator="TAGGED", discriminator_attr="kind"):
    pk: Annotated[str, HashKey()]
    text: str | None = None
    anything: Any = None


class Templated(
    Model,
    table="unit-batch-encoding-tpl",
    discriminator="LINE",
    hash_key=Key("pk", "ORDER#{order_id}"),
    range_key=Key("sk", "LINE#{line}"),
    indexes=[GSI("gsi1", hash=Key("gsi1pk", "SKU#{sku}"), range=Key("gsi1sk", "{order_id}"))],
):
    order_id: str
    line: str
    sku: str | None = None
    text: str | None = None


# Text with every code point, lone surrogates included (which DynamoDB refuses).
any_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
texts = st.one_of(st.text(max_size=20), any_text)
wrong = st.one_of(texts, ints, st.booleans(), st.none(), blobs, values)


def _outcome(work: Any) -> tuple[Any, ...]:
    try:
        return ("ok", work())
    except DynamORMError as exc:
        return ("error", type(exc), str(exc))


def _reference(model: type[Model], obj: Any) -> tuple[Any, ...]:
    schema = model.__dynamorm_schema__

    def both() -> tuple[dict[str, Any], int]:
        item = schema.encode(obj)
        return item, item_size(item)

    return _outcome(both)


def _assert_same(model: type[Model], obj: Any) -> None:
    ours = _outcome(lambda: encode_sized(model.__dynamorm_schema__, obj))
    assert ours == _reference(model, obj)


@st.composite
def wide_values(draw: st.DrawFn) -> dict[str, Any]:
    """Field values of the right types (strings of any code point, so some are refused)."""
    return {
        "pk": draw(texts),
        "sk": draw(ints),
        "text": draw(st.none() | texts),
        "flag": draw(st.none() | st.booleans()),
        "n": draw(st.none() | ints),
        "ratio": draw(st.none() | st.floats(allow_nan=False, allow_infinity=False)),
        "amount": draw(st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=3)),
        "raw": draw(st.none() | blobs),
        "tags": draw(st.lists(texts, max_size=4)),
        "labels": draw(st.sets(texts, max_size=4)),
        "address": draw(st.dictionaries(st.text(max_size=8), texts, max_size=4)),
        "anything": draw(values),
        "color": draw(st.none() | st.sampled_from(Color)),
        "when": draw(st.none() | st.datetimes()),
        "inner": draw(st.none() | st.builds(Inner, label=texts, n=ints)),
        "renamed": draw(st.none() | texts),
    }


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(wide_values())
def test_folded_size_equals_item_size(fields: dict[str, Any]) -> None:
    _assert_same(Wide, Wide.model_construct(**fields))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(Wide.model_fields)), wrong))
def test_same_item_or_same_error_for_any_field_values(fields: dict[str, Any]) -> None:
    # model_construct: a mutated or unvalidated instance, fields of any type or unset
    _assert_same(Wide, Wide.model_construct(**fields))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.none() | texts, values)
def test_discriminator_counted_like_item_size(pk: str, text: str | None, anything: Any) -> None:
    _assert_same(Tagged, Tagged.model_construct(pk=pk, text=text, anything=anything))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(texts, texts, st.none() | texts, st.none() | texts)
def test_template_keys_counted_like_item_size(
    order_id: str, line: str, sku: str | None, text: str | None
) -> None:
    """Composed keys (table and index) are in the item and its size; a value holding its
    template's separator is the same InvalidKey."""
    _assert_same(Templated, Templated.model_construct(order_id=order_id, line=line, sku=sku, text=text))


@given(names.filter(str.isascii), st.integers(0, 3))
def test_validated_instances(name: str, pad: int) -> None:
    obj = Wide(pk=name, sk=pad, text=name * pad, tags=[name], address={name: name}, flag=True)
    _assert_same(Wide, obj)


def test_item_limit_is_enforced_at_the_same_size() -> None:
    schema = Wide.__dynamorm_schema__
    base = item_size(schema.encode(Wide(pk="p", sk=1, text="")))
    at_limit = Wide(pk="p", sk=1, text="x" * (MAX_ITEM_BYTES - base))
    assert encode_within_limit(schema, at_limit) == schema.encode_checked(at_limit)
    over = Wide(pk="p", sk=1, text="x" * (MAX_ITEM_BYTES - base + 1))
    with pytest.raises(ItemTooLarge) as ours:
        encode_within_limit(schema, over)
    with pytest.raises(ItemTooLarge) as theirs:
        schema.encode_checked(over)
    assert (ours.value.size, str(ours.value)) == (theirs.value.size, str(theirs.value))
    assert ours.value.size == MAX_ITEM_BYTES + 1


def test_batch_put_writes_the_item_put_item_writes() -> None:
    schema = Wide.__dynamorm_schema__
    obj = Wide(pk="p", sk=2, text="é", tags=["a"], labels={"x"}, anything={"k": [1, "v"]})
    assert batch_put(schema, obj).params["Item"] == put_item(schema, obj).params["Item"]


class _Text(str):
    """A str subclass: stored as text, but not by the inline paths (they take exact types)."""


@pytest.mark.parametrize(
    "fields",
    [
        {"n": 10**38 - 1, "sk": -(10**38) + 1},  # the largest ints built inline
        {"n": 10**38, "sk": -(10**38)},  # past them: the codec, and its refusal, as before
        {"n": True, "sk": 0},  # a bool in an int field
        {"sk": 1, "tags": []},
        {"sk": 1, "tags": ["ascii", "é", "\ud800"]},  # a lone surrogate: refused when sized
        {"sk": 1, "tags": ["a", 1, None, b"x", ["n"], {"k": "v"}]},
        {"sk": 1, "tags": [_Text("sub")]},
        {"sk": 1, "address": {}},
        {"sk": 1, "address": {"": "v"}},  # an empty map key: refused
        {"sk": 1, "address": {"k" * 65536: "v"}},  # a map key over the name limit
        {"sk": 1, "address": {"é": "é", "a": 2, "b": [1]}},
        {"sk": 1, "address": {1: "v"}},  # not a str key: refused while encoding
        {"sk": 1, "address": {_Text("k"): _Text("v")}},
        {"sk": 1, "anything": ["a", {"b": "c"}, [{"d": 1}]]},
        {"sk": 1, "anything": {"a": {"b": {"c": "d"}}}},
    ],
)
def test_inline_ints_lists_and_maps_as_the_codecs(fields: dict[str, Any]) -> None:
    """Ints, lists and maps encoded and sized inline give the codecs' item, size and error."""
    _assert_same(Wide, Wide.model_construct(pk="p", **fields))


class BinaryKeyed(Model, table="unit-batch-encoding-bin", indexes=[GSI("by_ref", hash="ref", range="rank")]):
    pk: Annotated[bytes, HashKey()]
    sk: Annotated[str, RangeKey()]
    ref: str | None = None
    rank: int | None = None


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Wide, {"pk": "k" * 2048, "sk": 1}),  # at the partition key limit
        (Wide, {"pk": "k" * 2049, "sk": 1}),  # over it
        (Wide, {"pk": "é" * 1024, "sk": 1}),  # non-ASCII: 2,048 bytes
        (Wide, {"pk": "é" * 1025, "sk": 1}),
        (Wide, {"pk": "", "sk": 1}),
        (Wide, {"pk": "p"}),  # no range key
        (Wide, {"pk": "p", "sk": "1"}),  # a range key of the wrong type
        (Wide, {"pk": b"p", "sk": 1}),
        (BinaryKeyed, {"pk": b"k" * 2048, "sk": "s" * 1024}),
        (BinaryKeyed, {"pk": b"k" * 2049, "sk": "s"}),
        (BinaryKeyed, {"pk": b"k", "sk": "s" * 1025}),
        (BinaryKeyed, {"pk": b"", "sk": "s"}),
        (BinaryKeyed, {"pk": bytearray(b"k"), "sk": "s"}),
        (BinaryKeyed, {"pk": b"k", "sk": "s", "ref": "r" * 2048, "rank": 5}),
        (BinaryKeyed, {"pk": b"k", "sk": "s", "ref": "r" * 2049}),  # an index key over its limit
        (BinaryKeyed, {"pk": b"k", "sk": "s", "ref": ""}),  # an empty index key
        (BinaryKeyed, {"pk": b"k", "sk": "s", "rank": "5"}),  # an index key of the wrong type
        (Templated, {"order_id": "o", "line": "1", "sku": "s" * 2044}),  # SKU#... at 2,048 bytes
        (Templated, {"order_id": "o", "line": "1", "sku": "s" * 2045}),
    ],
)
def test_key_checks_as_check_item_keys(model: type[Model], fields: dict[str, Any]) -> None:
    """Keys passed plainly, or refused with the same error, whatever their kind and size."""
    _assert_same(model, model.model_construct(**fields))
