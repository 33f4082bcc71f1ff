"""The example order service (examples/fastapi) run for real: uvicorn in a subprocess on a free
loopback port, against the test run's DynamoDB Local (or, in multi-account mode, against moto
for STS and DynamoDB), called over HTTP with httpx.

The load test's figures are collected in :data:`LOAD_REPORTS` and printed in pytest's terminal
summary, so they show whether or not output capture is on.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import httpx
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = ROOT / "examples" / "fastapi"
TABLE = "fastapi_orders"  # the example's Order table
CURSOR_SECRET = "cursor-secret-for-the-fastapi-tests"
STARTUP_TIMEOUT = 60.0
_RUNNING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What one load test measured."""

    requests: int
    concurrency: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        return (
            f"FastAPI example under load: {self.requests} requests at concurrency {self.concurrency}, "
            f"{self.errors} errors, {self.seconds:.2f} s, {self.per_second:.0f} requests/s "
            f"(latency p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms)"
        )


LOAD_REPORTS: list[LoadReport] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the load test's requests/s at the end of the run."""
    for report in LOAD_REPORTS:
        terminalreporter.write_line(report.line())


def example_environment(endpoint: str) -> dict[str, str]:
    """The environment the example runs in: the test run's dummy AWS settings plus DynamoDB Local."""
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL_DYNAMODB=endpoint,
        CREATE_TABLES="1",
        CURSOR_SECRET=CURSOR_SECRET,
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def orders_table(dynamodb_local: str, boto3_client: DynamoDBClient) -> Iterator[str]:
    """The example's table name; the example creates it at startup, and it is deleted after the run."""
    yield TABLE
    try:
        boto3_client.delete_table(TableName=TABLE)
    except boto3_client.exceptions.ResourceNotFoundException:
        pass


@pytest.fixture(scope="session")
def service_url(
    dynamodb_local: str, orders_table: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of the example app served by uvicorn in a subprocess, on DynamoDB Local."""
    log_path = tmp_path_factory.mktemp("uvicorn") / "uvicorn.log"
    with serve_example(example_environment(dynamodb_local), log_path) as url:
        yield url


@contextmanager
def serve_example(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Run ``uvicorn app:app`` (the example) on a free loopback port; stop it (SIGTERM) afterwards.

    Yields the base URL once the app's startup has finished; on exit checks that the shutdown
    ran and that nothing failed inside the service.
    """
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app:app",
        "--app-dir",
        str(EXAMPLE_DIR),
        "--host",
        "127.0.0.1",
        "--port",
        "0",  # the kernel picks a free port; uvicorn logs which
        "--no-access-log",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield _wait_until_serving(process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log_text = log_path.read_text(errors="replace")
    assert "Application shutdown complete" in log_text, log_text
    assert "Traceback" not in log_text, log_text  # no request failed inside the service


def _wait_until_serving(process: subprocess.Popen[bytes], log_path: Path) -> str:
    """The URL uvicorn serves on, once the app's startup (lifespan) has finished."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        found = _RUNNING.search(text)
        if found:
            return found.group(1)
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"uvicorn did not start within {STARTUP_TIMEOUT:.0f} s:\n{log_path.read_text()}")


@pytest.fixture
async def client(service_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the running service (no proxies from the environment)."""
    import httpx

    async with httpx.AsyncClient(base_url=service_url, trust_env=False, timeout=30.0) as http:
        yield http


# --------------------------------------------------------------------------- several partner accounts

REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class PartnerService:
    """The example in multi-account mode: its URL, moto's, and each partner's account."""

    url: str
    moto_url: str
    accounts: dict[str, dict[str, str]]  # partner id -> AccountConfig fields


@pytest.fixture(scope="session")
def moto_url(aws_test_environment: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server (STS and DynamoDB): credentials from AssumeRole into an account keep it apart."""
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not start:\n{log_path.read_text()}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.fixture(scope="session")
def partner_service(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PartnerService]:
    """The example with PARTNERS set: two partners, each in a fresh account on moto."""
    rnd = random.Random()
    accounts = {
        partner: {
            "role_arn": f"arn:aws:iam::{rnd.randrange(10**11, 10**12):012d}:role/orders",
            "external_id": f"ext-{rnd.getrandbits(64):016x}",
            "region": REGION,
        }
        for partner in ("acme", "globex")
    }
    env = example_environment(moto_url)
    env.update(AWS_ENDPOINT_URL_STS=moto_url, PARTNERS=json.dumps(accounts))
    log_path = tmp_path_factory.mktemp("uvicorn-partners") / "uvicorn.log"
    with serve_example(env, log_path) as url:
        yield PartnerService(url, moto_url, accounts)


def dynamodb_in_account(moto_url: str, account: dict[str, str]) -> DynamoDBClient:
    """A plain boto3 client in the partner's account (on moto), by assuming its role directly."""
    import boto3

    sts = boto3.client("sts", region_name=REGION, endpoint_url=moto_url)
    keys = sts.assume_role(
        RoleArn=account["role_arn"], RoleSessionName="check", ExternalId=account["external_id"]
    )["Credentials"]
    return boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=moto_url,
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
    )
