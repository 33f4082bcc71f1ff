"""Adopting a table whose items have no discriminator yet: write it, once, into every item.

``await db.collection(Customer, Order).backfill(segments=4)`` scans the whole table (parallel
segments) and, for each item without the discriminator attribute whose stored keys fit exactly one
of the collection's key templates (:func:`~dynamorm_async.adopt.schemas_by_keys`), sends::

    UpdateItem SET entity = :ORDER, customer_id = :c, order_id = :o, ...
               IF attribute_exists(pk) AND attribute_not_exists(entity)

the discriminator and the template fields the item does not hold as attributes of their own,
parsed from its keys. The condition makes it safe beside live traffic: a value written meanwhile
(by the application or a second backfill) is never overwritten, and an item deleted meanwhile is
not brought back. Versions and ``updated_at`` are left alone: the data does not change. Items are
not tagged when their keys fit no model, several models, or when the item does not read as the
model its keys name; their keys are reported in the result, never dropped.

Every request goes through the DB's transport (retries, deadline, partner account); a failure
stops the backfill with the library's error, and running it again resumes where it stopped
(tagged items count as already set).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..adopt import schemas_by_keys
from ..errors import ConditionCheckFailed, InvalidInput, InvalidKey, InvalidStoredItem, ModelError
from ..expressions import Encoder, Path, Update
from ..keyspecs import render_key
from ..requests import key_from_item
from .pages import bind, pages
from .parallel import single_error

if TYPE_CHECKING:
    from ..manager import Manager
    from ..marshal import Item
    from ..schema import Schema
    from ..transport import Transport
    from .builders import Scan
    from .routing import Router


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """What a backfill found and did.

    ``scanned`` items in all; ``updated`` got their discriminator (with ``dry_run``: would get it);
    ``already_set`` had one (when read, or written by someone else before the update landed);
    ``gone`` were deleted between the scan and their update. ``unmatched``, ``ambiguous`` and
    ``invalid`` are the keys of items without a discriminator that were left as they are: keys
    that fit no model's templates, keys that fit several, and items that do not read as the one
    model their keys fit (the :class:`~dynamorm_async.errors.InvalidStoredItem` says why on a read).
    """

    scanned: int = 0
    updated: int = 0
    already_set: int = 0
    gone: int = 0
    unmatched: tuple[Item, ...] = ()
    ambiguous: tuple[Item, ...] = ()
    invalid: tuple[Item, ...] = ()
    dry_run: bool = False

    @property
    def complete(self) -> bool:
        """Whether every item scanned now has a discriminator (nothing left untagged)."""
        return not (self.unmatched or self.ambiguous or self.invalid) and not self.dry_run


@dataclass(slots=True)
class _Tally:
    scanned: int = 0
    updated: int = 0
    already_set: int = 0
    gone: int = 0
    unmatched: list[Item] = field(default_factory=list)
    ambiguous: list[Item] = field(default_factory=list)
    invalid: list[Item] = field(default_factory=list)


def tag_request(schema: Schema, raw: Item, table: str) -> dict[str, Any]:
    """The conditional UpdateItem that writes ``schema``'s discriminator into the stored item
    ``raw`` (whose keys fit its templates), with the template fields and index keys it lacks.

    :raises InvalidStoredItem: the item does not read as the model (it is then not tagged).
    """
    obj = schema.decode(raw)  # fills the template fields from the keys; refuses what would not read
    attr = schema.discriminator_attr
    assert attr is not None and schema.discriminator is not None and schema.hash_key is not None
    actions = [Path((attr,)).set(schema.discriminator)]
    # the fields parsed from the keys the item holds (a default is not written: it is no data)
    held = [s.template for s in schema.template_keys if s.template is not None and s.attr in raw]
    names = sorted({name for template in held for name in template.fields})
    for name in names:
        spec = schema.by_name[name]
        value = getattr(obj, name, None)
        if spec.attr not in raw and value is not None:
            actions.append(Path((spec.attr,), spec.codec).set(value))
    # index keys the item lacks, where all their fields have a value (as a put would write them)
    for spec in schema.template_keys:
        if spec.role is not None or spec.template is None or spec.attr in raw:
            continue
        values = {name: getattr(obj, name, None) for name in spec.template.fields}
        if all(v is not None for v in values.values()):
            try:
                text = render_key(schema, spec, values)
            except InvalidKey as exc:  # a value holding its separator: the item cannot be indexed
                key = key_from_item([f.attr for f in schema.key_fields], raw)
                raise InvalidStoredItem(
                    f"{schema.model.__name__}: {exc}", table=table, key=key, attribute=spec.attr
                ) from None
            actions.append(Path((spec.attr,)).set(text))
    enc = Encoder()
    condition = Path((schema.hash_key.attr,)).exists() & Path((attr,)).not_exists()
    params: dict[str, Any] = {
        "TableName": table,
        "Key": key_from_item([f.attr for f in schema.key_fields], raw),
        "UpdateExpression": enc.update(Update(tuple(actions))),
        "ConditionExpression": enc.condition(condition),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    params.update(enc.params())
    return params


async def _tag(call: Transport, tally: _Tally, params: dict[str, Any], table: str) -> None:
    try:
        await call.call("UpdateItem", params, table=table)
    except ConditionCheckFailed as exc:
        if exc.item:
            tally.already_set += 1
        else:
            tally.gone += 1
        return
    tally.updated += 1


async def run_backfill(
    managers: Sequence[Manager[Any]],
    router: Router,
    scan: Scan[Any],
    *,
    segments: int,
    concurrency: int | None,
    dry_run: bool,
) -> BackfillResult:
    """Scan ``scan``'s table in ``segments`` and tag each item as described in the module docstring."""
    import anyio

    if not isinstance(dry_run, bool):
        raise InvalidInput(f"dry_run must be True or False, not {dry_run!r}")
    templated = router.templated
    if not templated:
        names = ", ".join(m.model.__name__ for m in managers)
        raise ModelError(
            f"none of {names} declares key templates (hash_key=Key(...)): a backfill tells an "
            "item's model by the shape of its keys"
        )
    split = scan.parallel(segments, concurrency=concurrency)  # checks segments and concurrency
    plans = [scan.segment(i, split.segments).plan() for i in range(split.segments)]
    transport = bind(managers[0].transport)
    table = managers[0].table
    attr = router.attr
    key_attrs = [f.attr for f in managers[0].schema.key_fields]
    limiter = anyio.CapacityLimiter(split.concurrency)
    tally = _Tally()

    async def item(raw: Item) -> None:
        tally.scanned += 1
        if attr in raw:
            tally.already_set += 1
            return
        fits = schemas_by_keys(templated, raw)
        if len(fits) != 1:
            (tally.ambiguous if fits else tally.unmatched).append(key_from_item(key_attrs, raw))
            return
        try:
            params = tag_request(fits[0], raw, table)
        except InvalidStoredItem:
            tally.invalid.append(key_from_item(key_attrs, raw))
            return
        if dry_run:
            tally.updated += 1
            return
        async with limiter:
            await _tag(transport, tally, params, table)

    async def worker(plan: Any) -> None:
        async with aclosing(pages(transport.call, plan, limiter=limiter)) as responses:
            async for response in responses:
                for raw in response.get("Items") or ():
                    await item(raw)

    with single_error():
        async with anyio.create_task_group() as tg:
            for plan in plans:
                tg.start_soon(worker, plan)
    return BackfillResult(
        tally.scanned,
        tally.updated,
        tally.already_set,
        tally.gone,
        tuple(tally.unmatched),
        tuple(tally.ambiguous),
        tuple(tally.invalid),
        dry_run,
    )


__all__ = ["BackfillResult", "run_backfill", "tag_request"]
