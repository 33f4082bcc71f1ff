"""How the benchmark runs ours: a compiled copy of the package, and no bytecode switch-off passed on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import envs
from bench.cases import lambda_cases


def _package(root: Path, text: str) -> None:
    (root / envs.PACKAGE / "sub").mkdir(parents=True, exist_ok=True)
    (root / envs.PACKAGE / "__init__.py").write_text(text)
    (root / envs.PACKAGE / "sub" / "__init__.py").write_text("")


def _pycs(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.pyc")}


def test_compiled_package_is_compiled_and_follows_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # what the harness may run under
    repo, out = tmp_path / "repo", tmp_path / "envs"
    _package(repo, "VALUE = 1\n")
    built = envs.compiled_package("pkg", root=repo, envs_dir=out)
    tag = sys.implementation.cache_tag
    assert _pycs(built) == {
        f"{envs.PACKAGE}/__pycache__/__init__.{tag}.pyc",
        f"{envs.PACKAGE}/sub/__pycache__/__init__.{tag}.pyc",
    }
    stamp = (built / envs.STAMP).read_text()
    assert envs.compiled_package("pkg", root=repo, envs_dir=out) == built
    assert (built / envs.STAMP).read_text() == stamp  # unchanged sources: nothing rebuilt

    envs.compiled_package("twin", root=repo, envs_dir=out)
    assert envs.same_sources("pkg", "twin", envs_dir=out)

    _package(repo, "VALUE = 2\n")  # an edit is measured without a manual reinstall
    envs.compiled_package("pkg", root=repo, envs_dir=out)
    assert (built / envs.STAMP).read_text() != stamp
    assert not envs.same_sources("pkg", "twin", envs_dir=out)
    code = f"import {envs.PACKAGE} as p; print(p.VALUE, p.__cached__ is not None)"
    env = {**os.environ, "PYTHONPATH": str(built)}
    env.pop("PYTHONDONTWRITEBYTECODE")
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == ["2", "True"]


def test_compiled_package_from_a_git_revision(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _package(repo, "VALUE = 'old'\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "old"], check=True)
    _package(repo, "VALUE = 'new'\n")  # the working tree moved on; the revision did not
    built = envs.compiled_package("before", ref="HEAD", root=repo, envs_dir=tmp_path / "envs")
    assert (built / envs.PACKAGE / "__init__.py").read_text() == "VALUE = 'old'\n"
    assert _pycs(built)
    with pytest.raises(RuntimeError, match="git archive"):
        envs.compiled_package("missing", ref="no-such-revision", root=repo, envs_dir=tmp_path / "envs")


def test_handler_environment_drops_the_bytecode_switch_and_the_callers_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "bench")
    runtime = lambda_cases.Runtime("python", ("pkg",), (("BENCH_OURS_HTTP", "lean"),))
    env = lambda_cases.handler_environment(runtime, "http://127.0.0.1:1", {"EXTRA": "1"})
    assert "PYTHONDONTWRITEBYTECODE" not in env and "PYTHONPATH" not in env
    assert env["AWS_ACCESS_KEY_ID"] == "bench"
    assert env["BENCH_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert env["BENCH_OURS_HTTP"] == "lean" and env["EXTRA"] == "1"
