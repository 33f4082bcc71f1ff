"""A model class compiled once into what every operation needs: keys, indexes, per-field codecs.

Declaration markers (``HashKey()``, ``RangeKey()``, ``Version()``, ...) live in ``Annotated``
metadata; :func:`compile_model` reads them when the class is defined, checks them, and raises
:class:`~dynamorm_async.errors.ModelError` for anything DynamoDB would refuse later.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pydantic

from .checks import check_item_keys, check_key_value, encode_fields, key_limit
from .declarations import annotated_metadata, check_key_name, check_role, compile_index, role_marker
from .decoding import decode_full, decode_projected
from .errors import InvalidInput, InvalidKey, ItemTooLarge, ModelError
from .fieldspec import FieldSpec as FieldSpec
from .fieldspec import IndexSpec as IndexSpec
from .keyspecs import TemplateCompiler, add_template_keys, render_key, template_key_item
from .markers import GSI, LSI, TTL, Attribute, CreatedAt, HashKey, Key, RangeKey, UpdatedAt, Version
from .marshal import (
    MAX_ITEM_BYTES,
    AttributeValue,
    Codec,
    Item,
    codec_for,
    decode_value,
    item_size,
    strip_annotation,
    use_model_codecs,
)
from .single_table import DEFAULT_DISCRIMINATOR_ATTR, check_discriminator

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .keytext import KeyTextCodec

# --------------------------------------------------------------------------- compiled schema


@dataclass(slots=True)
class Schema:
    """Everything operations need to know about one model class."""

    model: type[BaseModel]
    table: str | None
    fields: tuple[FieldSpec, ...]
    hash_key: FieldSpec | None
    range_key: FieldSpec | None
    version: FieldSpec | None
    ttl: FieldSpec | None
    created_at: FieldSpec | None
    updated_at: FieldSpec | None
    indexes: dict[str, IndexSpec]
    by_name: dict[str, FieldSpec] = field(default_factory=dict)
    by_attr: dict[str, FieldSpec] = field(default_factory=dict)
    #: Single-table design: the attribute naming an item's model and this model's value (or None).
    discriminator_attr: str | None = None
    discriminator: str | None = None
    #: Key templates: every template key attribute (table and indexes) and each templated
    #: field's key text codec (field name -> codec).
    template_keys: tuple[FieldSpec, ...] = ()
    key_texts: dict[str, KeyTextCodec] = field(default_factory=dict)
    #: The primary key's fields (hash, then range) and their attribute names; derived once.
    key_fields: tuple[FieldSpec, ...] = field(init=False)
    key_attrs: frozenset[str] = field(init=False)
    #: Whether the primary key is composed by templates, and the fields that give it (Python names).
    templated: bool = field(init=False)
    key_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.key_fields = tuple(f for f in (self.hash_key, self.range_key) if f is not None)
        self.key_attrs = frozenset(f.attr for f in self.key_fields)
        self.templated = self.hash_key is not None and self.hash_key.template is not None
        self.key_names = frozenset(
            name
            for f in self.key_fields
            for name in (f.template.fields if f.template is not None else (f.name,))
        )

    def require_table(self) -> str:
        if not self.table or self.hash_key is None:
            raise ModelError(
                f"{self.model.__name__} declares no table (class {self.model.__name__}(Model, table=...))"
            )
        return self.table

    # ---------------------------------------------------------------- items
    def encode(self, obj: BaseModel) -> Item:
        """The model as a DynamoDB item; ``None`` and empty-set fields are left out."""
        item = encode_fields(self, obj)
        if self.template_keys:
            add_template_keys(self, obj, item)
        check_item_keys(self, item)
        if self.discriminator is not None:
            item[self.discriminator_attr or DEFAULT_DISCRIMINATOR_ATTR] = {"S": self.discriminator}
        return item

    def encode_checked(self, obj: BaseModel) -> Item:
        """:meth:`encode` plus DynamoDB's 400 KB item limit, checked before anything is sent."""
        item = self.encode(obj)
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            raise ItemTooLarge(
                f"{self.model.__name__} item is {size} bytes; DynamoDB's limit is {MAX_ITEM_BYTES}",
                size=size,
                limit=MAX_ITEM_BYTES,
            )
        return item

    def decode(self, item: Mapping[str, AttributeValue]) -> Any:
        """A model instance from a DynamoDB item; :class:`InvalidStoredItem` names what is wrong."""
        return decode_full(self, item)

    def decode_partial(self, item: Mapping[str, AttributeValue]) -> Any:
        """A model from a projected item: fields read are typed and validated, the others keep defaults."""
        return decode_projected(self, item)

    def key(self, hash_value: Any, range_value: Any = None) -> Item:
        """The primary key item for these key values, validated."""
        self.require_table()
        assert self.hash_key is not None
        if self.templated:
            raise InvalidInput(
                f"{self.model.__name__}'s key is composed from fields: give them as a mapping, e.g. "
                f"{{{', '.join(repr(n) + ': ...' for n in sorted(self.key_names))}}}, or give an instance"
            )
        out: Item = {self.hash_key.attr: self._key_value(self.hash_key, hash_value)}
        if self.range_key is not None:
            out[self.range_key.attr] = self._key_value(self.range_key, range_value)
        elif range_value is not None:
            raise InvalidKey(f"{self.model.__name__} has no range key, but a range key value was given")
        return out

    def key_from_fields(self, values: Mapping[str, Any]) -> Item:
        """The primary key item from the key fields' values by Python name
        (``{"customer_id": "c1", "created_at": t, "order_id": "o1"}``), each validated as its
        field's type; :class:`InvalidKey` for a missing or unknown field or a value that does not fit."""
        self.require_table()
        self._check_names(values, self.key_names, "key")
        if self.templated:
            return template_key_item(self, values, validate=True)
        return self.key(*(values.get(f.name) for f in self.key_fields))

    def partition_key(self, values: Mapping[str, Any]) -> Item:
        """The partition key item from field values by Python name (``{"customer_id": "c1"}``),
        as a collection query takes them; :class:`InvalidKey` for a missing or unknown field."""
        self.require_table()
        h = self.hash_key
        assert h is not None
        if h.template is not None:
            self._check_names(values, frozenset(h.template.fields), "partition key")
            return {h.attr: {"S": render_key(self, h, values, validate=True)}}
        self._check_names(values, frozenset({h.name}), "partition key")
        return {h.attr: self._key_value(h, values[h.name])}

    def _check_names(self, values: Mapping[str, Any], wanted: frozenset[str], what: str) -> None:
        if not isinstance(values, Mapping) or set(values) != wanted:
            got = sorted(values) if isinstance(values, Mapping) else repr(values)
            raise InvalidKey(f"{self.model.__name__}'s {what} is given by {sorted(wanted)}, got {got}")

    def key_of(self, obj: BaseModel) -> Item:
        """The primary key item of a model instance."""
        if self.templated:
            self.require_table()
            return template_key_item(self, {n: getattr(obj, n, None) for n in self.key_names}, validate=False)
        return self.key(
            getattr(obj, self.hash_key.name) if self.hash_key else None,
            getattr(obj, self.range_key.name) if self.range_key else None,
        )

    def _key_value(self, f: FieldSpec, value: Any) -> AttributeValue:
        if value is None:
            raise InvalidKey(f"{self.model.__name__}.{f.name} is a key and must be given")
        try:
            av = f.codec.encode(value)
        except (TypeError, ValueError, AttributeError) as exc:
            raise InvalidKey(
                f"{self.model.__name__}.{f.name}: {value!r:.80} is not a valid key value"
            ) from exc
        check_key_value(self.model.__name__, f, av, key_limit(self, f))
        return av


# --------------------------------------------------------------------------- compiler


def compile_model(
    model: type[BaseModel],
    table: str | None,
    indexes: Sequence[GSI | LSI] = (),
    discriminator: str | None = None,
    discriminator_attr: str = DEFAULT_DISCRIMINATOR_ATTR,
    hash_template: Key | None = None,
    range_template: Key | None = None,
) -> Schema:
    """Compile a model class; raises :class:`ModelError` for declarations DynamoDB would refuse.

    ``hash_template``/``range_template`` (the ``hash_key=``/``range_key=`` class keywords)
    compose the primary key from fields instead of ``HashKey()``/``RangeKey()`` fields.
    """
    name = model.__name__
    fields: list[FieldSpec] = []
    roles: dict[type[Attribute], FieldSpec] = {}
    for fname, info in model.model_fields.items():
        marker = role_marker([*info.metadata, *annotated_metadata(info.annotation)])
        attr = (marker.name if marker else None) or fname
        codec = field_codec(info.annotation)
        role = type(marker) if marker is not None and type(marker) is not Attribute else None
        spec = FieldSpec(fname, attr, codec, role)
        if role is not None:
            if role in roles:
                raise ModelError(
                    f"{name} declares two {role.__name__} fields: {roles[role].name!r} and {fname!r}"
                )
            roles[role] = spec
            check_role(name, spec, info)
        fields.append(spec)

    by_attr: dict[str, FieldSpec] = {}
    for spec in fields:
        if spec.attr in by_attr:
            raise ModelError(
                f"{name}: fields {by_attr[spec.attr].name!r} and {spec.name!r} both map to {spec.attr!r}"
            )
        by_attr[spec.attr] = spec
    by_name = {f.name: f for f in fields}

    hash_key, range_key = roles.get(HashKey), roles.get(RangeKey)
    compiler = TemplateCompiler(model, by_attr)
    if hash_template is not None or range_template is not None:
        if hash_key is not None or range_key is not None:
            raise ModelError(
                f"{name}: the primary key is given by HashKey()/RangeKey() fields or by "
                "hash_key=/range_key= templates, not both"
            )
        if hash_template is None:
            raise ModelError(f"{name} has range_key= but no hash_key=")
        if table is None:
            raise ModelError(f"{name} declares key templates but no table: class {name}(Model, table='...')")
        hash_key = compiler.key(hash_template, "hash_key", sort=False, primary=True)
        if range_template is not None:
            range_key = compiler.key(range_template, "range_key", sort=True, primary=True)
    if table is not None:
        if not isinstance(table, str) or not 3 <= len(table) <= 255:
            raise ModelError(f"{name}: table name must be 3 to 255 characters, got {table!r}")
        if hash_key is None:
            hint = "" if model.__pydantic_complete__ else " (some annotations could not be resolved yet)"
            raise ModelError(
                f"{name} has table={table!r} but no field marked HashKey() and no hash_key=Key(...){hint}"
            )
    elif hash_key or range_key or indexes:
        raise ModelError(f"{name} declares keys or indexes but no table: class {name}(Model, table='...')")
    if range_key is not None and hash_key is None:
        raise ModelError(f"{name} has a RangeKey but no HashKey")

    compiled_indexes: dict[str, IndexSpec] = {}
    for index in indexes:
        if index.name in compiled_indexes:
            raise ModelError(f"{name} declares index {index.name!r} twice")
        compiled_indexes[index.name] = compile_index(name, index, by_name, hash_key, range_key, compiler)
    if discriminator is not None:
        check_discriminator(name, table, discriminator, discriminator_attr, by_attr)
        check_key_name(f"{name}.discriminator_attr", discriminator_attr)
        if discriminator_attr in compiler.specs:
            raise ModelError(f"{name}: discriminator attribute {discriminator_attr!r} is a template key too")
    key_texts = compiler.key_texts()

    return Schema(
        model=model,
        table=table,
        fields=tuple(fields),
        hash_key=hash_key,
        range_key=range_key,
        version=roles.get(Version),
        ttl=roles.get(TTL),
        created_at=roles.get(CreatedAt),
        updated_at=roles.get(UpdatedAt),
        indexes=compiled_indexes,
        by_name=by_name,
        by_attr=by_attr,
        discriminator_attr=discriminator_attr if discriminator is not None else None,
        discriminator=discriminator,
        template_keys=tuple(compiler.specs.values()),
        key_texts=key_texts,
    )


_NESTED_CODECS: dict[type, Codec] = {}


def field_codec(annotation: Any) -> Codec:
    """The codec for a field: nested models (also inside lists and maps) keep their attribute names."""
    tp, _ = strip_annotation(annotation)
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return compiled_codec(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple and args and args[-1] is not Ellipsis and any(map(_holds_model, args)):
        each = [field_codec(a) for a in args]  # tuple[Model, int]: one codec per position
        return Codec(
            lambda v: {"L": [_encode_or_null(c, x) for c, x in zip(each, v, strict=True)]},
            lambda av: [decode_value(c, x) for c, x in zip(each, av["L"], strict=True)],
        )
    if origin in (list, tuple, Sequence) and args and _holds_model(args[0]):
        inner = field_codec(args[0])
        return Codec(
            lambda v: {"L": [_encode_or_null(inner, x) for x in v]},
            lambda av: [decode_value(inner, x) for x in av["L"]],
        )
    if origin in (dict, Mapping) and len(args) == 2 and _holds_model(args[1]):
        inner = field_codec(args[1])
        return Codec(
            lambda v: {"M": {k: _encode_or_null(inner, x) for k, x in v.items()}},
            lambda av: {k: decode_value(inner, x) for k, x in av["M"].items()},
        )
    return codec_for(tp)


def _encode_or_null(codec: Codec, value: Any) -> AttributeValue:
    """An element of a list or map of models: ``None`` (``list[Model | None]``) is stored as NULL."""
    return {"NULL": True} if value is None else codec.encode(value)


def _holds_model(annotation: Any) -> bool:
    tp, _ = strip_annotation(annotation)
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return True
    return any(_holds_model(a) for a in typing.get_args(tp) if a is not Ellipsis)


def compiled_codec(model: type[BaseModel]) -> Codec:
    """A codec for a nested model value: a map of its attributes, decoded back by field name."""
    codec = _NESTED_CODECS.get(model)
    if codec is None:
        codec = _NESTED_CODECS[model] = _nested_codec(schema_of(model))
    return codec


def _nested_codec(schema: Schema) -> Codec:

    def encode(v: Any) -> AttributeValue:
        out: Item = {}
        for f in schema.fields:
            value = getattr(v, f.name)
            if value is None or (isinstance(value, (set, frozenset)) and not value):
                continue
            out[f.attr] = f.codec.encode(value)
        return {"M": out}

    def decode(av: AttributeValue) -> Any:
        return {
            f.name: decode_value(f.codec, v)
            for k, v in av["M"].items()
            if (f := schema.by_attr.get(k)) is not None
        }

    return Codec(encode, decode)


_SCHEMAS: dict[type, Schema] = {}


def schema_of(model: type[BaseModel]) -> Schema:
    """The compiled schema of a model class (compiling plain pydantic models on first use)."""
    schema = _SCHEMAS.get(model)
    if schema is None:
        schema = model.__dict__.get("__dynamorm_schema__") or compile_model(model, None)
        _SCHEMAS[model] = schema
    return schema


def register(schema: Schema) -> None:
    _SCHEMAS[schema.model] = schema


# Values of nested models inside untyped fields (``Any``, ``list[Any]``) are encoded by the
# codec compiled for their class; marshal sits below this module, so it is told how here.
use_model_codecs(compiled_codec)
