"""``python -m bench``: set everything up, run every case in one go, write the report.

1. The peer virtualenvs (:mod:`bench.envs`), made once and reused while their inputs are unchanged.
2. DynamoDB Local (:class:`~dynamorm_async.testing.DynamoDBLocal`), unless ``--endpoint`` names one,
   and the benchmark table, filled with plain boto3.
3. The cases, in this order (the noise-sensitive cold starts first): ``cold_start``, ``warm``,
   ``per_op``, ``throughput``, ``client_cpu``, ``marshal``, ``query``, ``batch``, ``accounts``.
   A case that fails is reported as failed and the others still run; the exit status is then 1.
4. ``bench/results/latest.json``, ``latest.md`` and ``latest.png``, and a summary of the targets.

``--quick`` runs one iteration of every case (the test suite does this so the benchmark cannot
rot); ``--no-envs`` runs the Lambda handlers with this interpreter instead of the peer
environments, skipping the libraries it does not have.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from .cases.common import Figure

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
CASES = ("cold_start", "warm", "per_op", "throughput", "client_cpu", "marshal", "query", "batch", "accounts")
#: The revision ours is compared with for "no regression": the last one before the lean transport.
BASELINE_REF = "8c888c19781217d30e9293d64c6578d24617ba3a"
NO_LEAN = "this build's TransportConfig has no http= option (no lean transport)"


@dataclass(frozen=True, slots=True)
class Settings:
    """How much of each case to run."""

    cold_runs: int = 15
    #: Start every handler once, untimed, before the cold starts (fills the bytecode caches).
    cold_prime: bool = True
    warm_invocations: int = 200
    per_op_rounds: int = 15
    per_op_ops: int = 20
    per_op_query_ops: int = 5
    throughput_rounds: int = 5
    throughput_total: int = 1000
    throughput_concurrency: int = 32
    client_cpu_rounds: int = 9
    client_cpu_get_ops: int = 50
    client_cpu_throughput_total: int = 2000
    client_cpu_batch_items: int = 1000
    #: Samples of each folded-in benchmark (each sample is one call of its ``run`` with one repeat).
    folded_samples: int = 5
    #: Item counts for the folded-in benchmarks, when they take one (``None``: their default).
    folded_items: int | None = None


FULL = Settings()
QUICK = Settings(
    cold_runs=1,
    cold_prime=False,
    warm_invocations=1,
    per_op_rounds=1,
    per_op_ops=1,
    per_op_query_ops=1,
    throughput_rounds=1,
    throughput_total=64,
    client_cpu_rounds=1,
    client_cpu_get_ops=2,
    client_cpu_throughput_total=64,
    client_cpu_batch_items=50,
    folded_samples=1,
    folded_items=50,
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="one iteration of every case (a smoke run)")
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated subset of {', '.join(CASES)}"
    )
    parser.add_argument("--endpoint", help="use this DynamoDB (Local) endpoint instead of starting one")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for latest.{json,md,png}")
    parser.add_argument("--no-envs", action="store_true", help="run the handlers with this interpreter only")
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    parser.add_argument("--cold-runs", type=int, help="fresh processes per library (case 1)")
    parser.add_argument("--warm-invocations", type=int, help="warm invocations per library (case 2)")
    parser.add_argument(
        "--baseline",
        default=BASELINE_REF,
        help="git revision of the package to compare ours with ('none' to skip); default: the last "
        "revision before the lean transport",
    )
    args = parser.parse_args(argv)
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    return args


@contextmanager
def dynamodb(endpoint: str | None) -> Iterator[str]:
    """The given endpoint, or a DynamoDB Local started for the run."""
    if endpoint:
        yield endpoint
        return
    from dynamorm_async.testing.dynamodb_local import DynamoDBLocal

    with DynamoDBLocal() as server:
        yield server.endpoint_url


def fold(call: Callable[..., Any], samples: int, **kwargs: Any) -> dict[str, Any]:
    """Call another benchmark's ``run`` ``samples`` times with one repeat each; summarise every figure.

    Each call measures its own sides back to back, so its ratios are same-run ratios; the median,
    min and max are over the calls.
    """
    accepted = inspect.signature(call).parameters
    kwargs = {k: v for k, v in kwargs.items() if k in accepted and v is not None}
    collected: dict[str, list[float]] = {}
    for _ in range(samples):
        out = call(**kwargs)
        for key, value in dict(out).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                collected.setdefault(key, []).append(float(value))
    result: dict[str, Any] = {
        "settings": {"samples": samples, **{k: v for k, v in kwargs.items() if k != "endpoint"}}
    }
    result.update({k: Figure.of(v) for k, v in collected.items()})
    return result


def _folded(module: str, endpoint: str, s: Settings) -> dict[str, Any]:
    """Run ``bench.<module>.run`` as a folded case, or say why it cannot run."""
    try:
        mod = importlib.import_module(f"bench.{module}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bench.{module}":
            return {"skipped": f"bench/{module}.py does not exist yet"}
        raise
    run = getattr(mod, "run", None)
    if run is None:
        return {"skipped": f"bench/{module}.py has no run() function"}
    params = inspect.signature(run).parameters
    kwargs: dict[str, Any] = {"repeats": 1}
    if "endpoint" in params:
        kwargs["endpoint"] = endpoint
    for name in ("n_items", "items"):
        if name in params:
            kwargs[name] = s.folded_items
    return fold(run, s.folded_samples, **kwargs)


def _ours_runtimes(python: str, baseline: str | None, skipped: dict[str, str]) -> dict[str, Any]:
    """The rows of ours: its compiled package on both transports, and the baseline revision's."""
    from . import envs
    from .cases import lambda_cases
    from .cases.model import http_supported

    found: dict[str, Any] = {}
    package = str(envs.compiled_package())
    for row in ("ours", "ours_lean"):
        if row == "ours_lean" and not http_supported():
            skipped[row] = NO_LEAN
            continue
        env = (("BENCH_OURS_HTTP", lambda_cases.OURS_HTTP[row]),)
        found[row] = lambda_cases.Runtime(python, (package,), env)
    if baseline is None:
        skipped["ours_before"] = "no baseline revision asked for (--baseline none)"
    else:
        try:
            before = str(envs.compiled_package("ours-before", ref=baseline))
        except RuntimeError as exc:
            skipped["ours_before"] = f"baseline {baseline} not available: {exc}"[:300]
        else:
            found["ours_before"] = lambda_cases.Runtime(
                python, (before,), (("BENCH_OURS_HTTP", "aiobotocore"),)
            )
    return found


def _runtimes(
    peers: Sequence[str], ready: Mapping[str, Any], failed: Mapping[str, str], baseline: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Where each library's handler runs; the libraries that cannot run, with why not.

    ``ready`` holds the peer environments built (none with ``--no-envs``: then the handlers run
    with this interpreter, skipping the libraries it does not have).
    """
    from .cases import lambda_cases

    others = [p for p in peers if not p.startswith("ours")]
    if ready:
        runtimes = {p: lambda_cases.Runtime(str(ready[p].python)) for p in others if p in ready}
        skipped = {p: failed.get(p, "environment not built") for p in others if p not in ready}
        if "ours" not in ready:
            raise RuntimeError(f"ours' environment is missing: {failed.get('ours', 'not built')}")
        ours_python = str(ready["ours"].python)
    else:
        runtimes, skipped = lambda_cases.current_interpreter_runtimes(others)
        ours_python = sys.executable
    ours = _ours_runtimes(ours_python, baseline, skipped)
    ordered = {
        p: (ours if p.startswith("ours") else runtimes)[p] for p in peers if p in ours or p in runtimes
    }
    return ordered, skipped


def _needs_ours(runtimes: dict[str, Any], skipped: Mapping[str, str]) -> dict[str, Any]:
    """``runtimes``, or the reason ours cannot run as an error (the Lambda cases are about ours)."""
    if "ours" not in runtimes:
        raise RuntimeError(skipped.get("ours", "ours cannot run"))
    return runtimes


def run_cases(
    names: Sequence[str],
    endpoint: str,
    s: Settings,
    *,
    ready: Mapping[str, Any],
    failed: Mapping[str, str],
    baseline: str | None = None,
) -> dict[str, Any]:
    """Every named case, each as its figures or ``{"error": ...}`` / ``{"skipped": ...}``.

    ``ready``: the peer environments built (empty: the handlers run with this interpreter);
    ``failed``: the environments that could not be built, with why.
    """
    import anyio

    from .cases import client_cpu, lambda_cases, per_op, throughput

    runtimes: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    if {"cold_start", "warm"} & set(names):
        try:
            runtimes, skipped = _runtimes(list(lambda_cases.PEERS), ready, failed, baseline)
        except RuntimeError as exc:  # the Lambda cases then fail with this reason; the others run
            skipped = {"ours": str(exc)}
    pydynox = ready.get("pydynox")
    no_pydynox = {"pydynox": failed.get("pydynox", "run without the peer environments (--no-envs)")}
    jobs: dict[str, Callable[[], dict[str, Any]]] = {
        "cold_start": lambda: lambda_cases.cold_start(
            endpoint, _needs_ours(runtimes, skipped), runs=s.cold_runs, prime=s.cold_prime
        ),
        "warm": lambda: lambda_cases.warm(
            endpoint,
            _needs_ours(runtimes, skipped),
            invocations=s.warm_invocations,
            warmup=min(5, s.warm_invocations),
        ),
        "per_op": lambda: anyio.run(
            lambda: per_op.run(
                endpoint, rounds=s.per_op_rounds, ops=s.per_op_ops, query_ops=s.per_op_query_ops
            )
        ),
        "throughput": lambda: anyio.run(
            lambda: throughput.run(
                endpoint,
                rounds=s.throughput_rounds,
                total=s.throughput_total,
                concurrency=s.throughput_concurrency,
            )
        ),
        "client_cpu": lambda: anyio.run(
            lambda: client_cpu.run(
                endpoint,
                pydynox_python=str(pydynox.python) if pydynox is not None else None,
                not_available={} if pydynox is not None else no_pydynox,
                rounds=s.client_cpu_rounds,
                get_ops=s.client_cpu_get_ops,
                throughput_total=s.client_cpu_throughput_total,
                concurrency=s.throughput_concurrency,
                batch_items=s.client_cpu_batch_items,
            )
        ),
        "marshal": lambda: _folded("marshal_bench", endpoint, s),
        "query": lambda: _folded("query_bench", endpoint, s),
        "batch": lambda: _folded("batch_bench", endpoint, s),
        "accounts": lambda: _folded("accounts_bench", endpoint, s),
    }
    results: dict[str, Any] = {}
    for name in names:
        print(f"bench: {name} ...", flush=True)
        started = time.perf_counter()
        try:
            results[name] = jobs[name]()
        except Exception as exc:
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        if name in ("cold_start", "warm") and skipped and "error" not in results[name]:
            results[name]["not_run"] = skipped
        print(f"bench: {name} done in {time.perf_counter() - started:.1f} s", flush=True)
    return results


def environments(
    names: Sequence[str], *, use_envs: bool, chart: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The peer environments the chosen cases need, built if missing; and those that failed."""
    from . import envs
    from .cases import lambda_cases

    needed: list[str] = []
    if use_envs and {"cold_start", "warm"} & set(names):
        needed += ["ours", *(p for p in lambda_cases.PEERS if not p.startswith("ours"))]
    if use_envs and "client_cpu" in names and "pydynox" not in needed:
        needed.append("pydynox")
    if chart:
        needed.append("chart")
    return envs.ensure_available(needed) if needed else ({}, {})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every selected case ran, 1 when one failed."""
    args = parse_args(argv)
    s = _with_overrides(QUICK if args.quick else FULL, args)
    names = [c for c in CASES if c in args.cases.split(",")]
    started = time.perf_counter()

    from . import envs, report
    from .cases import lambda_cases
    from .cases.common import aws_environment, seed

    ready, failed = environments(names, use_envs=not args.no_envs, chart=not args.no_chart)
    peer_envs = {k: v for k, v in ready.items() if k != "chart"}
    baseline = None if args.baseline.lower() == "none" else args.baseline

    with aws_environment(), dynamodb(args.endpoint) as endpoint:
        seed(endpoint)
        cases = run_cases(names, endpoint, s, ready=peer_envs, failed=failed, baseline=baseline)

    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "mode": "quick" if args.quick else "full",
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "cpus": os.cpu_count(),
            "settings": asdict(s),
            "labels": lambda_cases.LABELS,
            "baseline": baseline,
            "baseline_same_sources": baseline is not None
            and envs.same_sources("ours-package", "ours-before"),
            "environments_failed": failed,
            "versions": {name: envs.versions(env) for name, env in ready.items() if name != "chart"},
            "duration_s": time.perf_counter() - started,
        },
        "cases": cases,
    }
    results["targets"] = report.targets(report.jsonable(results))
    chart_python = str(ready["chart"].python) if "chart" in ready else None
    written = report.write(results, args.out, chart_python=chart_python)
    print(report.summary(report.jsonable(results)))
    print("\nwritten: " + ", ".join(_shown(p) for p in written))
    failed_cases = [n for n, c in cases.items() if "error" in c]
    if failed_cases:
        print(f"bench: FAILED cases: {', '.join(failed_cases)}", file=sys.stderr)
        return 1
    return 0


def _with_overrides(s: Settings, args: argparse.Namespace) -> Settings:
    changes: dict[str, Any] = {}
    if args.cold_runs:
        changes["cold_runs"] = args.cold_runs
    if args.warm_invocations:
        changes["warm_invocations"] = args.warm_invocations
    return replace(s, **changes)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
