"""The tiers' numbers (see :mod:`.tuning` for what they mean): all a ``LambdaDB`` made in Lambda's
init phase needs, without the :class:`~.lambda_tuning.LambdaTuning` dataclass."""

from __future__ import annotations

from typing import Any

from ..transport import TransportConfig
from .env import check_memory_mb

#: The tiers' floors in MB, smallest first.
TIER_FLOORS: tuple[int, ...] = (128, 512, 1024, 3008, 10240)


def floor_of(memory_mb: int) -> int:
    """The floor of ``memory_mb``'s tier: the largest floor at or below it."""
    return max(floor for floor in TIER_FLOORS if floor <= memory_mb)


#: Per tier floor: connection pool, batch concurrency, scan segments (and concurrency), read
#: timeout, deadline buffer. The connect timeout is :data:`CONNECT_TIMEOUT` in every tier.
TIER_VALUES: dict[int, tuple[int, int, int, float, float]] = {
    128: (8, 2, 2, 3.0, 1.5),
    512: (16, 4, 4, 3.0, 1.0),
    1024: (32, 8, 8, 5.0, 1.0),
    3008: (64, 16, 16, 5.0, 0.75),
    10240: (128, 32, 32, 5.0, 0.5),
}
CONNECT_TIMEOUT = 1.0


def tier_values(memory_mb: int) -> tuple[int, int, int, float, float]:
    """The :data:`TIER_VALUES` row for ``memory_mb`` (checked as :func:`tuning_for_memory` checks it)."""
    return TIER_VALUES[floor_of(check_memory_mb(memory_mb, "memory_mb"))]


def tier_transport_config(pool: int, connect: float, read: float, **options: Any) -> TransportConfig:
    """A :class:`TransportConfig` with this pool and these timeouts; ``options`` override any field."""
    values: dict[str, Any] = {"max_pool_connections": pool, "connect_timeout": connect, "read_timeout": read}
    values.update(options)
    return TransportConfig(**values)


__all__ = [
    "CONNECT_TIMEOUT",
    "TIER_FLOORS",
    "TIER_VALUES",
    "floor_of",
    "tier_transport_config",
    "tier_values",
]
