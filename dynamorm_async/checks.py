"""Writes checked before they are sent: field values, keys and DynamoDB's limits.

What DynamoDB would refuse (or, worse, accept and then never read back) is refused here with a
typed error, so nothing is sent: a field holding a value of another type, a key over 2,048
(partition) or 1,024 (sort) bytes, an empty string in an index key, values in expressions that
the field's own validation refuses, updates that remove a required field or change the version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pydantic

from .errors import InvalidKey, InvalidValue, ItemTooLarge
from .marshal import Codec, codec_for, serialize
from .single_table import DEFAULT_DISCRIMINATOR_ATTR
from .sizes import MAX_ITEM_BYTES, MAX_NAME_BYTES, attribute_size, value_size

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .marshal import AttributeValue, Item
    from .schema import FieldSpec, Schema

#: DynamoDB's limits on key values, in bytes (UTF-8 for strings).
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024


def encode_fields(schema: Schema, obj: BaseModel) -> Item:
    """The instance's fields as attributes (``None`` and empty sets left out); a field holding
    something its codec cannot store raises :class:`InvalidValue` naming the field."""
    item: Item = {}
    f = None
    try:
        for f in schema.fields:
            value = getattr(obj, f.name, None)  # model_construct() may leave fields unset
            if value is None or (isinstance(value, (set, frozenset)) and not value):
                continue
            item[f.attr] = f.codec.encode(value)
    except Exception as exc:  # a mutated instance, a model_construct()ed one, a too-deep value
        name = f"{schema.model.__name__}.{f.name}" if f is not None else schema.model.__name__
        if isinstance(exc, RecursionError):
            raise InvalidValue(f"{name} is nested too deeply to store") from None
        raise InvalidValue(f"{name} cannot be stored: {exc!s:.200}") from exc
    return item


def check_key_value(model: str, f: FieldSpec, av: AttributeValue, limit: int) -> None:
    """A key attribute's value: of the key's type, not empty, at most ``limit`` bytes."""
    ((tag, raw),) = av.items()
    if tag != f.codec.kind or not isinstance(raw, bytes if tag == "B" else str):
        raise InvalidKey(f"{model}.{f.name} is a key of type {f.codec.kind}; got {raw!r:.80}")
    if tag in ("S", "B"):
        if len(raw) == 0:
            raise InvalidKey(
                f"{model}.{f.name} is a key and cannot be an empty {'string' if tag == 'S' else 'binary'}"
            )
        size = len(raw) if tag == "B" or raw.isascii() else value_size(av)
        if size > limit:
            raise InvalidKey(f"{model}.{f.name} is a key of {size} bytes; DynamoDB's limit is {limit}")


def key_limit(schema: Schema, f: FieldSpec) -> int:
    """The byte limit of a key attribute: 1,024 for sort keys (of the table or an index), else 2,048."""
    if f is schema.range_key or any(i.range is f for i in schema.indexes.values()):
        return MAX_SORT_KEY_BYTES
    return MAX_PARTITION_KEY_BYTES


def check_item_keys(schema: Schema, item: Item) -> None:
    """The item's primary key is present and valid; index key attributes it holds are valid too
    (DynamoDB refuses an empty string or binary in any index key attribute)."""
    model = schema.model.__name__
    for f in schema.key_fields:
        if f.attr not in item:
            raise InvalidKey(f"{model}.{f.name} is a key and cannot be empty")
        check_key_value(model, f, item[f.attr], key_limit(schema, f))
    for index in schema.indexes.values():
        for spec in (index.hash, index.range):
            if spec is not None and spec.attr in item and spec.attr not in schema.key_attrs:
                try:
                    check_key_value(model, spec, item[spec.attr], key_limit(schema, spec))
                except InvalidKey as exc:
                    raise InvalidValue(f"index {index.name!r}: {exc}") from None


def checking_codec(schema: Schema, f: FieldSpec) -> Codec:
    """``f``'s codec for values in expressions: each value is first validated as the field's type
    (``int_field.set(1.5)``, ``str_field == 5``, ``== None`` on a required field are refused)."""
    adapter: list[pydantic.TypeAdapter[Any]] = []
    inner = f.codec

    def encode(value: Any) -> AttributeValue:
        if not adapter:
            annotation: Any = schema.model.model_fields[f.name].annotation
            adapter.append(pydantic.TypeAdapter(annotation))
        try:
            checked = adapter[0].validate_python(value)
        except pydantic.ValidationError as exc:
            raise InvalidValue(
                f"{value!r:.80} is not a valid value for {schema.model.__name__}.{f.name}: "
                f"{exc.errors()[0]['msg']}"
            ) from exc
        if checked is None:
            return {"NULL": True}
        av = inner.encode(checked)
        value_size(av)  # lone surrogates, empty map keys, nesting deeper than DynamoDB allows
        return av

    return Codec(encode, inner.decode, inner.kind)


# --------------------------------------------------------------------------- one-walk encoding
# A batch write encodes and sizes every item; the functions below do both in one walk.

# The exact value types the library's own codecs store as plain ``{"S": v}`` / ``{"BOOL": v}``,
# built and sized here without calling them; any other codec (a custom one) is called.
_INLINE = {
    codec_for(str).encode: frozenset({str}),
    codec_for(bool).encode: frozenset({bool}),
    serialize: frozenset({str, bool}),
}
_Plan = tuple[tuple["FieldSpec", str, int, frozenset[type]], ...]
_PLANS: dict[int, tuple[tuple[FieldSpec, ...], _Plan]] = {}


def _plan(schema: Schema) -> _Plan:
    """Per field: its spec, attribute name, the name's size (-1: sized later, as item_size would
    refuse it) and the value types stored inline; made once per field tuple."""
    fields = schema.fields
    found = _PLANS.get(id(fields))
    if found is not None and found[0] is fields:
        return found[1]
    plan = tuple(
        (
            f,
            f.attr,
            len(f.attr) if f.attr.isascii() and 0 < len(f.attr) <= MAX_NAME_BYTES else -1,
            _INLINE.get(f.codec.encode, frozenset()),
        )
        for f in fields
    )
    if len(_PLANS) >= 1024:  # models made at run time (tests): keep the table bounded
        _PLANS.clear()
    _PLANS[id(fields)] = (fields, plan)
    return plan


def encode_sized(schema: Schema, obj: BaseModel) -> tuple[Item, int]:
    """``schema.encode(obj)`` and its :func:`~dynamorm_async.sizes.item_size` in one walk.

    Each value is sized as it is encoded (an ASCII string or a boolean stored plainly without a
    call); a value whose size cannot be read is sized again after the key checks, in item order,
    so the item, its size and the first error raised are those of ``Schema.encode`` followed by
    ``item_size`` (a property test holds them equal).
    It must follow ``Schema.encode``: fields, key checks, then the discriminator.
    """
    item: Item = {}
    size = 0
    later: list[str] = []  # attributes sized after the key checks
    f = None
    try:
        for f, attr, attr_size, inline in _plan(schema):
            value = getattr(obj, f.name, None)  # model_construct() may leave fields unset
            if value is None:
                continue
            kind = type(value)
            if kind in inline and attr_size >= 0:
                if kind is str:
                    item[attr] = {"S": value}
                    if value.isascii():
                        size += attr_size + len(value)
                        continue
                else:
                    item[attr] = {"BOOL": value}
                    size += attr_size + 1
                    continue
            elif isinstance(value, (set, frozenset)) and not value:
                continue
            else:
                av = item[attr] = f.codec.encode(value)
                if attr_size >= 0:
                    try:
                        size += attr_size + value_size(av)
                        continue
                    except Exception:  # raised again when sized after the key checks, in order
                        pass
            later.append(attr)
    except Exception as exc:  # as encode_fields reports it
        name = f"{schema.model.__name__}.{f.name}" if f is not None else schema.model.__name__
        if isinstance(exc, RecursionError):
            raise InvalidValue(f"{name} is nested too deeply to store") from None
        raise InvalidValue(f"{name} cannot be stored: {exc!s:.200}") from exc
    check_item_keys(schema, item)
    if schema.discriminator is not None:
        attr = schema.discriminator_attr or DEFAULT_DISCRIMINATOR_ATTR
        if attr in item:  # a field of that name: its size was counted; count the item again
            item[attr] = {"S": schema.discriminator}
            later, size = list(item), 0
        else:
            item[attr] = {"S": schema.discriminator}
            later.append(attr)
    for attr in later:
        size += attribute_size(attr, item[attr])
    return item, size


def encode_within_limit(schema: Schema, obj: BaseModel) -> Item:
    """``schema.encode_checked(obj)`` in one walk (:func:`encode_sized`): the item, refused with
    :class:`ItemTooLarge` over DynamoDB's 400 KB."""
    item, size = encode_sized(schema, obj)
    if size > MAX_ITEM_BYTES:
        raise ItemTooLarge(
            f"{schema.model.__name__} item is {size} bytes; DynamoDB's limit is {MAX_ITEM_BYTES}",
            size=size,
            limit=MAX_ITEM_BYTES,
        )
    return item


__all__ = [
    "MAX_PARTITION_KEY_BYTES",
    "MAX_SORT_KEY_BYTES",
    "check_item_keys",
    "check_key_value",
    "checking_codec",
    "encode_fields",
    "encode_sized",
    "encode_within_limit",
    "key_limit",
]
