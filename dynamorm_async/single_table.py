"""Several models in one table: the registry of models that declare a ``discriminator=`` value
on a table, and the checks, run when each such model is defined, that they agree with each other.

Models without a discriminator are not registered (a table named by one model keeps working as
before). Checks compare the new model with those already on its table, so definition order does
not matter; redefining a class (same module and qualified name) replaces its entry, and a
subclass of a table model inherits its discriminator unless it declares its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ModelError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .schema import FieldSpec, Schema

#: The attribute that names an item's model when a model declares ``discriminator=``.
DEFAULT_DISCRIMINATOR_ATTR = "entity"

_TABLES: dict[str, dict[str, Schema]] = {}


def check_discriminator(
    name: str, table: str | None, value: object, attr: object, by_attr: Mapping[str, FieldSpec]
) -> None:
    """:class:`ModelError` for a ``discriminator=`` declaration that cannot work on its own."""
    if table is None:
        raise ModelError(f"{name} declares discriminator={value!r} but no table")
    if not isinstance(value, str) or not value:
        raise ModelError(f"{name}: discriminator must be a non-empty string, got {value!r}")
    if not isinstance(attr, str) or not attr:
        raise ModelError(f"{name}: discriminator_attr must be a non-empty string, got {attr!r}")
    if attr in by_attr:
        raise ModelError(
            f"{name}: the discriminator attribute {attr!r} collides with field {by_attr[attr].name!r}"
        )


def _ident(schema: Schema) -> str:
    return f"{schema.model.__module__}.{schema.model.__qualname__}"


def _key_shape(schema: Schema) -> tuple[str | None, str | None]:
    return (
        schema.hash_key.attr if schema.hash_key else None,
        schema.range_key.attr if schema.range_key else None,
    )


def _key_types(schema: Schema) -> dict[str, str | None]:
    """Each key attribute (table and indexes) -> its DynamoDB type (``S``, ``N``, ``B``)."""
    out: dict[str, str | None] = {}
    keys: list[FieldSpec | None] = [schema.hash_key, schema.range_key]
    for index in schema.indexes.values():
        keys += [index.hash, index.range]
    for f in keys:
        if f is not None:
            out[f.attr] = f.codec.kind
    return out


def _conflict(new: Schema, old: Schema) -> str | None:
    """Why ``new`` cannot share its table with ``old``, or ``None``."""
    if new.discriminator_attr != old.discriminator_attr:
        return (
            f"its discriminator attribute is {new.discriminator_attr!r}, "
            f"{old.model.__name__}'s is {old.discriminator_attr!r}"
        )
    if new.discriminator == old.discriminator:
        return f"the discriminator value {new.discriminator!r} is already {old.model.__name__}'s"
    if _key_shape(new) != _key_shape(old):
        return f"its key attributes {_key_shape(new)} differ from {old.model.__name__}'s {_key_shape(old)}"
    for schema, other in ((new, old), (old, new)):
        if schema.discriminator_attr in other.by_attr:
            attr = schema.discriminator_attr
            return f"the discriminator attribute {attr!r} is a field of {other.model.__name__}"
    old_types = _key_types(old)
    for attr, kind in _key_types(new).items():
        if attr in old_types and old_types[attr] != kind:
            return f"key attribute {attr!r} is {kind} here but {old_types[attr]} in {old.model.__name__}"
        if attr not in old_types and attr in old.by_attr and old.by_attr[attr].codec.kind != kind:
            return f"key attribute {attr!r} is stored as another type by {old.model.__name__}"
    for name, index in new.indexes.items():
        theirs = old.indexes.get(name)
        if theirs is None:
            continue
        mine = (index.kind, index.hash.attr, index.range.attr if index.range else None)
        seen = (theirs.kind, theirs.hash.attr, theirs.range.attr if theirs.range else None)
        if mine != seen:
            return f"index {name!r} is {mine} here but {seen} in {old.model.__name__}"
    if new.ttl is not None and old.ttl is not None and new.ttl.attr != old.ttl.attr:
        return (
            f"its TTL attribute is {new.ttl.attr!r}, {old.model.__name__}'s is {old.ttl.attr!r} "
            "(a table has one TTL attribute)"
        )
    return _overlap(new, old)


def _overlap(new: Schema, old: Schema) -> str | None:
    """Why two template models could write the same primary key (conservatively), or ``None``."""
    nh, oh = new.hash_key, old.hash_key
    if nh is None or oh is None or nh.template is None or oh.template is None:
        return None
    if nh.template != oh.template:
        return None
    nr = new.range_key.template if new.range_key is not None else None
    or_ = old.range_key.template if old.range_key is not None else None
    if nr is None or or_ is None:
        return None if (nr is None) != (or_ is None) else f"both write key {nh.template.template!r}"
    if nr.may_overlap(or_):
        return (
            f"its sort key template {nr.template!r} could write the same keys as "
            f"{old.model.__name__}'s {or_.template!r} in one partition; give each model a distinct "
            "leading literal (e.g. 'ORDER#', 'LINE#')"
        )
    return None


def check_table_models(schema: Schema) -> None:
    """Register a model with a discriminator on its table; :class:`ModelError` if it disagrees
    with a model already there."""
    if schema.discriminator is None or schema.table is None:
        return
    models = _TABLES.setdefault(schema.table, {})
    ident = _ident(schema)
    for other_ident, other in models.items():
        if other_ident == ident or issubclass(schema.model, other.model):
            continue  # a redefinition, or a subclass reading and writing its parent's items
        why = _conflict(schema, other)
        if why is not None:
            raise ModelError(f"{schema.model.__name__} cannot share table {schema.table!r}: {why}")
    models[ident] = schema


def table_models(table: str) -> tuple[Schema, ...]:
    """The models with a discriminator registered on ``table``, in definition order."""
    return tuple(_TABLES.get(table, {}).values())


__all__ = ["DEFAULT_DISCRIMINATOR_ATTR", "check_discriminator", "check_table_models", "table_models"]
