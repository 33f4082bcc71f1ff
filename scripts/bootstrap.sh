#!/usr/bin/env bash
# Prepare everything `make test` / `make demo` need, idempotently:
#   1. a project virtualenv in .venv (Python >= 3.11),
#   2. the package in editable mode with its dev extra (skipped while pyproject.toml is unchanged),
#   3. DynamoDB Local in the user cache (outside the repository; see dynamorm_async/testing).
# Set PYTHON=/path/to/python3.11 to choose the interpreter.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
VENV_PY="$VENV/bin/python"
STAMP="$VENV/.dynamorm-pyproject.sha256"
LOG="$VENV/.dynamorm-bootstrap.log"

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

version_ok() {  # $1 = interpreter; true when it is Python >= 3.11
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

# Run a command with its output in $LOG; show the log only when it fails.
quietly() {
    if ! "$@" >"$LOG" 2>&1; then
        cat "$LOG" >&2
        die "command failed: $*"
    fi
}

# 1. virtualenv
if [[ -x "$VENV_PY" ]] && version_ok "$VENV_PY"; then
    say "using existing $VENV ($("$VENV_PY" -V 2>&1))"
else
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install Python >= 3.11 or set PYTHON=/path/to/python3.11"
    version_ok "$PYTHON" || die "Python >= 3.11 is required, but $PYTHON is $("$PYTHON" -V 2>&1); set PYTHON=/path/to/python3.11"
    if [[ -e "$VENV" ]]; then
        say "removing unusable $VENV"
        rm -rf "$VENV"
    fi
    "$PYTHON" -m venv "$VENV" || die "could not create $VENV (on Debian/Ubuntu: apt-get install python3-venv)"
    say "created $VENV ($("$VENV_PY" -V 2>&1))"
fi

# 2. dependencies (re-installed whenever pyproject.toml changes, or if the package is not importable)
want_hash="$("$VENV_PY" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' pyproject.toml)"
have_hash="$(cat "$STAMP" 2>/dev/null || true)"
if [[ "$want_hash" == "$have_hash" ]] \
    && "$VENV_PY" -I -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("dynamorm_async") is None)' 2>/dev/null; then
    say "dependencies up to date"
else
    rm -f "$STAMP"
    quietly "$VENV_PY" -m pip install --disable-pip-version-check --upgrade pip
    quietly "$VENV_PY" -m pip install --disable-pip-version-check -e '.[dev]'
    printf '%s\n' "$want_hash" >"$STAMP"
    say "installed dynamorm_async[dev] into $VENV"
fi

# 3. DynamoDB Local (downloads once into the user cache; later runs need no network)
ddb_dir="$("$VENV_PY" -m dynamorm_async.testing.dynamodb_local install)" || die "could not install DynamoDB Local (see above)"
say "DynamoDB Local ready in $ddb_dir"
