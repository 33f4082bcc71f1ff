"""Peer virtualenvs for the benchmarks: one small environment per library compared.

Each peer gets its own virtualenv under ``.bench-envs/<name>/`` in the repository root
(gitignored), holding only what a Lambda deployment of that peer would hold: the library,
``awslambdaric`` (the runtime client the cold and warm cases run under) and nothing else, so
that one peer's extras (httpx, say) cannot change another's import time, and so that pins that
clash (aioboto3 15.5 pins aiobotocore 2.25.x, while the project uses the newest) never meet.

Our own environment installs the project's runtime dependencies (read from ``pyproject.toml``)
but not the project itself: :func:`compiled_package` copies ``dynamorm_async`` into a folder of
its own and compiles it to bytecode, as a deployment package has it (the peers' virtualenvs are
compiled by pip in the same way), and the handler imports it from there. The copy's stamp is a
hash of the package's sources, so every edit is measured without a manual reinstall.

A stamp file in each environment records what it was built from; a rerun with the same inputs
does nothing, so only the first ``python -m bench`` pays for the installs.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVS_DIR = ROOT / ".bench-envs"
STAMP = ".bench-stamp"
RUNTIME_CLIENT = "awslambdaric>=3"


def project_dependencies() -> tuple[str, ...]:
    """The package's runtime requirements, as ``pyproject.toml`` declares them."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return tuple(data["project"]["dependencies"])


@dataclass(frozen=True, slots=True)
class PeerEnv:
    """One virtualenv: its name (the folder under ``.bench-envs``) and what goes into it."""

    name: str
    requirements: tuple[str, ...]
    #: Distributions whose installed versions the report names.
    report_versions: tuple[str, ...]

    @property
    def path(self) -> Path:
        """The environment's folder."""
        return ENVS_DIR / self.name

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        return self.path / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")

    def fingerprint(self) -> str:
        """What the environment is built from: interpreter version and requirement list."""
        text = json.dumps([sys.version, list(self.requirements)])
        return hashlib.sha256(text.encode()).hexdigest()

    def is_ready(self) -> bool:
        """Whether the environment exists and was built from the current requirements."""
        stamp = self.path / STAMP
        return self.python.exists() and stamp.exists() and stamp.read_text().strip() == self.fingerprint()


def peers() -> dict[str, PeerEnv]:
    """Every environment the benchmarks use, by name."""
    envs = [
        PeerEnv("ours", (*project_dependencies(), RUNTIME_CLIENT), ("aiobotocore", "botocore", "pydantic")),
        PeerEnv("boto3", ("boto3", RUNTIME_CLIENT), ("boto3", "botocore")),
        PeerEnv("pynamodb", ("pynamodb", RUNTIME_CLIENT), ("pynamodb", "botocore")),
        # aioboto3 15.5 pins aiobotocore 2.25.x: the version most aioboto3 users run today.
        PeerEnv("aioboto3", ("aioboto3==15.5.*", RUNTIME_CLIENT), ("aioboto3", "aiobotocore", "botocore")),
        # Plain aiobotocore, the newest release (the one the project itself runs on), so the
        # comparison with it is about the usage pattern and not the version.
        PeerEnv("aiobotocore", ("aiobotocore", RUNTIME_CLIENT), ("aiobotocore", "botocore")),
        PeerEnv("aiodynamo", ("aiodynamo[httpx]", RUNTIME_CLIENT), ("aiodynamo", "httpx")),
        # pydynox: a Rust core (HTTP, signing, encoding) under an async Python ORM.
        PeerEnv("pydynox", ("pydynox==1.8.*", RUNTIME_CLIENT), ("pydynox",)),
        # Only for drawing the chart: matplotlib stays out of the project's own environment.
        PeerEnv("chart", ("matplotlib",), ("matplotlib",)),
    ]
    return {env.name: env for env in envs}


def _run(command: Sequence[str | Path], log: Path) -> None:
    with log.open("ab") as out:
        proc = subprocess.run(
            [str(c) for c in command],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"{' '.join(map(str, command))} failed (exit {proc.returncode}):\n{tail}")


def ensure(env: PeerEnv, *, log: bool = True) -> PeerEnv:
    """Create or update ``env`` unless its stamp says it is current; returns it."""
    if env.is_ready():
        return env
    if env.path.exists():
        shutil.rmtree(env.path)
    env.path.parent.mkdir(parents=True, exist_ok=True)
    log_path = env.path.parent / f"{env.name}.log"
    log_path.write_text("")
    if log:
        print(f"bench: creating the {env.name} environment ({', '.join(env.requirements)})", flush=True)
    _run([sys.executable, "-m", "venv", env.path], log_path)
    pip: list[str | Path] = [env.python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    _run([*pip, *env.requirements], log_path)
    (env.path / STAMP).write_text(env.fingerprint() + "\n")
    return env


def ensure_all(names: Sequence[str] | None = None, *, parallel: int = 2) -> dict[str, PeerEnv]:
    """Make every named environment (all by default), ``parallel`` installs at a time."""
    from concurrent.futures import ThreadPoolExecutor

    table = peers()
    chosen = [table[n] for n in (names if names is not None else list(table))]
    missing = [env for env in chosen if not env.is_ready()]
    if missing:
        # pip installs are independent and mostly wait on downloads: a couple at once is faster.
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            for future in [pool.submit(ensure, env) for env in missing]:
                future.result()
    return {env.name: env for env in chosen}


def ensure_available(names: Sequence[str], *, parallel: int = 2) -> tuple[dict[str, PeerEnv], dict[str, str]]:
    """Like :func:`ensure_all`, but an environment that cannot be built is reported, not raised.

    Returns the ready environments and, for the others, why not (a wheel missing for this
    machine, say): the benchmark then runs without that library and says so.
    """
    from concurrent.futures import ThreadPoolExecutor

    table = peers()
    chosen = [table[n] for n in names]
    failed: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = {env.name: pool.submit(ensure, env) for env in chosen if not env.is_ready()}
        for name, future in futures.items():
            try:
                future.result()
            except (RuntimeError, OSError) as exc:
                failed[name] = f"its environment could not be built: {str(exc).splitlines()[0][:300]}"
    return {env.name: env for env in chosen if env.name not in failed}, failed


PACKAGE = "dynamorm_async"


def _package_files(ref: str | None, root: Path) -> dict[str, bytes]:
    """The package's files by relative path: the working tree's, or those of git revision ``ref``."""
    if ref is None:
        base = root / PACKAGE
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(base.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", ref, PACKAGE],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise RuntimeError(f"git archive {ref} failed: {archive.stderr.decode(errors='replace').strip()}")
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member) if member.isfile() else None
            if extracted is not None:
                files[member.name] = extracted.read()
    return files


def compiled_package(
    name: str = "ours-package", *, ref: str | None = None, root: Path = ROOT, envs_dir: Path = ENVS_DIR
) -> Path:
    """``dynamorm_async`` copied into ``.bench-envs/<name>/`` and compiled, as a deployment has it.

    From the working tree by default, or from git revision ``ref`` (the baseline the benchmark
    compares ours with). Rebuilt only when the files (their hash, in the stamp) or the
    interpreter change. Returns the folder to put on the handler's ``PYTHONPATH``.
    """
    files = _package_files(ref, root)
    if not files:
        raise RuntimeError(f"no {PACKAGE} package found in {ref or root}")
    digest = hashlib.sha256(sys.version.encode())
    for rel, data in sorted(files.items()):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    dest = envs_dir / name
    stamp = dest / STAMP
    if stamp.exists() and stamp.read_text().strip() == digest.hexdigest():
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    for rel, data in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    # Every handler runs on an interpreter made from this one (the venvs are), so its bytecode fits.
    _run([sys.executable, "-m", "compileall", "-q", dest / PACKAGE], envs_dir / f"{name}.log")
    stamp.write_text(digest.hexdigest() + "\n")
    return dest


def same_sources(first: str, second: str, *, envs_dir: Path = ENVS_DIR) -> bool:
    """Whether two compiled copies (by folder name) were built from identical files."""
    stamps = [envs_dir / name / STAMP for name in (first, second)]
    return all(p.exists() for p in stamps) and stamps[0].read_text() == stamps[1].read_text()


def versions(env: PeerEnv) -> dict[str, str]:
    """Installed versions of the distributions the report names, read from the environment."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [str(env.python), "-c", code, *env.report_versions],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    found: dict[str, str] = json.loads(proc.stdout)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.envs [NAME ...]``: create (or check) the environments."""
    names = list(argv if argv is not None else sys.argv[1:]) or None
    for env in ensure_all(names).values():
        print(f"{env.name:<12} {env.path.relative_to(ROOT)}  {versions(env)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
