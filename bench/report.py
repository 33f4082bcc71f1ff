"""The benchmark's outputs: ``latest.json`` (raw figures), ``latest.md`` (tables), ``latest.png`` (chart).

Every figure is written as median, min and max over its samples; every comparison is a ratio
taken within the same run. :func:`targets` checks the figures against the goals the project
builds toward, and the same verdicts head the Markdown report and the console summary.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cases.common import Figure


def jsonable(value: Any) -> Any:
    """``value`` with every :class:`Figure` turned into a dict, ready for ``json.dumps``."""
    if isinstance(value, Figure):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _fig(data: Any) -> dict[str, Any] | None:
    return data if isinstance(data, dict) and "median" in data else None


def _get(results: Mapping[str, Any], *path: str) -> dict[str, Any] | None:
    node: Any = results.get("cases", {})
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return _fig(node)


@dataclass(frozen=True, slots=True)
class Target:
    """One goal: a ratio from the results, the bound it must meet, and which way."""

    name: str
    path: tuple[str, ...]
    bound: float
    at_most: bool  # True: ratio <= bound; False: ratio >= bound
    next_step: str

    def check(self, results: Mapping[str, Any]) -> dict[str, Any]:
        """The verdict: the measured figure (or ``None``) and whether the goal is met."""
        fig = _get(results, *self.path)
        met = (
            None
            if fig is None
            else (fig["median"] <= self.bound if self.at_most else fig["median"] >= self.bound)
        )
        return {
            "name": self.name,
            "goal": f"{'<=' if self.at_most else '>='} {self.bound:g}x",
            "figure": fig,
            "met": met,
            "next_step": self.next_step,
        }


TARGETS = (
    Target(
        "cold start, ours / boto3",
        ("cold_start", "ours_vs", "boto3"),
        1.0,
        True,
        "import less before the first request: aiohttp and botocore dominate (see bench/README.md)",
    ),
    Target(
        "cold start, ours / aioboto3",
        ("cold_start", "ours_vs", "aioboto3"),
        0.7,
        True,
        "the same: our own import cost and aiohttp's import-time SSL contexts",
    ),
    Target(
        "warm invocation, naive aiobotocore / ours",
        ("warm", "speedup_vs", "aiobotocore"),
        10.0,
        False,
        "nothing on our side: one loop and one client already; the gap is the peer's per-call setup",
    ),
    *(
        Target(
            f"CPU per op, ours / raw aiobotocore: {op}",
            ("per_op", op, "cpu_ratio"),
            1.10,
            True,
            "profile the ORM's request building and item decoding for this operation",
        )
        for op in ("GetItem", "PutItem", "UpdateItem", "Query100")
    ),
    Target(
        "marshalling, serialize: ours / boto3 TypeSerializer",
        ("marshal", "serialize_ratio"),
        2.0,
        False,
        "specialise the hot paths of dynamorm_async.marshal",
    ),
    Target(
        "marshalling, deserialize: ours / boto3 TypeDeserializer",
        ("marshal", "deserialize_ratio"),
        2.0,
        False,
        "specialise the hot paths of dynamorm_async.marshal",
    ),
)


def targets(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every target's verdict on ``results`` (JSON-ready data)."""
    return [t.check(results) for t in TARGETS]


# --------------------------------------------------------------------------- Markdown


def fmt(fig: Mapping[str, Any] | None, digits: int = 1) -> str:
    """``median (min-max)`` for a figure, or a dash."""
    if fig is None:
        return "-"
    return f"{fig['median']:,.{digits}f} ({fig['min']:,.{digits}f}-{fig['max']:,.{digits}f})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return [*lines, ""]


def _status(case: Mapping[str, Any] | None) -> str | None:
    if case is None:
        return "not run"
    if "skipped" in case:
        return f"skipped: {case['skipped']}"
    if "error" in case:
        return f"FAILED: {case['error']}"
    return None


def _cold(case: dict[str, Any], labels: Mapping[str, str]) -> list[str]:
    s = case["settings"]
    lines = [
        f"Spawn of a fresh `awslambdaric` process to the first invocation's answer; {s['runs']} runs "
        f"per library, {s['memory_mb']} MB. Ratio: ours / library, run by run (below 1: ours starts faster).",
        "",
    ]
    rows = []
    for peer, fig in case["ms"].items():
        ratio = case.get("ours_vs", {}).get(peer)
        rows.append([labels.get(peer, peer), fmt(fig), fmt(ratio, 2) if ratio else ""])
    lines += _table(["library", "cold start ms", "ours / library"], rows)
    phases = case.get("ours_phases")
    if phases:
        names = {
            "runtime_ms": "interpreter + awslambdaric start",
            "imports_ms": "imports (dynamorm_async, pydantic, aws_lambda)",
            "model_ms": "model class compiled",
            "client_ms": "LambdaDB(): client created (aiobotocore imported)",
            "first_request_ms": "first request (invocation duration)",
        }
        lines += ["Where ours' cold start goes:", ""]
        lines += _table(["phase", "ms"], [[names.get(k, k), fmt(v)] for k, v in phases.items()])
    return lines


def _warm(case: dict[str, Any], labels: Mapping[str, str]) -> list[str]:
    s = case["settings"]
    lines = [
        f"Lambda duration (event received -> answer) of {s['invocations']} warm invocations per library, "
        "round-robin. Speed-up: library / ours, round by round (above 1: ours answers faster).",
        "",
    ]
    rows = []
    for peer, fig in case["ms"].items():
        speed = case.get("speedup_vs", {}).get(peer)
        rows.append([labels.get(peer, peer), fmt(fig, 2), fmt(speed, 2) if speed else ""])
    return lines + _table(["library", "warm invocation ms", "speed-up of ours"], rows)


def _per_op(case: dict[str, Any]) -> list[str]:
    s = case["settings"]
    lines = [
        f"One process, ours vs raw aiobotocore by hand (same client configuration), {s['rounds']} rounds of "
        f"{s['ops']} operations ({s['query_ops']} for Query100). CPU is this process's (the engine runs "
        "in its own JVM). Ratios: ours / raw, round by round (below 1.10: within 10 %).",
        "",
    ]
    rows = []
    for op, f in case.items():
        if op == "settings":
            continue
        rows.append(
            [
                op,
                fmt(f["ours_wall_ms"], 3),
                fmt(f["raw_wall_ms"], 3),
                fmt(f["wall_ratio"], 2),
                fmt(f["ours_cpu_ms"], 3),
                fmt(f["raw_cpu_ms"], 3),
                fmt(f["cpu_ratio"], 2),
            ]
        )
    header = [
        "operation",
        "ours wall ms",
        "raw wall ms",
        "wall ratio",
        "ours CPU ms",
        "raw CPU ms",
        "CPU ratio",
    ]
    return lines + _table(header, rows)


def _throughput(case: dict[str, Any]) -> list[str]:
    s = case["settings"]
    lines = [
        f"{s['total']} GetItems, {s['concurrency']} in flight, {s['rounds']} rounds. Ratios: ours / other "
        "in operations per second (above 1: ours is faster).",
        "",
    ]
    names = {"ours": "ours (anyio task group)", "raw": "raw aiobotocore", "boto3": "boto3, 32 threads"}
    rows = [
        [names[p], fmt(case[f"{p}_ops_per_s"], 0), fmt(case[f"{p}_cpu_ms_per_op"], 3)]
        for p in ("ours", "raw", "boto3")
    ]
    lines += _table(["client", "ops/s", "CPU ms/op"], rows)
    lines += _table(
        ["ratio", "value"],
        [
            ["ours / raw aiobotocore", fmt(case["ours_vs_raw"], 2)],
            ["ours / boto3", fmt(case["ours_vs_boto3"], 2)],
        ],
    )
    return lines


def _flat(case: dict[str, Any]) -> list[str]:
    rows = [[k, fmt(v, 3)] for k, v in case.items() if _fig(v) is not None]
    lines = []
    if "settings" in case:
        lines += [f"Samples: {case['settings']}", ""]
    return lines + _table(["figure", "median (min-max)"], rows)


SECTIONS: tuple[tuple[str, str, Callable[..., list[str]]], ...] = (
    ("cold_start", "1. Cold start inside the Lambda runtime harness", _cold),
    ("warm", "2. Warm invocations", _warm),
    ("per_op", "3. Per-operation cost", _per_op),
    ("throughput", "4. Throughput", _throughput),
    ("marshal", "5a. Marshalling (bench/marshal_bench.py)", _flat),
    ("query", "5b. Query of many items (bench/query_bench.py)", _flat),
    ("batch", "5c. Batch operations (bench/batch_bench.py)", _flat),
    ("accounts", "5d. Partner accounts (bench/accounts_bench.py)", _flat),
)


def markdown(results: Mapping[str, Any]) -> str:
    """The report as Markdown: targets first, then one section per case."""
    meta = results.get("meta", {})
    labels = meta.get("labels", {})
    lines = [
        "# dynamorm_async benchmark",
        "",
        f"Run {meta.get('date', '')}, mode `{meta.get('mode', '')}`, Python {meta.get('python', '')}, "
        f"{meta.get('cpus', '?')} CPUs, {meta.get('duration_s', 0):.0f} s. Figures: median (min-max).",
        "",
        "## Targets",
        "",
    ]
    rows = []
    for t in results.get("targets", []):
        verdict = "not measured" if t["met"] is None else ("met" if t["met"] else "NOT met")
        rows.append([t["name"], t["goal"], fmt(t["figure"], 2), verdict])
    lines += _table(["target", "goal", "measured", "verdict"], rows)
    cases = results.get("cases", {})
    for key, title, render in SECTIONS:
        lines += [f"## {title}", ""]
        case = cases.get(key)
        status = _status(case)
        if status is not None:
            lines += [status, ""]
            continue
        assert case is not None
        lines += render(case, labels) if render in (_cold, _warm) else render(case)
    versions = meta.get("versions", {})
    if versions:
        lines += ["## Versions", ""]
        lines += _table(
            ["environment", "packages"],
            [[k, ", ".join(f"{n} {v}" for n, v in d.items())] for k, d in versions.items()],
        )
    return "\n".join(lines).rstrip() + "\n"


def summary(results: Mapping[str, Any]) -> str:
    """The console summary: every target's ratio and verdict."""
    lines = ["", "Targets (median ratio, min-max, in this run):"]
    for t in results.get("targets", []):
        verdict = "not measured" if t["met"] is None else ("met" if t["met"] else "NOT met")
        lines.append(f"  {t['name']:<58} {t['goal']:>8}  {fmt(t['figure'], 2):>22}  {verdict}")
    return "\n".join(lines)


def write(results: Mapping[str, Any], out_dir: Path, *, chart_python: str | None) -> list[Path]:
    """Write ``latest.json``, ``latest.md`` and (given a matplotlib interpreter) ``latest.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    data = jsonable(results)
    json_path = out_dir / "latest.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    written.append(json_path)
    md_path = out_dir / "latest.md"
    md_path.write_text(markdown(data))
    written.append(md_path)
    if chart_python is not None:
        png_path = out_dir / "latest.png"
        script = Path(__file__).with_name("chart.py")
        subprocess.run([chart_python, str(script), str(json_path), str(png_path)], check=True)
        written.append(png_path)
    return written
