"""The compiled pieces of a schema: one field (:class:`FieldSpec`) and one index (:class:`IndexSpec`).

Kept apart from :mod:`~dynamorm_async.schema` so the key template compiler
(:mod:`~dynamorm_async.keyspecs`) can build them without importing the schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ._frozen import frozen

if TYPE_CHECKING:
    from .keytemplates import KeyTemplate
    from .markers import Attribute, Projection
    from .marshal import Codec


@frozen
class FieldSpec:
    """One model field: its Python name, DynamoDB attribute name, codec and role.

    A key attribute composed by a template (``Key("pk", "CUSTOMER#{customer_id}")``) is a
    synthetic spec: ``name`` and ``attr`` are the attribute, the codec is a string's (``S``),
    ``template`` the compiled :class:`~dynamorm_async.keytemplates.KeyTemplate`; it is no field
    of the model (not in ``Schema.fields``), but reads like any key where keys are read.
    """

    name: str
    attr: str
    codec: Codec
    role: type[Attribute] | None = None
    template: KeyTemplate | None = None


@frozen
class IndexSpec:
    """A compiled secondary index: attribute names of its keys and its projection."""

    name: str
    kind: Literal["GSI", "LSI"]
    hash: FieldSpec
    range: FieldSpec | None
    projection: Projection
    read_capacity: int | None = None
    write_capacity: int | None = None


__all__ = ["FieldSpec", "IndexSpec"]
