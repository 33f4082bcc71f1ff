"""Cost of switching partners: GetItem through cached partner handles vs the plain ``DB``, on moto.

Run with ``python -m bench.accounts_bench`` (``--quick`` for one short repeat, ``--repeats N``,
``--ops N``, ``--partners N``, ``--moto URL`` to use a moto server already running). Without
``--moto`` a moto server (STS + DynamoDB, several accounts) is started in its own process for
the run and stopped after it.

What is compared, against the same server, with the same item, table name and client settings:

* **plain**: ``await db.manager(Item).get(key)`` on one ``DB`` (one account, no partners);
* **partner**: ``async with mdb.partner(p) as db: await db.manager(Item).get(key)``, switching
  to the next of ``--partners`` partners (each in its own account) on every operation, with
  their credentials and clients already cached: the steady state of a warm function;
* **routed**: the same, through one ``mdb.manager(Item)`` made up front (the partner context
  picks the account);
* **same keys by hand**: one plain ``DB`` per partner, each given that partner's current keys
  as static credentials, switching among them by index: what a hand-rolled dict of clients
  would cost. moto's own work differs per account (it maps each access key to its account),
  so ``overhead_ratio`` (partner over this side) is the cost of our partner machinery alone;
* **switch only**: ``async with mdb.partner(p): pass`` alone, no I/O: the bookkeeping a
  switch adds, in microseconds.

Each repeat times plain, partner and routed back to back in rotating order, so they share the
machine's noise; figures are medians over the repeats. ``partner_ratio`` and ``routed_ratio``
are the partner side's time per operation over the plain side's (1.00 = no cost).
:func:`run` returns the figures as a flat ``dict[str, float]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import anyio
from aiobotocore.credentials import AioCredentials

from dynamorm_async import DB, AccountConfig, HashKey, Model, MultiAccountDB, TransportConfig
from dynamorm_async.transport import build_transport

DEFAULT_REPEATS = 7
DEFAULT_OPS = 200
DEFAULT_PARTNERS = 4
SWITCHES = 20_000
REGION = "us-east-1"
DUMMY_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


class BenchItem(Model, table="bench_accounts_items"):
    """One small item, the same table name and key in every account."""

    key: Annotated[str, HashKey()]
    owner: str
    n: int = 0


@contextmanager
def moto_server(url: str | None = None) -> Iterator[str]:
    """The given moto URL, or a moto server started in its own process for the block."""
    if url:
        yield url
        return
    from dynamorm_async.testing.moto_server import moto_server as start_moto

    with start_moto() as started:
        yield started


@contextmanager
def dummy_credentials() -> Iterator[None]:
    """moto accepts any keys; use fixed ones for the run (and hide a real profile), then restore."""
    saved = {name: os.environ.get(name) for name in (*DUMMY_ENVIRONMENT, "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    os.environ.update(DUMMY_ENVIRONMENT)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _partner_accounts(n: int) -> dict[str, AccountConfig]:
    return {
        f"partner-{i}": AccountConfig(
            role_arn=f"arn:aws:iam::{100000000000 + i:012d}:role/bench-data",
            external_id=f"bench-external-{i}",
            region=REGION,
        )
        for i in range(n)
    }


async def _timed(op: Callable[[int], Awaitable[object]], ops: int) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds per operation, over ``ops`` sequential operations."""
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(ops):
        await op(i)
    return (time.perf_counter() - start) / ops, (time.process_time() - cpu) / ops


async def _measure(moto_url: str, repeats: int, ops: int, n_partners: int) -> dict[str, float]:
    accounts = _partner_accounts(n_partners)
    ids = sorted(accounts)
    async with (
        DB(region=REGION, endpoint_url=moto_url) as db,
        MultiAccountDB(accounts, region=REGION, endpoint_url=moto_url, sts_endpoint_url=moto_url) as mdb,
    ):
        plain = db.manager(BenchItem)
        await plain.ensure_table()
        await plain.put(BenchItem(key="k", owner="plain"))
        for partner in ids:
            async with mdb.partner(partner) as pdb:
                items = pdb.manager(BenchItem)
                await items.ensure_table()
                await items.put(BenchItem(key="k", owner=partner))
        routed = mdb.manager(BenchItem)

        async def plain_get(i: int) -> object:
            return await plain.get("k")

        async def partner_get(i: int) -> object:
            partner = ids[i % n_partners]
            async with mdb.partner(partner) as pdb:
                item = await pdb.manager(BenchItem).get("k")
            if item.owner != partner:  # a benchmark of wrong answers would be worthless
                raise AssertionError(f"{partner} read {item.owner}'s item")
            return item

        async def routed_get(i: int) -> object:
            partner = ids[i % n_partners]
            async with mdb.partner(partner):
                item = await routed.get("k")
            if item.owner != partner:
                raise AssertionError(f"{partner} read {item.owner}'s item")
            return item

        by_hand = []
        for partner in ids:
            keys = await mdb.credentials(partner).credentials.get_frozen_credentials()
            credentials = AioCredentials(keys.access_key, keys.secret_key, keys.token)
            config = TransportConfig(region=REGION, endpoint_url=moto_url)
            transport = build_transport(config, credentials=credentials)
            by_hand.append(DB(transport=transport).manager(BenchItem))

        async def by_hand_get(i: int) -> object:
            partner = ids[i % n_partners]
            item = await by_hand[i % n_partners].get("k")
            if item.owner != partner:
                raise AssertionError(f"{partner} read {item.owner}'s item")
            return item

        sides: list[tuple[str, Callable[[int], Awaitable[object]]]] = [
            ("plain", plain_get),
            ("partner", partner_get),
            ("routed", routed_get),
            ("same_keys", by_hand_get),
        ]
        for _, op in sides:  # warm up: clients, credentials, connection pools
            await _timed(op, max(10, 2 * n_partners))
        samples: dict[str, list[float]] = {name: [] for name, _ in sides}
        cpu_samples: dict[str, list[float]] = {name: [] for name, _ in sides}
        for r in range(repeats):
            order = sides[r % len(sides) :] + sides[: r % len(sides)]
            for name, op in order:
                wall, cpu = await _timed(op, ops)
                samples[name].append(wall)
                cpu_samples[name].append(cpu)

        switch_samples = []
        for _ in range(max(3, repeats)):
            start = time.perf_counter()
            for i in range(SWITCHES):
                async with mdb.partner(ids[i % n_partners]):
                    pass
            switch_samples.append((time.perf_counter() - start) / SWITCHES)
        for manager in by_hand:
            await manager.transport.close()

    out = {f"{name}_get_us": statistics.median(values) * 1e6 for name, values in samples.items()}
    out.update({f"{name}_cpu_us": statistics.median(values) * 1e6 for name, values in cpu_samples.items()})
    out["partner_ratio"] = out["partner_get_us"] / out["plain_get_us"]
    out["routed_ratio"] = out["routed_get_us"] / out["plain_get_us"]
    out["overhead_ratio"] = out["partner_get_us"] / out["same_keys_get_us"]
    out["partner_cpu_ratio"] = out["partner_cpu_us"] / out["plain_cpu_us"]
    out["overhead_cpu_ratio"] = out["partner_cpu_us"] / out["same_keys_cpu_us"]
    out["switch_only_us"] = statistics.median(switch_samples) * 1e6
    out["switch_share"] = out["switch_only_us"] / out["plain_get_us"]
    out["partners"] = float(n_partners)
    out["ops"] = float(ops)
    return out


def run(
    repeats: int = DEFAULT_REPEATS,
    ops: int = DEFAULT_OPS,
    partners: int = DEFAULT_PARTNERS,
    *,
    moto_url: str | None = None,
) -> dict[str, float]:
    """Measure and return median µs per GetItem for each side, the ratios and the switch cost.

    Keys: ``<side>_get_us`` (wall time) and ``<side>_cpu_us`` (this process's CPU time: what
    the client side costs, steadier than wall time on a busy machine) for the sides ``plain``,
    ``partner``, ``routed`` and ``same_keys``; ``partner_ratio``, ``routed_ratio`` and
    ``partner_cpu_ratio`` (partner side over plain, lower is better, 1.00 = free);
    ``overhead_ratio`` and ``overhead_cpu_ratio`` (partner side over the same keys by hand);
    ``switch_only_us``; ``switch_share`` (switch cost as a share of one plain GetItem);
    ``partners``; ``ops``.
    """
    if repeats < 1 or ops < 1 or partners < 1:
        raise ValueError("repeats, ops and partners must be at least 1")
    with dummy_credentials(), moto_server(moto_url) as url:
        return anyio.run(_measure, url, repeats, ops, partners)


def format_table(result: dict[str, float]) -> str:
    """The figures from :func:`run` as a small fixed-width table."""
    rows = [
        ("plain DB", "plain"),
        ("partner handle, switching", "partner"),
        ("routed manager, switching", "routed"),
        ("same keys, one DB each, by hand", "same_keys"),
    ]
    lines = [
        f"{'side':<32} {'wall µs/op':>11} {'vs plain':>9} {'CPU µs/op':>10} {'vs plain':>9}",
        f"{'-' * 32} {'-' * 11} {'-' * 9} {'-' * 10} {'-' * 9}",
    ]
    for label, key in rows:
        wall, cpu = result[f"{key}_get_us"], result[f"{key}_cpu_us"]
        lines.append(
            f"{label:<32} {wall:>11,.0f} {wall / result['plain_get_us']:>8.2f}x"
            f" {cpu:>10,.0f} {cpu / result['plain_cpu_us']:>8.2f}x"
        )
    lines.append(f"{'switch alone (no I/O)':<32} {result['switch_only_us']:>11,.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one short repeat (smoke run)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument("--ops", type=int, default=DEFAULT_OPS)
    parser.add_argument("--partners", type=int, default=DEFAULT_PARTNERS)
    parser.add_argument("--moto", default=None, help="URL of a running moto server")
    args = parser.parse_args(argv)
    repeats, ops = (1, 30) if args.quick else (args.repeats, args.ops)
    result = run(repeats=repeats, ops=ops, partners=args.partners, moto_url=args.moto)
    print(
        f"GetItem against moto, {args.partners} partners in their own accounts, {ops} operations per side, "
        f"median of {repeats} repeat(s)"
    )
    print(format_table(result))
    print(
        f"partner switching (cached): {result['partner_ratio']:.2f}x the plain DB per GetItem "
        f"(CPU {result['partner_cpu_ratio']:.2f}x); {result['overhead_ratio']:.2f}x the same partner keys "
        f"used by hand (CPU {result['overhead_cpu_ratio']:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
