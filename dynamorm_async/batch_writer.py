"""A buffered batch writer: puts and deletes of any models, sent 25 at a time, each with one outcome.

::

    async with db.batch_writer() as w:
        await w.put(order)
        await w.delete(item)             # a model instance (its key), or
        await w.delete(Cart, ("c1", "cart"))

Writes are encoded and size-checked when they are added (errors surface at that line, nothing
sent). Every 25 buffered writes go out as one BatchWriteItem (several tables in one request);
what DynamoDB leaves unprocessed, and requests that failed transiently, are resent with the
library's backoff, bounded by attempts and the active deadline. Writing a key already in the
buffer sends the buffer first, so the later write wins, as the caller wrote them.

When the block ends, the rest is sent and :attr:`BatchWriter.result` (a
:class:`~dynamorm_async.batch.BatchWriteResult` over every model) holds each write in exactly one
of done, not done or in doubt; writes not done or in doubt raise
:class:`~dynamorm_async.errors.PartialFailure` (``DeadlinePartialFailure`` at the deadline).
An exception leaving the block sends nothing more: the buffered writes are reported not done,
``result`` is filled all the same, and the exception gets a note with the three counts.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .batch import BatchWriteResult, fill_write_result, write_failure, write_id
from .errors import InvalidInput
from .model import Model
from .outcome import Ledger, Runner
from .requests import MAX_WRITE_ITEMS, ItemRequest, KeyId, batch_put, delete_item, key_id
from .retry import DEFAULT_BACKOFF, Backoff
from .schema import Schema, schema_of

if TYPE_CHECKING:
    from .transport import Transport

#: The table a model's writes go to (its manager's).
TableOf = Callable[[type[Model]], str]
_Ident = tuple[str, KeyId]


class _Entry(typing.NamedTuple):
    ident: _Ident
    schema: Schema
    request: ItemRequest
    passed: Any


class BatchWriter:
    """Buffered puts and deletes of any models; see the module docstring. Made by ``db.batch_writer()``."""

    def __init__(
        self,
        transport: Transport,
        *,
        table_of: TableOf | None = None,
        flush_size: int = MAX_WRITE_ITEMS,
        backoff: Backoff | None = None,
    ) -> None:
        if not 1 <= flush_size <= MAX_WRITE_ITEMS:
            raise InvalidInput(f"flush_size must be between 1 and {MAX_WRITE_ITEMS}")
        self._transport = transport
        self._table_of = table_of
        self._flush_size = flush_size
        self._backoff = backoff or DEFAULT_BACKOFF
        self._buffer: dict[_Ident, _Entry] = {}
        self._log: list[_Entry] = []
        self._ledger: Ledger[_Ident] = Ledger()
        self._cut = False
        self._last_error: BaseException | None = None
        #: Every write of the block, sorted into done / not done / in doubt (filled as it goes).
        self.result: BatchWriteResult[Any] = BatchWriteResult()

    # ------------------------------------------------------------------ adding writes
    async def put(self, obj: Model) -> None:
        """Buffer a put of ``obj`` (timestamps set, version incremented, as ``batch_write`` does)."""
        schema = _schema(type(obj))
        await self._add(schema, batch_put(schema, obj, table=self._table(schema)), obj)

    async def delete(self, target: Any, key: Any = None) -> None:
        """Buffer a delete: ``w.delete(obj)`` or ``w.delete(Model, key)``."""
        if isinstance(target, type):
            if key is None:
                raise InvalidInput(f"delete({target.__name__}, key) needs a key after the model class")
            schema, passed = _schema(target), key
        else:
            schema, passed = _schema(type(target)), target
        await self._add(schema, delete_item(schema, passed, table=self._table(schema)), passed)

    async def _add(self, schema: Schema, request: ItemRequest, passed: Any) -> None:
        ident = (request.table, key_id(request.key))
        if ident in self._buffer:
            await self.flush()
        entry = _Entry(ident, schema, request, passed)
        self._buffer[ident] = entry
        self._log.append(entry)
        if len(self._buffer) >= self._flush_size:
            await self.flush()

    # ------------------------------------------------------------------ sending
    async def flush(self) -> None:
        """Send what is buffered now, retrying leftovers until done or a bound is hit.

        :raises DeadlinePartialFailure: the deadline cut the request off in flight.
        """
        entries, self._buffer = list(self._buffer.values()), {}
        if not entries:
            return
        runner: Runner[_Entry] = Runner(self._backoff)
        try:
            await runner.run(self._send, [entries])
        finally:
            self._fill(runner)
        if runner.cut:
            self._cut = True
            raise write_failure("batch_writer", self.result, True) from runner.last_error

    async def _send(self, chunk: list[_Entry]) -> list[_Entry]:
        ledger = self._ledger
        ids = [e.ident for e in chunk]
        by_table: dict[str, list[dict[str, Any]]] = {}
        for e in chunk:
            by_table.setdefault(e.request.table, []).append(e.request.batch_item())
        ledger.sending(ids)
        try:
            response = await self._transport.call("BatchWriteItem", {"RequestItems": by_table})
        except Exception as exc:
            ledger.failed(ids, exc)
            raise
        left: set[_Ident] = set()
        for table, writes in (response.get("UnprocessedItems") or {}).items():
            schemas = {e.request.table: e.schema for e in chunk}
            left.update((table, write_id(schemas[table].key_attrs, w)) for w in writes)
        ledger.answered(ids, left, response)
        return [e for e in chunk if e.ident in left]

    def _fill(self, runner: Runner[_Entry] | None) -> None:
        if runner is not None:
            if runner.reason is not None:
                self.result.reason = runner.reason
            self._last_error = runner.last_error or self._last_error
        reason = self.result.reason
        fill_write_result(
            self.result, ((self._ledger.state(e.ident), e.request, e.passed) for e in self._log), reason
        )

    # ------------------------------------------------------------------ block
    async def __aenter__(self) -> BatchWriter:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            await self.flush()
        else:
            self._buffer.clear()
            self._fill(None)
            r = self.result
            exc.add_note(
                f"batch_writer: {len(r.done)} write(s) done, {len(r.unprocessed)} not done, "
                f"{len(r.in_doubt)} in doubt (see the writer's .result)"
            )
            return
        r = self.result
        if r.unprocessed or r.in_doubt:
            raise write_failure("batch_writer", r, self._cut) from self._last_error

    def _table(self, schema: Schema) -> str:
        if self._table_of is None:
            return schema.require_table()
        return self._table_of(typing.cast("type[Model]", schema.model))


def _schema(model: Any) -> Schema:
    if not isinstance(model, type) or not issubclass(model, Model):
        raise InvalidInput(f"batch_writer writes table model instances, not {model!r:.80}")
    schema = schema_of(model)
    schema.require_table()
    return schema


__all__ = ["BatchWriter"]
