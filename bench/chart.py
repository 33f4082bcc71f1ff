"""Draw the cold-start and warm-invocation comparison from ``latest.json`` into a PNG.

Run by the benchmark with the interpreter of the ``chart`` environment (matplotlib lives there,
never in the project's own environment): ``python bench/chart.py latest.json latest.png``. It uses
only the standard library and matplotlib, so it runs as a plain script.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _panel(ax: Any, case: dict[str, Any] | None, title: str, labels: dict[str, str], log: bool) -> None:
    ax.set_title(title, fontsize=10)
    figures = (case or {}).get("ms") or {}
    if not figures:
        reason = (case or {}).get("skipped") or (case or {}).get("error") or "not measured"
        ax.text(0.5, 0.5, str(reason)[:80], ha="center", va="center", transform=ax.transAxes, fontsize=8)
        ax.set_axis_off()
        return
    names = list(figures)
    medians = [figures[n]["median"] for n in names]
    lows = [figures[n]["median"] - figures[n]["min"] for n in names]
    highs = [figures[n]["max"] - figures[n]["median"] for n in names]
    # Ours on each transport in red, ours' baseline revision in pink, the peers in grey.
    colors = [
        "#f4a6a6" if n == "ours_before" else "#d62728" if n.startswith("ours") else "#7f7f7f" for n in names
    ]
    y = list(range(len(names)))
    ax.barh(y, medians, xerr=[lows, highs], color=colors, capsize=3, error_kw={"elinewidth": 0.8})
    ax.set_yticks(y, [labels.get(n, n) for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ms (median; whiskers: min and max)", fontsize=8)
    if log:
        ax.set_xscale("log")
    for yi, m in zip(y, medians, strict=True):
        ax.text(m, yi, f" {m:.1f}", va="center", fontsize=7)


def draw(results: dict[str, Any], out: Path) -> None:
    """Write the two-panel chart of ``results`` (the benchmark's JSON) to ``out``."""
    import importlib

    importlib.import_module("matplotlib").use("Agg")  # no display; imported by name: no stubs needed
    plt: Any = importlib.import_module("matplotlib.pyplot")

    cases = results.get("cases", {})
    labels = results.get("meta", {}).get("labels", {})
    fig, (cold, warm) = plt.subplots(2, 1, figsize=(9, 7.5))
    runs = (cases.get("cold_start") or {}).get("settings", {}).get("runs", "?")
    n = (cases.get("warm") or {}).get("settings", {}).get("invocations", "?")
    _panel(
        cold,
        cases.get("cold_start"),
        f"Cold start: spawn to first answer ({runs} fresh processes each)",
        labels,
        False,
    )
    _panel(
        warm,
        cases.get("warm"),
        f"Warm invocation: Lambda duration ({n} invocations each, log scale)",
        labels,
        True,
    )
    fig.suptitle(f"dynamorm_async benchmark, {results.get('meta', {}).get('date', '')}", fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> int:
    """``chart.py RESULTS.json OUT.png``."""
    if len(argv) != 2:
        print("usage: chart.py RESULTS.json OUT.png", file=sys.stderr)
        return 2
    draw(json.loads(Path(argv[0]).read_text()), Path(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
