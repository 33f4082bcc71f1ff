"""pydynox's side of the client-CPU case, run in pydynox's own environment as a subprocess.

``python -m bench.cases.pydynox_worker`` (with the repository root on ``PYTHONPATH`` and
``BENCH_ENDPOINT_URL`` / ``BENCH_TABLE`` set) reads one JSON command per line on stdin, runs it on
one event loop kept for the worker's life, and answers one JSON line on stdout:
``{"wall": seconds, "cpu": seconds}`` or ``{"error": "..."}``. CPU is the whole process's
(``time.process_time`` sums every thread's time on Linux), so the work pydynox does in its Rust
threads is counted, as the work of ours is in ours' process.

Commands (each mirrors what ours does in :mod:`bench.cases.client_cpu`):

* ``{"op": "get", "n": N}``: N GetItems, one after another, each into a model;
* ``{"op": "throughput", "total": N, "concurrency": C}``: N GetItems, C in flight;
* ``{"op": "query", "pk": P, "expect": N}``: one query of partition P read to the end, every item
  a model instance (checked: N items);
* ``{"op": "batch", "pk": P, "n": N}``: N items (model instances made before the clock starts)
  written with pydynox's ``BatchWriter``.

This module imports only the standard library, :mod:`bench.cases.common` and pydynox (through
the pydynox Lambda handler's model, so both cases use one model definition).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.cases.common import GET_ITEMS, GET_PK, TABLE, item_values, sk


def _handler_module() -> Any:
    import importlib
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "handlers"))
    return importlib.import_module("pydynox_handler")


class _Worker:
    """The commands, on the pydynox Lambda handler's model and client."""

    def __init__(self) -> None:
        handler = _handler_module()
        self.client = handler.client
        self.model = handler.BenchItem
        self.prepared: dict[tuple[str, int], list[Any]] = {}

    def prepare(self, cmd: dict[str, Any]) -> None:
        """Untimed set-up: the items a batch command writes, made once per partition and size."""
        if cmd["op"] != "batch":
            return
        key = (str(cmd["pk"]), int(cmd["n"]))
        if key not in self.prepared:
            self.prepared[key] = [self.model(**item_values(key[0], i)) for i in range(key[1])]

    async def get(self, cmd: dict[str, Any]) -> None:
        for i in range(int(cmd["n"])):
            if await self.model.get(pk=GET_PK, sk=sk(i % GET_ITEMS)) is None:
                raise LookupError("GetItem found nothing")

    async def throughput(self, cmd: dict[str, Any]) -> None:
        counter = iter(range(int(cmd["total"])))

        async def worker() -> None:
            for i in counter:  # a shared iterator: each index is taken by exactly one worker
                await self.model.get(pk=GET_PK, sk=sk(i % GET_ITEMS))

        await asyncio.gather(*(worker() for _ in range(int(cmd["concurrency"]))))

    async def query(self, cmd: dict[str, Any]) -> None:
        found = [item async for item in self.model.query(partition_key=cmd["pk"])]
        if len(found) != int(cmd["expect"]) or not isinstance(found[-1], self.model):
            raise AssertionError(f"query returned {len(found)} items, expected {cmd['expect']}")

    async def batch(self, cmd: dict[str, Any]) -> None:
        from pydynox import BatchWriter

        async with BatchWriter(self.client, TABLE) as writer:
            for item in self.prepared[(str(cmd["pk"]), int(cmd["n"]))]:
                writer.put(item.to_dict())

    def command(self, op: str) -> Callable[[dict[str, Any]], Awaitable[None]]:
        """The coroutine function for ``op``."""
        if op not in ("get", "throughput", "query", "batch"):
            raise ValueError(f"unknown command {op!r}")
        found: Callable[[dict[str, Any]], Awaitable[None]] = getattr(self, op)
        return found


def main() -> int:
    """Answer commands until stdin closes or ``{"op": "quit"}``."""
    # Answers go to the original stdout; anything else printing there (pydynox's slow-operation
    # log, a Rust panic message) is sent to stderr instead, so it cannot break the protocol.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    loop = asyncio.new_event_loop()
    worker = _Worker()
    print(json.dumps({"ready": True}), file=answers, flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            break
        try:
            worker.prepare(cmd)
            run = worker.command(cmd["op"])
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            loop.run_until_complete(run(cmd))
            answer: dict[str, Any] = {"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"[:1000]}
        print(json.dumps(answer), file=answers, flush=True)
    loop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
