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

Records whose discriminator names no route are skipped (``on_unknown="skip"``) or reported as
failures (``"fail"``, the default): never dropped by accident.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

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
        self._routes: dict[str | None, Route[Any]] = {}
        self._partition_attr: str | None = None

    @classmethod
    def single(cls, model: type[M], handler: ChangeHandler[M]) -> StreamRouter:
        """A router sending every record to ``handler`` as a change of ``model``."""
        router = cls()
        router.add(model, handler)
        return router

    def add(self, model: type[M], handler: ChangeHandler[M], *, value: str | None = None) -> None:
        """Route records whose discriminator is ``value`` to ``handler`` as changes of ``model``.

        :raises InvalidInput: ``value`` is missing while a discriminator is set, or given without
            one; a second route without a discriminator; a value routed twice; models whose
            partition keys are different attributes (they cannot share a table).
        """
        if self.discriminator is None and (value is not None or self._routes):
            raise InvalidInput("routing several models (or by value) needs StreamRouter(discriminator=...)")
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
