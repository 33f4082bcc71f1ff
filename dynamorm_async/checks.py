"""Writes checked before they are sent: field values, keys and DynamoDB's limits.

What DynamoDB would refuse (or, worse, accept and then never read back) is refused here with a
typed error, so nothing is sent: a field holding a value of another type, a key over 2,048
(partition) or 1,024 (sort) bytes, an empty string in an index key, values in expressions that
the field's own validation refuses, updates that remove a required field or change the version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pydantic

from .errors import InvalidKey, InvalidValue
from .marshal import Codec
from .sizes import value_size

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


__all__ = [
    "MAX_PARTITION_KEY_BYTES",
    "MAX_SORT_KEY_BYTES",
    "check_item_keys",
    "check_key_value",
    "checking_codec",
    "encode_fields",
    "key_limit",
]
