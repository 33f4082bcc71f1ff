"""What :func:`~dynamorm_async.schema.compile_model` checks field by field: the role markers in
``Annotated`` metadata, each role's field type, key attribute names, the TTL codec, and indexes
(over fields or :class:`~dynamorm_async.markers.Key` templates). Raises
:class:`~dynamorm_async.errors.ModelError` for anything DynamoDB would refuse later."""

from __future__ import annotations

import datetime as _dt
import types
import typing
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .errors import ModelError
from .fieldspec import FieldSpec, IndexSpec
from .markers import GSI, LSI, TTL, Attribute, CreatedAt, HashKey, Key, RangeKey, UpdatedAt, Version
from .marshal import AttributeValue, Codec, strip_annotation

if TYPE_CHECKING:
    from .keyspecs import TemplateCompiler

ROLES: tuple[type[Attribute], ...] = (HashKey, RangeKey, Version, TTL, CreatedAt, UpdatedAt)


def annotated_metadata(annotation: Any) -> list[Any]:
    """``Annotated`` metadata anywhere in the annotation's outer layers: ``Annotated[datetime,
    CreatedAt()] | None`` carries its marker inside the union, where pydantic does not look."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return [*annotation.__metadata__, *annotated_metadata(typing.get_args(annotation)[0])]
    if origin is typing.Union or origin is types.UnionType:
        return [m for a in typing.get_args(annotation) for m in annotated_metadata(a)]
    return []


def role_marker(metadata: Sequence[Any]) -> Attribute | None:
    found = [m for m in metadata if isinstance(m, Attribute)]
    if len(found) > 1:
        raise ModelError(f"a field can carry one of {[r.__name__ for r in ROLES]} / Attribute, not several")
    return found[0] if found else None


def check_role(model: str, spec: FieldSpec, info: Any) -> None:
    role = spec.role
    tp, optional = strip_annotation(info.annotation)
    where = f"{model}.{spec.name}"
    if role in (HashKey, RangeKey):
        if spec.codec.kind is None:
            raise ModelError(
                f"{where}: key fields must be str, int, float, Decimal, bytes (or stored as one), not {tp!r}"
            )
        if optional:
            raise ModelError(f"{where}: a key field cannot be optional")
        check_key_name(where, spec.attr)
    elif role is Version:
        if tp is not int:
            raise ModelError(f"{where}: Version() needs an int field")
    elif role is TTL:
        if tp not in (int, _dt.datetime):
            raise ModelError(f"{where}: TTL() needs a datetime or int (epoch seconds) field")
        object.__setattr__(spec, "codec", ttl_codec(tp))
    elif role in (CreatedAt, UpdatedAt) and tp is not _dt.datetime:
        raise ModelError(f"{where}: {role.__name__}() needs a datetime field")


def check_key_name(where: str, attr: str) -> None:
    if len(attr.encode("utf-8", "surrogatepass")) > 255:
        raise ModelError(f"{where}: DynamoDB limits key and index attribute names to 255 bytes")


def ttl_codec(tp: Any) -> Codec:
    """TTL attributes are epoch seconds (N), whatever the field type, as DynamoDB's TTL requires."""

    def encode(v: Any) -> AttributeValue:
        if isinstance(v, _dt.datetime):
            if v.tzinfo is None:
                v = v.replace(tzinfo=_dt.UTC)
            return {"N": str(int(v.timestamp()))}
        return {"N": str(int(v))}

    def decode(av: AttributeValue) -> Any:
        seconds = int(Decimal(av["N"]))
        return _dt.datetime.fromtimestamp(seconds, _dt.UTC) if tp is _dt.datetime else seconds

    return Codec(encode, decode, "N")


def compile_index(
    model: str,
    index: GSI | LSI,
    by_name: Mapping[str, FieldSpec],
    table_hash: FieldSpec | None,
    table_range: FieldSpec | None,
    compiler: TemplateCompiler,
) -> IndexSpec:
    def field_of(fname: str | Key, *, sort: bool) -> FieldSpec:
        if isinstance(fname, Key):
            return compiler.key(fname, f"index {index.name!r} {'range' if sort else 'hash'} key", sort=sort)
        spec = by_name.get(fname)
        if spec is None:
            raise ModelError(f"{model}: index {index.name!r} names unknown field {fname!r}")
        if spec.codec.kind is None:
            raise ModelError(
                f"{model}: index {index.name!r} key {fname!r} must be a string, number or binary field"
            )
        check_key_name(f"{model}: index {index.name!r} key {fname!r}", spec.attr)
        return spec

    if not 3 <= len(index.name) <= 255:
        raise ModelError(f"{model}: index name {index.name!r} must be 3 to 255 characters")
    projection = index.projection
    if not isinstance(projection, str):
        for p in projection:
            if p not in by_name:
                raise ModelError(f"{model}: index {index.name!r} projects unknown field {p!r}")
        projection = tuple(by_name[p].attr for p in projection)
    elif projection not in ("ALL", "KEYS_ONLY"):
        raise ModelError(f"{model}: index projection must be 'ALL', 'KEYS_ONLY' or a list of fields")
    if isinstance(index, LSI):
        if table_hash is None or table_range is None:
            raise ModelError(f"{model}: a local secondary index needs a table with hash and range keys")
        return IndexSpec(index.name, "LSI", table_hash, field_of(index.range, sort=True), projection)
    return IndexSpec(
        index.name,
        "GSI",
        field_of(index.hash, sort=False),
        field_of(index.range, sort=True) if index.range else None,
        projection,
        index.read_capacity,
        index.write_capacity,
    )


__all__ = [
    "ROLES",
    "annotated_metadata",
    "check_key_name",
    "check_role",
    "compile_index",
    "role_marker",
    "ttl_codec",
]
