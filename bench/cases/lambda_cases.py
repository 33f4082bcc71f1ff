"""Cases 1 and 2: cold start and warm invocations inside the Lambda runtime harness.

Each library's handler (:mod:`bench.handlers`) runs under ``awslambdaric`` against the local
Runtime API of :mod:`dynamorm_async.testing.lambda_runtime`, in its own virtualenv, and reads one
item from DynamoDB Local.

* **Cold start**: a fresh process per run; the time from spawning it to the first invocation's
  answer (interpreter start, imports, init phase, first request). Runs go round-robin over the
  libraries (in a new shuffled order each round, from a fixed seed, so that no library always
  follows the same neighbour), so each round's ratios compare processes started seconds apart.
  For ours, the handler also reports its init phase split into imports, model compilation and
  client creation; the first request is the first invocation's duration.
* **Warm**: one process per library, all alive at once; after the cold invocation and a few
  warm-up ones, each round sends one event to every library in turn and records Lambda's
  "Duration" (runtime received the event -> answer arrived).

Every handler's first answer is checked against the item the table holds, so a handler that
returns something else (or fails) stops the benchmark instead of producing a figure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import GET_ITEMS, GET_PK, TABLE, Figure, item_values, ratios, sk

HANDLERS_DIR = Path(__file__).resolve().parent.parent / "handlers"
ROOT = HANDLERS_DIR.parent.parent

#: The libraries compared, in report order: handler module and the distribution it needs.
#: The three rows of ours share one handler: ``ours`` and ``ours_lean`` differ only in the
#: transport they ask for (``BENCH_OURS_HTTP``), ``ours_before`` in the package it imports (the
#: baseline revision's, see :func:`bench.envs.compiled_package`).
PEERS: dict[str, tuple[str, str]] = {
    "ours": ("ours_handler.handler", "dynamorm_async"),
    "ours_lean": ("ours_handler.handler", "dynamorm_async"),
    "ours_before": ("ours_handler.handler", "dynamorm_async"),
    "boto3": ("boto3_handler.handler", "boto3"),
    "pynamodb": ("pynamodb_handler.handler", "pynamodb"),
    "aioboto3": ("aioboto3_handler.handler", "aioboto3"),
    "aiobotocore": ("aiobotocore_handler.handler", "aiobotocore"),
    "aiodynamo": ("aiodynamo_handler.handler", "aiodynamo"),
    "pydynox": ("pydynox_handler.handler", "pydynox"),
}
#: The rows of ours whose ratios against every other row are reported.
OURS_ROWS = ("ours", "ours_lean")
#: Each row of ours' transport, as the handler's ``BENCH_OURS_HTTP``.
OURS_HTTP = {"ours": "aiobotocore", "ours_lean": "lean", "ours_before": "aiobotocore"}
LABELS = {
    "ours": "ours (model + LambdaDB, aiobotocore transport)",
    "ours_lean": "ours (model + LambdaDB, lean transport)",
    "ours_before": "ours before (baseline revision, aiobotocore)",
    "boto3": "boto3 (module-level client)",
    "pynamodb": "PynamoDB",
    "aioboto3": "aioboto3 (resource, asyncio.run per call)",
    "aiobotocore": "aiobotocore (asyncio.run + create_client per call)",
    "aiodynamo": "aiodynamo + httpx (asyncio.run per call)",
    "pydynox": "pydynox (Rust core; asyncio.run per call)",
}
#: Variables never passed on to a handler: the developer's import path (ours comes from its
#: compiled copy, the peers from their environments) and anything that stops bytecode caching
#: (a deployed function runs from compiled code).
STRIPPED_ENV = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
#: Function settings given to every handler.
MEMORY_MB = 1024
FUNCTION_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Runtime:
    """Where one library's handler runs: its interpreter, extra import paths and variables."""

    python: str
    extra_paths: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def current_interpreter_runtimes(peers: Sequence[str]) -> tuple[dict[str, Runtime], dict[str, str]]:
    """Runtimes using this interpreter for every library it can import; the others, with why not."""
    found: dict[str, Runtime] = {}
    skipped: dict[str, str] = {}
    for peer in peers:
        module = PEERS[peer][1]
        missing = [m for m in (module, "awslambdaric") if importlib.util.find_spec(m) is None]
        if missing:
            skipped[peer] = f"{', '.join(missing)} not installed in this interpreter"
        else:
            found[peer] = Runtime(sys.executable)
    return found, skipped


def shuffled(items: Sequence[str], round_no: int) -> list[str]:
    """``items`` in the order of round ``round_no``: shuffled, the same in every run.

    A fixed rotation would keep each library right after the same neighbour in every round (the
    rows of ours, which share an environment, always one after the other), so any carry-over
    from one start to the next would favour the same side every time.
    """
    import random

    order = list(items)
    random.Random(round_no).shuffle(order)
    return order


def _event(i: int) -> dict[str, str]:
    return {"pk": GET_PK, "sk": sk(i % GET_ITEMS)}


def _check(peer: str, answer: Any, i: int) -> None:
    expected = item_values(GET_PK, i % GET_ITEMS)
    if answer != expected:
        raise AssertionError(f"the {peer} handler answered {answer!r}, expected {expected!r}")


def handler_environment(
    runtime: Runtime, endpoint: str, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A handler's variables: this process's without :data:`STRIPPED_ENV`, plus the benchmark's."""
    inherited = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
    return {
        **inherited,
        "BENCH_ENDPOINT_URL": endpoint,
        "BENCH_TABLE": TABLE,
        **dict(runtime.env),
        **(env or {}),
    }


def _process(peer: str, runtime: Runtime, endpoint: str, env: Mapping[str, str] | None = None) -> Any:
    from dynamorm_async.testing.lambda_runtime import LambdaProcess

    return LambdaProcess(
        PEERS[peer][0],
        task_root=HANDLERS_DIR,
        python=runtime.python,
        extra_paths=runtime.extra_paths,
        inherit_env=False,
        env=handler_environment(runtime, endpoint, env),
        memory_mb=MEMORY_MB,
        timeout=FUNCTION_TIMEOUT,
        function_name=f"bench-{peer}",
    )


def _answer(peer: str, fn: Any, invocation: Any) -> Any:
    if invocation.outcome != "response":
        raise RuntimeError(
            f"the {peer} handler ended with {invocation.outcome}: {invocation.error}\n{fn.output()[-3000:]}"
        )
    return invocation.json()


def cold_start(
    endpoint: str, runtimes: Mapping[str, Runtime], *, runs: int = 15, prime: bool = True
) -> dict[str, Any]:
    """Case 1: ``runs`` fresh processes per library; spawn -> first answer, and ours' phases.

    ``prime`` starts every handler once, untimed, before the measured runs.
    """
    peers = list(runtimes)
    samples: dict[str, list[float]] = {p: [] for p in peers}
    phase_names = ("runtime_ms", "imports_ms", "model_ms", "client_ms", "first_request_ms")
    phases: dict[str, dict[str, list[float]]] = {
        row: {k: [] for k in phase_names} for row in OURS_ROWS if row in runtimes
    }
    with tempfile.TemporaryDirectory(prefix="bench-phases-") as tmp:
        phases_file = Path(tmp) / "phases.json"
        # One untimed start each first: a new virtualenv's first run compiles every module to
        # bytecode, which a deployed function does once, at build time, never at a cold start.
        for peer in peers if prime else ():
            with _process(peer, runtimes[peer], endpoint) as fn:
                _answer(peer, fn, fn.invoke(_event(0)))
        for r in range(runs):
            order = shuffled(peers, r)
            for peer in order:
                env = {"BENCH_PHASES_FILE": str(phases_file)} if peer in phases else None
                with _process(peer, runtimes[peer], endpoint, env) as fn:
                    invocation = fn.invoke(_event(r))
                    _check(peer, _answer(peer, fn, invocation), r)
                    samples[peer].append(fn.cold_start_ms)
                    if peer in phases:
                        marks = json.loads(phases_file.read_text())
                        for k in ("imports_ms", "model_ms", "client_ms"):
                            phases[peer][k].append(marks[k])
                        phases[peer]["runtime_ms"].append(
                            fn.init_ms - marks["imports_ms"] - marks["model_ms"] - marks["client_ms"]
                        )
                        phases[peer]["first_request_ms"].append(invocation.duration_ms)
    out: dict[str, Any] = {"settings": {"runs": runs, "memory_mb": MEMORY_MB}}
    out["ms"] = {p: Figure.of(s, "ms") for p, s in samples.items()}
    for row in OURS_ROWS:
        if row in samples:
            # ours / library, run by run (below 1: ours starts faster).
            out[f"{row}_vs"] = {p: ratios(samples[row], samples[p]) for p in peers if p != row}
        if phases.get(row, {}).get("imports_ms"):
            out[f"{row}_phases"] = {k: Figure.of(v, "ms") for k, v in phases[row].items()}
    return out


def warm(
    endpoint: str, runtimes: Mapping[str, Runtime], *, invocations: int = 200, warmup: int = 5
) -> dict[str, Any]:
    """Case 2: one process per library; Lambda's duration of ``invocations`` warm invocations each."""
    from contextlib import ExitStack

    peers = list(runtimes)
    samples: dict[str, list[float]] = {p: [] for p in peers}
    with ExitStack() as stack:
        fns = {p: stack.enter_context(_process(p, runtimes[p], endpoint)) for p in peers}
        for peer, fn in fns.items():
            _check(peer, _answer(peer, fn, fn.invoke(_event(0))), 0)  # the cold one, checked
            for i in range(warmup):
                _answer(peer, fn, fn.invoke(_event(i)))
        for i in range(invocations):
            order = shuffled(peers, i)
            for peer in order:
                fn = fns[peer]
                invocation = fn.invoke(_event(i))
                _answer(peer, fn, invocation)
                samples[peer].append(invocation.duration_ms)
    out: dict[str, Any] = {"settings": {"invocations": invocations, "memory_mb": MEMORY_MB}}
    out["ms"] = {p: Figure.of(s, "ms") for p, s in samples.items()}
    if "ours" in samples:
        # Speed-up: how many times faster ours answers than each peer (peer / ours, per round).
        out["speedup_vs"] = {p: ratios(samples[p], samples["ours"]) for p in peers if p != "ours"}
    for row in OURS_ROWS:
        if row in samples:
            # ours / library, round by round (below 1: ours answers faster).
            out[f"{row}_vs"] = {p: ratios(samples[row], samples[p]) for p in peers if p != row}
    return out
