"""Transactions: all-or-nothing writes (TransactWriteItems) and consistent reads (TransactGetItems).

::

    async with db.transact_write() as tx:                 # committed when the block ends cleanly
        tx.put(order, condition=Order.attr.order_id.not_exists())
        tx.update(Customer, "c1", Customer.attr.orders.add(1))
        tx.delete(Cart, ("c1", "cart"))
        tx.condition_check(Customer, "c1", Customer.attr.blocked == False)

Each request is built when it is added, by the same builders the managers use
(:mod:`dynamorm_async.requests`): items are encoded
and size-checked, declared versions are checked and incremented, ``created_at``/``updated_at``
are set. So errors in the input surface at the ``tx.put(...)`` line, and the request sent is
fixed from then on: every :meth:`TransactWrite.commit` of one transaction sends the same
request with the same ``ClientRequestToken``. DynamoDB applies a token once (for 10 minutes), so
committing again after a network error, a timeout or an ambiguous answer is safe: it either
applies the transaction or confirms that it already was. A transaction cancelled only because
another one held its items (``TransactionConflict``, ``TransactionInProgressException``) is sent
again the same way, with the library's backoff, bounded by attempts and the active deadline.

A cancelled transaction raises :class:`~dynamorm_async.errors.TransactionCanceled` whose
``reasons`` has one :class:`~dynamorm_async.errors.CancellationReason` per request, in the
order they were added (each ``tx.put(...)`` returns its index); a failed condition carries the
item as it is now, decoded with that request's model. An update needs its item, as
``Manager.update`` does (``upsert=True`` creates it): for a missing one the reason is
``ConditionalCheckFailed`` with ``item=None`` and a message naming the missing item.

Through a model with a discriminator (several models in one table), puts, updates, deletes and
condition checks only apply to that model's items: a request that meets another model's item
cancels the transaction with :class:`~dynamorm_async.errors.TransactionWrongModel`, which is
both a ``TransactionCanceled`` and a ``WrongModel``.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, overload

from .decoding import check_model
from .errors import (
    DuplicateKey,
    InvalidInput,
    ServiceError,
    TransactionCanceled,
    TransactionWrongModel,
    WrongModel,
)
from .expressions import Action, Condition, Update
from .model import Model
from .requests import (
    MAX_TRANSACT_ITEMS,
    ItemRequest,
    condition_check,
    decode_current,
    delete_item,
    get_item,
    key_id,
    put_item,
    transact_get_request,
    transact_write_request,
    update_item,
)
from .retry import DEFAULT_BACKOFF, Backoff
from .schema import Schema, schema_of

if TYPE_CHECKING:
    from .transport import Transport

#: The table a model's requests go to (e.g. its manager's), when not the model's own.
TableOf = Callable[[type[Model]], str]


class TransactWrite:
    """A write transaction of up to 100 puts, updates, deletes and condition checks.

    Use it as an async context manager (committed when the block ends without an exception;
    nothing is sent otherwise) or call :meth:`commit` yourself. Each adding method returns the
    index of its request, which is also its index in ``TransactionCanceled.reasons``. No item may
    appear twice in one transaction (DynamoDB refuses it), which is checked as requests are added.
    Made by :meth:`DB.transact_write <dynamorm_async.db.DB.transact_write>`; it needs only the
    transport to send through, since each model brings its compiled schema (``table_of`` names
    each model's table when it is not the model's own, as for a manager whose table was renamed).
    """

    def __init__(
        self, transport: Transport, *, token: str | None = None, table_of: TableOf | None = None
    ) -> None:
        self._transport = transport
        self._table_of = table_of
        #: The idempotency token sent with every commit of this transaction.
        self.token = token or str(uuid.uuid4())
        self._staged: list[tuple[Schema, ItemRequest]] = []
        self._keys: dict[tuple[str, Any], int] = {}
        #: Index -> message, for updates that need their item: a missing one cancels the transaction.
        self._must_exist: dict[int, str] = {}
        self._sent = False
        self.committed = False
        #: How conflicts (``TransactionConflict``, ``TransactionInProgressException``) are retried.
        self.backoff = DEFAULT_BACKOFF

    def __len__(self) -> int:
        return len(self._staged)

    # ------------------------------------------------------------------ adding requests
    def put(self, obj: Model, *, condition: Condition | None = None, overwrite: bool = True) -> int:
        """Write ``obj`` whole, if ``condition`` holds (and, with ``overwrite=False``, if the key is new).

        A declared version is checked and incremented, timestamps are set, as in ``Manager.put``.
        """
        schema = _schema(type(obj))
        table = self._table(schema)
        return self._add(schema, put_item(schema, obj, condition=condition, overwrite=overwrite, table=table))

    @overload
    def update(
        self,
        target: Model,
        /,
        *actions: Action | Update,
        condition: Condition | None = None,
        upsert: bool = False,
    ) -> int: ...

    @overload
    def update(
        self,
        target: type[Model],
        key: Any,
        /,
        *actions: Action | Update,
        condition: Condition | None = None,
        upsert: bool = False,
    ) -> int: ...

    def update(
        self, target: Any, /, *args: Any, condition: Condition | None = None, upsert: bool = False
    ) -> int:
        """Update one item: ``tx.update(obj, *actions)`` or ``tx.update(Model, key, *actions)``.

        As in ``Manager.update``: the item must exist (no partial item is created), else the
        transaction is cancelled and that request's reason is ``ConditionalCheckFailed`` with
        ``item=None`` and a message saying the item is missing; ``upsert=True`` creates it when
        missing, and then the actions must set every required field. With a model instance its
        version is checked and incremented (and set on the instance once committed);
        ``updated_at`` is set.
        """
        schema, key, rest = _target(target, args, "update")
        request = update_item(
            schema,
            key,
            rest,
            condition=condition,
            table=self._table(schema),
            must_exist=not upsert,
            complete=upsert,
        )
        index = self._add(schema, request)
        if not upsert:
            self._must_exist[index] = (
                f"no {schema.model.__name__} item in {request.table!r} under {request.key!r} to "
                "update (tx.update(..., upsert=True) creates it)"
            )
        return index

    @overload
    def delete(self, target: Model, /, *, condition: Condition | None = None) -> int: ...

    @overload
    def delete(self, target: type[Model], key: Any, /, *, condition: Condition | None = None) -> int: ...

    def delete(self, target: Any, /, *args: Any, condition: Condition | None = None) -> int:
        """Delete one item: ``tx.delete(obj)`` (its version is checked) or ``tx.delete(Model, key)``."""
        schema, key, rest = _target(target, args, "delete")
        if rest:
            raise InvalidInput("delete() takes a model instance, or a model class and a key")
        return self._add(schema, delete_item(schema, key, condition=condition, table=self._table(schema)))

    @overload
    def condition_check(self, target: Model, condition: Condition, /) -> int: ...

    @overload
    def condition_check(self, target: type[Model], key: Any, condition: Condition, /) -> int: ...

    def condition_check(self, target: Any, /, *args: Any) -> int:
        """Require a condition on an item that is not written: ``tx.condition_check(Model, key, cond)``.

        With a model instance (``tx.condition_check(obj, cond)``) only its key is used.
        """
        schema, key, rest = _target(target, args, "condition_check")
        if len(rest) != 1 or not isinstance(rest[0], Condition):
            raise InvalidInput("condition_check() needs exactly one condition")
        return self._add(schema, condition_check(schema, key, rest[0], table=self._table(schema)))

    # ------------------------------------------------------------------ commit
    async def commit(self) -> None:
        """Send the transaction (again, if it was sent before: same request, same token).

        :raises TransactionCanceled: DynamoDB cancelled it; ``reasons`` says why, per request.
        """
        if not self._staged:
            raise InvalidInput("a transaction needs at least one request")
        self._sent = True
        await commit_requests(self._transport, self._staged, self.token, self.backoff, self._must_exist)
        self.committed = True

    async def __aenter__(self) -> TransactWrite:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None and self._staged and not self.committed:
            await self.commit()

    # ------------------------------------------------------------------ internals
    def _table(self, schema: Schema) -> str | None:
        return None if self._table_of is None else self._table_of(typing.cast("type[Model]", schema.model))

    def _add(self, schema: Schema, request: ItemRequest) -> int:
        if self._sent:
            raise InvalidInput("this transaction was already sent; its request can no longer change")
        if len(self._staged) >= MAX_TRANSACT_ITEMS:
            raise InvalidInput(f"a transaction holds at most {MAX_TRANSACT_ITEMS} requests")
        ident = (request.table, key_id(request.key))
        if ident in self._keys:
            raise DuplicateKey(
                f"the transaction already has request {self._keys[ident]} on {request.table!r} "
                f"{request.key!r}; DynamoDB allows one request per item in a transaction",
                key=request.key,
            )
        self._keys[ident] = len(self._staged)
        self._staged.append((schema, request))
        return len(self._staged) - 1


#: Cancellation codes that say another transaction or write held an item: worth trying again.
CONFLICT_CODES = frozenset({"TransactionConflict"})


def is_conflict(exc: BaseException) -> bool:
    """Whether a transaction failed only because of a concurrent one (retry with the same token)."""
    if isinstance(exc, TransactionCanceled):
        failed = [r.code for r in getattr(exc, "reasons", []) if r.failed]
        return bool(failed) and all(code in CONFLICT_CODES for code in failed)
    return isinstance(exc, ServiceError) and exc.code == "TransactionInProgressException"


async def commit_requests(
    transport: Transport,
    staged: Sequence[tuple[Schema, ItemRequest]],
    token: str,
    backoff: Backoff = DEFAULT_BACKOFF,
    must_exist: Mapping[int, str] | None = None,
) -> None:
    """Send staged requests as one TransactWriteItems with ``token``; apply them once committed.

    Conflicts (:func:`is_conflict`) are retried with the same token and request, after a
    full-jitter pause, bounded by ``backoff.attempts`` and the active deadline: the last
    conflict is raised when a bound is hit. The transport retries transient errors itself,
    with the same token too. Other cancellations raise at once, reasons decoded per model;
    ``must_exist`` (index -> message) names the requests whose failed condition on a missing
    item gets that message as its reason's.
    """
    params = transact_write_request([r for _, r in staged], token)
    attempt = 0
    while True:
        attempt += 1
        try:
            await transport.call("TransactWriteItems", params)
            break
        except (TransactionCanceled, ServiceError) as exc:
            if isinstance(exc, TransactionCanceled):
                _explain_missing(exc, must_exist or {})
                wrong = _wrong_model(exc, [schema for schema, _ in staged])
                _decode_reasons(exc, [schema for schema, _ in staged])
                if wrong is not None:
                    raise wrong from exc
            if not is_conflict(exc) or await backoff.pause(attempt) is not None:
                raise
    for _, request in staged:
        request.apply()


def _schema(model: Any) -> Schema:
    """The compiled schema of a table model class; a typed error for anything else."""
    if not isinstance(model, type) or not issubclass(model, Model):
        raise InvalidInput(f"expected a table model class or instance, got {model!r:.80}")
    schema = schema_of(model)
    schema.require_table()
    return schema


def _target(target: Any, args: tuple[Any, ...], what: str) -> tuple[Schema, Any, tuple[Any, ...]]:
    """Split ``tx.op(obj, ...)`` or ``tx.op(Model, key, ...)`` into schema, key and the rest."""
    if isinstance(target, type):
        if not args:
            raise InvalidInput(f"{what}({target.__name__}, key, ...) needs a key after the model class")
        return _schema(target), args[0], args[1:]
    return _schema(type(target)), target, args


def _explain_missing(exc: TransactionCanceled, must_exist: Mapping[int, str]) -> None:
    """Say so in the reason of an update whose item was missing (its condition failed and no
    current item came back: checked before decoding, which also gives ``None`` when unreadable)."""
    for reason in getattr(exc, "reasons", []):
        if reason.index in must_exist and reason.code == "ConditionalCheckFailed" and not reason.item:
            reason.message = must_exist[reason.index]


def _wrong_model(exc: TransactionCanceled, schemas: Sequence[Schema]) -> TransactionWrongModel | None:
    """A :class:`TransactionWrongModel` when a failed request's current item (raw, before
    decoding) is another model's: its guard condition refused to touch it."""
    for reason in getattr(exc, "reasons", []):
        if not (reason.failed and isinstance(reason.item, dict) and reason.index < len(schemas)):
            continue
        try:
            check_model(schemas[reason.index], reason.item)
        except WrongModel as wrong:
            return TransactionWrongModel(
                exc,
                index=reason.index,
                table=wrong.table,
                key=wrong.key,
                expected=wrong.expected,
                found=wrong.found,
            )
    return None


def _decode_reasons(exc: TransactionCanceled, schemas: Sequence[Schema]) -> None:
    """Decode each reason's raw item with the model of the request it belongs to."""
    for reason in getattr(exc, "reasons", []):
        ok = isinstance(reason.item, dict) and reason.index < len(schemas)
        reason.item = decode_current(schemas[reason.index], reason.item) if ok else None


# --------------------------------------------------------------------------- transact get


async def transact_get(
    transport: Transport, gets: Sequence[Model | tuple[type[Model], Any]], *, table_of: TableOf | None = None
) -> list[Any]:
    """Read up to 100 items as one consistent snapshot; see :meth:`dynamorm_async.db.DB.transact_get`."""
    if not gets:
        return []
    if len(gets) > MAX_TRANSACT_ITEMS:
        raise InvalidInput(f"transact_get reads at most {MAX_TRANSACT_ITEMS} items")
    schemas: list[Schema] = []
    requests: list[ItemRequest] = []
    seen: set[tuple[str, Any]] = set()
    for g in gets:
        if isinstance(g, tuple):
            if len(g) != 2 or not isinstance(g[0], type) or not issubclass(g[0], Model):
                raise InvalidInput("transact_get takes model instances or (ModelClass, key) pairs")
            model, key_arg = g
        else:
            model, key_arg = type(g), g
        schema = _schema(model)
        request = get_item(schema, key_arg, table=None if table_of is None else table_of(model))
        ident = (request.table, key_id(request.key))
        if ident in seen:
            raise DuplicateKey(f"transact_get names {request.table!r} {request.key!r} twice", key=request.key)
        seen.add(ident)
        schemas.append(schema)
        requests.append(request)
    try:
        response = await transport.call("TransactGetItems", transact_get_request(requests))
    except TransactionCanceled as exc:
        _decode_reasons(exc, schemas)
        raise
    out: list[Any] = []
    for schema, r in zip(schemas, response.get("Responses", []), strict=True):
        item = r.get("Item")
        out.append(schema.decode(item) if item else None)
    return out


__all__ = [
    "CONFLICT_CODES",
    "MAX_TRANSACT_ITEMS",
    "TransactWrite",
    "commit_requests",
    "is_conflict",
    "transact_get",
]
