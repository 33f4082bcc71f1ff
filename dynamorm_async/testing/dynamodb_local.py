"""Embedded DynamoDB Local: install it once into a user cache, start it on a free port, stop it.

Used by the test suite, the demo and the benchmarks so that every run talks to a real DynamoDB
engine (AWS's own DynamoDB Local jar) instead of a mock, without Docker and without touching AWS.

AWS publishes DynamoDB Local as a tarball on its own download site; the same jar is also shipped
inside the npm package ``amplify-dynamodb-simulator``, and the npm registry is often the only
package source a CI machine can reach.  We ``npm pack`` that package (one ~55 MB tarball, no
dependency install), check it against a pinned hash and extract only its ``emulator/`` folder.

Cache location: ``$DYNAMORM_CACHE_DIR/dynamodb-local/<version>/`` if ``DYNAMORM_CACHE_DIR`` is set,
else ``${XDG_CACHE_HOME:-~/.cache}/dynamorm_async/dynamodb-local/<version>/``.

This module only uses the standard library, so importing it is cheap.  Command line::

    python -m dynamorm_async.testing.dynamodb_local install   # download into the cache, print the path
    python -m dynamorm_async.testing.dynamodb_local run       # start, print the endpoint, wait for Ctrl-C
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType, TracebackType

__all__ = [
    "DYNAMODB_LOCAL_VERSION",
    "SIMULATOR_PACKAGE",
    "SIMULATOR_VERSION",
    "DynamoDBLocal",
    "cache_root",
    "ensure_installed",
    "install_dir",
    "main",
]

SIMULATOR_PACKAGE = "amplify-dynamodb-simulator"
"""npm package that bundles AWS's DynamoDB Local jar."""

SIMULATOR_VERSION = "2.9.30"
"""Pinned version of :data:`SIMULATOR_PACKAGE`."""

SIMULATOR_INTEGRITY = (
    "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
)
"""npm ``dist.integrity`` of the pinned tarball: we refuse to install anything else."""

DYNAMODB_LOCAL_VERSION = "1.25.1"
"""Version of the DynamoDB Local jar inside the pinned npm package (informational)."""

JAR_NAME = "DynamoDBLocal.jar"
LIB_DIR_NAME = "DynamoDBLocal_lib"
_MARKER_NAME = ".dynamorm-installed"
_TARBALL_PREFIX = "package/emulator/"

JAVA_HINT = (
    "Java 17+ is needed to run DynamoDB Local: install a JRE, e.g. "
    "`apt-get install openjdk-17-jre-headless` (Debian/Ubuntu) or `brew install openjdk@17` (macOS), "
    "or set JAVA_HOME"
)
NPM_HINT = (
    "npm is needed once to download DynamoDB Local (npm package "
    f"{SIMULATOR_PACKAGE}@{SIMULATOR_VERSION}): install Node.js with npm, e.g. "
    "`apt-get install npm` (Debian/Ubuntu) or `brew install node` (macOS)"
)

# DynamoDB Local (v1) keeps one database per access key + region; the request used to probe
# readiness only needs an Authorization header that *looks* like SigV4 (it is not verified).
_PROBE_HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=probe/20200101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-target, Signature=0"
    ),
}


def cache_root() -> Path:
    """Root of this project's user cache (outside the repository, shared by all checkouts)."""
    override = os.environ.get("DYNAMORM_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "dynamorm_async"


def install_dir() -> Path:
    """Folder holding ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib/`` once installed."""
    return cache_root() / "dynamodb-local" / SIMULATOR_VERSION


def _is_installed(path: Path) -> bool:
    return (path / _MARKER_NAME).is_file() and (path / JAR_NAME).is_file() and (path / LIB_DIR_NAME).is_dir()


def ensure_installed() -> Path:
    """Return the DynamoDB Local folder, downloading it first if the cache does not have it.

    Safe when several processes race (an ``fcntl`` lock serialises installers) and atomic (the
    files are extracted into a temporary folder that is renamed into place), so an interrupted
    download never leaves a half-installed cache behind.  A cached install needs no network.
    """
    target = install_dir()
    if _is_installed(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        try:
            if _is_installed(target):  # another process finished while we waited for the lock
                return target
            # Scratch folders left by a killed installer (we hold the lock, so none is in use).
            for stale in target.parent.glob(f".{target.name}-*"):
                shutil.rmtree(stale, ignore_errors=True)
            _install_into(target)
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
    return target


def _install_into(target: Path) -> None:
    """Download, verify and extract the emulator into ``target`` (caller holds the lock)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(NPM_HINT)
    spec = f"{SIMULATOR_PACKAGE}@{SIMULATOR_VERSION}"
    with tempfile.TemporaryDirectory(prefix=f".{target.name}-", dir=target.parent) as tmp_name:
        tmp = Path(tmp_name)
        download = tmp / "download"
        download.mkdir()
        try:
            proc = subprocess.run(
                [npm, "pack", spec, "--ignore-scripts", "--pack-destination", str(download)],
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"`npm pack {spec}` did not finish within {exc.timeout:.0f} s") from exc
        tarballs = sorted(download.glob("*.tgz"))
        if proc.returncode != 0 or len(tarballs) != 1:
            output = (proc.stdout + proc.stderr).strip()
            raise RuntimeError(
                f"`npm pack {spec}` failed (exit code {proc.returncode}); is the npm registry "
                f"reachable?\n{_tail(output)}"
            )
        tarball = tarballs[0]
        _verify_integrity(tarball)

        extracted = tmp / "extracted"
        _extract_emulator(tarball, extracted)
        if not _has_payload(extracted):
            raise RuntimeError(f"{spec} does not contain {_TARBALL_PREFIX}{JAR_NAME} as expected")
        (extracted / _MARKER_NAME).write_text(
            json.dumps({"package": spec, "dynamodb_local": DYNAMODB_LOCAL_VERSION}) + "\n"
        )
        if target.exists():  # leftover from a manual edit or an older layout: replace it
            shutil.rmtree(target)
        os.replace(extracted, target)


def _has_payload(path: Path) -> bool:
    return (path / JAR_NAME).is_file() and (path / LIB_DIR_NAME).is_dir()


def _verify_integrity(tarball: Path) -> None:
    """Check the tarball against the pinned npm ``sha512-...`` integrity string."""
    algorithm, _, expected = SIMULATOR_INTEGRITY.partition("-")
    digest = hashlib.new(algorithm)
    with tarball.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    actual = base64.b64encode(digest.digest()).decode("ascii")
    if actual != expected:
        raise RuntimeError(
            f"{tarball.name} failed its integrity check: expected {SIMULATOR_INTEGRITY}, "
            f"got {algorithm}-{actual}"
        )


def _extract_emulator(tarball: Path, dest: Path) -> None:
    """Extract only ``package/emulator/**`` from the npm tarball into ``dest`` (prefix stripped)."""
    dest.mkdir()
    with tarfile.open(tarball, "r:gz") as archive:
        members: list[tarfile.TarInfo] = []
        for member in archive.getmembers():
            if not member.name.startswith(_TARBALL_PREFIX) or not (member.isfile() or member.isdir()):
                continue
            relative = member.name[len(_TARBALL_PREFIX) :]
            if not relative or relative.startswith("/") or ".." in Path(relative).parts:
                continue
            member.name = relative
            members.append(member)
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: also refuses odd modes and links
            archive.extractall(dest, members=members, filter="data")
        else:  # pragma: no cover - older 3.11 patch releases; members were vetted above
            archive.extractall(dest, members=members)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _find_java() -> str:
    """Locate ``java``: ``$JAVA_HOME/bin/java`` first, then ``PATH``."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(JAVA_HINT)
    return java


def _free_port() -> int:
    """A TCP port that is free right now on all interfaces (DynamoDB Local binds the wildcard)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` making Linux send SIGTERM to the JVM when this process dies.

    Avoids orphaned JVMs when the test run is killed without a chance to clean up.  Only used
    from the main thread: Linux sends the signal when the *thread* that forked exits.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def set_parent_death_signal() -> None:
        prctl(ctypes.c_int(pr_set_pdeathsig), ctypes.c_ulong(signal.SIGTERM))

    return set_parent_death_signal


def _port_is_free(port: int) -> bool:
    """Whether ``port`` can be bound on all interfaces (what DynamoDB Local is about to do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Jetty does
        try:
            sock.bind(("", port))
        except OSError:
            return False
        return True


class DynamoDBLocal:
    """One DynamoDB Local process (in memory, one database per access key + region).

    Usage::

        with DynamoDBLocal() as ddb:
            client = boto3.client("dynamodb", endpoint_url=ddb.endpoint_url, ...)

    DynamoDB Local 1.x has no option to choose the listen address: it listens on all
    interfaces, while clients should use :attr:`endpoint_url` (``127.0.0.1``).
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        startup_timeout: float = 60.0,
        stop_timeout: float = 10.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        """Configure (not start) an instance.

        ``port=None`` picks a free port at :meth:`start`; ``extra_args`` are appended to the
        DynamoDB Local command line (e.g. ``["-delayTransientStatuses"]``).
        """
        self._requested_port = port
        self._port: int | None = None
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.extra_args = tuple(extra_args)
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._log_path: Path | None = None

    @property
    def port(self) -> int:
        """The TCP port DynamoDB Local listens on (only known once started, unless given)."""
        if self._port is not None:
            return self._port
        if self._requested_port is not None:
            return self._requested_port
        raise RuntimeError("DynamoDBLocal has not been started yet: its port is not chosen")

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``, to pass as ``endpoint_url`` to boto3/aiobotocore."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the Java process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> DynamoDBLocal:
        """Install if needed, launch Java, and block until the engine answers ``ListTables``."""
        if self._process is not None:
            raise RuntimeError("DynamoDBLocal is already started")
        java = _find_java()
        home = ensure_installed()
        attempts = 1 if self._requested_port is not None else 3
        for attempt in range(1, attempts + 1):
            port = self._requested_port if self._requested_port is not None else _free_port()
            if not _port_is_free(port):  # else the readiness probe could reach the other server
                raise RuntimeError(f"cannot start DynamoDB Local: port {port} is already in use")
            try:
                self._launch(java, home, port)
                self._wait_until_ready()
                atexit.register(self.stop)  # no orphaned JVM if the caller forgets stop()
                return self
            except _PortTaken:
                self.stop()
                if attempt == attempts:
                    raise RuntimeError(
                        f"DynamoDB Local could not listen on port {port}: address already in use"
                    ) from None
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _launch(self, java: str, home: Path, port: int) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="dynamodb-local-")
        workdir = Path(self._workdir.name)
        self._log_path = workdir / "dynamodb-local.log"
        command = [
            java,
            f"-Djava.library.path={home / LIB_DIR_NAME}",
            "-jar",
            str(home / JAR_NAME),
            "-inMemory",
            "-disableTelemetry",
            "-port",
            str(port),
            *self.extra_args,
        ]
        with self._log_path.open("wb") as log:
            # cwd is a scratch folder so nothing is ever written into the caller's directory.
            self._process = subprocess.Popen(
                command,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(),  # only calls prctl(2) in the child
            )
        self._port = port

    def output_tail(self, lines: int = 40) -> str:
        """Last lines of the Java process's combined stdout/stderr (for error messages)."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return _tail(self._log_path.read_text(errors="replace"), lines)

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
        last_error = "no answer yet"
        while True:
            # On a bind failure Jetty logs it but the JVM keeps running, so watch the output too.
            output = self.output_tail()
            if "Failed to bind" in output or "BindException" in output:
                raise _PortTaken
            code = self._process.poll()
            if code is not None:
                raise RuntimeError(
                    f"DynamoDB Local exited with code {code} during startup. Its output:\n{output}"
                )
            request = urllib.request.Request(
                self.endpoint_url, data=b"{}", headers=_PROBE_HEADERS, method="POST"
            )
            try:
                with opener.open(request, timeout=2) as response:
                    body = json.loads(response.read())
                if isinstance(body, dict) and "TableNames" in body:
                    return
                last_error = f"unexpected ListTables answer: {body!r}"
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}: {exc.read()[:300]!r}"
            except (OSError, ValueError) as exc:
                last_error = repr(exc)
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"DynamoDB Local did not answer on {self.endpoint_url} within "
                    f"{self.startup_timeout:.0f} s (last probe: {last_error}). Its output:\n"
                    f"{self.output_tail()}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after ``stop_timeout``); idempotent."""
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        self._log_path = None
        self._port = None

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running at {self.endpoint_url}" if self.running else "stopped"
        return f"<DynamoDBLocal {DYNAMODB_LOCAL_VERSION} {state}>"


class _PortTaken(Exception):
    """The chosen port was grabbed by someone else between probing and binding."""


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``install`` (prints the install folder) or ``run`` (serves until Ctrl-C)."""
    parser = argparse.ArgumentParser(
        prog="python -m dynamorm_async.testing.dynamodb_local",
        description="Install or run the embedded DynamoDB Local used by the tests, demo and benchmarks.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="download DynamoDB Local into the cache (once) and print its folder")
    run = commands.add_parser("run", help="start DynamoDB Local and print its endpoint until Ctrl-C")
    run.add_argument("--port", type=int, default=None, help="port to listen on (default: a free one)")
    args = parser.parse_args(argv)

    # Ctrl-C and `kill` both stop the JVM cleanly (SIGINT may be ignored in background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        if args.command == "install":
            print(ensure_installed())
            return 0
        with DynamoDBLocal(port=args.port) as server, contextlib.suppress(KeyboardInterrupt):
            print(server.endpoint_url, flush=True)
            print(
                "DynamoDB Local is running in memory; use any access key/region (tables are "
                "separated per key + region). Press Ctrl-C to stop.",
                file=sys.stderr,
                flush=True,
            )
            while server.running:
                time.sleep(0.5)
            print(f"DynamoDB Local stopped unexpectedly:\n{server.output_tail()}", file=sys.stderr)
            return 1
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
