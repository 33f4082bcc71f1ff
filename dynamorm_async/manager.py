"""Async model managers: one per model class, doing its item operations through the transport.

A manager builds each request with :mod:`dynamorm_async.requests` (keys, conditions, version
checks and increments, timestamps, TTL: all there, so no caller can forget them), sends it, and
applies to the instance what the request says once DynamoDB has accepted it.

Batch, query, scan and table management are imported when first used: a Lambda's first GetItem
needs none of them (and batches and tables bring anyio), so cold start does not pay for them.
"""

from __future__ import annotations

import datetime as _dt
import typing
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from .decoding import check_model
from .errors import ConditionCheckFailed, InvalidInput, ItemNotFound
from .expressions import Action, Condition, Path, Update
from .requests import ItemRequest, decode_current, decode_item, delete_item, get_item, put_item, update_item
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


class Manager(Generic[M]):
    """Async operations for one model class: ``get``, ``put``, ``update``, ``delete`` and table management."""

    def __init__(self, model: type[M], transport: Transport) -> None:
        self.model = model
        self.schema: Schema = schema_of(model)
        self.table: str = self.schema.require_table()
        self.transport = transport

    # ------------------------------------------------------------------ helpers
    def decode(self, item: dict[str, Any] | None, *, partial: bool = False) -> M:
        """A model from a raw item; ``partial`` (projections) skips validation of absent fields."""
        if item is None:
            raise ItemNotFound(f"no {self.model.__name__} item", table=self.table, key={})
        result: M = decode_item(self.schema, item, partial=partial)
        return result

    async def _send(
        self, request: ItemRequest, actions: Sequence[Action | Update] = (), *, must_exist: bool = False
    ) -> dict[str, Any]:
        """Send one item request; a failed condition carries the current item as a model.

        A versioned write whose earlier attempt was lost and whose retry failed its version
        condition succeeds when the current item is its own write
        (:func:`~dynamorm_async.exactly_once.is_own_write`); the answer then holds that item.
        ``must_exist``: a failed condition on a missing item raises :class:`ItemNotFound`.
        """
        try:
            return await self.transport.call(request.operation, request.params, table=self.table)
        except ConditionCheckFailed as exc:
            if exc.in_doubt and exc.attempts > 1 and request.expected_version is not None:
                from .exactly_once import is_own_write

                if is_own_write(self.schema, request, exc.item, actions):
                    new = request.params.get("ReturnValues") == "ALL_NEW" and exc.item
                    return {"Attributes": exc.item} if new else {}
            if must_exist and not exc.item:
                raise ItemNotFound(
                    f"no {self.model.__name__} item in {self.table!r} under {request.key!r} to update "
                    "(pass upsert=True to create it)",
                    table=self.table,
                    key=request.key,
                ) from exc
            if isinstance(exc.item, dict):
                check_model(self.schema, exc.item)  # the item is another model's: WrongModel
            exc.item = decode_current(self.schema, exc.item)
            raise exc from exc.__cause__

    async def _send_once(self, request: ItemRequest) -> None:
        """Send a write as a one-item transaction with an idempotency token (``exactly_once=True``)."""
        from .exactly_once import send_once

        await send_once(self.transport, self.schema, request)

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
        request = get_item(
            self.schema, key, range_key, consistent=consistent, projection=projection, table=self.table
        )
        item = (await self._send(request)).get("Item")
        if item is None:
            raise ItemNotFound(
                f"no {self.model.__name__} item in {self.table!r} under {request.key!r}",
                table=self.table,
                key=request.key,
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
        request = get_item(
            self.schema, key, range_key, consistent=consistent, projection=projection, table=self.table
        )
        item = (await self._send(request)).get("Item")
        return None if item is None else self.decode(item, partial=bool(projection))

    # ------------------------------------------------------------------ writes
    async def put(
        self,
        obj: M,
        *,
        condition: Condition | None = None,
        overwrite: bool = True,
        ttl: _dt.timedelta | float | None = None,
        exactly_once: bool = False,
    ) -> M:
        """Write the whole item. ``overwrite=False`` inserts only (fails if the key exists).

        The version (if declared) is checked and incremented, ``created_at``/``updated_at`` are
        set, and ``ttl`` (a duration from now) fills the TTL field. The instance is updated in
        place only once DynamoDB has accepted the write, and returned. ``exactly_once`` sends
        it as a one-item transaction with an idempotency token (twice the write capacity; see
        :mod:`dynamorm_async.exactly_once`). Through a model with a discriminator the put never
        replaces another model's item under the same key: :class:`WrongModel`, nothing written.
        """
        request = put_item(
            self.schema, obj, condition=condition, overwrite=overwrite, ttl=ttl, table=self.table
        )
        if exactly_once:
            await self._send_once(request)
        else:
            await self._send(request)
        request.apply()
        return obj

    async def update(
        self,
        key: KeyArg,
        *actions: Action | Update,
        condition: Condition | None = None,
        return_values: Literal["ALL_NEW", "ALL_OLD", "NONE"] = "ALL_NEW",
        exactly_once: bool = False,
        upsert: bool = False,
    ) -> M | None:
        """Apply update actions to one item and return it as ``return_values`` says.

        ``key`` is a model instance (its version is then checked and incremented, and the
        instance refreshed in place: wholly with ``ALL_NEW``, else its version and ``updated_at``)
        or key values. Actions that touch a key attribute raise
        :class:`KeyUpdateError` before anything is sent. The item must exist
        (:class:`ItemNotFound` otherwise: no partial item is created); ``upsert=True`` creates
        it when missing, and then the actions must set every required field.

        A lost answer makes the transport send the update again: harmless for plain ``SET``
        and ``REMOVE``, but ``ADD``, arithmetic (``total + 1``) and list appends would be
        applied twice. ``exactly_once=True`` prevents that: the update goes as a one-item
        TransactWriteItems with an idempotency token kept across retries, which DynamoDB
        applies once (for 10 minutes). It costs twice the write capacity, and returns ``None``
        (a transaction returns no item); the instance still gets its version and ``updated_at``.
        """
        if exactly_once:
            request = update_item(
                self.schema,
                key,
                actions,
                condition=condition,
                table=self.table,
                must_exist=not upsert,
                complete=upsert,
            )
            try:
                await self._send_once(request)
            except ConditionCheckFailed as exc:
                if upsert or exc.item:
                    raise
                raise ItemNotFound(
                    f"no {self.model.__name__} item in {self.table!r} under {request.key!r} to update "
                    "(pass upsert=True to create it)",
                    table=self.table,
                    key=request.key,
                ) from exc
            request.apply()
            return None
        request = update_item(
            self.schema,
            key,
            actions,
            condition=condition,
            return_values=return_values,
            table=self.table,
            must_exist=not upsert,
            complete=upsert,
        )
        attributes = (await self._send(request, actions, must_exist=not upsert)).get("Attributes")
        obj = request.target
        if return_values != "ALL_NEW" or not attributes:
            request.apply()  # the new version and updated_at, so the next versioned write matches
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
        exactly_once: bool = False,
    ) -> M | None:
        """Delete one item; a model instance has its version checked. ``return_old`` returns the old item.

        ``exactly_once`` sends it as a one-item transaction with an idempotency token (twice
        the write capacity; ``return_old`` is then not available).
        """
        if exactly_once:
            if return_old:
                raise InvalidInput(
                    "delete(exactly_once=True) cannot return the old item (a transaction does not)"
                )
            request = delete_item(self.schema, key, range_key, condition=condition, table=self.table)
            await self._send_once(request)
            return None
        request = delete_item(
            self.schema, key, range_key, condition=condition, return_old=return_old, table=self.table
        )
        old = (await self._send(request)).get("Attributes")
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
        concurrency: Concurrency | None = ...,
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
        concurrency: Concurrency | None = ...,
        backoff: Backoff | None = ...,
    ) -> BatchGetResult[M]: ...

    async def batch_get(
        self,
        keys: Iterable[KeyArg],
        *,
        consistent: bool = False,
        projection: Sequence[Path[Any] | str] | None = None,
        on_unprocessed: Literal["raise", "return"] = "raise",
        concurrency: Concurrency | None = None,
        backoff: Backoff | None = None,
    ) -> list[M] | BatchGetResult[M]:
        """Read any number of items by key (instances, hash values or (hash, range) tuples).

        Keys are deduplicated and sent 100 per BatchGetItem, ``concurrency`` requests at a time
        (an int, or an ``anyio.CapacityLimiter`` shared with other calls; by default the active
        Lambda memory tuning's ``batch_concurrency``, else 8). Items come back in
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
        concurrency: Concurrency | None = None,
        backoff: Backoff | None = None,
        outcome: BatchWriteResult[M] | None = None,
    ) -> BatchWriteResult[M]:
        """Put and delete any number of items, 25 per BatchWriteItem, ``concurrency`` requests at a time.

        Everything is encoded and size-checked first; a key named twice raises
        :class:`DuplicateKey` before anything is sent. Timestamps are set as :meth:`put` sets
        them. A batch write cannot be conditional (a DynamoDB limit): a declared version is
        incremented but not checked, and a put replaces an item of any model under its key (no
        wrong-model guard); use :meth:`put` or a transaction when the check matters.
        Unprocessed writes are retried like :meth:`batch_get`'s keys; what is left raises
        :class:`PartialFailure` or, with ``on_unprocessed="return"``, is listed in the
        :class:`~dynamorm_async.batch.BatchWriteResult`. Written instances are updated in place.
        Every write ends in exactly one of done, not done and in doubt (sent, answer lost);
        ``outcome`` (a ``BatchWriteResult``) is filled in place however the call ends, also when
        it is cancelled from outside.
        """
        from .batch import batch_write

        return await batch_write(
            self,
            put=put,
            delete=delete,
            on_unprocessed=on_unprocessed,
            concurrency=concurrency,
            backoff=backoff,
            outcome=outcome,
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
        if secret is None or secret == ():  # no keys: no need to load the cursor module
            self._cursor_keys = ()
            return
        from .cursor import signing_keys

        self._cursor_keys = signing_keys(secret)


__all__ = ["Manager"]
