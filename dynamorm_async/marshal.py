"""Python values <-> DynamoDB AttributeValues.

Two layers:

* :func:`serialize` / :func:`deserialize` are generic and produce exactly what boto3's
  ``TypeSerializer`` produces for the values it accepts (numbers as strings in DynamoDB's
  38-digit context, ``bytes`` as ``B``, sets as ``SS``/``NS``/``BS``). They also take what pydantic
  models hold: ``datetime`` (in UTC, see :func:`canonical_datetime`), ``date``/``time`` (ISO
  8601 via ``isoformat()``), ``UUID`` (its
  canonical hyphenated string), ``Enum`` (its value), nested models (a map of their attributes)
  and ``float`` (stored as its shortest round-tripping ``repr``, e.g. ``0.1`` -> ``"0.1"``).
* :func:`codec_for` picks a :class:`Codec` per model field from its annotation, once, when the
  model is compiled, so the hot path does one dict lookup-free call per attribute.

Numbers never lose precision: more than 38 significant digits, a magnitude outside DynamoDB's
range (1E-130 to 9.9999999999999999999999999999999999999E+125), NaN or infinity raise
:class:`~dynamorm_async.errors.InvalidValue` instead of rounding. Where boto3 would accept a
value that DynamoDB itself refuses (an empty set, ``Decimal("1E-131")``), we raise instead.
Reads take numbers exactly as DynamoDB sends them (see :mod:`dynamorm_async.numbers`), and a
stored value a codec cannot decode raises :class:`InvalidValue` (:func:`decode_value`).
"""

from __future__ import annotations

import datetime as _dt
import enum
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any, NoReturn, Union

from pydantic import BaseModel

from .errors import InvalidValue
from .numbers import DYNAMODB_CONTEXT, INT_FAST_LIMIT, NEG_INT_FAST_LIMIT, checked, read_decimal, read_natural
from .numbers import number_text as _number
from .sizes import MAX_ITEM_BYTES, item_size

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

_INT_FAST_LIMIT = INT_FAST_LIMIT
_NEG_INT_FAST_LIMIT = NEG_INT_FAST_LIMIT
_checked = checked
_natural = read_natural
_create_decimal = read_decimal

# --------------------------------------------------------------------------- serialize


def _ser_str(v: str) -> AttributeValue:
    if type(v) is str or isinstance(v, str):
        return {"S": v}
    raise InvalidValue(f"a str field holds {type(v).__name__} {v!r:.60}")


def _ser_bool(v: bool) -> AttributeValue:
    if v is True or v is False:
        return {"BOOL": v}
    raise InvalidValue(f"a bool field holds {type(v).__name__} {v!r:.60}")


def _ser_none(v: None) -> AttributeValue:
    return {"NULL": True}


def _ser_int(v: int) -> AttributeValue:
    if type(v) is int and _NEG_INT_FAST_LIMIT < v < _INT_FAST_LIMIT:
        return {"N": str(v)}
    return {"N": _number(v)}


def _ser_decimal(v: Decimal) -> AttributeValue:
    return {"N": _checked(v, v)}


def _ser_number(v: int | float | Decimal) -> AttributeValue:
    return {"N": _number(v)}


def _ser_bytes(v: bytes | bytearray) -> AttributeValue:
    if isinstance(v, (bytes, bytearray)):
        return {"B": v}
    raise InvalidValue(f"a bytes field holds {type(v).__name__} {v!r:.60}")


def _ser_list(v: list[Any] | tuple[Any, ...]) -> AttributeValue:
    # A str element, the common one, is encoded inline: no dispatch and no call per element.
    return {"L": [{"S": x} if type(x) is str else serialize(x) for x in v]}


def _bad_key(k: object) -> str:
    if isinstance(k, str):  # str subclasses are fine, kept as they are (as boto3 does)
        return k
    raise InvalidValue(f"map keys must be strings, got {type(k).__name__} {k!r:.80}")


def _ser_map(v: Mapping[Any, Any]) -> AttributeValue:
    # Keys are evaluated first, so a bad key raises before its value is touched; a str value,
    # the common one, is encoded inline (as in lists).
    s, b = serialize, _bad_key
    return {"M": {k if type(k) is str else b(k): {"S": x} if type(x) is str else s(x) for k, x in v.items()}}


def _ser_set(v: AbstractSet[Any]) -> AttributeValue:
    if not v:
        raise InvalidValue("DynamoDB cannot store an empty set; use None (or omit the attribute) instead")
    # Fast paths: a set of exactly str, or exactly int. Both iterate ``v`` in its own order, as
    # boto3 does, so the output lists come out in the same order.
    first = next(iter(v))
    if type(first) is str:
        for x in v:
            if type(x) is not str:
                break
        else:
            return {"SS": list(v)}
    elif type(first) is int:
        for x in v:
            if type(x) is not int:
                break
        else:
            return {"NS": [_number(x) for x in v]}
    values = [x.value if isinstance(x, enum.Enum) else x for x in v]
    kinds = {_set_kind(x) for x in values}
    if len(kinds) != 1:
        raise InvalidValue(
            f"a set must hold one kind of value (strings, numbers or bytes), got {sorted(kinds)}"
        )
    kind = kinds.pop()
    members: list[Any] = [_number(x) for x in values] if kind == "NS" else values
    distinct: set[Any] = (
        set(map(read_decimal, members))
        if kind == "NS"
        else set(map(bytes, members))
        if kind == "BS"
        else set(members)
    )
    if len(distinct) != len(members):  # {0.1, Decimal("0.1")}, {Color.RED, "red"}: one member twice
        shown = sorted(map(str, members))
        raise InvalidValue(f"set members collide once stored as DynamoDB values: {shown!r:.120}")
    return {kind: members}


def _set_kind(x: Any) -> str:
    if isinstance(x, str):
        return "SS"
    if isinstance(x, (bytes, bytearray)):
        return "BS"
    if not isinstance(x, bool) and isinstance(x, (int, float, Decimal)):
        return "NS"
    raise InvalidValue(f"sets may hold strings, numbers or bytes, not {type(x).__name__}")


def _ser_datetime(v: _dt.date | _dt.time) -> AttributeValue:
    if type(v) is _dt.datetime or isinstance(v, _dt.datetime):
        return {"S": canonical_datetime(v)}
    return {"S": v.isoformat()}


_UTC = _dt.UTC


def canonical_datetime(v: _dt.datetime) -> str:
    """The one stored form of a datetime: UTC, ``isoformat()`` (so ``+00:00``, microseconds when
    not zero). Its text order is its time order (``+`` sorts before ``.``), so ``>``, ``<``,
    ``between`` and sort keys compare instants. A naive datetime is taken as UTC."""
    if v.tzinfo is None:
        return v.replace(tzinfo=_UTC).isoformat()
    return v.astimezone(_UTC).isoformat()


def _ser_uuid(v: uuid.UUID) -> AttributeValue:
    return {"S": str(v)}


_model_codec: list[Callable[[type[BaseModel]], Codec]] = []


def use_model_codecs(resolver: Callable[[type[BaseModel]], Codec]) -> None:
    """Encode nested model values with ``resolver(model class)``: the codec compiled by the schema."""
    _model_codec[:] = [resolver]


def _ser_model(v: BaseModel) -> AttributeValue:
    return _model_codec[0](type(v)).encode(v)  # installed by the schema module (always imported)


# Exact type -> serializer; the hot path is one dict lookup and one call.
_SERIALIZERS: dict[type, Callable[[Any], AttributeValue]] = {
    str: _ser_str,
    bool: _ser_bool,
    int: _ser_int,
    float: _ser_number,
    Decimal: _ser_decimal,
    type(None): _ser_none,
    bytes: _ser_bytes,
    bytearray: _ser_bytes,
    list: _ser_list,
    tuple: _ser_list,
    dict: _ser_map,
    set: _ser_set,
    frozenset: _ser_set,
    _dt.datetime: _ser_datetime,
    _dt.date: _ser_datetime,
    _dt.time: _ser_datetime,
    uuid.UUID: _ser_uuid,
}

# Subclasses (OrderedDict, str subclasses, ...), checked in this order: most specific first.
_SUBCLASS_SERIALIZERS: tuple[tuple[type | tuple[type, ...], Callable[[Any], AttributeValue]], ...] = (
    (str, _ser_str),
    ((int, float, Decimal), _ser_number),
    ((bytes, bytearray), _ser_bytes),
    ((list, tuple), _ser_list),
    (Mapping, _ser_map),
    (AbstractSet, _ser_set),
    ((_dt.date, _dt.time), _ser_datetime),
    (uuid.UUID, _ser_uuid),
)


def serialize(value: Any) -> AttributeValue:
    """Turn one Python value into a DynamoDB AttributeValue (boto3-compatible)."""
    fn = _SERIALIZERS.get(type(value))
    if fn is not None:
        return fn(value)
    return _serialize_other(value)


def _serialize_other(value: Any) -> AttributeValue:
    if isinstance(value, enum.Enum):
        return serialize(value.value)
    if isinstance(value, BaseModel):
        return _ser_model(value)
    for base, fn in _SUBCLASS_SERIALIZERS:
        if isinstance(value, base):
            return fn(value)
    raise InvalidValue(f"cannot store a value of type {type(value).__name__} in DynamoDB: {value!r:.80}")


def serialize_item(values: Mapping[str, Any]) -> Item:
    """Serialize a mapping of attribute name to Python value (no ``None`` filtering)."""
    ser = _SERIALIZERS.get
    out: Item = {}
    for k, v in values.items():
        fn = ser(type(v))
        out[k] = fn(v) if fn is not None else _serialize_other(v)
    return out


# --------------------------------------------------------------------------- deserialize


def _bad_av(av: Mapping[str, Any]) -> NoReturn:
    raise InvalidValue(f"an AttributeValue has exactly one type tag, got {list(av)!r:.80}")


def _unknown_tag(tag: str) -> NoReturn:
    raise InvalidValue(f"unknown DynamoDB type tag {tag!r}")


def _de_dec(av: Mapping[str, Any]) -> Any:
    """Deserialize with numbers as ``Decimal`` (boto3's behaviour)."""
    try:
        (tag,) = av
    except ValueError:
        _bad_av(av)
    if tag == "S":
        return av["S"]
    if tag == "N":
        return _create_decimal(av["N"])
    if tag == "M":
        return {k: _de_dec(v) for k, v in av["M"].items()}
    if tag == "L":
        return [_de_dec(v) for v in av["L"]]
    if tag == "BOOL":
        return av["BOOL"]
    if tag == "NULL":
        return None
    if tag == "SS":
        return set(av["SS"])
    if tag == "NS":
        return set(map(_create_decimal, av["NS"]))
    if tag == "B":
        return bytes(av["B"])
    if tag == "BS":
        return set(map(bytes, av["BS"]))
    _unknown_tag(tag)


def _de_nat(av: Mapping[str, Any]) -> Any:
    """Deserialize with integral numbers as ``int``, others as ``Decimal``."""
    try:
        (tag,) = av
    except ValueError:
        _bad_av(av)
    if tag == "S":
        return av["S"]
    if tag == "N":
        return _natural(av["N"])
    if tag == "M":
        return {k: _de_nat(v) for k, v in av["M"].items()}
    if tag == "L":
        return [_de_nat(v) for v in av["L"]]
    if tag == "BOOL":
        return av["BOOL"]
    if tag == "NULL":
        return None
    if tag == "SS":
        return set(av["SS"])
    if tag == "NS":
        return set(map(_natural, av["NS"]))
    if tag == "B":
        return bytes(av["B"])
    if tag == "BS":
        return set(map(bytes, av["BS"]))
    _unknown_tag(tag)


def deserialize(av: Mapping[str, Any], *, numbers: str = "decimal") -> Any:
    """Turn a DynamoDB AttributeValue into Python.

    ``numbers="decimal"`` returns :class:`~decimal.Decimal` like boto3's ``TypeDeserializer``;
    ``numbers="natural"`` returns ``int`` for integral literals and ``Decimal`` otherwise.
    ``B`` and ``BS`` give ``bytes`` (boto3 gives its ``Binary`` wrapper).
    """
    if numbers not in ("decimal", "natural"):
        raise InvalidValue(f"numbers must be 'decimal' or 'natural', not {numbers!r}")
    try:
        return _de_dec(av) if numbers == "decimal" else _de_nat(av)
    except InvalidValue:
        raise
    except Exception as exc:  # a malformed AttributeValue (a tag's value of the wrong shape)
        raise InvalidValue(f"cannot decode a {describe(av)}: {type(exc).__name__}: {exc!s:.80}") from exc


def deserialize_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Deserialize a whole item (boto3-compatible: numbers as ``Decimal``)."""
    return {k: _de_dec(v) for k, v in item.items()}


# --------------------------------------------------------------------------- per-field codecs


class Codec:
    """How one field turns into an AttributeValue and back; chosen once per field."""

    __slots__ = ("decode", "encode", "kind")

    def __init__(
        self,
        encode: Callable[[Any], AttributeValue],
        decode: Callable[[AttributeValue], Any],
        kind: str | None = None,
    ) -> None:
        self.encode = encode
        self.decode = decode
        #: The scalar DynamoDB type ("S", "N", "B") when the field always has one; used for keys.
        self.kind = kind


def _dec_generic(av: AttributeValue) -> Any:
    return _de_nat(av)


GENERIC = Codec(serialize, _dec_generic)


def _dec_s(av: AttributeValue) -> Any:
    return av["S"]


def _dec_int(av: AttributeValue) -> Any:
    return _natural(av["N"])


def _dec_float(av: AttributeValue) -> Any:
    return float(av["N"])


def _dec_decimal(av: AttributeValue) -> Any:
    return _create_decimal(av["N"])


def _dec_bool(av: AttributeValue) -> Any:
    return av["BOOL"]


def _dec_bytes(av: AttributeValue) -> Any:
    return bytes(av["B"])


def _dec_set(av: AttributeValue) -> Any:
    if len(av) == 1:
        if "SS" in av:
            return set(av["SS"])
        if "NS" in av:
            return set(map(_natural, av["NS"]))
        if "BS" in av:
            return set(map(bytes, av["BS"]))
    raise InvalidValue(f"a set field holds a {describe(av)}, not a set (SS, NS or BS)")


def _ser_enum(v: Any) -> AttributeValue:
    return serialize(v.value if isinstance(v, enum.Enum) else v)


def describe(av: object) -> str:
    """What a stored AttributeValue is, for error messages: ``S value``, ``L value``, ..."""
    if isinstance(av, Mapping) and len(av) == 1:
        return f"{next(iter(av))} value"
    return f"malformed AttributeValue {av!r:.60}"


def decode_value(codec: Codec, av: AttributeValue) -> Any:
    """``codec.decode(av)``; a stored NULL is ``None`` (pydantic then says whether the field allows
    it); a value of another DynamoDB type raises :class:`InvalidValue` saying what was found."""
    try:
        return codec.decode(av)
    except Exception as exc:
        if isinstance(av, Mapping) and len(av) == 1 and av.get("NULL") is True:
            return None
        if isinstance(exc, InvalidValue):
            raise
        raise InvalidValue(
            f"cannot decode a {describe(av)} here ({type(exc).__name__}: {exc!s:.80})"
        ) from exc


def strip_annotation(annotation: Any) -> tuple[Any, bool]:
    """Remove ``Annotated`` and ``Optional``; say whether ``None`` was allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin is Union or origin is types.UnionType:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != len(typing.get_args(annotation)):
                optional = True
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, optional


def codec_for(annotation: Any) -> Codec:
    """Pick the codec for a field annotation; anything unusual falls back to the generic one."""
    tp, _ = strip_annotation(annotation)
    if tp is str:
        return Codec(_ser_str, _dec_s, "S")
    if tp is bool:
        return Codec(_ser_bool, _dec_bool)
    if tp is int:
        return Codec(_ser_int, _dec_int, "N")
    if tp is float:
        return Codec(_ser_number, _dec_float, "N")
    if tp is Decimal:
        return Codec(_ser_number, _dec_decimal, "N")
    if tp is bytes:
        return Codec(_ser_bytes, _dec_bytes, "B")
    if typing.get_origin(tp) in (set, frozenset, AbstractSet) or tp in (set, frozenset):
        return Codec(serialize, _dec_set)
    if tp in (_dt.datetime, _dt.date, _dt.time, uuid.UUID):
        return Codec(_SERIALIZERS[tp], _dec_s, "S")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        kinds = {type(m.value) for m in tp}
        kind = "S" if kinds == {str} else "N" if kinds == {int} else None
        return Codec(_ser_enum, _dec_generic, kind)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return Codec(_ser_model, _dec_generic)
    return GENERIC


__all__ = [
    "DYNAMODB_CONTEXT",
    "MAX_ITEM_BYTES",
    "AttributeValue",
    "Codec",
    "GENERIC",
    "Item",
    "canonical_datetime",
    "codec_for",
    "decode_value",
    "describe",
    "deserialize",
    "deserialize_item",
    "item_size",
    "serialize",
    "serialize_item",
    "strip_annotation",
    "use_model_codecs",
]
