"""The benchmark, run once in its quickest form, so that it cannot rot.

One iteration of every case against the test session's DynamoDB Local. The Lambda cases run the
handlers with this interpreter (``--no-envs``): creating the peer virtualenvs takes longer than
the test suite can spend, so here only the libraries this interpreter has are compared (ours,
boto3 and aiobotocore with the dev dependencies); ``python -m bench`` runs them all. The chart is
drawn only when the benchmark's chart environment already exists. pydynox gets a test of its own:
its environment is small (one wheel and the runtime client), so it is built when missing, and the
test is skipped, saying why, on a machine where it cannot be.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from bench import envs, report, runner
from bench.cases.model import http_supported

pytestmark = pytest.mark.integration


def test_quick_run_of_every_case(dynamodb_local: str, tmp_path: Path) -> None:
    code = runner.main(
        ["--quick", "--no-envs", "--no-chart", "--endpoint", dynamodb_local, "--out", str(tmp_path)]
    )
    assert code == 0
    data = json.loads((tmp_path / "latest.json").read_text())
    cases = data["cases"]
    for name in ("cold_start", "warm", "per_op", "throughput", "client_cpu", "marshal"):
        assert "error" not in cases[name] and "skipped" not in cases[name], cases[name]

    cold = cases["cold_start"]
    assert {"ours", "boto3", "aiobotocore"} <= set(cold["ms"])
    assert cold["ms"]["ours"]["n"] == 1 and cold["ms"]["ours"]["median"] > 0
    # The lean row runs exactly when this build can pick the transport; otherwise it says why.
    if http_supported():
        assert cold["ours_lean_vs"]["boto3"]["n"] == 1
    else:
        assert "ours_lean" not in cold["ms"] and "no lean transport" in cold["not_run"]["ours_lean"]
    if importlib.util.find_spec("pydynox") is None:
        assert "pydynox not installed" in cold["not_run"]["pydynox"]
    # The baseline revision runs from its own compiled copy when the repository has it.
    if "ours_before" in cold["ms"]:
        assert cold["ours_vs"]["ours_before"]["n"] == 1
    else:
        assert "baseline" in cold["not_run"]["ours_before"]
    phases = cold["ours_phases"]
    assert set(phases) == {"runtime_ms", "imports_ms", "model_ms", "client_ms", "first_request_ms"}
    # The phases are parts of the cold start: together they cannot exceed it.
    assert sum(p["median"] for p in phases.values()) <= cold["ms"]["ours"]["median"] * 1.01
    assert cases["warm"]["speedup_vs"]["aiobotocore"]["n"] == 1
    assert set(cases["per_op"]) == {"settings", "GetItem", "PutItem", "UpdateItem", "Query100"}
    assert cases["throughput"]["ours_ops_per_s"]["median"] > 0
    client = cases["client_cpu"]
    assert client["GetItem"]["cpu_ratio"]["ours/raw"]["n"] == 1
    assert "pydynox" in client["not_available"] and "pydynox" not in client["sides"]

    verdicts = {t["name"]: t for t in data["targets"]}
    assert verdicts["cold start, ours (aiobotocore) / boto3"]["met"] is not None
    assert verdicts["cold start, ours (aiobotocore) / aioboto3"]["met"] is None  # not in this interpreter
    assert verdicts["CPU per op, ours / raw aiobotocore: GetItem"]["figure"]["n"] == 1
    assert verdicts["client CPU, ours (lean) / pydynox: GetItem"]["met"] is None
    markdown = (tmp_path / "latest.md").read_text()
    assert "## Targets" in markdown and "## 4. Throughput" in markdown and "## 5. Client CPU" in markdown


def test_pydynox_handler_and_worker_answer(dynamodb_local: str) -> None:
    """pydynox's Lambda handler answers the table's item, and its client-CPU worker measures."""
    import anyio

    from bench.cases import client_cpu, lambda_cases
    from bench.cases.common import aws_environment, seed

    ready, failed = envs.ensure_available(["pydynox"])
    if "pydynox" not in ready:
        pytest.skip(f"pydynox cannot run on this machine: {failed['pydynox']}")
    python = str(ready["pydynox"].python)
    with aws_environment():
        seed(dynamodb_local)
        # cold_start checks the handler's answer against the item and fails on any other.
        cold = lambda_cases.cold_start(
            dynamodb_local, {"pydynox": lambda_cases.Runtime(python)}, runs=1, prime=False
        )
        measured = anyio.run(
            lambda: client_cpu.run(
                dynamodb_local,
                pydynox_python=python,
                rounds=1,
                get_ops=2,
                throughput_total=64,
                batch_items=30,
            )
        )
    assert cold["ms"]["pydynox"].median > 0
    assert "pydynox" in measured["sides"]
    for workload in client_cpu.WORKLOADS:
        assert measured[workload]["cpu_ms"]["pydynox"].median > 0
        assert measured[workload]["cpu_ratio"]["ours/pydynox"].n == 1


def _figure(median: float) -> dict[str, Any]:
    return {"median": median, "min": median, "max": median, "n": 1, "unit": "x"}


def test_targets_follow_the_figures() -> None:
    results = {
        "cases": {
            "cold_start": {
                "ours_vs": {"boto3": _figure(1.2), "aioboto3": _figure(0.6), "ours_before": _figure(1.01)},
                "ours_lean_vs": {"boto3": _figure(0.7), "pydynox": _figure(1.6)},
            },
            "warm": {"speedup_vs": {"aiobotocore": _figure(9.0)}, "ours_vs": {"boto3": _figure(0.9)}},
            "per_op": {"GetItem": {"cpu_ratio": _figure(1.05)}},
            "client_cpu": {"Query1000": {"cpu_ratio": {"ours/pydynox": _figure(2.5)}}},
            "marshal": {"serialize_ratio": _figure(2.5)},
        }
    }
    checked = {t["name"]: t for t in report.targets(results)}
    met = {name: t["met"] for name, t in checked.items()}
    assert met["cold start, ours (lean) / boto3"] is True
    assert met["cold start, ours (lean) / pydynox (the aim)"] is False
    assert met["no regression: cold start, ours (aiobotocore) / before"] is True
    assert met["cold start, ours (aiobotocore) / boto3"] is False
    assert met["cold start, ours (aiobotocore) / aioboto3"] is True
    # Without a lean figure, the verdict is on the aiobotocore transport, and says so.
    warm = checked["warm invocation, ours (lean) / boto3"]
    assert warm["met"] is True and "lean transport is not available" in warm["note"]
    query = checked["client CPU, ours (lean) / pydynox: 1,000-item query into validated models"]
    assert query["met"] is False and report.verdict(query).startswith("NOT met (+66.7% over the bound)")
    assert met["client CPU, ours (lean) / pydynox: GetItem"] is None
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


def test_ab_tools_run_once(dynamodb_local: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``bench.cpu_ab`` and ``bench.lambda_ab --importtime``, one round each, this checkout against itself."""
    from bench import cpu_ab, lambda_ab

    root = str(Path(__file__).resolve().parents[2])
    for case in ("stage", "json", "write", "offline"):
        options = ["--case", case, "--rounds", "1", "--repeats", "1", "--endpoint", dynamodb_local]
        cpu_ab.main([root, root, *options])
        assert "a / b: " in capsys.readouterr().out
    lambda_ab.import_times({"a": root}, 1)
    out = capsys.readouterr().out
    assert "dynamorm_async.transport.lean" in out and "dynamorm_async.requests.reads" not in out
