"""A/B of two copies of the package on a batch write's client CPU: each copy in its own processes,
alternating, the ratio taken round by round (below 1: the first copy costs less).

::

    git archive <rev-a> dynamorm_async | tar -x -C /tmp/a     # and the same for /tmp/b
    python -m bench.cpu_ab /tmp/a /tmp/b --case write --rounds 10   # starts DynamoDB Local
    python -m bench.cpu_ab /tmp/a /tmp/b --case stage --rounds 10   # no server needed

Cases, on 1,000 :class:`~bench.cases.model.BenchItem` instances (CPU time of the process, median
of ``--repeats`` calls in each process):

* ``stage``: ``requests.batch_put`` for every item (encoding, size and key checks, staging);
* ``json``: the lean transport's JSON dump of the 40 BatchWriteItem bodies;
* ``write``: ``Manager.batch_write`` of the 1,000 items on the lean transport against DynamoDB
  Local (``--endpoint``, else one is started), everything a batch write costs the client;
* ``offline``: the same batch write with the lean connection pool answering every request
  itself (HTTP 200, nothing unprocessed): all of the client's work but the socket's, so the
  kernel and the server add no noise (no server needed).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import asyncio, gc, statistics, sys, time
from bench.cases.common import REGION, aws_environment, item_values
from bench.cases.model import BenchItem

case, repeats, endpoint = sys.argv[1], int(sys.argv[2]), sys.argv[3]
schema = BenchItem.__dynamorm_schema__
items = [BenchItem(**item_values("batch-ab", i)) for i in range(1000)]


def cpu(work):
    gc.collect()
    start = time.process_time()
    work()
    return time.process_time() - start


def stage():
    from dynamorm_async.requests import batch_put

    return lambda: [batch_put(schema, o, table="t") for o in items]


def dump():
    from dynamorm_async.requests import batch_put
    from dynamorm_async.transport.lean.wire import encode_request

    writes = [batch_put(schema, o, table="t").batch_item() for o in items]
    bodies = [{"RequestItems": {"t": writes[i : i + 25]}} for i in range(0, len(writes), 25)]
    return lambda: [encode_request(b) for b in bodies]


async def write():
    from dynamorm_async import DB

    if case == "offline":
        from dynamorm_async.transport.lean import http

        async def answer(self, data):
            return http.Response(200, {"content-length": "24"}, b'{"UnprocessedItems": {}}', True)

        http.ConnectionPool.request = answer

    async with DB(endpoint_url=endpoint, region=REGION, http="lean") as db:
        manager = db.manager(BenchItem)
        for _ in range(3):
            await manager.batch_write(put=items)
        samples = []
        for _ in range(repeats):
            gc.collect()
            start = time.process_time()
            await manager.batch_write(put=items)
            samples.append(time.process_time() - start)
        return samples


with aws_environment():
    if case in ("write", "offline"):
        samples = asyncio.run(write())
    else:
        work = {"stage": stage, "json": dump}[case]()
        work()
        samples = [cpu(work) for _ in range(repeats)]
import dynamorm_async
print(dynamorm_async.__file__, statistics.median(samples) * 1000)
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("a", help="folder holding the first copy's dynamorm_async")
    parser.add_argument("b", help="folder holding the second copy's dynamorm_async")
    parser.add_argument("--case", choices=("stage", "json", "write", "offline"), default="write")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--endpoint", help="a running DynamoDB Local (case write); else one is started")
    args = parser.parse_args(argv)
    if args.case != "write":
        run(args, "http://127.0.0.1:9" if args.case == "offline" else "")
        return
    from .cases.common import aws_environment, seed

    with aws_environment():
        if args.endpoint:
            seed(args.endpoint)  # the table, if absent (the client's credentials name the database)
            run(args, args.endpoint)
            return
        from dynamorm_async.testing.dynamodb_local import DynamoDBLocal

        with DynamoDBLocal() as server:
            seed(server.endpoint_url)
            run(args, server.endpoint_url)


def run(args: argparse.Namespace, endpoint: str) -> None:
    """Alternate the two copies ``args.rounds`` times and print medians and the per-round ratio."""
    roots = {"a": args.a, "b": args.b}
    got: dict[str, list[float]] = {"a": [], "b": []}
    seen: dict[str, str] = {}
    for _ in range(args.rounds):
        for name in random.sample(list(roots), 2):
            done = subprocess.run(
                [sys.executable, "-c", CHILD, args.case, str(args.repeats), endpoint],
                # the copy first, then this checkout for the bench package; run from the copy's
                # folder so ``-c`` cannot put this checkout's package first
                env={"PYTHONPATH": f"{roots[name]}:{ROOT}", "PATH": "/usr/bin:/bin"},
                cwd=roots[name],
                check=False,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"the {name} copy failed:\n{done.stderr[-2000:]}")
            package, ms = done.stdout.split()
            seen[name] = package
            got[name].append(float(ms))
    ratios = [a / b for a, b in zip(got["a"], got["b"], strict=True)]

    def fmt(xs: list[float]) -> str:
        return f"{statistics.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})"

    for name in roots:
        print(f"{name}: {seen[name]}: {args.case} {fmt(got[name])} ms")
    print(f"a / b: {fmt(ratios)}")


if __name__ == "__main__":
    main()
