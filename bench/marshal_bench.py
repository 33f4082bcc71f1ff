"""Marshalling throughput: ``dynamorm_async.marshal`` against boto3's Type(De)Serializer.

Run with ``python -m bench.marshal_bench`` (``--quick`` for a single repeat, ``--repeats N``,
``--items N``). Each repeat times ours and boto3's back to back on the same batch, so both share
the machine's noise; the figure reported is the median items per second over the repeats. As in
``timeit``, the cyclic GC is collected before and paused during each timed call (``--gc`` keeps it
running).

:func:`run` returns the figures as a flat ``dict[str, float]`` for a larger benchmark runner.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from dynamorm_async.marshal import deserialize, serialize

DEFAULT_ITEMS = 1000
DEFAULT_REPEATS = 7

_WORDS = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo",
    "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor",
    "whiskey", "xray", "yankee", "zulu",
)  # fmt: skip


def make_items(n: int = DEFAULT_ITEMS, seed: int = 1234) -> list[dict[str, Any]]:
    """A reproducible batch of realistic items of 15 top-level attributes each."""
    rnd = random.Random(seed)
    items: list[dict[str, Any]] = []
    for i in range(n):
        words = rnd.sample(_WORDS, 4)
        items.append(
            {
                "pk": f"USER#{i:08d}",
                "sk": f"PROFILE#{rnd.randrange(10**6):06d}",
                "name": " ".join(words[:2]).title(),
                "email": f"{words[0]}.{words[1]}{i}@example.com",
                "age": rnd.randrange(18, 90),
                "visits": rnd.randrange(10**9),
                "balance": Decimal(rnd.randrange(-(10**8), 10**8)).scaleb(-2),
                "rating": Decimal(str(round(rnd.uniform(0, 5), 3))),
                "active": rnd.random() < 0.8,
                "verified": rnd.random() < 0.5,
                "tags": set(rnd.sample(_WORDS, rnd.randrange(1, 6))),
                "scores": [rnd.randrange(1000) for _ in range(rnd.randrange(3, 9))],
                "address": {
                    "street": f"{rnd.randrange(1, 999)} {words[2].title()} Street",
                    "city": words[3].title(),
                    "zip": f"{rnd.randrange(10**5):05d}",
                    "geo": {"lat": Decimal("51.5072"), "lon": Decimal("-0.1276")},
                },
                "prefs": {
                    "theme": rnd.choice(["dark", "light"]),
                    "notify": rnd.random() < 0.5,
                    "limits": {"daily": rnd.randrange(100), "monthly": rnd.randrange(3000)},
                    "nickname": None,
                },
                "history": [
                    {"at": f"2024-01-{d + 1:02d}T12:00:00+00:00", "amount": Decimal(rnd.randrange(10**4))}
                    for d in range(rnd.randrange(1, 4))
                ],
            }
        )
    return items


def _ours_ser(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: serialize(v) for k, v in item.items()} for item in items]


def _ours_de(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: deserialize(v) for k, v in item.items()} for item in items]


def _boto_ser(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ser = TypeSerializer().serialize
    return [{k: ser(v) for k, v in item.items()} for item in items]


def _boto_de(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    de = TypeDeserializer().deserialize
    return [{k: de(v) for k, v in item.items()} for item in items]


def _time(fn: Callable[[list[dict[str, Any]]], object], items: list[dict[str, Any]], keep_gc: bool) -> float:
    """Seconds for one call; like ``timeit``, the cyclic GC is off during the call unless kept."""
    gc.collect()
    was_enabled = gc.isenabled()
    if not keep_gc:
        gc.disable()
    try:
        start = time.perf_counter()
        result = fn(items)
        elapsed = time.perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()
    del result
    return elapsed


def run(
    repeats: int = DEFAULT_REPEATS, n_items: int = DEFAULT_ITEMS, *, keep_gc: bool = False
) -> dict[str, float]:
    """Time both directions and return median items/s and the speed-up ratios.

    Keys: ``serialize_ours``, ``serialize_boto3``, ``serialize_ratio``, ``deserialize_ours``,
    ``deserialize_boto3``, ``deserialize_ratio`` (ratio = ours / boto3, higher is better) and
    ``items``.

    By default the cyclic garbage collector is paused during each timed call, as ``timeit``
    does: both sides build the very same output containers, so collections triggered by those
    allocations cost both sides the same absolute time and only blur the comparison. Pass
    ``keep_gc=True`` to time with it running.
    """
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    items = make_items(n_items)
    wire = _boto_ser(items)
    if _ours_ser(items) != wire:  # a benchmark of wrong output would be worthless
        raise AssertionError("our serialize disagrees with boto3 on the benchmark batch")
    # Warm up both sides once (imports, caches, allocator).
    _ours_ser(items), _boto_ser(items), _ours_de(wire), _boto_de(wire)

    samples: dict[str, list[float]] = {
        "serialize_ours": [],
        "serialize_boto3": [],
        "deserialize_ours": [],
        "deserialize_boto3": [],
    }
    for i in range(repeats):
        # Alternate which side goes first so neither always gets the warmer cache.
        pairs: list[tuple[str, Callable[[list[dict[str, Any]]], object], list[dict[str, Any]]]] = [
            ("serialize_ours", _ours_ser, items),
            ("serialize_boto3", _boto_ser, items),
            ("deserialize_ours", _ours_de, wire),
            ("deserialize_boto3", _boto_de, wire),
        ]
        if i % 2:
            pairs = [pairs[1], pairs[0], pairs[3], pairs[2]]
        for name, fn, batch in pairs:
            samples[name].append(n_items / _time(fn, batch, keep_gc))

    out = {name: statistics.median(values) for name, values in samples.items()}
    out["serialize_ratio"] = out["serialize_ours"] / out["serialize_boto3"]
    out["deserialize_ratio"] = out["deserialize_ours"] / out["deserialize_boto3"]
    out["items"] = float(n_items)
    return out


def format_table(result: Mapping[str, float]) -> str:
    """The figures from :func:`run` as a small fixed-width table."""
    lines = [
        f"{'direction':<12} {'ours items/s':>14} {'boto3 items/s':>14} {'speed-up':>9}",
        f"{'-' * 12} {'-' * 14} {'-' * 14} {'-' * 9}",
    ]
    for direction in ("serialize", "deserialize"):
        lines.append(
            f"{direction:<12} {result[direction + '_ours']:>14,.0f} {result[direction + '_boto3']:>14,.0f}"
            f" {result[direction + '_ratio']:>8.2f}x"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one repeat (smoke run)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS)
    parser.add_argument("--gc", action="store_true", help="keep the cyclic GC running while timing")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    result = run(repeats=repeats, n_items=args.items, keep_gc=args.gc)
    gc_note = "GC on" if args.gc else "GC paused while timing"
    print(f"{int(result['items'])} items x 15 attributes, median of {repeats} repeat(s), {gc_note}")
    print(format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
