"""Transactions: all-or-nothing writes (TransactWriteItems) and consistent reads (TransactGetItems).

::

    async with db.transact_write() as tx:                 # committed when the block ends cleanly
        tx.put(order, condition=Order.attr.order_id.not_exists())
        tx.update(Customer, "c1", Customer.attr.orders.add(1))
        tx.delete(Cart, ("c1", "cart"))
        tx.condition_check(Customer, "c1", Customer.attr.blocked == False)

Each request is staged when it is added, exactly as the managers stage theirs: items are encoded
and size-checked, declared versions are checked and incremented, ``created_at``/``updated_at``
are set. So errors in the input surface at the ``tx.put(...)`` line, and the request sent is
fixed from then on: every :meth:`TransactWrite.commit` of one transaction sends the same
request with the same ``ClientRequestToken``. DynamoDB applies a token once (for 10 minutes), so
committing again after a network error, a timeout or an ambiguous answer is safe: it either
applies the transaction or confirms that it already was.

A cancelled transaction raises :class:`~dynamorm_async.errors.TransactionCanceled` whose
``reasons`` has one :class:`~dynamorm_async.errors.CancellationReason` per request, in the
order they were added (each ``tx.put(...)`` returns its index); a failed condition carries the
item as it is now, decoded with that request's model.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, overload

from .errors import DuplicateKey, InvalidInput, TransactionCanceled
from .expressions import Action, Condition, Encoder, Path, SetAction, Update, Value

if TYPE_CHECKING:
    from .db import DB
    from .manager import Manager
    from .model import Model

#: DynamoDB's limit on the requests in one transaction.
MAX_TRANSACT_ITEMS = 100


@dataclass(slots=True)
class _Staged:
    """One request of a transaction and what to do with its model instance once committed."""

    manager: Manager[Any]
    request: dict[str, Any]
    obj: Any = None
    changes: dict[str, Any] | None = None


class TransactWrite:
    """A write transaction of up to 100 puts, updates, deletes and condition checks.

    Use it as an async context manager (committed when the block ends without an exception;
    nothing is sent otherwise) or call :meth:`commit` yourself. Each adding method returns the
    index of its request, which is also its index in ``TransactionCanceled.reasons``. No item may
    appear twice in one transaction (DynamoDB refuses it), which is checked as requests are added.
    """

    def __init__(self, db: DB, *, token: str | None = None) -> None:
        self._db = db
        #: The idempotency token sent with every commit of this transaction.
        self.token = token or str(uuid.uuid4())
        self._staged: list[_Staged] = []
        self._keys: dict[tuple[str, Any], int] = {}
        self._sent = False
        self.committed = False

    def __len__(self) -> int:
        return len(self._staged)

    # ------------------------------------------------------------------ adding requests
    def put(self, obj: Model, *, condition: Condition | None = None, overwrite: bool = True) -> int:
        """Write ``obj`` whole, if ``condition`` holds (and, with ``overwrite=False``, if the key is new).

        A declared version is checked and incremented, timestamps are set, as in ``Manager.put``.
        """
        manager = self._manager(type(obj))
        item, changes, version_cond = manager._stage_put(obj)
        schema = manager.schema
        insert_only = None
        if not overwrite and schema.hash_key is not None:
            insert_only = Path((schema.hash_key.attr,)).not_exists()
        body: dict[str, Any] = {"TableName": manager.table, "Item": item}
        self._conditions(manager, body, insert_only, version_cond, condition)
        key = {f.attr: item[f.attr] for f in schema.key_fields}
        return self._add(manager, key, {"Put": body}, obj, changes)

    @overload
    def update(
        self, target: Model, /, *actions: Action | Update, condition: Condition | None = None
    ) -> int: ...

    @overload
    def update(
        self, target: type[Model], key: Any, /, *actions: Action | Update, condition: Condition | None = None
    ) -> int: ...

    def update(self, target: Any, /, *args: Any, condition: Condition | None = None) -> int:
        """Update one item: ``tx.update(obj, *actions)`` or ``tx.update(Model, key, *actions)``.

        With a model instance its version is checked and incremented (and set on the instance
        once committed); ``updated_at`` is set, as in ``Manager.update``.
        """
        manager, key_arg, rest = self._target(target, args, "update")
        update, version_cond = manager._stage_update(key_arg, rest)
        enc = Encoder()
        key = manager._key(key_arg)
        body: dict[str, Any] = {
            "TableName": manager.table,
            "Key": key,
            "UpdateExpression": enc.update(update),
        }
        self._conditions(manager, body, version_cond, condition, enc=enc)
        changes = _update_changes(manager, update) if isinstance(key_arg, manager.model) else None
        return self._add(manager, key, {"Update": body}, key_arg if changes else None, changes)

    @overload
    def delete(self, target: Model, /, *, condition: Condition | None = None) -> int: ...

    @overload
    def delete(self, target: type[Model], key: Any, /, *, condition: Condition | None = None) -> int: ...

    def delete(self, target: Any, /, *args: Any, condition: Condition | None = None) -> int:
        """Delete one item: ``tx.delete(obj)`` (its version is checked) or ``tx.delete(Model, key)``."""
        manager, key_arg, rest = self._target(target, args, "delete")
        if rest:
            raise InvalidInput("delete() takes a model instance, or a model class and a key")
        version_cond = None
        if isinstance(key_arg, manager.model):
            version_cond, _ = manager._version_condition(key_arg)
        key = manager._key(key_arg)
        body: dict[str, Any] = {"TableName": manager.table, "Key": key}
        self._conditions(manager, body, version_cond, condition)
        return self._add(manager, key, {"Delete": body})

    @overload
    def condition_check(self, target: Model, condition: Condition, /) -> int: ...

    @overload
    def condition_check(self, target: type[Model], key: Any, condition: Condition, /) -> int: ...

    def condition_check(self, target: Any, /, *args: Any) -> int:
        """Require a condition on an item that is not written: ``tx.condition_check(Model, key, cond)``.

        With a model instance (``tx.condition_check(obj, cond)``) only its key is used.
        """
        manager, key_arg, rest = self._target(target, args, "condition_check")
        if len(rest) != 1 or not isinstance(rest[0], Condition):
            raise InvalidInput("condition_check() needs exactly one condition")
        key = manager._key(key_arg)
        body: dict[str, Any] = {"TableName": manager.table, "Key": key}
        self._conditions(manager, body, rest[0])
        return self._add(manager, key, {"ConditionCheck": body})

    # ------------------------------------------------------------------ commit
    async def commit(self) -> None:
        """Send the transaction (again, if it was sent before: same request, same token).

        :raises TransactionCanceled: DynamoDB cancelled it; ``reasons`` says why, per request.
        """
        if not self._staged:
            raise InvalidInput("a transaction needs at least one request")
        self._sent = True
        params = {"TransactItems": [s.request for s in self._staged], "ClientRequestToken": self.token}
        try:
            await self._db.transport.call("TransactWriteItems", params)
        except TransactionCanceled as exc:
            _decode_reasons(exc, [s.manager for s in self._staged])
            raise
        for s in self._staged:
            if s.obj is not None and s.changes:
                for name, value in s.changes.items():
                    setattr(s.obj, name, value)
        self.committed = True

    async def __aenter__(self) -> TransactWrite:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None and self._staged and not self.committed:
            await self.commit()

    # ------------------------------------------------------------------ internals
    def _manager(self, model: type[Any]) -> Manager[Any]:
        from .model import Model

        if not isinstance(model, type) or not issubclass(model, Model):
            raise InvalidInput(f"expected a table model class or instance, got {model!r:.80}")
        return self._db.manager(model)

    def _target(
        self, target: Any, args: tuple[Any, ...], what: str
    ) -> tuple[Manager[Any], Any, tuple[Any, ...]]:
        if isinstance(target, type):
            if not args:
                raise InvalidInput(f"{what}({target.__name__}, key, ...) needs a key after the model class")
            return self._manager(target), args[0], args[1:]
        return self._manager(type(target)), target, args

    def _conditions(
        self,
        manager: Manager[Any],
        body: dict[str, Any],
        *conditions: Condition | None,
        enc: Encoder | None = None,
    ) -> None:
        enc = enc or Encoder()
        body.update(manager._condition(enc, *conditions))
        if "ConditionExpression" in body:
            body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        body.update(enc.params())

    def _add(
        self,
        manager: Manager[Any],
        key: dict[str, Any],
        request: dict[str, Any],
        obj: Any = None,
        changes: dict[str, Any] | None = None,
    ) -> int:
        from .batch import key_id

        if self._sent:
            raise InvalidInput("this transaction was already sent; its request can no longer change")
        if len(self._staged) >= MAX_TRANSACT_ITEMS:
            raise InvalidInput(f"a transaction holds at most {MAX_TRANSACT_ITEMS} requests")
        ident = (manager.table, key_id(key))
        if ident in self._keys:
            raise DuplicateKey(
                f"the transaction already has request {self._keys[ident]} on {manager.table!r} {key!r}; "
                "DynamoDB allows one request per item in a transaction",
                key=key,
            )
        self._keys[ident] = len(self._staged)
        self._staged.append(_Staged(manager, request, obj, changes))
        return len(self._staged) - 1


def _update_changes(manager: Manager[Any], update: Update) -> dict[str, Any]:
    """What an update sets on the version and ``updated_at`` fields, to mirror on the instance."""
    schema = manager.schema
    watched = {f.attr: f.name for f in (schema.version, schema.updated_at) if f is not None}
    changes: dict[str, Any] = {}
    for a in update.actions:
        if isinstance(a, SetAction) and isinstance(a.value, Value) and len(a.path.elements) == 1:
            name = watched.get(str(a.path.elements[0]))
            if name is not None:
                changes[name] = a.value.value
    return changes


def _decode_reasons(exc: TransactionCanceled, managers: Sequence[Manager[Any]]) -> None:
    """Decode each reason's raw item with the model of the request it belongs to."""
    for reason in getattr(exc, "reasons", []):
        raw = reason.item
        if isinstance(raw, dict) and raw and reason.index < len(managers):
            try:
                reason.item = managers[reason.index].decode(raw)
            except InvalidInput:
                reason.item = None
        else:
            reason.item = None


# --------------------------------------------------------------------------- transact get


async def transact_get(db: DB, gets: Sequence[Model | tuple[type[Model], Any]]) -> list[Any]:
    """Read up to 100 items as one consistent snapshot; see :meth:`dynamorm_async.db.DB.transact_get`."""
    from .batch import key_id
    from .model import Model

    if not gets:
        return []
    if len(gets) > MAX_TRANSACT_ITEMS:
        raise InvalidInput(f"transact_get reads at most {MAX_TRANSACT_ITEMS} items")
    managers: list[Manager[Any]] = []
    requests: list[dict[str, Any]] = []
    seen: set[tuple[str, Any]] = set()
    for g in gets:
        if isinstance(g, tuple):
            if len(g) != 2 or not isinstance(g[0], type) or not issubclass(g[0], Model):
                raise InvalidInput("transact_get takes model instances or (ModelClass, key) pairs")
            model, key_arg = g
        else:
            model, key_arg = type(g), g
        manager = db.manager(model)
        key = manager._key(key_arg)
        ident = (manager.table, key_id(key))
        if ident in seen:
            raise DuplicateKey(f"transact_get names {manager.table!r} {key!r} twice", key=key)
        seen.add(ident)
        managers.append(manager)
        requests.append({"Get": {"TableName": manager.table, "Key": key}})
    try:
        response = await db.transport.call("TransactGetItems", {"TransactItems": requests})
    except TransactionCanceled as exc:
        _decode_reasons(exc, managers)
        raise
    out: list[Any] = []
    for manager, r in zip(managers, response.get("Responses", []), strict=True):
        item = r.get("Item")
        out.append(manager.decode(item) if item else None)
    return out


__all__ = ["MAX_TRANSACT_ITEMS", "TransactWrite", "transact_get"]
