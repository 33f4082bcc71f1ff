"""Stored items -> model instances: every read decodes, or fails with :class:`InvalidStoredItem`.

Items written by other tools may hold an attribute of another DynamoDB type than the field
(``{"S": "abc"}`` in an ``int`` field), ``{"NULL": true}`` where boto3 wrote ``None``, or data
pydantic refuses. The fast path decodes with each field's codec in one loop; only when that
fails does the slow path look at each attribute, turn NULLs into ``None`` and name the table,
the key and the attribute at fault. Projected reads validate each field they read with its own
type, so they return the same typed values (datetime, UUID, Enum, nested model) as full reads.

Fields of a key template that an item does not hold as attributes of their own (a projection
that left them out, or an item another tool wrote with only ``pk``/``sk``) are parsed back from
the stored keys, so such items read in full as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import pydantic

from .errors import InvalidStoredItem, WrongModel
from .marshal import decode_value

if TYPE_CHECKING:
    from .marshal import AttributeValue
    from .schema import Schema


def _key_of(schema: Schema, item: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
    return {f.attr: item[f.attr] for f in schema.key_fields if f.attr in item}


def _fail(
    schema: Schema, item: Mapping[str, AttributeValue], attr: str | None, why: str, exc: BaseException
) -> NoReturn:
    key = _key_of(schema, item)
    where = f"attribute {attr!r} of " if attr else ""
    raise InvalidStoredItem(
        f"{where}the {schema.model.__name__} item {key!r} in table {schema.table!r} cannot be read: {why}",
        table=schema.table,
        key=key,
        attribute=attr,
    ) from exc


def check_model(schema: Schema, item: Mapping[str, AttributeValue]) -> None:
    """Refuse an item whose discriminator names another model of the table (:class:`WrongModel`);
    an item with no discriminator (written before the model had one) is read as this model."""
    expected = schema.discriminator
    if expected is None:
        return
    av = item.get(schema.discriminator_attr or "")
    if av is None:
        return
    found = av.get("S") if isinstance(av, Mapping) else None
    if found != expected:
        key = _key_of(schema, item)
        raise WrongModel(
            f"the item {key!r} in table {schema.table!r} is a {found!r} item, not a "
            f"{schema.model.__name__} ({expected!r})",
            table=schema.table,
            key=key,
            expected=expected,
            found=str(found),
        )


def _decode_slow(schema: Schema, item: Mapping[str, AttributeValue]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for attr, av in item.items():
        f = schema.by_attr.get(attr)
        if f is not None:
            try:
                data[f.name] = decode_value(f.codec, av)
            except Exception as exc:  # anything a malformed value makes a codec raise
                _fail(schema, item, attr, str(exc), exc)
    return data


def _fields(schema: Schema, item: Mapping[str, AttributeValue]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    by_attr = schema.by_attr
    try:
        for attr, av in item.items():
            f = by_attr.get(attr)
            if f is not None:
                data[f.name] = f.codec.decode(av)
    except Exception:  # a NULL, or a value of another type: look at each attribute
        return _decode_slow(schema, item)
    return data


def _attr_of(schema: Schema, exc: pydantic.ValidationError) -> str | None:
    for error in exc.errors():
        loc = error.get("loc") or ()
        if loc and isinstance(loc[0], str):
            f = schema.by_name.get(loc[0])
            return f.attr if f is not None else loc[0]
    return None


def decode_full(schema: Schema, item: Mapping[str, AttributeValue]) -> Any:
    """A validated model instance from a whole item (attributes the model does not know are ignored)."""
    check_model(schema, item)
    data = _fields(schema, item)
    if schema.template_keys and not _template_fields(schema) <= data.keys():
        _fields_from_keys(schema, item, data)
    try:
        return schema.model.model_validate(data, by_name=True)
    except pydantic.ValidationError as exc:
        _fail(
            schema, item, _attr_of(schema, exc), f"does not validate as {schema.model.__name__}: {exc}", exc
        )
    except RecursionError as exc:
        _fail(schema, item, None, "nested too deeply", exc)


_ADAPTERS: dict[tuple[type, str], pydantic.TypeAdapter[Any]] = {}
_TEMPLATE_FIELDS: dict[type, frozenset[str]] = {}


def _template_fields(schema: Schema) -> frozenset[str]:
    """Every field named by a key template of the model (cached): an item holding them all as
    attributes needs no parsing of its keys, the common case on the read path."""
    names = _TEMPLATE_FIELDS.get(schema.model)
    if names is None:
        templates = [spec.template for spec in schema.template_keys if spec.template is not None]
        names = _TEMPLATE_FIELDS[schema.model] = frozenset(n for t in templates for n in t.fields)
    return names


def field_adapter(schema: Schema, name: str) -> pydantic.TypeAdapter[Any]:
    """A validator of one field's type (made on first use, then cached per model and field)."""
    adapter = _ADAPTERS.get((schema.model, name))
    if adapter is None:
        annotation: Any = schema.model.model_fields[name].annotation
        adapter = _ADAPTERS[(schema.model, name)] = pydantic.TypeAdapter(annotation)
    return adapter


def _fields_from_keys(schema: Schema, item: Mapping[str, AttributeValue], data: dict[str, Any]) -> None:
    """Fill fields an item does not hold from the template keys it does (a KEYS_ONLY index, a
    projection without the key fields, an item written by another tool with only its keys): each
    key is parsed back through its template and the fields' key texts. A key that does not fit
    its template is left alone."""
    for spec in schema.template_keys:
        template = spec.template
        av = item.get(spec.attr)
        if template is None or not isinstance(av, Mapping) or all(n in data for n in template.fields):
            continue
        text = av.get("S")
        if not isinstance(text, str) or not template.matches(text):
            continue
        for name, raw in template.parse(text).items():
            if name not in data:
                try:
                    data[name] = schema.key_texts[name].read(raw)
                except (ValueError, TypeError):
                    continue


def decode_projected(schema: Schema, item: Mapping[str, AttributeValue]) -> Any:
    """A model from a projected item: each field read is validated with its own type (so typed,
    as a full read), fields not read keep their defaults (the model as a whole is not validated)."""
    check_model(schema, item)
    data = _fields(schema, item)
    if schema.template_keys:
        _fields_from_keys(schema, item, data)
    for name, value in data.items():
        f = schema.by_name[name]
        try:
            data[name] = field_adapter(schema, name).validate_python(value)
        except (pydantic.ValidationError, RecursionError) as exc:
            _fail(schema, item, f.attr, f"does not validate as {schema.model.__name__}.{name}: {exc}", exc)
    return schema.model.model_construct(**data)


__all__ = ["check_model", "decode_full", "decode_projected", "field_adapter"]
