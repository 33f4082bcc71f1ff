"""Developer tasks.  They run inside the project's .venv made by scripts/bootstrap.sh
(``make`` runs that first), so nox never creates or reinstalls environments itself.

    nox                      # lint, typecheck, tests
    nox -s tests -- -k engine
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
VENV_PYTHON = ROOT / ".venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
LINT_PATHS = ("dynamorm_async", "tests", "bench", "examples")

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "none"


def python(session: nox.Session) -> str:
    """The project's .venv interpreter, whichever nox is running this file."""
    if not VENV_PYTHON.exists():
        session.error(f"{VENV_PYTHON.relative_to(ROOT)} is missing: run `bash scripts/bootstrap.sh` first")
    session.chdir(ROOT)
    return str(VENV_PYTHON)


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """pytest (integration tests start DynamoDB Local themselves); extra args go to pytest."""
    session.run(python(session), "-m", "pytest", *session.posargs)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff check (formatting is not enforced)."""
    py = python(session)
    paths = [p for p in LINT_PATHS if (ROOT / p).exists()]
    session.run(py, "-m", "ruff", "check", *paths)


@nox.session(python=False)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the packages configured in pyproject.toml."""
    session.run(python(session), "-m", "mypy")


@nox.session(python=False)
def demo(session: nox.Session) -> None:
    """The end-to-end example against an embedded DynamoDB Local."""
    py = python(session)
    script = ROOT / "examples" / "demo.py"
    if not script.exists():
        session.error("examples/demo.py does not exist yet")
    session.run(py, str(script.relative_to(ROOT)), *session.posargs)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """The benchmark suite (``python -m bench``); extra args go to it."""
    session.run(python(session), "-m", "bench", *session.posargs)
