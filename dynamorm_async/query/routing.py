"""How a collection tells its items apart: the discriminator value of each raw item names its
model's schema; items that name none of the collection's models are set aside, and reported.

An item with no discriminator at all (written before the table had models, or by another tool)
goes to the one model whose key templates its stored keys fit (:func:`~..adopt.schema_by_keys`);
when none or several fit it is set aside too. An item whose discriminator names a value none of
the models writes stays aside: a stored value is never overruled by a guess from the keys.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from ..adopt import schema_by_keys
from ..errors import InvalidInput, UnknownAttribute
from ..expressions import Condition
from ..model import Model
from ..requests import check_paths

if TYPE_CHECKING:
    from ..expressions import Path
    from ..marshal import Item
    from ..schema import Schema
    from .builders import Read

logger = logging.getLogger("dynamorm_async.query")


class Router:
    """Discriminator value -> model: decodes each item into its model, sets the others aside."""

    __slots__ = ("attr", "models", "schemas", "table", "templated", "values")

    def __init__(self, schemas: Sequence[Schema], table: str) -> None:
        self.schemas: dict[str, Schema] = {s.discriminator: s for s in schemas if s.discriminator}
        #: The models whose key templates can tell an item without a discriminator.
        self.templated: tuple[Schema, ...] = tuple(s for s in self.schemas.values() if s.templated)
        self.attr: str = schemas[0].discriminator_attr or ""
        self.models: tuple[type[Model], ...] = tuple(cast("type[Model]", s.model) for s in schemas)
        self.values: tuple[str, ...] = tuple(self.schemas)
        self.table = table

    def schema_of(self, raw: Item) -> Schema | None:
        """The schema of the model ``raw``'s discriminator names, or, with no discriminator, of
        the one model whose key templates ``raw``'s keys fit; else ``None``."""
        av = raw.get(self.attr)
        if av is None:
            return schema_by_keys(self.templated, raw) if self.templated else None
        value = av.get("S") if isinstance(av, dict) else None
        return self.schemas.get(value) if isinstance(value, str) else None

    def decode(self, raw: Item) -> Any:
        """``raw`` as its model (it must be one of the collection's: see :meth:`screen`)."""
        schema = self.schema_of(raw)
        assert schema is not None, "screen items before decoding them"
        return schema.decode(raw)

    def split(self, raws: list[Item]) -> tuple[list[Any], list[Item]]:
        """The models among ``raws`` (decoded, in order) and the items of no model, logged."""
        models: list[Any] = []
        unknown: list[Item] = []
        for raw in raws:
            schema = self.schema_of(raw)
            if schema is None:
                unknown.append(raw)
            else:
                models.append(schema.decode(raw))
        self._report(len(unknown))
        return models, unknown

    def screen(self, unknown: list[Item]) -> Callable[[list[Item]], list[Item]]:
        """A page filter that keeps the items of the collection's models and appends the others
        to ``unknown``, logging one warning per page that had any."""

        def keep(raws: list[Item]) -> list[Item]:
            known: list[Item] = []
            before = len(unknown)
            for raw in raws:
                (unknown if self.schema_of(raw) is None else known).append(raw)
            self._report(len(unknown) - before)
            return known

        return keep

    def by_model(self, items: Sequence[Any]) -> tuple[list[Any], ...]:
        """Decoded ``items`` in one list per model, in the collection's order."""
        lists: dict[type[Model], list[Any]] = {model: [] for model in self.models}
        for item in items:
            lists[type(item)].append(item)
        return tuple(lists.values())

    def _report(self, strays: int) -> None:
        if strays:
            # The count only: stored items may hold data that does not belong in logs.
            logger.warning(
                "%d item(s) in a page of table %r have a %r naming none of the collection's "
                "models (%s), or none and keys no single model's templates fit: set aside in .unknown",
                strays,
                self.table,
                self.attr,
                ", ".join(self.values),
            )


def checked_filter(read: Read[Any], router: Router, condition: Condition) -> Condition:
    """``condition`` ANDed to ``read``'s filter; each path must be an attribute of some model."""
    if not isinstance(condition, Condition):
        raise InvalidInput(f"filter() takes a condition, e.g. Order.attr.total > 3; got {condition!r}")
    for path in condition.paths():
        if not any(_knows(s, path) for s in router.schemas.values()):
            names = ", ".join(m.__name__ for m in router.models)
            raise UnknownAttribute(f"the filter names {path.name!r}, which none of {names} declares")
    return condition if read.filter_condition is None else read.filter_condition & condition


def _knows(schema: Schema, path: Path[Any]) -> bool:
    try:
        check_paths(schema, (path,), "the filter")
    except UnknownAttribute:
        return False
    return True


__all__ = ["Router", "checked_filter"]
