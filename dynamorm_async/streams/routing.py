"""Which model, and which handler, a stream record belongs to: :class:`StreamRouter`.

A table with one model needs no routing: ``StreamRouter.single(Order, on_change)``. A table
holding several models tells them apart by a discriminator: the name of an attribute whose
string value names the model, or a function of the record's raw item (keys and images in
DynamoDB JSON) for tables that encode the model in a key, e.g. ``ORDER#...`` sort keys::

    router = StreamRouter(discriminator="kind", on_unknown="skip")

    @router.on(Customer, value="customer")
    async def customer_changed(change: Change[Customer]) -> None: ...

    @router.on(Order, value="order")
    async def order_changed(change: Change[Order]) -> None: ...

Models that declare ``discriminator=`` (several models in one table) are routed by the value
they write, read from their schemas::

    router = StreamRouter.for_models({Customer: customer_changed, Order: order_changed})

    @router.on(Line)                 # more routes: the value is Line's own
    async def line_changed(change: Change[Line]) -> None: ...

A record without the discriminator attribute (an item written before the table had one, or any
record of a ``KEYS_ONLY`` stream) goes, for models declaring key templates, to the one routed
model whose templates its keys fit, unless ``from_keys=`` reads the value another way.

Records whose discriminator names no route are skipped (``on_unknown="skip"``) or reported as
failures (``"fail"``, the default): never dropped by accident.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from ..adopt import schema_by_keys
from ..errors import InvalidInput
from ..marshal import Item
from ..schema import schema_of
from .records import Change, RawRecord

M = TypeVar("M", bound=BaseModel)

#: What a stream handler is given for each record: ``async def on_change(change) -> None``.
ChangeHandler = Callable[[Change[M]], Awaitable[None]]
#: Reads a record's discriminator value from its raw item (keys merged with its images).
Discriminator = Callable[[Item], str | None]
#: What to do with a record whose discriminator names no route.
OnUnknown = Literal["skip", "fail"]


@dataclass(frozen=True, slots=True)
class Route(Generic[M]):
    """One model and the handler its changes go to."""

    model: type[M]
    handler: ChangeHandler[M]


class StreamRouter:
    """Routes each record to a (model, handler) pair, by a discriminator when there are several.

    ``discriminator`` is an attribute name (its ``S`` or ``N`` value is looked up in the record's
    new image, old image, then keys) or a :data:`Discriminator` function; it is required as soon
    as a second model is routed. ``on_unknown`` decides about records that match no route.
    A ``KEYS_ONLY`` stream carries no images: route it with a function of the keys.
    """

    def __init__(
        self, *, discriminator: str | Discriminator | None = None, on_unknown: OnUnknown = "fail"
    ) -> None:
        if on_unknown not in ("skip", "fail"):
            raise InvalidInput(f"on_unknown must be 'skip' or 'fail', not {on_unknown!r}")
        self.discriminator = discriminator
        self.on_unknown: OnUnknown = on_unknown
        #: The attribute naming each record's model, when routing by one (a value ``add`` infers
        #: from a model declaring ``discriminator=`` under that attribute).
        self.discriminator_attr: str | None = discriminator if isinstance(discriminator, str) else None
        self._routes: dict[str | None, Route[Any]] = {}
        self._partition_attr: str | None = None
        self._table: str | None = None

    @classmethod
    def single(cls, model: type[M], handler: ChangeHandler[M]) -> StreamRouter:
        """A router sending every record to ``handler`` as a change of ``model``."""
        router = cls()
        router.add(model, handler)
        return router

    @classmethod
    def for_models(
        cls,
        handlers: Mapping[type[Any], ChangeHandler[Any]],
        *,
        on_unknown: OnUnknown = "fail",
        from_keys: Discriminator | None = None,
    ) -> StreamRouter:
        """A router for models sharing one table by ``discriminator=``: each record goes to the
        handler of the model its discriminator attribute names, decoded into that model.

        ``handlers`` maps each model to its handler (more can be added with :meth:`on`).
        ``from_keys`` reads the value from a record's keys when no image carries the attribute
        (a ``KEYS_ONLY`` stream, a removal on a ``NEW_IMAGE`` stream, an item written before the
        models had a discriminator). Without it such a record goes to the one routed model with
        key templates that its keys fit (:func:`~dynamorm_async.adopt.model_by_keys`);
        when none or several fit it is unknown and ``on_unknown`` decides.

        :raises InvalidInput: no models; a model without a discriminator; models of other tables
            or discriminator attributes.
        """
        if not handlers:
            raise InvalidInput("StreamRouter.for_models needs at least one model and its handler")
        first = schema_of(next(iter(handlers)))
        attr = first.discriminator_attr if first.discriminator is not None else None
        if attr is None:
            raise InvalidInput(f"{first.model.__name__} declares no discriminator= to route by")

        def read(item: Item) -> str | None:
            value = _scalar(item.get(attr))
            if value is not None:
                return value
            if from_keys is not None:
                return from_keys(item)
            schemas = (schema_of(route.model) for route in router.routes.values())
            schema = schema_by_keys([s for s in schemas if s.templated and s.discriminator], item)
            return None if schema is None else schema.discriminator

        router = cls(discriminator=read, on_unknown=on_unknown)
        router.discriminator_attr = attr
        router._table = first.table
        for model, handler in handlers.items():
            router.add(model, handler)
        return router

    def _value_of(self, model: type[Any], value: str | None) -> str | None:
        """The value ``model`` is routed by: ``value``, else the one the model writes under the
        router's discriminator attribute; refused when they differ (the route could never fire)."""
        schema = schema_of(model)
        own = schema.discriminator
        attr = self.discriminator_attr
        if own is None or attr is None or schema.discriminator_attr != attr:
            if value is None and self._table is not None:
                raise InvalidInput(f"{model.__name__} writes no discriminator under {attr!r}")
            return value
        if self._table is not None and schema.table != self._table:
            raise InvalidInput(f"{model.__name__} is a model of table {schema.table!r}, not {self._table!r}")
        if value is not None and value != own:
            raise InvalidInput(f"{model.__name__} writes {own!r} as its discriminator, not {value!r}")
        return own

    def add(self, model: type[M], handler: ChangeHandler[M], *, value: str | None = None) -> None:
        """Route records whose discriminator is ``value`` to ``handler`` as changes of ``model``.

        ``value`` defaults to the one ``model`` writes when it declares ``discriminator=`` under
        the router's discriminator attribute.

        :raises InvalidInput: ``value`` is missing while a discriminator is set, or given without
            one; a second route without a discriminator; a value routed twice; models whose
            partition keys are different attributes (they cannot share a table); a value other
            than the one the model writes.
        """
        if self.discriminator is None and (value is not None or self._routes):
            raise InvalidInput("routing several models (or by value) needs StreamRouter(discriminator=...)")
        if self.discriminator is not None:
            value = self._value_of(model, value)
        if self.discriminator is not None and value is None:
            raise InvalidInput(f"{model.__name__}: give the discriminator value it is routed by (value=...)")
        if value in self._routes:
            raise InvalidInput(f"discriminator value {value!r} is routed twice")
        hash_key = schema_of(model).hash_key
        attr = hash_key.attr if hash_key is not None else None
        if self._routes and attr != self._partition_attr:
            raise InvalidInput(
                f"{model.__name__}'s partition key is {attr!r}; "
                f"the other routed models use {self._partition_attr!r}"
            )
        self._partition_attr = attr
        self._routes[value] = Route(model, handler)

    def on(
        self, model: type[M], *, value: str | None = None
    ) -> Callable[[ChangeHandler[M]], ChangeHandler[M]]:
        """Decorator form of :meth:`add`; returns the handler unchanged."""

        def register(handler: ChangeHandler[M]) -> ChangeHandler[M]:
            self.add(model, handler, value=value)
            return handler

        return register

    @property
    def routes(self) -> dict[str | None, Route[Any]]:
        """The routes by discriminator value (``None`` for a single-model router)."""
        return dict(self._routes)

    def route(self, raw: RawRecord) -> Route[Any] | None:
        """The route of a record, or ``None`` when its discriminator names none.

        :raises InvalidInput: the router has no route at all.
        """
        if not self._routes:
            raise InvalidInput("the stream router has no route: add a model and its handler")
        if self.discriminator is None:
            return self._routes[None]
        item = raw.merged()
        if callable(self.discriminator):
            value = self.discriminator(item)
        else:
            value = _scalar(item.get(self.discriminator))
        return None if value is None else self._routes.get(value)

    def ordering_key(self, raw: RawRecord) -> str:
        """Records with equal ordering keys are processed in stream order: the partition key's value."""
        value = raw.keys.get(self._partition_attr) if self._partition_attr is not None else None
        if value is not None and len(value) == 1:
            for tag, scalar in value.items():
                return f"{tag}:{scalar!r}"
        return json.dumps(raw.keys, sort_keys=True, default=repr)  # no partition key: the whole key


def _scalar(av: Any) -> str | None:
    if isinstance(av, dict) and len(av) == 1:
        ((tag, raw),) = av.items()
        if tag in ("S", "N") and isinstance(raw, str):
            return raw
    return None


__all__ = ["ChangeHandler", "Discriminator", "OnUnknown", "Route", "StreamRouter"]
