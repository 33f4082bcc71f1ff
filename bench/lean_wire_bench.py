"""The lean transport against raw aiobotocore and boto3: cold start to a first GetItem answer, and
client CPU per GetItem.

::

    python -m bench.lean_wire_bench                       # starts DynamoDB Local itself
    python -m bench.lean_wire_bench --endpoint URL --rounds 10 --calls 2000 --out figures.json

1. **Cold start**: a fresh interpreter per sample that imports the client library, makes a client
   and answers one GetItem (spawn to answer, measured by the parent), the sides interleaved in
   rotating order over ``--rounds`` rounds, after one untimed run each (bytecode caches).
   ``lean`` imports ``dynamorm_async.transport.lean`` as users would (the package ``__init__`` included);
   ``lean_bare`` skips the package ``__init__``: the transport's own cost.
2. **CPU per GetItem**: ``--calls`` sequential GetItems on one warm client in a fresh process,
   ``time.process_time`` of the client process only (DynamoDB Local runs apart), three rounds.

Read the ratios (same round, sample by sample), not the milliseconds: the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = "lean_wire_bench"
REGION = "us-east-1"

_SETUP = {
    "lean": """
import asyncio
from dynamorm_async.transport.lean import LeanTransport
client = LeanTransport(endpoint_url=ENDPOINT, region="us-east-1")
async def get():
    return await client.call("GetItem", {"TableName": TABLE, "Key": KEY})
""",
    # The transport alone: the package's ``__init__`` (pydantic, the ORM) is skipped, to show what
    # the lean path costs once the package imports lazily.
    "lean_bare": """
import asyncio, importlib.util, sys, types
_spec = importlib.util.find_spec("dynamorm_async")
_pkg = types.ModuleType("dynamorm_async")
_pkg.__path__ = list(_spec.submodule_search_locations)
sys.modules["dynamorm_async"] = _pkg
from dynamorm_async.transport.lean import LeanTransport
client = LeanTransport(endpoint_url=ENDPOINT, region="us-east-1")
async def get():
    return await client.call("GetItem", {"TableName": TABLE, "Key": KEY})
""",
    "aiobotocore": """
import asyncio
from aiobotocore.session import get_session
from aiobotocore.config import AioConfig
state = {}
async def get():
    if "client" not in state:
        cm = get_session().create_client(
            "dynamodb", region_name="us-east-1", endpoint_url=ENDPOINT,
            config=AioConfig(retries={"mode": "standard"}))
        state["cm"] = cm
        state["client"] = await cm.__aenter__()
    return await state["client"].get_item(TableName=TABLE, Key=KEY)
""",
    "boto3": """
import boto3
client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=ENDPOINT)
async def get():
    return client.get_item(TableName=TABLE, Key=KEY)
""",
}

_COLD = """
{setup}
import asyncio
answer = asyncio.run(get())
assert answer["Item"]["pk"]["S"] == "p"
print("ok", flush=True)
"""

_CPU = """
{setup}
import asyncio, json, time
async def run():
    await get()
    start = time.process_time()
    for _ in range({calls}):
        answer = await get()
    spent = time.process_time() - start
    assert answer["Item"]["pk"]["S"] == "p"
    return spent
print(json.dumps(asyncio.run(run()) / {calls}))
"""


def _program(template: str, side: str, endpoint: str, **extra: object) -> str:
    prelude = f"ENDPOINT = {endpoint!r}\nTABLE = {TABLE!r}\nKEY = {{'pk': {{'S': 'p'}}}}\n"
    return prelude + template.format(setup=_SETUP[side], side=side, **extra)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        PYTHONPATH=str(ROOT),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def cold_sample(side: str, endpoint: str) -> float:
    """Seconds from spawning a fresh interpreter to its first GetItem answer."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _program(_COLD, side, endpoint)],
        env=_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or "ok" not in done.stdout:
        raise RuntimeError(f"{side} cold run failed: {done.stderr[-2000:]}")
    return elapsed


def cpu_sample(side: str, endpoint: str, calls: int) -> float:
    """Client CPU seconds per GetItem over ``calls`` sequential calls on a warm client."""
    done = subprocess.run(
        [sys.executable, "-c", _program(_CPU, side, endpoint, calls=calls)],
        env=_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{side} CPU run failed: {done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def seed(endpoint: str) -> None:
    """The table and its one item, written with plain boto3."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )  # not boto3's default session, which would keep its credentials for the whole process
    client = session.client("dynamodb", endpoint_url=endpoint)
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName=TABLE)
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(
        TableName=TABLE,
        Item={"pk": {"S": "p"}, "name": {"S": "Ada"}, "n": {"N": "42"}, "b": {"B": b"\x00\x01"}},
    )


@contextlib.contextmanager
def engine(endpoint: str | None) -> Iterator[str]:
    """The given endpoint, or a DynamoDB Local started for the run."""
    if endpoint:
        yield endpoint
        return
    from dynamorm_async.testing.dynamodb_local import DynamoDBLocal

    with DynamoDBLocal() as server:
        yield server.endpoint_url


def _summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run both measurements and print the ratios; returns every figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--endpoint")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--cpu-rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    sides = list(_SETUP)
    cpu_sides = [s for s in sides if s != "lean_bare"]
    results: dict[str, object] = {}
    with engine(args.endpoint) as endpoint:
        seed(endpoint)
        for side in sides:  # untimed: bytecode caches, page cache
            cold_sample(side, endpoint)
        cold: dict[str, list[float]] = {s: [] for s in sides}
        for round_ in range(args.rounds):
            order = sides[round_ % len(sides) :] + sides[: round_ % len(sides)]
            for side in order:
                cold[side].append(cold_sample(side, endpoint))
        cpu: dict[str, list[float]] = {s: [] for s in cpu_sides}
        for round_ in range(args.cpu_rounds):
            order = cpu_sides[round_ % 3 :] + cpu_sides[: round_ % 3]
            for side in order:
                cpu[side].append(cpu_sample(side, endpoint, args.calls))
    print(f"cold start to first GetItem answer, seconds ({args.rounds} interleaved rounds)")
    for side in sides:
        print(f"  {side:12} {_summary(cold[side])}")
    for mine, other in [(m, o) for m in ("lean", "lean_bare") for o in ("aiobotocore", "boto3")]:
        ratios = [a / b for a, b in zip(cold[mine], cold[other], strict=True)]
        print(f"  {mine} / {other:12} {_summary(ratios)}")
    print(f"client CPU per GetItem, microseconds ({args.calls} sequential calls, {args.cpu_rounds} rounds)")
    for side in cpu_sides:
        print(f"  {side:12} {_summary([v * 1e6 for v in cpu[side]])}")
    for other in ("aiobotocore", "boto3"):
        ratios = [a / b for a, b in zip(cpu["lean"], cpu[other], strict=True)]
        print(f"  lean / {other:12} {_summary(ratios)}")
    results.update(cold=cold, cpu=cpu)
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
