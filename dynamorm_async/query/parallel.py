"""Parallel scans: one task per segment in an anyio task group, items handed over by a stream."""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, NoReturn, TypeVar

from ..model import Model
from .pages import bind, pages

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from ..marshal import Item
    from ..requests import ReadPlan
    from .builders import Scan

M = TypeVar("M", bound=Model)


# --------------------------------------------------------------------------- parallel scans


@contextmanager
def single_error() -> Iterator[None]:
    """Raise a task group's error as itself, so callers catch ``Throttled``, not a group.

    When several tasks failed alike (every segment of a missing table), the first is raised;
    errors of different kinds stay together in the group.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        leaves: list[BaseException] = []
        pending: list[BaseException] = [group]
        while pending:
            e = pending.pop()
            if isinstance(e, BaseExceptionGroup):
                pending.extend(e.exceptions)
            else:
                leaves.append(e)
        first = leaves[0]
        if isinstance(first, Exception) and all(type(e) is type(first) for e in leaves):
            raise first from first.__cause__
        raise


class _Items(Generic[M]):
    """The consumer's side of a parallel scan: decodes the pages workers hand over."""

    __slots__ = ("_buffer", "_decode", "_keep", "_left", "_receive")

    def __init__(
        self,
        receive: MemoryObjectReceiveStream[list[Item]],
        decode: Callable[[Item], M],
        limit: int | None,
        keep: Callable[[list[Item]], list[Item]] | None = None,
    ) -> None:
        self._receive = receive
        self._decode = decode
        self._keep = keep
        self._buffer: collections.deque[Item] = collections.deque()
        self._left = limit

    def __aiter__(self) -> _Items[M]:
        return self

    async def __anext__(self) -> M:
        import anyio

        if self._left == 0:
            raise StopAsyncIteration
        while not self._buffer:
            try:
                got = await self._receive.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                raise StopAsyncIteration from None
            self._buffer.extend(got if self._keep is None else self._keep(got))
        raw = self._buffer.popleft()
        if self._left is not None:
            self._left -= 1
            if self._left == 0:
                self._receive.close()  # the workers stop at their next hand-over
        return self._decode(raw)


@dataclass(frozen=True, slots=True, eq=False)
class ParallelScan(Generic[M]):
    """A scan split in ``segments`` segments read concurrently (at most ``concurrency`` requests).

    Each segment is paged by its own task in an anyio task group; pages reach the caller through
    a bounded memory stream, so a slow consumer slows the workers down. Leaving the
    ``async with`` block, early or by an error, cancels the workers before it returns.
    Items come in no particular order, each exactly once. ``keep`` screens each page as it
    reaches the consumer, before its items are decoded or counted (a collection sets aside the
    items of no model it knows).
    """

    scan: Scan[M]
    segments: int
    concurrency: int
    keep: Callable[[list[Item]], list[Item]] | None = None

    def _plans(self, *, count: bool = False) -> list[ReadPlan]:
        return [self.scan.segment(i, self.segments).plan(count=count) for i in range(self.segments)]

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[AsyncIterator[M]]:
        """An async iterator over every item, valid inside the ``async with`` block.

        A context manager rather than a plain ``async for``: the worker tasks must be stopped
        by the task that started them, which only a block that is left deterministically ensures.
        Every segment is read where the block was entered (the partner active then).
        """
        import anyio

        plans = self._plans()  # compile (and validate) everything before starting a task
        scan = self.scan
        call = bind(scan.manager.transport).call
        decode = scan.decoder(plans[0])
        page_size = scan.request_limit
        limiter = anyio.CapacityLimiter(self.concurrency)
        send, receive = anyio.create_memory_object_stream[list["Item"]](max_buffer_size=self.concurrency)

        def limit() -> int | None:
            return page_size

        async def worker(plan: ReadPlan, out: MemoryObjectSendStream[list[Item]]) -> None:
            with out:
                async with aclosing(pages(call, plan, limit=limit, limiter=limiter)) as responses:
                    async for response in responses:
                        got = response.get("Items")
                        if got:
                            try:
                                await out.send(got)
                            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                                return  # the consumer has all it wants

        def decode_one(raw: Item) -> M:
            result: M = decode(raw)
            return result

        with single_error():
            async with anyio.create_task_group() as tg:
                with send:
                    for plan in plans:
                        tg.start_soon(worker, plan, send.clone())
                try:
                    yield _Items(receive, decode_one, scan.max_items, self.keep)
                finally:
                    receive.close()
                    tg.cancel_scope.cancel()

    async def all(self) -> list[M]:
        """Every item of every segment (at most the scan's ``limit``)."""
        async with self.stream() as items:
            return [item async for item in items]

    async def count(self) -> int:
        """How many items match, counting the segments concurrently (capped at ``limit``)."""
        import anyio

        plans = self._plans(count=True)
        call = bind(self.scan.manager.transport).call
        limiter = anyio.CapacityLimiter(self.concurrency)
        totals = [0] * len(plans)
        page_size = self.scan.request_limit

        def limit() -> int | None:
            return page_size

        async def worker(i: int, plan: ReadPlan) -> None:
            async for response in pages(call, plan, limit=limit, limiter=limiter):
                totals[i] += int(response.get("Count", 0))

        with single_error():
            async with anyio.create_task_group() as tg:
                for i, plan in enumerate(plans):
                    tg.start_soon(worker, i, plan)
        total = sum(totals)
        return total if self.scan.max_items is None else min(total, self.scan.max_items)

    def __aiter__(self) -> NoReturn:
        raise TypeError(
            "iterate a parallel scan inside a block: `async with scan.parallel(n).stream() as items: "
            "async for item in items: ...` (or `await scan.parallel(n).all()`)"
        )


__all__ = ["ParallelScan", "single_error"]
