"""A/B of two copies of the package on the Lambda cold path: spawn to the first answer.

::

    git archive <rev-a> dynamorm_async | tar -x -C /tmp/a    # and the same for /tmp/b
    python -m compileall -q /tmp/a /tmp/b                      # compiled, as deployed
    python -m bench.lambda_ab /tmp/a /tmp/b --runs 15

Each run spawns a fresh interpreter that imports the package from one copy, makes a
``LambdaDB`` at module level in a Lambda-like environment (``auto`` then picks the lean
transport) and invokes its handler once (one GetItem against a loopback server); the copies
alternate in a shuffled order, and the ratio is taken run by run (below 1: the first is faster).

``--importtime`` runs the same handler under ``python -X importtime`` instead, after pydantic is
imported and a model class made (the floor every pydantic handler pays), and prints the
package's modules with their self and cumulative import times (median of ``--runs`` processes
per copy), the largest first.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time

from tests.unit.lean.scripted_server import ThreadedServer

SCRIPT = r"""
import sys
from typing import Annotated
from dynamorm_async import HashKey, Model
from dynamorm_async.aws_lambda import LambdaDB

class Item(Model, table="items"):
    pk: Annotated[str, HashKey()]

db = LambdaDB(models=[Item], endpoint_url=sys.argv[1])

@db.handler
async def handler(event, context):
    return (await db.manager(Item).get("threaded")).pk

class Context:
    aws_request_id = "r-1"
    def get_remaining_time_in_millis(self):
        return 30_000

assert handler({}, Context()) == "threaded"
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"anyio", "botocore"})
import dynamorm_async
print(getattr(db.transport, "http", "?"), heavy, dynamorm_async.__file__)
"""

#: Before the handler under ``--importtime``: what every pydantic handler imports anyway.
PYDANTIC_FLOOR = """
import sys
from pydantic import BaseModel
class Floor(BaseModel):
    x: int
sys.stderr.write("-- floor --\\n")
"""

LAMBDA_ENV = {
    "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKID",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_CONFIG_FILE": os.devnull + ".absent",
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull + ".absent",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="folder holding the first copy's dynamorm_async")
    parser.add_argument("b", help="folder holding the second copy's dynamorm_async")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--importtime", action="store_true", help="import times per module instead")
    args = parser.parse_args()
    if args.importtime:
        import_times({"a": args.a, "b": args.b}, args.runs)
        return
    server = ThreadedServer()
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | LAMBDA_ENV
    roots = {"a": args.a, "b": args.b}
    times: dict[str, list[float]] = {"a": [], "b": []}
    seen: dict[str, str] = {}

    def run(name: str) -> float:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, server.url],
            env={**base, "PYTHONPATH": roots[name]},
            cwd=roots[name],  # ``-c`` puts the working folder first on sys.path: never this checkout
            check=True,
            capture_output=True,
            text=True,
        )
        seen[name] = done.stdout.strip()
        return (time.perf_counter() - start) * 1000

    try:
        for name in roots:
            run(name)  # untimed: bytecode caches, as a deployed function has them
        for _ in range(args.runs):
            for name in random.sample(list(roots), 2):
                times[name].append(run(name))
    finally:
        server.stop()
    ratios = [a / b for a, b in zip(times["a"], times["b"], strict=True)]
    for name in roots:
        print(f"{name}: {roots[name]}: median {statistics.median(times[name]):.1f} ms; {seen[name]}")
    print(f"a / b: median {statistics.median(ratios):.3f} ({min(ratios):.2f}-{max(ratios):.2f})")


def import_times(roots: dict[str, str], runs: int) -> None:
    """Print each copy's package modules: median self and cumulative import time after the floor."""
    server = ThreadedServer()
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | LAMBDA_ENV
    try:
        for name, root in roots.items():
            own: dict[str, list[int]] = {}
            cumulative: dict[str, list[int]] = {}
            totals: list[int] = []
            for run in range(runs + 1):  # the first: bytecode caches
                done = subprocess.run(
                    [sys.executable, "-X", "importtime", "-c", PYDANTIC_FLOOR + SCRIPT, server.url],
                    env={**base, "PYTHONPATH": root},
                    cwd=root,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                if run == 0:
                    continue
                total = 0
                for line in done.stderr.split("-- floor --", 1)[1].splitlines():
                    if not line.startswith("import time:") or "self [us]" in line:
                        continue
                    self_us, cumulative_us, module = line.split(":", 1)[1].split("|")
                    module = module.strip()
                    total += int(self_us)
                    if module.startswith("dynamorm_async"):
                        own.setdefault(module, []).append(int(self_us))
                        cumulative.setdefault(module, []).append(int(cumulative_us))
                totals.append(total)
            print(
                f"{name}: {root}: everything imported after the floor, self: "
                f"{statistics.median(totals) / 1000:.1f} ms"
            )
            for module in sorted(cumulative, key=lambda m: -statistics.median(cumulative[m])):
                print(
                    f"  {statistics.median(own[module]) / 1000:6.2f} self "
                    f"{statistics.median(cumulative[module]) / 1000:6.2f} cumulative  {module}"
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
