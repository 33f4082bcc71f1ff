"""A model instance encoded and sized in one walk: what a batch write does for every item.

:func:`encode_sized` gives ``Schema.encode``'s item and :func:`~dynamorm_async.sizes.item_size`'s
count of it without walking the item a second time; :func:`encode_within_limit` is
``Schema.encode_checked`` built on it. It must follow ``Schema.encode`` (fields as
:func:`~dynamorm_async.checks.encode_fields` encodes them, the template keys, the key checks,
then the discriminator); ``tests/unit/test_batch_encoding.py`` holds the two equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .checks import check_item_keys, key_limit
from .errors import InvalidValue, ItemTooLarge
from .keyspecs import add_template_keys
from .marshal import _bad_key, codec_for, serialize
from .numbers import INT_FAST_LIMIT, NEG_INT_FAST_LIMIT
from .single_table import DEFAULT_DISCRIMINATOR_ATTR
from .sizes import MAX_ITEM_BYTES, MAX_NAME_BYTES, _number_size, attribute_size, value_size

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .marshal import Item
    from .schema import FieldSpec, Schema

# The exact value types the library's own codecs store plainly (``{"S": v}``, ``{"BOOL": v}``,
# ``{"N": str(v)}`` for an int, ``{"L": [...]}`` and ``{"M": {...}}`` as ``serialize`` builds them),
# built and sized here without calling them; any other codec (a custom one) is called.
_INLINE = {
    codec_for(str).encode: frozenset({str}),
    codec_for(bool).encode: frozenset({bool}),
    codec_for(int).encode: frozenset({int}),
    serialize: frozenset({str, bool, int, list, dict}),
}
_Plan = tuple[tuple["FieldSpec", str, int, frozenset[type]], ...]
#: Per key attribute to check: its name, kind, byte limit and whether the item must hold it.
_KeyChecks = tuple[tuple[str, str, int, bool], ...]
_PLANS: dict[int, tuple[Schema, tuple[FieldSpec, ...], _Plan, _KeyChecks | None]] = {}


def _plan(schema: Schema) -> tuple[_Plan, _KeyChecks | None]:
    """Per field: its spec, attribute name, the name's size (-1: sized later, as item_size would
    refuse it) and the value types stored inline; and the key attributes :func:`_keys_plain`
    checks (None: a key of no kind, left to ``check_item_keys``). Made once per schema."""
    fields = schema.fields
    found = _PLANS.get(id(schema))
    if found is not None and found[0] is schema and found[1] is fields:
        return found[2], found[3]
    plan = tuple(
        (
            f,
            f.attr,
            len(f.attr) if f.attr.isascii() and 0 < len(f.attr) <= MAX_NAME_BYTES else -1,
            _INLINE.get(f.codec.encode, frozenset()),
        )
        for f in fields
    )
    specs = [(f, True) for f in schema.key_fields]
    for index in schema.indexes.values():
        specs += [(f, False) for f in (index.hash, index.range) if f is not None]
    checks: _KeyChecks | None = tuple(
        (f.attr, f.codec.kind or "", key_limit(schema, f), required)
        for f, required in specs
        if required or f.attr not in schema.key_attrs
    )
    if any(kind not in ("S", "N", "B") for _, kind, _, _ in checks or ()):
        checks = None
    if len(_PLANS) >= 1024:  # models made at run time (tests): keep the table bounded
        _PLANS.clear()
    _PLANS[id(schema)] = (schema, fields, plan, checks)
    return plan, checks


def _keys_plain(checks: _KeyChecks, item: Item) -> bool:
    """Whether every key attribute is plainly valid (present if required, of its kind, not empty,
    ASCII text or bytes within its limit): then ``check_item_keys`` would pass, and is not called."""
    for attr, kind, limit, required in checks:
        av = item.get(attr)
        if av is None:
            if required:
                return False
            continue
        if len(av) != 1:
            return False
        raw = av.get(kind)
        if kind == "S":
            if type(raw) is not str or not 0 < len(raw) <= limit or not raw.isascii():
                return False
        elif kind == "N":
            if type(raw) is not str:
                return False
        elif type(raw) is not bytes or not 0 < len(raw) <= limit:
            return False
    return True


def encode_sized(schema: Schema, obj: BaseModel) -> tuple[Item, int]:
    """``schema.encode(obj)`` and its :func:`~dynamorm_async.sizes.item_size` in one walk.

    Each value is sized as it is encoded: a string, boolean, int, list or map that the library's
    own codecs store plainly is built here without a call, ASCII text sized by its length. A
    value whose size cannot be read is sized again after the key checks, in item order, so the
    item, its size and the first error raised are those of ``Schema.encode`` followed by
    ``item_size`` (property tests hold them equal).
    It must follow ``Schema.encode``: fields, template keys, key checks, then the discriminator.
    """
    item: Item = {}
    size = 0
    later: list[str] = []  # attributes sized after the key checks
    f = None
    try:
        plan, key_checks = _plan(schema)
        for f, attr, attr_size, inline in plan:
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
                    later.append(attr)
                    continue
                if kind is bool:
                    item[attr] = {"BOOL": value}
                    size += attr_size + 1
                    continue
                if kind is int:
                    if NEG_INT_FAST_LIMIT < value < INT_FAST_LIMIT:  # as _ser_int and serialize
                        raw = str(value)
                        item[attr] = {"N": raw}
                        size += attr_size + _number_size(raw)
                        continue
                    av = item[attr] = f.codec.encode(value)
                elif kind is list:  # as marshal._ser_list, sized inline when every element is ASCII text
                    av = item[attr] = {"L": [{"S": x} if type(x) is str else serialize(x) for x in value]}
                    n = 3
                    for x in value:
                        if type(x) is not str or not x.isascii():
                            break
                        n += 1 + len(x)
                    else:
                        size += attr_size + n
                        continue
                else:  # a dict, as marshal._ser_map; sized inline when keys and values are ASCII text
                    s, b = serialize, _bad_key
                    av = item[attr] = {
                        "M": {
                            k if type(k) is str else b(k): {"S": x} if type(x) is str else s(x)
                            for k, x in value.items()
                        }
                    }
                    n = 3
                    for k, x in value.items():
                        if not (
                            type(k) is str
                            and type(x) is str
                            and k.isascii()
                            and 0 < len(k) <= MAX_NAME_BYTES
                            and x.isascii()
                        ):
                            break
                        n += 1 + len(k) + len(x)
                    else:
                        size += attr_size + n
                        continue
            elif isinstance(value, (set, frozenset)) and not value:
                continue
            elif attr_size < 0:
                item[attr] = f.codec.encode(value)
                later.append(attr)
                continue
            else:
                av = item[attr] = f.codec.encode(value)
            try:  # as item_size would size it
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
    if schema.template_keys:  # composed keys, after the fields, as Schema.encode adds them
        known = len(item)
        add_template_keys(schema, obj, item)
        later.extend(list(item)[known:])
    if key_checks is None or not _keys_plain(key_checks, item):
        check_item_keys(schema, item)  # checks each key and raises as Schema.encode does
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


__all__ = ["encode_sized", "encode_within_limit"]
