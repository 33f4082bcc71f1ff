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

#: The rows of ours in the Lambda cases, and the client-CPU workloads (kept here so that the
#: report needs nothing but the results to render).
OURS_ROWS = ("ours", "ours_lean")
CLIENT_WORKLOADS = ("GetItem", "Throughput", "Query1000", "BatchWrite1000")


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
    """One goal: a ratio from the results, the bound it must meet, and which way.

    ``fallback`` is the figure judged when ``path``'s is missing (ours on the aiobotocore
    transport when the lean one is not available); the verdict then says so.
    """

    name: str
    path: tuple[str, ...]
    bound: float
    at_most: bool  # True: ratio <= bound; False: ratio >= bound
    next_step: str
    fallback: tuple[str, ...] | None = None
    fallback_note: str = "measured on ours' aiobotocore transport: the lean transport is not available"

    def check(self, results: Mapping[str, Any]) -> dict[str, Any]:
        """The verdict: the measured figure (or ``None``) and whether the goal is met."""
        fig = _get(results, *self.path)
        note = ""
        if fig is None and self.fallback is not None:
            fig = _get(results, *self.fallback)
            note = self.fallback_note if fig is not None else ""
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
            "note": note,
            "next_step": self.next_step,
        }


def _lean(
    name: str, case: str, peer_path: tuple[str, ...], bound: float, next_step: str, *, ratio_key: str = "vs"
) -> Target:
    """A target on ours' lean transport, judged on the aiobotocore one while lean is missing."""
    if ratio_key == "vs":
        path, fallback = (case, "ours_lean_vs", *peer_path), (case, "ours_vs", *peer_path)
    else:  # client_cpu: (workload, "cpu_ratio", "ours_lean/pydynox")
        path = (case, *peer_path[:-1], f"ours_lean/{peer_path[-1]}")
        fallback = (case, *peer_path[:-1], f"ours/{peer_path[-1]}")
    return Target(name, path, bound, True, next_step, fallback)


TARGETS = (
    # The goals of the lean transport (issue 12), ratios from this run.
    _lean(
        "cold start, ours (lean) / boto3",
        "cold_start",
        ("boto3",),
        0.75,
        "cut imports on the Lambda path: see the phases table and bench/README.md",
    ),
    _lean(
        "cold start, ours (lean) / pydynox (the aim)",
        "cold_start",
        ("pydynox",),
        1.0,
        "pydantic plus one model class is a floor of about 0.55x boto3",
    ),
    _lean(
        "warm invocation, ours (lean) / boto3",
        "warm",
        ("boto3",),
        1.0,
        "profile one warm invocation: request building, signing, decoding",
    ),
    _lean(
        "warm invocation, ours (lean) / pydynox",
        "warm",
        ("pydynox",),
        1.2,
        "profile one warm invocation: request building, signing, decoding",
    ),
    *(
        _lean(
            f"client CPU, ours (lean) / pydynox: {label}",
            "client_cpu",
            (workload, "cpu_ratio", "pydynox"),
            bound,
            "profile the workload in ours' process (python -m cProfile) and cut the biggest cost",
            ratio_key="client_cpu",
        )
        for workload, label, bound in (
            ("GetItem", "GetItem", 1.3),
            ("Query1000", "1,000-item query into validated models", 1.5),
            ("BatchWrite1000", "1,000-item batch write", 2.0),
        )
    ),
    # Ours on aiobotocore: no regression from the baseline revision.
    Target(
        "no regression: cold start, ours (aiobotocore) / before",
        ("cold_start", "ours_vs", "ours_before"),
        1.05,
        True,
        "compare the phases with the baseline's: something new is imported or built at init",
    ),
    Target(
        "no regression: warm invocation, ours (aiobotocore) / before",
        ("warm", "ours_vs", "ours_before"),
        1.05,
        True,
        "profile one warm invocation on both revisions",
    ),
    # Standing goals.
    Target(
        "cold start, ours (aiobotocore) / boto3",
        ("cold_start", "ours_vs", "boto3"),
        1.0,
        True,
        "import less before the first request: aiohttp and botocore dominate (see bench/README.md)",
    ),
    Target(
        "cold start, ours (aiobotocore) / aioboto3",
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


def _ratio_columns(case: Mapping[str, Any], peer: str) -> list[str]:
    """``ours / peer`` for each row of ours that has ratios (blank for the row itself)."""
    return [fmt(case.get(f"{row}_vs", {}).get(peer), 2) if f"{row}_vs" in case else "" for row in OURS_ROWS]


def _not_run_rows(case: Mapping[str, Any], labels: Mapping[str, str], width: int) -> list[list[str]]:
    return [
        [labels.get(peer, peer), f"not available: {why}", *([""] * (width - 2))]
        for peer, why in case.get("not_run", {}).items()
    ]


def _cold(case: dict[str, Any], labels: Mapping[str, str]) -> list[str]:
    s = case["settings"]
    lines = [
        f"Spawn of a fresh `awslambdaric` process to the first invocation's answer; {s['runs']} runs "
        f"per library, {s['memory_mb']} MB. Ratios: ours / library, run by run (below 1: ours starts "
        "faster). Ours runs from a compiled copy of the package, as a deployment package has it.",
        "",
    ]
    header = ["library", "cold start ms", "ours (aiobotocore) / library", "ours (lean) / library"]
    rows = [[labels.get(p, p), fmt(fig), *_ratio_columns(case, p)] for p, fig in case["ms"].items()]
    lines += _table(header, rows + _not_run_rows(case, labels, len(header)))
    names = {
        "runtime_ms": "interpreter + awslambdaric start",
        "imports_ms": "imports (dynamorm_async, pydantic, aws_lambda)",
        "model_ms": "model class compiled",
        "client_ms": "LambdaDB(): transport created",
        "first_request_ms": "first request (invocation duration)",
    }
    shown = [row for row in OURS_ROWS if case.get(f"{row}_phases")]
    if shown:
        lines += ["Where ours' cold start goes (ms):", ""]
        header = ["phase", *(labels.get(row, row) for row in shown)]
        rows = [[label, *(fmt(case[f"{row}_phases"].get(k)) for row in shown)] for k, label in names.items()]
        lines += _table(header, rows)
    return lines


def _warm(case: dict[str, Any], labels: Mapping[str, str]) -> list[str]:
    s = case["settings"]
    lines = [
        f"Lambda duration (event received -> answer) of {s['invocations']} warm invocations per library, "
        "round-robin. Ratios: ours / library, round by round (below 1: ours answers faster).",
        "",
    ]
    header = ["library", "warm invocation ms", "ours (aiobotocore) / library", "ours (lean) / library"]
    rows = [[labels.get(p, p), fmt(fig, 2), *_ratio_columns(case, p)] for p, fig in case["ms"].items()]
    return lines + _table(header, rows + _not_run_rows(case, labels, len(header)))


def _client_cpu(case: dict[str, Any]) -> list[str]:
    s = case["settings"]
    labels = case.get("labels", {})
    lines = [
        f"{s['rounds']} rounds; per round, every side runs each workload once, back to back in a shuffled "
        f"order: {s['get_ops']} sequential GetItems; {s['throughput_total']} GetItems with "
        f"{s['concurrency']} in flight; one query of {s['query_items']} items read into models; a batch "
        f"write of {s['batch_items']} items. CPU is each side's whole process (pydynox runs in its own, "
        "its Rust threads included). Ratios: ours / other, round by round (below 1: ours costs less).",
        "",
    ]
    for side, why in case.get("not_available", {}).items():
        lines += [f"- {labels.get(side, side)}: not available ({why})"]
    if case.get("not_available"):
        lines.append("")
    sides = list(case.get("sides", labels))
    header = ["workload", *(f"{labels[x]} CPU ms" for x in sides)]
    rows = [
        [f"{w} ({case[w]['unit']})", *(fmt(case[w]["cpu_ms"].get(x), 3) for x in sides)]
        for w in CLIENT_WORKLOADS
        if w in case
    ]
    lines += _table(header, rows)
    header = ["workload", *(f"{labels[x]} wall ms" for x in sides)]
    rows = [
        [f"{w} ({case[w]['unit']})", *(fmt(case[w]["wall_ms"].get(x), 3) for x in sides)]
        for w in CLIENT_WORKLOADS
        if w in case
    ]
    lines += _table(header, rows)
    pairs = sorted({pair for w in CLIENT_WORKLOADS if w in case for pair in case[w]["cpu_ratio"]})
    header = ["workload", *(f"{pair} CPU" for pair in pairs), *(f"{pair} wall" for pair in pairs)]
    rows = [
        [
            w,
            *(fmt(case[w]["cpu_ratio"].get(pair), 2) for pair in pairs),
            *(fmt(case[w]["wall_ratio"].get(pair), 2) for pair in pairs),
        ]
        for w in CLIENT_WORKLOADS
        if w in case
    ]
    return lines + _table(header, rows)


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
    ("client_cpu", "5. Client CPU: ours against pydynox and raw aiobotocore", _client_cpu),
    ("marshal", "6a. Marshalling (bench/marshal_bench.py)", _flat),
    ("query", "6b. Query of many items (bench/query_bench.py)", _flat),
    ("batch", "6c. Batch operations (bench/batch_bench.py)", _flat),
    ("accounts", "6d. Partner accounts (bench/accounts_bench.py)", _flat),
)


SAME_SOURCES = (
    "In this run ours and the baseline revision have the same package sources: the no-regression "
    "ratios measure the machine's noise alone."
)


def verdict(t: Mapping[str, Any]) -> str:
    """ "met", "NOT met (by how much)" or "not measured", with the target's note if it has one."""
    if t["met"] is None:
        text = "not measured"
    elif t["met"]:
        text = "met"
    else:
        bound = float(t["goal"].split()[1].rstrip("x"))
        off = t["figure"]["median"] / bound - 1
        text = f"NOT met ({off:+.1%} {'over' if off > 0 else 'under'} the bound)"
    return f"{text}; {t['note']}" if t.get("note") else text


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
    rows = [[t["name"], t["goal"], fmt(t["figure"], 2), verdict(t)] for t in results.get("targets", [])]
    lines += _table(["target", "goal", "measured", "verdict"], rows)
    if meta.get("baseline_same_sources"):
        lines += [SAME_SOURCES, ""]
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
        lines.append(f"  {t['name']:<62} {t['goal']:>8}  {fmt(t['figure'], 2):>22}  {verdict(t)}")
    if results.get("meta", {}).get("baseline_same_sources"):
        lines.append("  " + SAME_SOURCES)
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
