"""Adopting a table whose items have no discriminator yet: tell an item's model by its keys.

Items written before a table had models with ``discriminator=`` (or by another tool) carry only
their keys and data. For models that declare key templates, the shape of the stored keys says
which model an item is: ``CUSTOMER#c1`` / ``PROFILE`` a ``Customer``, ``CUSTOMER#c1`` /
``ORDER#2024-01-05T10:00:00.000000Z#o1`` an ``Order``. Collections, stream routers and the
backfill (:meth:`~dynamorm_async.query.collection.Collection.backfill`) use it for items without
a discriminator; a stored discriminator always wins over the keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel

from .errors import InvalidInput
from .schema import schema_of

if TYPE_CHECKING:
    from .model import Model
    from .schema import Schema


def keys_fit(schema: Schema, item: Mapping[str, Any]) -> bool:
    """Whether ``item``'s stored primary key has the shape of ``schema``'s key templates (hash
    *and* range), each field's text readable as its type; ``False`` for a model without templates.
    A constant template (``"PROFILE"``) fits only its own text."""
    if not schema.templated:
        return False
    for spec in schema.key_fields:
        template = spec.template
        av = item.get(spec.attr)
        text = av.get("S") if isinstance(av, Mapping) else None
        if template is None or not isinstance(text, str) or not template.matches(text):
            return False
        for name, raw in template.parse(text).items():
            try:
                schema.key_texts[name].read(raw)
            except (ValueError, TypeError, ArithmeticError):
                return False
    return True


def schemas_by_keys(schemas: Iterable[Schema], item: Mapping[str, Any]) -> list[Schema]:
    """The schemas among ``schemas`` whose key templates ``item``'s stored keys fit."""
    return [s for s in schemas if keys_fit(s, item)]


def schema_by_keys(schemas: Iterable[Schema], item: Mapping[str, Any]) -> Schema | None:
    """The one schema whose key templates ``item``'s keys fit; ``None`` when none or several do."""
    found = schemas_by_keys(schemas, item)
    return found[0] if len(found) == 1 else None


def model_by_keys(models: Iterable[type[Model]], item: Mapping[str, Any]) -> type[Model] | None:
    """The model of a stored item that has no discriminator, told by the shape of its keys.

    ``models`` are models of one table; ``item`` is a raw item or just its key, in DynamoDB JSON
    (``{"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "ORDER#2024-01-05T10:00:00.000000Z#o1"}}``).
    Returns the one model whose primary key templates (hash and range) both match the stored
    keys, their fields readable as the fields' types; ``None`` when no model or several fit. Only
    models declaring key templates can be told this way; any discriminator the item holds is not
    looked at (a stored value always wins over a guess: read it first).

    :raises InvalidInput: ``models`` is empty, holds something other than a model class, or
        models of different tables; ``item`` is not a mapping, or holds a key attribute that is
        not in DynamoDB JSON (``"CUSTOMER#c1"`` rather than ``{"S": "CUSTOMER#c1"}``).
    """
    if not isinstance(models, Iterable) or isinstance(models, (str, bytes, Mapping)):
        raise InvalidInput(f"model_by_keys takes a list of model classes, not {type(models).__name__}")
    schemas: list[Schema] = []
    for model in models:
        if not isinstance(model, type) or not issubclass(model, BaseModel):
            raise InvalidInput(f"model_by_keys takes model classes, not {model!r:.60}")
        schemas.append(schema_of(model))
    if not schemas:
        raise InvalidInput("model_by_keys needs the models of a table, e.g. [Customer, Order]")
    tables = {s.table for s in schemas}
    if len(tables) != 1 or None in tables:
        names = ", ".join(f"{s.model.__name__} ({s.table!r})" for s in schemas)
        raise InvalidInput(f"model_by_keys takes models of one table, not {names}")
    if not isinstance(item, Mapping):
        raise InvalidInput(f"model_by_keys takes a raw item or key (a mapping), not {type(item).__name__}")
    for attr in {f.attr for s in schemas for f in s.key_fields}:
        if attr in item and not isinstance(item[attr], Mapping):
            raise InvalidInput(
                f"model_by_keys takes items in DynamoDB JSON: {attr!r} should be like {{'S': '...'}}, "
                f"not a {type(item[attr]).__name__}"
            )
    found = schema_by_keys(schemas, item)
    if found is None:
        return None
    return cast("type[Model]", found.model)  # one of the models given


__all__ = ["keys_fit", "model_by_keys", "schema_by_keys", "schemas_by_keys"]
