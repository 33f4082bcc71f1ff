"""Async model managers: one per model class, doing its item operations through the transport.

A manager compiles nothing at call time beyond the request's own expressions: keys, codecs and
the table come from the model's compiled schema. Version checks and increments, timestamps and
TTL are applied here, so callers cannot forget them.
"""

from __future__ import annotations

import datetime as _dt
import typing
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from .errors import ConditionCheckFailed, InvalidInput, ItemNotFound, KeyUpdateError, UnknownAttribute
from .expressions import Action, Condition, Encoder, Path, Update
from .schema import Schema, schema_of

if TYPE_CHECKING:
    from .batch import BatchGetResult, BatchWriteResult, Concurrency
    from .cursor import CursorSecret
    from .model import Model
    from .query import Query, Scan
    from .retry import Backoff
    from .transport import Transport

M = TypeVar("M", bound="Model")

KeyArg = Any  # a model instance, a hash key value, or a (hash, range) tuple


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class Manager(Generic[M]):
    """Async operations for one model class: ``get``, ``put``, ``update``, ``delete`` and table management."""

    def __init__(self, model: type[M], transport: Transport) -> None:
        self.model = model
        self.schema: Schema = schema_of(model)
        self.table: str = self.schema.require_table()
        self.transport = transport

    # ------------------------------------------------------------------ helpers
    def _key(self, key: KeyArg, range_value: Any = None) -> dict[str, Any]:
        if isinstance(key, self.model):
            return self.schema.key_of(key)
        if isinstance(key, tuple):
            if range_value is not None or len(key) not in (1, 2):
                raise InvalidInput("give the key as (hash, range), or as hash and range arguments")
            return self.schema.key(*key)
        return self.schema.key(key, range_value)

    def _check_paths(self, paths: Iterable[Path[Any]], what: str) -> None:
        by_attr = self.schema.by_attr
        for p in paths:
            head = p.elements[0] if p.elements else None
            if not isinstance(head, str) or head not in by_attr:
                model = self.model.__name__
                raise UnknownAttribute(f"{what} names {p.name!r}, which {model} does not declare")

    def _condition(self, enc: Encoder, *conditions: Condition | None) -> dict[str, Any]:
        present = [c for c in conditions if c is not None]
        if not present:
            return {}
        combined = present[0]
        for c in present[1:]:
            combined = combined & c
        self._check_paths(combined.paths(), "the condition")
        return {"ConditionExpression": enc.condition(combined)}

    def _projection(self, enc: Encoder, projection: Sequence[Path[Any] | str] | None) -> dict[str, Any]:
        if not projection:
            return {}
        paths = [self.model.attr.path(p) if isinstance(p, str) else p for p in projection]
        self._check_paths(paths, "the projection")
        for k in self.schema.key_fields:  # keys are always returned, so the model can be built
            if not any(p.elements == (k.attr,) for p in paths):
                paths.append(Path((k.attr,)))
        return {"ProjectionExpression": enc.projection(paths)}

    def _version_condition(self, obj: M) -> tuple[Condition | None, int | None]:
        """The optimistic-locking condition for writing ``obj``, and the version to write."""
        v = self.schema.version
        if v is None:
            return None, None
        current = getattr(obj, v.name)
        path: Path[int] = Path((v.attr,), v.codec)
        if not current:
            return path.not_exists(), 1
        return path == current, current + 1

    def _stage_put(
        self, obj: M, *, ttl: _dt.timedelta | float | None = None
    ) -> tuple[dict[str, Any], dict[str, Any], Condition | None]:
        """Prepare a whole-item write of ``obj`` (shared by put, batch and transactions).

        Returns the encoded, size-checked item; the field values to set on ``obj`` once the
        write is accepted (timestamps, next version, TTL); and the version condition, if any.
        """
        schema = self.schema
        now = _now()
        changes: dict[str, Any] = {}
        if schema.updated_at is not None:
            changes[schema.updated_at.name] = now
        if schema.created_at is not None and getattr(obj, schema.created_at.name) is None:
            changes[schema.created_at.name] = now
        if ttl is not None:
            if schema.ttl is None:
                raise InvalidInput(f"{self.model.__name__} declares no TTL() field")
            delta = ttl if isinstance(ttl, _dt.timedelta) else _dt.timedelta(seconds=ttl)
            changes[schema.ttl.name] = now + delta
        version_cond, new_version = self._version_condition(obj)
        if new_version is not None and schema.version is not None:
            changes[schema.version.name] = new_version
        staged = obj.model_copy(update=changes) if changes else obj
        return schema.encode_checked(staged), changes, version_cond

    def _stage_update(
        self, key: KeyArg, actions: Sequence[Action | Update]
    ) -> tuple[Update, Condition | None]:
        """Prepare an update of ``key`` (shared by update and transactions).

        Returns the caller's actions, checked, plus the version increment and ``updated_at``;
        and the version condition when ``key`` is a model instance.
        """
        flat: list[Action] = []
        for a in actions:
            flat.extend(a.actions if isinstance(a, Update) else (a,))
        if not flat:
            raise InvalidInput("update() needs at least one action, e.g. Model.attr.total.add(1)")
        schema = self.schema
        self._check_paths((a.path for a in flat), "the update")
        for a in flat:
            if a.path.elements[0] in schema.key_attrs:
                raise KeyUpdateError(f"{self.model.__name__}: cannot update key attribute {a.path.name!r}")
        version_cond: Condition | None = None
        v = schema.version
        if v is not None and not any(a.path.elements[0] == v.attr for a in flat):
            vpath: Path[Any] = Path((v.attr,), v.codec)
            if isinstance(key, self.model):
                version_cond, new_version = self._version_condition(key)
                flat.append(vpath.set(new_version))
            else:
                flat.append(vpath.set(vpath.if_not_exists(0) + 1))
        if schema.updated_at is not None:
            u = schema.updated_at
            flat.append(Path((u.attr,), u.codec).set(_now()))
        return Update(tuple(flat)), version_cond

    def decode(self, item: dict[str, Any] | None, *, partial: bool = False) -> M:
        """A model from a raw item; ``partial`` (projections) skips validation of absent fields."""
        if item is None:
            raise ItemNotFound(f"no {self.model.__name__} item", table=self.table, key={})
        if partial:
            data = {f.name: f.codec.decode(item[f.attr]) for f in self.schema.fields if f.attr in item}
            return typing.cast(M, self.model.model_construct(**data))
        result: M = self.schema.decode(item)
        return result

    def _with_current_item(self, exc: ConditionCheckFailed) -> ConditionCheckFailed:
        if isinstance(exc.item, dict) and exc.item:
            try:
                exc.item = self.decode(exc.item)
            except InvalidInput:
                pass
        else:
            exc.item = None
        return exc

    # ------------------------------------------------------------------ reads
    async def get(
        self,
        key: KeyArg,
        range_key: Any = None,
        *,
        consistent: bool = False,
        projection: Sequence[Path[Any] | str] | None = None,
    ) -> M:
        """The item under this key; raises :class:`ItemNotFound` when there is none.

        With ``projection`` only those attributes (plus the keys) are read, and the returned model
        is built without validation: fields not read keep their defaults.
        """
        item = await self._get_item(key, range_key, consistent=consistent, projection=projection)
        if item is None:
            raise ItemNotFound(
                f"no {self.model.__name__} item in {self.table!r} under {self._key(key, range_key)!r}",
                table=self.table,
                key=self._key(key, range_key),
            )
        return self.decode(item, partial=bool(projection))

    async def get_or_none(
        self,
        key: KeyArg,
        range_key: Any = None,
        *,
        consistent: bool = False,
        projection: Sequence[Path[Any] | str] | None = None,
    ) -> M | None:
        """Like :meth:`get`, but ``None`` when no item exists."""
        item = await self._get_item(key, range_key, consistent=consistent, projection=projection)
        return None if item is None else self.decode(item, partial=bool(projection))

    async def _get_item(
        self, key: KeyArg, range_key: Any, *, consistent: bool, projection: Sequence[Path[Any] | str] | None
    ) -> dict[str, Any] | None:
        enc = Encoder()
        params: dict[str, Any] = {"TableName": self.table, "Key": self._key(key, range_key)}
        if consistent:
            params["ConsistentRead"] = True
        params.update(self._projection(enc, projection))
        params.update(enc.params())
        response = await self.transport.call("GetItem", params, table=self.table)
        item: dict[str, Any] | None = response.get("Item")
        return item

    # ------------------------------------------------------------------ writes
    async def put(
        self,
        obj: M,
        *,
        condition: Condition | None = None,
        overwrite: bool = True,
        ttl: _dt.timedelta | float | None = None,
    ) -> M:
        """Write the whole item. ``overwrite=False`` inserts only (fails if the key exists).

        The version (if declared) is checked and incremented, ``created_at``/``updated_at`` are
        set, and ``ttl`` (a duration from now) fills the TTL field. The instance is updated in
        place only once DynamoDB has accepted the write, and returned.
        """
        schema = self.schema
        item, changes, version_cond = self._stage_put(obj, ttl=ttl)

        enc = Encoder()
        insert_only = None
        if not overwrite and schema.hash_key is not None:
            insert_only = Path((schema.hash_key.attr,)).not_exists()
        params: dict[str, Any] = {"TableName": self.table, "Item": item}
        params.update(self._condition(enc, insert_only, version_cond, condition))
        if "ConditionExpression" in params:
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        params.update(enc.params())
        try:
            await self.transport.call("PutItem", params, table=self.table)
        except ConditionCheckFailed as exc:
            raise self._with_current_item(exc) from exc.__cause__
        for name, value in changes.items():
            setattr(obj, name, value)
        return obj

    async def update(
        self,
        key: KeyArg,
        *actions: Action | Update,
        condition: Condition | None = None,
        return_values: Literal["ALL_NEW", "ALL_OLD", "NONE"] = "ALL_NEW",
    ) -> M | None:
        """Apply update actions to one item and return it as ``return_values`` says.

        ``key`` is a model instance (its version is then checked and incremented, and the
        instance refreshed in place) or key values. Actions that touch a key attribute raise
        :class:`KeyUpdateError` before anything is sent.
        """
        obj = key if isinstance(key, self.model) else None
        update, version_cond = self._stage_update(key, actions)

        enc = Encoder()
        params: dict[str, Any] = {
            "TableName": self.table,
            "Key": self._key(key),
            "UpdateExpression": enc.update(update),
            "ReturnValues": return_values,
        }
        params.update(self._condition(enc, version_cond, condition))
        if "ConditionExpression" in params:
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        params.update(enc.params())
        try:
            response = await self.transport.call("UpdateItem", params, table=self.table)
        except ConditionCheckFailed as exc:
            raise self._with_current_item(exc) from exc.__cause__
        attributes = response.get("Attributes")
        if return_values == "NONE" or not attributes:
            return None
        result = self.decode(attributes)
        if obj is not None and return_values == "ALL_NEW":
            for name in type(result).model_fields:
                setattr(obj, name, getattr(result, name))
        return result

    async def delete(
        self,
        key: KeyArg,
        range_key: Any = None,
        *,
        condition: Condition | None = None,
        return_old: bool = False,
    ) -> M | None:
        """Delete one item; a model instance has its version checked. ``return_old`` returns the old item."""
        version_cond = None
        if isinstance(key, self.model) and self.schema.version is not None:
            version_cond, _ = self._version_condition(key)
        enc = Encoder()
        params: dict[str, Any] = {"TableName": self.table, "Key": self._key(key, range_key)}
        params.update(self._condition(enc, version_cond, condition))
        if "ConditionExpression" in params:
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if return_old:
            params["ReturnValues"] = "ALL_OLD"
        params.update(enc.params())
        try:
            response = await self.transport.call("DeleteItem", params, table=self.table)
        except ConditionCheckFailed as exc:
            raise self._with_current_item(exc) from exc.__cause__
        old = response.get("Attributes")
        return self.decode(old) if return_old and old else None

    # ------------------------------------------------------------------ table management
    async def create_table(self, **options: Any) -> dict[str, Any]:
        """Create the model's table (see :func:`dynamorm_async.tables.create_table`)."""
        from .tables import create_table

        return await create_table(self.transport, self.schema, **options)

    async def ensure_table(self, **options: Any) -> dict[str, Any]:
        """Create the table unless it exists; returns its description."""
        from .tables import ensure_table

        return await ensure_table(self.transport, self.schema, **options)

    async def describe_table(self) -> dict[str, Any]:
        """DynamoDB's description of the table; :class:`TableNotFound` if absent."""
        from .tables import describe_table

        return await describe_table(self.transport, self.table)

    async def delete_table(self, *, wait: bool = True) -> None:
        """Delete the table, by default waiting until it is gone."""
        from .tables import delete_table

        await delete_table(self.transport, self.table, wait=wait)

    async def enable_ttl(self) -> None:
        """Turn on DynamoDB's TTL for the model's ``TTL()`` field."""
        from .tables import enable_ttl

        await enable_ttl(self.transport, self.schema)

    # ---- batch
    @typing.overload
    async def batch_get(
        self,
        keys: Iterable[KeyArg],
        *,
        consistent: bool = ...,
        projection: Sequence[Path[Any] | str] | None = ...,
        on_unprocessed: Literal["raise"] = ...,
        concurrency: Concurrency = ...,
        backoff: Backoff | None = ...,
    ) -> list[M]: ...

    @typing.overload
    async def batch_get(
        self,
        keys: Iterable[KeyArg],
        *,
        consistent: bool = ...,
        projection: Sequence[Path[Any] | str] | None = ...,
        on_unprocessed: Literal["return"],
        concurrency: Concurrency = ...,
        backoff: Backoff | None = ...,
    ) -> BatchGetResult[M]: ...

    async def batch_get(
        self,
        keys: Iterable[KeyArg],
        *,
        consistent: bool = False,
        projection: Sequence[Path[Any] | str] | None = None,
        on_unprocessed: Literal["raise", "return"] = "raise",
        concurrency: Concurrency = 8,
        backoff: Backoff | None = None,
    ) -> list[M] | BatchGetResult[M]:
        """Read any number of items by key (instances, hash values or (hash, range) tuples).

        Keys are deduplicated and sent 100 per BatchGetItem, ``concurrency`` requests at a time
        (an int, or an ``anyio.CapacityLimiter`` shared with other calls). Items come back in
        the order of the requested keys; keys with no item are left out. Unprocessed keys are
        retried with ``backoff`` (attempts, full jitter) until the active deadline; what is left
        then raises :class:`PartialFailure` (``unprocessed``: the keys as passed, ``done``: the
        items read), or, with ``on_unprocessed="return"``, comes back as a
        :class:`~dynamorm_async.batch.BatchGetResult` with ``.items`` and ``.unprocessed``.
        """
        from .batch import batch_get

        result = await batch_get(
            self,
            keys,
            consistent=consistent,
            projection=projection,
            on_unprocessed=on_unprocessed,
            concurrency=concurrency,
            backoff=backoff,
        )
        return result if on_unprocessed == "return" else result.items

    async def batch_write(
        self,
        *,
        put: Iterable[M] = (),
        delete: Iterable[KeyArg] = (),
        on_unprocessed: Literal["raise", "return"] = "raise",
        concurrency: Concurrency = 8,
        backoff: Backoff | None = None,
    ) -> BatchWriteResult[M]:
        """Put and delete any number of items, 25 per BatchWriteItem, ``concurrency`` requests at a time.

        Everything is encoded and size-checked first; a key named twice raises
        :class:`DuplicateKey` before anything is sent. Timestamps are set as :meth:`put` sets
        them. A batch write cannot be conditional (a DynamoDB limit): a declared version is
        incremented but not checked; use :meth:`put` or a transaction when the check matters.
        Unprocessed writes are retried like :meth:`batch_get`'s keys; what is left raises
        :class:`PartialFailure` or, with ``on_unprocessed="return"``, is listed in the
        :class:`~dynamorm_async.batch.BatchWriteResult`. Written instances are updated in place.
        """
        from .batch import batch_write

        return await batch_write(
            self,
            put=put,
            delete=delete,
            on_unprocessed=on_unprocessed,
            concurrency=concurrency,
            backoff=backoff,
        )

    # ---- query and scan
    def query(self, key_condition: Condition) -> Query[M]:
        """An immutable query on ``key_condition`` (e.g. ``Order.attr.partner_id == "p1"``).

        The table or the one index whose keys fit the condition is read; see
        :class:`~dynamorm_async.query.Query` for filters, projections, limits and cursors.
        """
        from .query import Query

        return Query(manager=self, key_condition=key_condition)

    def scan(self) -> Scan[M]:
        """An immutable scan of the whole table; see :class:`~dynamorm_async.query.Scan`."""
        from .query import Scan

        return Scan(manager=self)

    _cursor_keys: tuple[bytes, ...] = ()

    @property
    def cursor_secret(self) -> tuple[bytes, ...]:
        """The keys that sign and verify this manager's pagination cursors (empty: unsigned).

        Set once (``DB(cursor_secret=...)`` does it for every manager) with a key of 16+ bytes,
        or a list of keys to rotate them: the first signs, any verifies.
        """
        return self._cursor_keys

    @cursor_secret.setter
    def cursor_secret(self, secret: CursorSecret | None) -> None:
        from .cursor import signing_keys

        self._cursor_keys = signing_keys(secret)


__all__ = ["Manager"]
