"""The conditions the library adds to writes of its own accord: the optimistic-locking version
check and, on a table shared by several models, the guard that keeps a write to its own model's
items. Built once per model where they can be, since every write pays for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..expressions import Condition, Encoder, Path
from .common import condition_params

if TYPE_CHECKING:
    from ..schema import Schema


def version_condition(schema: Schema, obj: Any) -> tuple[Condition | None, int | None, int | None]:
    """The optimistic-locking condition for writing ``obj``, the version it expects, and the next one."""
    v = schema.version
    if v is None:
        return None, None, None
    current = getattr(obj, v.name)
    path: Path[int] = Path((v.attr,), v.codec)
    if not current:
        return path.not_exists(), 0, 1
    return path == current, current, current + 1


def same_model_condition(schema: Schema) -> Condition | None:
    """``attribute_not_exists(<discriminator>) OR <discriminator> = :value`` for a model with a
    discriminator (``None`` otherwise): a put, delete or condition check through it fails on an
    item of another model of the table, and the failure returns that item (to raise ``WrongModel``).
    Batch writes cannot carry it (BatchWriteItem takes no conditions).

    An absent item has no discriminator either, and an item written before its model had one
    is read as the model, so it can be deleted through it too (as reads and updates treat it).
    """
    if schema.discriminator is None or schema.discriminator_attr is None:
        return None
    ident = (schema.discriminator_attr, schema.discriminator)
    guard = _GUARDS.get(ident)
    if guard is None:  # an immutable value: built once per model, not per request
        dpath: Path[Any] = Path((schema.discriminator_attr,))
        guard = _GUARDS[ident] = dpath.not_exists() | (dpath == schema.discriminator)
    return guard


_GUARDS: dict[tuple[str, str], Condition] = {}
_GUARD_PARAMS: dict[tuple[str | None, str | None], dict[str, Any]] = {}


def guard_params(schema: Schema, guard: Condition) -> dict[str, Any]:
    """The request parameters of :func:`same_model_condition` (``guard``) as a request's only
    condition: encoded once per model, copied per request (a request's parameters are its own)."""
    ident = (schema.discriminator_attr, schema.discriminator)
    cached = _GUARD_PARAMS.get(ident)
    if cached is None:
        enc = Encoder()
        cached = _GUARD_PARAMS[ident] = {**condition_params(schema, enc, guard), **enc.params()}
    return {
        "ConditionExpression": cached["ConditionExpression"],
        "ReturnValuesOnConditionCheckFailure": cached["ReturnValuesOnConditionCheckFailure"],
        "ExpressionAttributeNames": dict(cached["ExpressionAttributeNames"]),
        "ExpressionAttributeValues": {k: dict(v) for k, v in cached["ExpressionAttributeValues"].items()},
    }


__all__ = ["guard_params", "same_model_condition", "version_condition"]
