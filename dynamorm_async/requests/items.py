"""Single-item requests as values: GetItem, PutItem, UpdateItem, DeleteItem and ConditionCheck.

Each builder returns an :class:`ItemRequest`: the parameters to send, the item's key, and what
to set on the model instance once DynamoDB has accepted the write (timestamps, the next version,
the TTL). Managers send it on its own; transactions send it as one of their items
(:meth:`ItemRequest.transact_item`); batch writes send its item (:meth:`ItemRequest.batch_item`).
Builders check everything they can before anything is sent and do no I/O. ``table`` names
another table than the model's (a manager whose table was renamed); by default it is the model's.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ..errors import InvalidInput, InvalidValue, KeyUpdateError
from ..expressions import (
    Action,
    AddAction,
    Condition,
    Encoder,
    Path,
    RemoveAction,
    SetAction,
    Update,
    Value,
)
from ..item_encoding import encode_within_limit
from ..keyspecs import key_field_values, render_key
from .common import KeyArg, Projection, check_paths, condition_params, key_item, projection_params
from .guards import guard_params, same_model_condition, version_condition

if TYPE_CHECKING:
    from ..marshal import Item
    from ..schema import Schema

Operation = Literal["GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheck"]
ReturnValues = Literal["ALL_NEW", "ALL_OLD", "NONE"]

# The member name of each operation inside TransactWriteItems / TransactGetItems.
_TRANSACT_NAMES: dict[str, str] = {
    "GetItem": "Get",
    "PutItem": "Put",
    "UpdateItem": "Update",
    "DeleteItem": "Delete",
    "ConditionCheck": "ConditionCheck",
}


_NO_CHANGES: Mapping[str, Any] = MappingProxyType({})


def now() -> _dt.datetime:
    """The time written to ``created_at``/``updated_at`` fields (UTC)."""
    return _dt.datetime.now(_dt.UTC)


class ItemRequest(NamedTuple):
    """One request on one item, built and checked, not yet sent (an immutable value).

    ``params`` is the request (do not change it); ``key`` the item's primary key; ``target`` the
    model instance that ``changes`` (field name -> value) are set on once DynamoDB accepted the
    write (:meth:`apply`). ``expected_version`` is the version the request's condition requires
    (``0``: the item must not exist yet), or ``None`` when no version is checked; a versioned
    write that succeeded leaves the item at ``expected_version + 1``. ``idempotent`` says whether
    applying the request twice leaves the item as applying it once (false for ``ADD``, arithmetic
    and list appends), so whether resending it after a lost answer is harmless.
    """

    operation: Operation
    table: str
    key: Item
    params: dict[str, Any]
    target: Any = None
    changes: Mapping[str, Any] = _NO_CHANGES
    expected_version: int | None = None
    idempotent: bool = True

    def apply(self) -> None:
        """Set ``changes`` on ``target``: call it once DynamoDB has accepted the write."""
        if self.target is not None:
            for name, value in self.changes.items():
                setattr(self.target, name, value)

    def transact_item(self) -> dict[str, Any]:
        """This request as one member of ``TransactItems`` (``{"Put": {...}}`` and so on)."""
        return {_TRANSACT_NAMES[self.operation]: self.params}

    def batch_item(self) -> dict[str, Any]:
        """This put or delete as one member of a BatchWriteItem request (unconditional)."""
        if self.operation == "PutItem":
            return {"PutRequest": {"Item": self.params["Item"]}}
        if self.operation == "DeleteItem":
            return {"DeleteRequest": {"Key": self.key}}
        raise InvalidInput(f"a batch write holds puts and deletes, not {self.operation}")


def _instance(schema: Schema, key: KeyArg) -> Any:
    return key if isinstance(key, schema.model) else None


# --------------------------------------------------------------------------- reads


def get_item(
    schema: Schema,
    key: KeyArg,
    range_value: Any = None,
    *,
    consistent: bool = False,
    projection: Projection | None = None,
    table: str | None = None,
) -> ItemRequest:
    """A GetItem of one key, optionally strongly consistent and projected (keys are always read)."""
    table = table or schema.require_table()
    k = key_item(schema, key, range_value)
    params: dict[str, Any] = {"TableName": table, "Key": k}
    if consistent:
        params["ConsistentRead"] = True
    if projection:
        enc = Encoder()
        params.update(projection_params(schema, enc, projection))
        params.update(enc.params())
    return ItemRequest("GetItem", table, k, params)


# --------------------------------------------------------------------------- writes


def _ttl_value(schema: Schema, at: _dt.datetime, ttl: _dt.timedelta | float) -> Any:
    """The TTL field's value ``ttl`` from ``at``, as the table stores it (whole epoch seconds), so
    the instance equals what a later read returns."""
    assert schema.ttl is not None
    number = isinstance(ttl, (int, float)) and not isinstance(ttl, bool) and math.isfinite(ttl)
    if not number and not isinstance(ttl, _dt.timedelta):
        raise InvalidInput(f"ttl must be a timedelta or a finite number of seconds, not {ttl!r:.40}")
    try:
        delta = ttl if isinstance(ttl, _dt.timedelta) else _dt.timedelta(seconds=ttl)
        codec = schema.ttl.codec
        return codec.decode(codec.encode(at + delta))
    except OverflowError as exc:
        raise InvalidInput(f"ttl {ttl!r:.40} is out of range") from exc


def _stage_put(
    schema: Schema,
    obj: Any,
    ttl: _dt.timedelta | float | None,
    encode: Callable[[Any], Item] | None = None,
) -> tuple[Item, dict[str, Any], Condition | None, int | None]:
    """The item to write, the changes to apply once written, the version condition and its
    expectation; ``encode`` (by default ``schema.encode_checked``) makes the item."""
    changes: dict[str, Any] = {}
    if schema.updated_at is not None or schema.created_at is not None or ttl is not None:
        at = now()  # one reading per item, and none for a model without timestamps or TTL
        if schema.updated_at is not None:
            changes[schema.updated_at.name] = at
        if schema.created_at is not None and getattr(obj, schema.created_at.name) is None:
            changes[schema.created_at.name] = at
        if ttl is not None:
            if schema.ttl is None:
                raise InvalidInput(f"{schema.model.__name__} declares no TTL() field")
            changes[schema.ttl.name] = _ttl_value(schema, at, ttl)
    version_cond, expected, new_version = version_condition(schema, obj)
    if new_version is not None and schema.version is not None:
        changes[schema.version.name] = new_version
    staged = obj.model_copy(update=changes) if changes else obj
    return (encode or schema.encode_checked)(staged), changes, version_cond, expected


def put_item(
    schema: Schema,
    obj: Any,
    *,
    condition: Condition | None = None,
    overwrite: bool = True,
    ttl: _dt.timedelta | float | None = None,
    table: str | None = None,
) -> ItemRequest:
    """A PutItem of ``obj``: encoded and size-checked, version checked and incremented, timestamps set.

    ``overwrite=False`` makes it insert-only; ``ttl`` (a duration from now) fills the TTL field.
    Through a model with a discriminator the put only replaces an item of that model (or none):
    :func:`same_model_condition` is ANDed with the other conditions, so another model's item
    under the same key makes it fail instead of being overwritten. An insert-only put needs no
    guard (no item may exist at all).
    """
    table = table or schema.require_table()
    item, changes, version_cond, expected = _stage_put(schema, obj, ttl)
    params: dict[str, Any] = {"TableName": table, "Item": item}
    if not overwrite and schema.hash_key is not None:
        guard: Condition | None = Path((schema.hash_key.attr,)).not_exists()
    else:
        guard = same_model_condition(schema)
    if overwrite and guard is not None and version_cond is None and condition is None:
        params.update(guard_params(schema, guard))  # the common put: its condition is the guard alone
    else:
        enc = Encoder()
        params.update(condition_params(schema, enc, guard, version_cond, condition))
        params.update(enc.params())
    key = {f.attr: item[f.attr] for f in schema.key_fields}
    return ItemRequest("PutItem", table, key, params, obj, changes, expected)


def batch_put(schema: Schema, obj: Any, *, table: str | None = None) -> ItemRequest:
    """A put for a batch write: as :func:`put_item`, but with no condition (a DynamoDB limit).

    A declared version is incremented but cannot be checked, and the wrong-model guard cannot
    be sent: a batch put replaces whatever item is under its key, of any model. The item is
    encoded and sized in one walk (:func:`~dynamorm_async.item_encoding.encode_within_limit`).
    """
    table = table or schema.require_table()
    item, changes, _, _ = _stage_put(schema, obj, None, partial(encode_within_limit, schema))
    key = {f.attr: item[f.attr] for f in schema.key_fields}
    return ItemRequest("PutItem", table, key, {"TableName": table, "Item": item}, obj, changes)


def _flatten(actions: Sequence[Action | Update]) -> list[Action]:
    flat: list[Action] = []
    for a in actions:
        flat.extend(a.actions if isinstance(a, Update) else (a,))
    return flat


def _effects(schema: Schema, actions: Sequence[Action], mirror: bool) -> tuple[dict[str, Any], bool]:
    """What the update sets on the version and ``updated_at`` fields (to mirror on the instance,
    when ``mirror``), and whether applying it twice equals applying it once (plain SETs, REMOVEs
    and set DELETEs only: ``ADD``, arithmetic and list appends are not)."""
    watched = {f.attr: f.name for f in (schema.version, schema.updated_at) if f is not None} if mirror else {}
    changes: dict[str, Any] = {}
    idempotent = True
    for a in actions:
        if isinstance(a, SetAction):
            if not isinstance(a.value, Value):
                idempotent = False
            elif watched and len(a.path.elements) == 1:
                name = watched.get(str(a.path.elements[0]))
                if name is not None:
                    changes[name] = a.value.value
        elif isinstance(a, AddAction):
            idempotent = False
    return changes, idempotent


def _check_actions(schema: Schema, flat: Sequence[Action], *, complete: bool) -> None:
    """Refuse, before sending, updates DynamoDB would take but the model could not read back:
    removing a required field, copying a field of another type, an empty string into an index
    key, changing the version (the ORM increments and checks it); with ``complete`` (an upsert),
    every required field must be set, so a created item is whole."""
    model = schema.model.__name__
    index_keys = {f.attr for i in schema.indexes.values() for f in (i.hash, i.range) if f is not None}
    set_fields: set[str] = set()
    for a in flat:
        head = a.path.elements[0]
        f = schema.by_attr[str(head)]
        top = len(a.path.elements) == 1
        if schema.version is not None and f is schema.version:
            raise InvalidInput(
                f"{model}: the update touches the version field {f.name!r}, which every write "
                "checks and increments itself"
            )
        required = schema.model.model_fields[f.name].is_required()
        if isinstance(a, RemoveAction) and top and required:
            raise InvalidInput(
                f"{model}: cannot remove required field {f.name!r}; the item could not be read"
            )
        if isinstance(a, SetAction) and top:
            set_fields.add(f.name)
            value = a.value
            if (
                isinstance(value, Path)
                and value.codec.kind
                and f.codec.kind
                and value.codec.kind != f.codec.kind
            ):
                raise InvalidValue(
                    f"{model}.{f.name} cannot be set from {value.name!r}, stored as another type"
                )
            if isinstance(value, Value) and f.attr in index_keys and value.value in ("", b""):
                raise InvalidValue(f"{model}.{f.name} is an index key and cannot be empty")
    if complete:
        auto = {x.name for x in (schema.version, schema.updated_at) if x is not None}
        missing = [
            name
            for name, info in schema.model.model_fields.items()
            if info.is_required()
            and name not in set_fields
            and name not in auto
            and name not in schema.key_names
        ]
        if missing:
            raise InvalidInput(
                f"{model}: an upsert may create the item, so it must set every required field; "
                f"missing: {', '.join(missing)}"
            )


def template_actions(schema: Schema, key: KeyArg, flat: list[Action]) -> list[Action]:
    """``flat`` plus what keeps a template model's item whole: the primary key fields stored as
    their own attributes (an update may create the item), and each index key template rendered
    again when the update sets its fields (removed when it removes one, so the item leaves that
    sparse index). :class:`InvalidInput` when an update touches a field of an index template
    without setting all of that template's fields to plain values (the key could not be rendered)."""
    model = schema.model.__name__
    known: dict[str, Any] = key_field_values(schema, key) if schema.templated else {}
    out = list(flat)
    for name, value in known.items():
        key_field = schema.by_name[name]
        out.append(Path((key_field.attr,), key_field.codec).set(value))
    touched: dict[str, Action] = {}
    for a in flat:
        f = schema.by_attr.get(str(a.path.elements[0]))
        if f is None:
            continue
        touched[f.name] = a
        if isinstance(a, SetAction) and isinstance(a.value, Value) and len(a.path.elements) == 1:
            known[f.name] = a.value.value
    for spec in schema.template_keys:
        if spec.role is not None or spec.template is None:
            continue
        fields = spec.template.fields
        hit = [n for n in fields if n in touched]
        if any(isinstance(touched[n], RemoveAction) and len(touched[n].path.elements) == 1 for n in hit):
            out.append(Path((spec.attr,)).remove())
        elif all(n in known and known[n] is not None for n in fields):
            if hit or schema.templated:
                out.append(Path((spec.attr,)).set(render_key(schema, spec, known, validate=True)))
        elif hit:
            raise InvalidInput(
                f"{model}: the update changes {', '.join(map(repr, hit))}, part of index key "
                f"{spec.attr!r} ({spec.template.template!r}); set all of {list(fields)} to plain values "
                "in the same update so that key can be written again"
            )
    return out


def update_item(
    schema: Schema,
    key: KeyArg,
    actions: Sequence[Action | Update],
    *,
    condition: Condition | None = None,
    return_values: ReturnValues | None = None,
    table: str | None = None,
    must_exist: bool = False,
    complete: bool = False,
) -> ItemRequest:
    """An UpdateItem of ``key`` with the caller's actions, the version increment and ``updated_at``.

    With a model instance as ``key`` its version is checked; the version and ``updated_at`` it
    will have are the request's ``changes``. Actions on key attributes raise
    :class:`KeyUpdateError`. ``return_values=None`` leaves ``ReturnValues`` out (transactions).
    ``must_exist`` makes the update conditional on the item existing (no partial item is created);
    ``complete`` requires the actions to set every required field (an upsert that may create it).
    """
    table = table or schema.require_table()
    flat = _flatten(actions)
    if not flat:
        raise InvalidInput("update() needs at least one action, e.g. Model.attr.total.add(1)")
    check_paths(schema, (a.path for a in flat), "the update")
    key_field_attrs = {schema.by_name[n].attr for n in schema.key_names} if schema.templated else set()
    for a in flat:
        if a.path.elements[0] in schema.key_attrs:
            raise KeyUpdateError(f"{schema.model.__name__}: cannot update key attribute {a.path.name!r}")
        if a.path.elements[0] in key_field_attrs:
            raise KeyUpdateError(
                f"{schema.model.__name__}: cannot update {a.path.name!r}, a field of the primary key template"
            )
    _check_actions(schema, flat, complete=complete)
    k = key_item(schema, key)
    if schema.template_keys:
        flat = template_actions(schema, key, flat)
    obj = _instance(schema, key)
    version_cond: Condition | None = None
    expected: int | None = None
    v = schema.version
    if v is not None:
        vpath: Path[Any] = Path((v.attr,), v.codec)
        if obj is not None:
            version_cond, expected, new_version = version_condition(schema, obj)
            flat.append(vpath.set(new_version))
        else:
            flat.append(vpath.set(vpath.if_not_exists(0) + 1))
    u = schema.updated_at
    if u is not None and not any(a.path.elements[0] == u.attr for a in flat):
        flat.append(Path((u.attr,), u.codec).set(now()))
    exists = None  # a checked version (``version = 3``) already implies that the item exists
    if must_exist and not expected and schema.hash_key is not None:
        exists = Path((schema.hash_key.attr,)).exists()
    changes, idempotent = _effects(schema, flat, obj is not None)
    same_model = None
    if schema.discriminator is not None and schema.discriminator_attr is not None:
        # an update may create the item, so it names its model; it must not touch another model's
        dpath: Path[Any] = Path((schema.discriminator_attr,))
        flat.append(dpath.set(schema.discriminator))
        same_model = dpath.not_exists() | (dpath == schema.discriminator)
    enc = Encoder()
    params: dict[str, Any] = {
        "TableName": table,
        "Key": k,
        "UpdateExpression": enc.update(Update(tuple(flat))),
    }
    if return_values is not None:
        params["ReturnValues"] = return_values
    params.update(condition_params(schema, enc, exists, version_cond, same_model, condition))
    params.update(enc.params())
    return ItemRequest("UpdateItem", table, k, params, obj, changes, expected, idempotent)


def delete_item(
    schema: Schema,
    key: KeyArg,
    range_value: Any = None,
    *,
    condition: Condition | None = None,
    return_old: bool = False,
    table: str | None = None,
) -> ItemRequest:
    """A DeleteItem of ``key``; a model instance has its version checked.

    Through a model with a discriminator the delete only applies to an item of that model (or
    to none): another model's item makes the condition fail (see :func:`same_model_condition`).
    """
    table = table or schema.require_table()
    version_cond: Condition | None = None
    expected: int | None = None
    obj = _instance(schema, key)
    if obj is not None:
        version_cond, expected, _ = version_condition(schema, obj)
    k = key_item(schema, key, range_value)
    enc = Encoder()
    params: dict[str, Any] = {"TableName": table, "Key": k}
    params.update(condition_params(schema, enc, same_model_condition(schema), version_cond, condition))
    if return_old:
        params["ReturnValues"] = "ALL_OLD"
    params.update(enc.params())
    return ItemRequest("DeleteItem", table, k, params, expected_version=expected)


def condition_check(
    schema: Schema, key: KeyArg, condition: Condition, *, table: str | None = None
) -> ItemRequest:
    """A transaction's ConditionCheck: ``condition`` must hold on the item under ``key``.

    Through a model with a discriminator the item must also be that model's (or absent).
    """
    table = table or schema.require_table()
    if not isinstance(condition, Condition):
        raise InvalidInput("condition_check() needs exactly one condition")
    k = key_item(schema, key)
    enc = Encoder()
    params: dict[str, Any] = {"TableName": table, "Key": k}
    params.update(condition_params(schema, enc, same_model_condition(schema), condition))
    params.update(enc.params())
    return ItemRequest("ConditionCheck", table, k, params)


__all__ = [
    "ItemRequest",
    "Operation",
    "ReturnValues",
    "batch_put",
    "condition_check",
    "delete_item",
    "get_item",
    "now",
    "put_item",
    "same_model_condition",
    "update_item",
    "version_condition",
]
