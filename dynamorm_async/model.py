"""The ``Model`` base class: a pydantic v2 model that declares a DynamoDB table.

::

    class Order(Model, table="orders", indexes=[GSI("by_status", hash="status")]):
        partner_id: Annotated[str, HashKey()]
        order_id: Annotated[str, RangeKey()]
        status: str = "new"

The class is compiled into a :class:`~dynamorm_async.schema.Schema` when it is defined, so a
wrong declaration fails at once. ``Order.attr.status`` is a typed path for expressions; naming
a field the model does not have raises :class:`~dynamorm_async.errors.UnknownAttribute`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel

from .checks import checking_codec
from .errors import UnknownAttribute
from .expressions.nodes import Path
from .markers import GSI, LSI, Key
from .schema import Schema, compile_model, register
from .single_table import DEFAULT_DISCRIMINATOR_ATTR, check_table_models

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class AttrNamespace:
    """``Model.attr``: one :class:`Path` per declared field, looked up by Python field name."""

    __slots__ = ("_paths", "_schema")

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        # Values in expressions are validated as the field's type before they are encoded.
        self._paths: dict[str, Path[Any]] = {
            f.name: Path((f.attr,), checking_codec(schema, f)) for f in schema.fields
        }

    def __getattr__(self, name: str) -> Path[Any]:
        try:
            return self._paths[name]
        except KeyError:
            raise UnknownAttribute(
                f"{self._schema.model.__name__} has no field {name!r} "
                f"(fields: {', '.join(sorted(self._paths))})"
            ) from None

    def __getitem__(self, name: str) -> Path[Any]:
        return self.__getattr__(name)

    def path(self, dotted: str) -> Path[Any]:
        """A nested path from text, e.g. ``"address.lines[0]"``; its first element must be a field."""
        tokens = [(m.group(1), m.group(2)) for m in _PATH_TOKEN.finditer(dotted)]
        if not tokens or tokens[0][0] is None:
            raise UnknownAttribute(f"{dotted!r} is not a path starting with a field name")
        path = self.__getattr__(tokens[0][0])
        for name, index in tokens[1:]:
            path = path[int(index)] if index is not None else path[name]
        return path

    def __dir__(self) -> list[str]:
        return sorted(self._paths)


class Model(BaseModel):
    """Base class of table models; class keywords ``table=`` and ``indexes=`` declare the table,
    ``hash_key=``/``range_key=`` (:class:`~dynamorm_async.markers.Key` templates) may compose its keys."""

    __dynamorm_schema__: ClassVar[Schema]
    __dynamorm_decl__: ClassVar[tuple[str | None, tuple[GSI | LSI, ...], Key | None, Key | None]]
    attr: ClassVar[AttrNamespace]

    def __init_subclass__(
        cls,
        *,
        table: str | None = None,
        indexes: Sequence[GSI | LSI] = (),
        discriminator: str | None = None,
        discriminator_attr: str = DEFAULT_DISCRIMINATOR_ATTR,
        hash_key: Key | None = None,
        range_key: Key | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)

    @classmethod
    def __pydantic_init_subclass__(
        cls,
        *,
        table: str | None = None,
        indexes: Sequence[GSI | LSI] = (),
        discriminator: str | None = None,
        discriminator_attr: str = DEFAULT_DISCRIMINATOR_ATTR,
        hash_key: Key | None = None,
        range_key: Key | None = None,
        **kwargs: Any,
    ) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if table is None:  # a subclass keeps its parent's table, indexes, keys, discriminator
            parent = next((b for b in cls.__mro__[1:] if "__dynamorm_decl__" in b.__dict__), None)
            if parent is not None:
                table, parent_indexes, parent_hash, parent_range = parent.__dict__["__dynamorm_decl__"]
                indexes = indexes or parent_indexes
                if hash_key is None and range_key is None:
                    hash_key, range_key = parent_hash, parent_range
                inherited: Schema = parent.__dict__["__dynamorm_schema__"]
                if discriminator is None and inherited.discriminator is not None:
                    discriminator = inherited.discriminator
                    discriminator_attr = inherited.discriminator_attr or discriminator_attr
        schema = compile_model(cls, table, indexes, discriminator, discriminator_attr, hash_key, range_key)
        check_table_models(schema)
        type.__setattr__(cls, "__dynamorm_decl__", (table, tuple(indexes), hash_key, range_key))
        type.__setattr__(cls, "__dynamorm_schema__", schema)
        type.__setattr__(cls, "attr", AttrNamespace(schema))
        register(schema)


__all__ = ["AttrNamespace", "Model"]
