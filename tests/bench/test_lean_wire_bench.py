"""The lean-wire benchmark, run once in its quickest form against the session's DynamoDB Local, so
that it cannot rot (its figures are not checked: speed is for benchmarks, not tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import lean_wire_bench

pytestmark = pytest.mark.integration


def test_quick_run(dynamodb_local: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lean.json"
    quick = ["--rounds", "1", "--calls", "20", "--cpu-rounds", "1"]
    lean_wire_bench.main(["--endpoint", dynamodb_local, *quick, "--out", str(out)])
    figures = json.loads(out.read_text())
    assert set(figures["cold"]) == {"lean", "lean_bare", "aiobotocore", "boto3"}
    assert set(figures["cpu"]) == {"lean", "aiobotocore", "boto3"}
    for case in ("cold", "cpu"):
        assert all(len(v) == 1 and v[0] > 0 for v in figures[case].values())
    printed = capsys.readouterr().out
    assert "lean / boto3" in printed
