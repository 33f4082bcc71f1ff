"""Case 5: client CPU against pydynox and raw aiobotocore, on ours' two transports.

Four workloads, each the same on every side:

* ``GetItem``: sequential GetItems, each into a model (raw aiobotocore: a plain dict by hand);
* ``Throughput``: 2,000 GetItems with 32 in flight;
* ``Query1000``: one query of a 1,000-item partition read to the end, every item a model (ours:
  validated pydantic models; pydynox: its model instances, not validated; raw: plain dicts);
* ``BatchWrite1000``: 1,000 items written with each side's batch writer (the items made before
  the clock starts; turning them into DynamoDB JSON is part of the measured work).

Sides: ours on the aiobotocore transport and, when this build has it, on the lean one (both in
this process), raw aiobotocore by hand (this process), and pydynox, which lives in its own
environment and so runs in a worker subprocess (:mod:`bench.cases.pydynox_worker`). Every side's
CPU is its whole process's (``time.process_time`` counts every thread on Linux: pydynox does its
HTTP, signing and encoding in Rust threads); DynamoDB Local runs in its own JVM and is counted by
no side. Each round measures every side once per workload, back to back in a shuffled order, so
each ratio (ours / other, per round; below 1: ours costs less) compares samples taken moments
apart.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import IO, Any

from .common import (
    BIG_QUERY_ITEMS,
    BIG_QUERY_PK,
    GET_ITEMS,
    GET_PK,
    REGION,
    TABLE,
    Figure,
    item_values,
    ratios,
    sk,
)

ROOT = Path(__file__).resolve().parent.parent.parent
WORKLOADS = ("GetItem", "Throughput", "Query1000", "BatchWrite1000")
#: What one sample of each workload is divided by, so that figures are per operation / per call.
UNITS = {
    "GetItem": "per GetItem",
    "Throughput": "per GetItem",
    "Query1000": "per query",
    "BatchWrite1000": "per batch",
}
OURS_SIDES = ("ours", "ours_lean")
BASELINES = ("pydynox", "raw")
LABELS = {
    "ours": "ours (aiobotocore transport)",
    "ours_lean": "ours (lean transport)",
    "raw": "raw aiobotocore by hand",
    "pydynox": "pydynox 1.8 (own process)",
}

Measure = Callable[[str], Awaitable[tuple[float, float]]]


class PydynoxWorker:
    """pydynox's side: :mod:`bench.cases.pydynox_worker` running in pydynox's environment."""

    def __init__(self, python: str, endpoint: str) -> None:
        from .lambda_cases import STRIPPED_ENV

        env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
        env.update({"PYTHONPATH": str(ROOT), "BENCH_ENDPOINT_URL": endpoint, "BENCH_TABLE": TABLE})
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._proc = subprocess.Popen(
            [python, "-m", "bench.cases.pydynox_worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._read()  # {"ready": true}

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._log.seek(0)
            tail = self._log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"the pydynox worker ended (exit {self._proc.poll()}):\n{tail}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the pydynox worker failed: {answer['error']}")
        return answer

    def run(self, **command: Any) -> tuple[float, float]:
        """Run one command; its wall and CPU seconds, measured inside the worker."""
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(command) + "\n")
        self._proc.stdin.flush()
        answer = self._read()
        return float(answer["wall"]), float(answer["cpu"])

    def close(self) -> None:
        """Ask the worker to stop; kill it if it does not."""
        try:
            if self._proc.poll() is None and self._proc.stdin is not None:
                self._proc.stdin.write('{"op": "quit"}\n')
                self._proc.stdin.close()
            self._proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()
            self._proc.wait(timeout=5)
        finally:
            self._log.close()


async def _timed(work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    await work()
    return time.perf_counter() - w0, time.process_time() - c0


def _ours_side(db: Any, s: Mapping[str, int]) -> Measure:
    from .model import BenchItem
    from .throughput import _async_run

    items = db.manager(BenchItem)
    to_write = [BenchItem(**item_values("batch-ours", i)) for i in range(s["batch_items"])]

    async def get(i: int) -> object:
        return await items.get(GET_PK, sk(i % GET_ITEMS))

    async def gets() -> None:
        for i in range(s["get_ops"]):
            await get(i)

    async def query() -> None:
        found = await items.query(BenchItem.attr.pk == BIG_QUERY_PK).all()
        assert len(found) == BIG_QUERY_ITEMS

    async def batch() -> None:
        await items.batch_write(put=to_write)

    work: dict[str, Callable[[], Awaitable[object]]] = {
        "GetItem": gets,
        "Throughput": lambda: _async_run(get, s["throughput_total"], s["concurrency"]),
        "Query1000": query,
        "BatchWrite1000": batch,
    }
    return lambda name: _timed(work[name])


def _raw_side(client: Any, s: Mapping[str, int]) -> Measure:
    from dynamorm_async.batch import DEFAULT_CONCURRENCY

    from ..batch_bench import _write_by_hand
    from .raw import from_av, query_all, to_av
    from .throughput import _async_run

    plain = [item_values("batch-raw", i) for i in range(s["batch_items"])]

    async def get(i: int) -> object:
        r = await client.get_item(TableName=TABLE, Key={"pk": {"S": GET_PK}, "sk": {"S": sk(i % GET_ITEMS)}})
        return from_av(r["Item"])

    async def gets() -> None:
        for i in range(s["get_ops"]):
            await get(i)

    async def query() -> None:
        out = await query_all(client, TABLE, BIG_QUERY_PK)
        assert len(out) == BIG_QUERY_ITEMS

    async def batch() -> None:
        await _write_by_hand(client, TABLE, [to_av(v) for v in plain], DEFAULT_CONCURRENCY)

    work: dict[str, Callable[[], Awaitable[object]]] = {
        "GetItem": gets,
        "Throughput": lambda: _async_run(get, s["throughput_total"], s["concurrency"]),
        "Query1000": query,
        "BatchWrite1000": batch,
    }
    return lambda name: _timed(work[name])


def _pydynox_side(worker: PydynoxWorker, s: Mapping[str, int]) -> Measure:
    commands: dict[str, dict[str, Any]] = {
        "GetItem": {"op": "get", "n": s["get_ops"]},
        "Throughput": {"op": "throughput", "total": s["throughput_total"], "concurrency": s["concurrency"]},
        "Query1000": {"op": "query", "pk": BIG_QUERY_PK, "expect": BIG_QUERY_ITEMS},
        "BatchWrite1000": {"op": "batch", "pk": "batch-pydynox", "n": s["batch_items"]},
    }

    async def measure(name: str) -> tuple[float, float]:
        return worker.run(**commands[name])

    return measure


def _per_unit(name: str, s: Mapping[str, int]) -> int:
    return {"GetItem": s["get_ops"], "Throughput": s["throughput_total"]}.get(name, 1)


async def run(
    endpoint: str,
    *,
    pydynox_python: str | None,
    not_available: Mapping[str, str] | None = None,
    rounds: int = 9,
    get_ops: int = 50,
    throughput_total: int = 2000,
    concurrency: int = 32,
    batch_items: int = 1000,
) -> dict[str, Any]:
    """Measure every workload on every available side; figures per side and ratios per pair.

    ``pydynox_python`` is pydynox's interpreter (``None``: that side is not run, and
    ``not_available["pydynox"]`` says why). The lean side runs when this build's
    ``TransportConfig`` has ``http``.
    """
    from contextlib import AsyncExitStack

    from aiobotocore.session import AioSession

    from dynamorm_async import DB

    from .lambda_cases import shuffled
    from .model import http_supported, ours_options
    from .raw import client_kwargs

    s = {
        "get_ops": get_ops,
        "throughput_total": throughput_total,
        "concurrency": concurrency,
        "batch_items": batch_items,
    }
    missing = dict(not_available or {})
    if not http_supported():
        missing["ours_lean"] = "this build's TransportConfig has no http= option (no lean transport)"
    if pydynox_python is None:
        missing.setdefault("pydynox", "no pydynox environment")
    sides: dict[str, Measure] = {}
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        w: {k: {side: [] for side in LABELS} for k in ("wall", "cpu")} for w in WORKLOADS
    }
    async with AsyncExitStack() as stack:
        for side in OURS_SIDES:
            if side not in missing:
                http = "lean" if side == "ours_lean" else "aiobotocore"
                db = await stack.enter_async_context(
                    DB(endpoint_url=endpoint, region=REGION, **ours_options(http))
                )
                sides[side] = _ours_side(db, s)
        raw = await stack.enter_async_context(
            AioSession().create_client("dynamodb", **client_kwargs(endpoint))
        )
        sides["raw"] = _raw_side(raw, s)
        if "pydynox" not in missing and pydynox_python is not None:
            worker = PydynoxWorker(pydynox_python, endpoint)
            stack.callback(worker.close)
            sides["pydynox"] = _pydynox_side(worker, s)
        names = list(sides)
        for measure in sides.values():  # warm-up: connections, caches, lazy imports, on every side
            for workload in WORKLOADS:
                await measure(workload)
        for r in range(rounds):
            order = shuffled(names, r)
            for workload in WORKLOADS:
                per = _per_unit(workload, s)
                for side in order:
                    wall, cpu = await sides[side](workload)
                    samples[workload]["wall"][side].append(wall * 1000 / per)
                    samples[workload]["cpu"][side].append(cpu * 1000 / per)

    out: dict[str, Any] = {
        "settings": {"rounds": rounds, **s, "query_items": BIG_QUERY_ITEMS},
        "labels": dict(LABELS),
        "sides": names,
        "not_available": {k: v for k, v in missing.items() if k in LABELS},
    }
    for workload in WORKLOADS:
        got = samples[workload]
        entry: dict[str, Any] = {"unit": UNITS[workload]}
        for kind in ("wall", "cpu"):
            entry[f"{kind}_ms"] = {side: Figure.of(got[kind][side], "ms") for side in names}
            entry[f"{kind}_ratio"] = {
                f"{ours}/{base}": ratios(got[kind][ours], got[kind][base])
                for ours in OURS_SIDES
                for base in BASELINES
                if ours in sides and base in sides
            }
        out[workload] = entry
    return out
