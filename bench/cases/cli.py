"""What the stand-alone benchmark scripts share: an engine for the run and a side-by-side table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager


@contextmanager
def engine(endpoint: str | None) -> Iterator[str]:
    """``endpoint`` when given, else a DynamoDB Local started for the block."""
    if endpoint is not None:
        yield endpoint
        return
    from dynamorm_async.testing.dynamodb_local import DynamoDBLocal

    with DynamoDBLocal() as server:
        yield server.endpoint_url


def comparison_table(result: Mapping[str, float], prefix: str, rows: Sequence[tuple[str, str]]) -> str:
    """Wall and CPU per side from ``{prefix}_{side}_ms`` / ``_cpu_ms`` figures, with ours/side ratios.

    The first row is ours; ``result["items"]`` gives the items/s column.
    """
    ours_key = rows[0][1]
    ours, ours_cpu = result[f"{prefix}_{ours_key}_ms"], result[f"{prefix}_{ours_key}_cpu_ms"]
    lines = [
        f"{'client':<32} {'wall ms':>9} {'items/s':>9} {'ours/this':>10} {'CPU ms':>8} {'ours/this':>10}",
        f"{'-' * 32} {'-' * 9} {'-' * 9} {'-' * 10} {'-' * 8} {'-' * 10}",
    ]
    for label, key in rows:
        ms, cpu_ms = result[f"{prefix}_{key}_ms"], result[f"{prefix}_{key}_cpu_ms"]
        lines.append(
            f"{label:<32} {ms:>9.1f} {result['items'] / ms * 1000:>9,.0f} {ours / ms:>9.2f}x"
            f" {cpu_ms:>8.1f} {ours_cpu / cpu_ms:>9.2f}x"
        )
    return "\n".join(lines)
