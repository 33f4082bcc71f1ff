"""A moto server in a process of its own, for tests and benchmarks that need STS or several accounts.

DynamoDB Local cannot do AssumeRole or keep accounts apart; moto's server mode can. A process of
its own lets moto run beside the client instead of sharing its interpreter lock.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def moto_server(*, start_timeout: float = 60.0) -> Iterator[str]:
    """Start ``python -m moto.server`` on a free loopback port; yield its URL; stop it afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start (is moto[server] installed?)") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


__all__ = ["moto_server"]
