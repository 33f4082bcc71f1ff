"""The benchmark, run once in its quickest form, so that it cannot rot.

One iteration of every case against the test session's DynamoDB Local. The Lambda cases run the
handlers with this interpreter (``--no-envs``): creating the peer virtualenvs takes longer than
the test suite can spend, so here only the libraries this interpreter has are compared (ours,
boto3 and aiobotocore with the dev dependencies); ``python -m bench`` runs them all. The chart is
drawn only when the benchmark's chart environment already exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import envs, report, runner

pytestmark = pytest.mark.integration


def test_quick_run_of_every_case(dynamodb_local: str, tmp_path: Path) -> None:
    code = runner.main(
        ["--quick", "--no-envs", "--no-chart", "--endpoint", dynamodb_local, "--out", str(tmp_path)]
    )
    assert code == 0
    data = json.loads((tmp_path / "latest.json").read_text())
    cases = data["cases"]
    for name in ("cold_start", "warm", "per_op", "throughput", "marshal"):
        assert "error" not in cases[name] and "skipped" not in cases[name], cases[name]

    cold = cases["cold_start"]
    assert {"ours", "boto3", "aiobotocore"} <= set(cold["ms"])
    assert cold["ms"]["ours"]["n"] == 1 and cold["ms"]["ours"]["median"] > 0
    phases = cold["ours_phases"]
    assert set(phases) == {"runtime_ms", "imports_ms", "model_ms", "client_ms", "first_request_ms"}
    # The phases are parts of the cold start: together they cannot exceed it.
    assert sum(p["median"] for p in phases.values()) <= cold["ms"]["ours"]["median"] * 1.01
    assert cases["warm"]["speedup_vs"]["aiobotocore"]["n"] == 1
    assert set(cases["per_op"]) == {"settings", "GetItem", "PutItem", "UpdateItem", "Query100"}
    assert cases["throughput"]["ours_ops_per_s"]["median"] > 0

    verdicts = {t["name"]: t for t in data["targets"]}
    assert verdicts["cold start, ours / boto3"]["met"] is not None
    assert verdicts["cold start, ours / aioboto3"]["met"] is None  # aioboto3 is not in this interpreter
    assert verdicts["CPU per op, ours / raw aiobotocore: GetItem"]["figure"]["n"] == 1
    markdown = (tmp_path / "latest.md").read_text()
    assert "## Targets" in markdown and "## 4. Throughput" in markdown


def _figure(median: float) -> dict[str, Any]:
    return {"median": median, "min": median, "max": median, "n": 1, "unit": "x"}


def test_targets_follow_the_figures() -> None:
    results = {
        "cases": {
            "cold_start": {"ours_vs": {"boto3": _figure(1.2), "aioboto3": _figure(0.6)}},
            "warm": {"speedup_vs": {"aiobotocore": _figure(9.0)}},
            "per_op": {"GetItem": {"cpu_ratio": _figure(1.05)}},
            "marshal": {"serialize_ratio": _figure(2.5)},
        }
    }
    met = {t["name"]: t["met"] for t in report.targets(results)}
    assert met["cold start, ours / boto3"] is False
    assert met["cold start, ours / aioboto3"] is True
    assert met["warm invocation, naive aiobotocore / ours"] is False
    assert met["CPU per op, ours / raw aiobotocore: GetItem"] is True
    assert met["CPU per op, ours / raw aiobotocore: PutItem"] is None
    assert met["marshalling, serialize: ours / boto3 TypeSerializer"] is True


def test_chart_is_drawn(tmp_path: Path) -> None:
    chart = envs.peers()["chart"]
    if not chart.is_ready():
        pytest.skip("the chart environment is made by `python -m bench`; not created by the test suite")
    ms = {"ours": _figure(100.0), "boto3": _figure(150.0)}
    results = {
        "meta": {"date": "test"},
        "cases": {
            "cold_start": {"settings": {"runs": 1, "memory_mb": 128}, "ms": ms},
            "warm": {"error": "not run"},
        },
    }
    written = report.write(results, tmp_path, chart_python=str(chart.python))
    assert (tmp_path / "latest.png") in written
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG")
