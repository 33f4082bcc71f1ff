"""What every request builder shares: keys, attribute checks, conditions, projections, decoding.

Each rule here exists once: how a key argument becomes a key item, how a key is identified
across requests, how conditions are combined (and ask DynamoDB for the current item when they
fail), how a projection always reads the keys, and how the current item of a failed condition
is decoded. Pure functions of a compiled :class:`~dynamorm_async.schema.Schema`; no I/O.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, UnknownAttribute
from ..expressions import Condition, Encoder, Path

if TYPE_CHECKING:
    from ..marshal import AttributeValue, Item
    from ..model import Model
    from ..schema import Schema

#: A model instance, a mapping of key field values, a hash key value, or a ``(hash, range)`` tuple.
KeyArg = Any
#: A hashable identity of a key item (see :func:`key_id`).
KeyId = tuple[tuple[str, str, Any], ...]
#: Paths or dotted field names, as ``projection=`` takes them.
Projection = Sequence[Path[Any] | str]


def key_item(schema: Schema, key: KeyArg, range_value: Any = None) -> Item:
    """The primary key item for a key argument: an instance, a mapping of the key fields' values
    by name (``{"customer_id": "c1", "order_id": "o1"}``: the only value form of a key composed
    by templates), a hash value, or ``(hash, range)``."""
    if isinstance(key, schema.model):
        return schema.key_of(key)
    if isinstance(key, Mapping):
        if range_value is not None:
            raise InvalidInput("give the key as one mapping of field values, without a range value")
        return schema.key_from_fields(key)
    if schema.templated:
        names = ", ".join(f"{n!r}: ..." for n in sorted(schema.key_names))
        raise InvalidInput(
            f"{schema.model.__name__}'s key is composed from fields by templates, so it is given "
            f"by their values as a mapping, {{{names}}}, or by an instance; not by key values"
        )
    if isinstance(key, tuple):
        if range_value is not None or len(key) not in (1, 2):
            raise InvalidInput("give the key as (hash, range), or as hash and range arguments")
        return schema.key(*key)
    return schema.key(key, range_value)


def key_from_item(key_attrs: Iterable[str], item: Mapping[str, AttributeValue]) -> Item:
    """The key attributes of a full item (as written or as read back)."""
    return {a: item[a] for a in key_attrs}


def key_id(key: Mapping[str, AttributeValue]) -> KeyId:
    """A hashable identity of a key item; numbers compare by value (``1`` and ``1.0`` are one key)."""
    out = []
    for attr in sorted(key):
        ((tag, raw),) = key[attr].items()
        value = Decimal(raw) if tag == "N" else bytes(raw) if tag == "B" else raw
        out.append((attr, tag, value))
    return tuple(out)


def check_paths(schema: Schema, paths: Iterable[Path[Any]], what: str) -> None:
    """Refuse paths whose first element is not an attribute the model declares (or its
    discriminator attribute or a key attribute composed by a template, which the library's own
    conditions and filters name)."""
    by_attr = schema.by_attr
    for p in paths:
        head = p.elements[0] if p.elements else None
        if not isinstance(head, str) or (
            head not in by_attr and head != schema.discriminator_attr and head not in schema.key_attrs
        ):
            raise UnknownAttribute(f"{what} names {p.name!r}, which {schema.model.__name__} does not declare")


def combine(*conditions: Condition | None) -> Condition | None:
    """The AND of the conditions given (``None`` ones left out), or ``None`` when there are none."""
    present = [c for c in conditions if c is not None]
    if not present:
        return None
    combined = present[0]
    for c in present[1:]:
        combined = combined & c
    return combined


def condition_params(schema: Schema, enc: Encoder, *conditions: Condition | None) -> dict[str, Any]:
    """``ConditionExpression`` for the conditions, checked against the model.

    A conditional write also asks for the item as it is now when the condition fails
    (``ReturnValuesOnConditionCheckFailure``), so the error can carry it.
    """
    combined = combine(*conditions)
    if combined is None:
        return {}
    check_paths(schema, combined.paths(), "the condition")
    return {
        "ConditionExpression": enc.condition(combined),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def projection_paths(schema: Schema, projection: Projection) -> tuple[Path[Any], ...]:
    """Paths for ``projection`` (paths or dotted field names), checked against the model."""
    model = typing.cast("type[Model]", schema.model)
    paths = tuple(model.attr.path(p) if isinstance(p, str) else p for p in projection)
    for p in paths:
        if not isinstance(p, Path):
            raise InvalidInput(f"a projection takes paths or field names, not {p!r}")
    check_paths(schema, paths, "the projection")
    return paths


def projection_expression(enc: Encoder, paths: Iterable[Path[Any]], always: Iterable[str]) -> str:
    """A ``ProjectionExpression`` of ``paths`` plus the top-level attributes ``always`` (the keys)."""
    out = list(paths)
    for attr in always:  # keys are always read, so the model (and a cursor) can be built
        if not any(p.elements == (attr,) for p in out):
            out.append(Path((attr,)))
    return enc.projection(out)


def projection_params(schema: Schema, enc: Encoder, projection: Projection | None) -> dict[str, Any]:
    """``ProjectionExpression`` for a GetItem or BatchGetItem: the paths and the table's keys."""
    if not projection:
        return {}
    paths = projection_paths(schema, projection)
    keys = [f.attr for f in schema.key_fields]
    if schema.discriminator_attr is not None:  # read too, so an item of another model is told apart
        keys.append(schema.discriminator_attr)
    return {"ProjectionExpression": projection_expression(enc, paths, keys)}


def decode_item(schema: Schema, item: Mapping[str, AttributeValue], *, partial: bool = False) -> Any:
    """A model from a raw item; ``partial`` (projections) builds it without validation."""
    return schema.decode_partial(item) if partial else schema.decode(item)


def decode_current(schema: Schema, raw: Any) -> Any:
    """The item a failed condition returned, as a model; ``None`` when absent or unreadable."""
    if isinstance(raw, dict) and raw:
        try:
            return schema.decode(raw)
        except InvalidInput:
            return None
    return None


__all__ = [
    "KeyArg",
    "KeyId",
    "Projection",
    "check_paths",
    "combine",
    "condition_params",
    "decode_current",
    "decode_item",
    "key_from_item",
    "key_id",
    "key_item",
    "projection_expression",
    "projection_params",
    "projection_paths",
]
