"""Key templates on models: compiled when a class is defined, rendered on every write and key.

``class Order(Model, hash_key=Key("pk", "CUSTOMER#{customer_id}"), ...)`` makes ``pk`` a key
attribute composed from fields. :class:`TemplateCompiler` checks each :class:`~markers.Key`
(template text, fields the model has, a key text for each field, no ``Optional`` field in the
primary key) and returns a synthetic :class:`~fieldspec.FieldSpec` for it; the render functions
turn field values into the stored key text, refusing (:class:`InvalidKey`) a missing or empty
value or one that would inject its separator, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pydantic

from .declarations import annotated_metadata
from .decoding import field_adapter
from .errors import InvalidKey, ModelError
from .fieldspec import FieldSpec
from .keytemplates import KeyTemplate
from .keytext import KeyTextCodec, key_text_codec
from .markers import HashKey, Key, RangeKey
from .marshal import Codec, codec_for, strip_annotation

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .marshal import Item
    from .schema import Schema

#: The codec of every template key attribute: a string (``S``).
TEXT: Codec = codec_for(str)


class TemplateCompiler:
    """Compiles the :class:`Key` templates of one model (table keys first, then indexes)."""

    def __init__(self, model: type[BaseModel], field_attrs: Mapping[str, FieldSpec]) -> None:
        self.model = model
        self.name = model.__name__
        self.field_attrs = field_attrs
        self.specs: dict[str, FieldSpec] = {}
        self.primary: set[str] = set()
        self.sort: set[str] = set()

    def key(self, key: object, where: str, *, sort: bool, primary: bool = False) -> FieldSpec:
        """The synthetic key spec of ``key``; :class:`ModelError` for anything wrong with it."""
        if not isinstance(key, Key):
            raise ModelError(f"{self.name}: {where} takes Key(attribute, template), not {key!r:.60}")
        attr = key.attr
        if not isinstance(attr, str) or not attr:
            raise ModelError(f"{self.name}: {where}: the key attribute must be a non-empty str, got {attr!r}")
        if len(attr.encode("utf-8", "surrogatepass")) > 255:
            raise ModelError(f"{self.name}: {where}: DynamoDB limits key attribute names to 255 bytes")
        if attr in self.field_attrs:
            raise ModelError(
                f"{self.name}: {where}: key attribute {attr!r} is also the attribute of field "
                f"{self.field_attrs[attr].name!r}; a template key is stored in an attribute of its own"
            )
        try:
            template = KeyTemplate(key.template)
        except ModelError as exc:
            raise ModelError(f"{self.name}: {where}: {exc}") from None
        fields = self.model.model_fields
        for name in template.fields:
            if name not in fields:
                raise ModelError(
                    f"{self.name}: {where}: key template {template.template!r} names {name!r}, "
                    f"which is not a field of {self.name}"
                )
        if primary:
            self.primary.update(template.fields)
        if sort:  # a field in any sort position needs a key text whose order is its value order
            self.sort.update(template.fields)
        seen = self.specs.get(attr)
        if seen is not None:
            if seen.template != template:
                raise ModelError(
                    f"{self.name}: key attribute {attr!r} has two templates: "
                    f"{seen.template!r} and {template.template!r}"
                )
            return seen
        role = (RangeKey if sort else HashKey) if primary else None
        spec = FieldSpec(attr, attr, TEXT, role, template)
        self.specs[attr] = spec
        return spec

    def key_texts(self) -> dict[str, KeyTextCodec]:
        """Each templated field's key text codec, checked now that every template is known."""
        out: dict[str, KeyTextCodec] = {}
        for spec in self.specs.values():
            assert spec.template is not None
            for name in spec.template.fields:
                if name in out:
                    continue
                info = self.model.model_fields[name]
                tp, optional = strip_annotation(info.annotation)
                where = f"{self.name}.{name}"
                if optional and name in self.primary:
                    raise ModelError(f"{where} is part of the primary key template and cannot be optional")
                metadata = [*info.metadata, *annotated_metadata(info.annotation)]
                out[name] = key_text_codec(tp, metadata, where=where, sort=name in self.sort)
        return out


# --------------------------------------------------------------------------- rendering


def key_text(schema: Schema, name: str, value: Any, *, validate: bool = False) -> str:
    """One field's value as key text; ``validate`` first checks it as the field's type (so
    ``"2024-01-05T10:00:00Z"`` is taken for a ``datetime`` field given by a caller)."""
    model = schema.model.__name__
    if validate:
        try:
            value = field_adapter(schema, name).validate_python(value)
        except pydantic.ValidationError as exc:
            raise InvalidKey(
                f"{model}.{name}: {value!r:.80} is not a valid value: {exc.errors()[0]['msg']}"
            ) from None
    try:
        return schema.key_texts[name].render(value)
    except InvalidKey as exc:
        raise InvalidKey(f"{model}.{name} in a key: {exc}") from None


def render_key(schema: Schema, spec: FieldSpec, values: Mapping[str, Any], *, validate: bool = False) -> str:
    """The stored text of template key ``spec`` from field values (Python values, by field name).

    :raises InvalidKey: a field is missing, empty, of another type, or would inject a separator.
    """
    template = spec.template
    assert template is not None
    texts: dict[str, str] = {}
    for name in template.fields:
        value = values.get(name)
        if value is None:
            raise InvalidKey(
                f"{schema.model.__name__}.{name} is part of key {spec.attr!r} "
                f"({template.template!r}) and must be given"
            )
        texts[name] = key_text(schema, name, value, validate=validate)
    try:
        return template.format(texts)
    except InvalidKey as exc:
        raise InvalidKey(f"{schema.model.__name__}: {exc}") from None


def add_template_keys(schema: Schema, obj: BaseModel, item: Item) -> None:
    """Write every template key attribute of ``obj`` into ``item``: the primary key always, an
    index key only when all its fields have a value (else the item is not in that sparse index)."""
    for spec in schema.template_keys:
        assert spec.template is not None
        values = {name: getattr(obj, name, None) for name in spec.template.fields}
        if spec.role is None and any(v is None for v in values.values()):
            continue
        item[spec.attr] = {"S": render_key(schema, spec, values)}


def template_key_item(schema: Schema, values: Mapping[str, Any], *, validate: bool) -> Item:
    """The primary key item of a template model from its fields' values (by Python name)."""
    out: Item = {}
    for spec in schema.key_fields:
        out[spec.attr] = {"S": render_key(schema, spec, values, validate=validate)}
    return out


def key_field_values(schema: Schema, key: object) -> dict[str, Any]:
    """The primary key fields' values (by name) of a template model's key argument: an instance
    or a mapping (validated as each field's type); what an update also stores as the fields."""
    if isinstance(key, schema.model):
        return {name: getattr(key, name, None) for name in schema.key_names}
    assert isinstance(key, Mapping)
    out: dict[str, Any] = {}
    for name in schema.key_names:
        try:
            out[name] = field_adapter(schema, name).validate_python(key[name])
        except (KeyError, pydantic.ValidationError) as exc:
            raise InvalidKey(f"{schema.model.__name__}.{name}: not a valid key value") from exc
    return out


__all__ = [
    "TEXT",
    "TemplateCompiler",
    "add_template_keys",
    "key_field_values",
    "key_text",
    "render_key",
    "template_key_item",
]
