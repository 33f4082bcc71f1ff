"""The :class:`LambdaTuning` value class and its :data:`TIERS` (see :mod:`.tuning`).

Apart from :mod:`.tuning` so that a ``LambdaDB`` made in Lambda's init phase, which only needs
the tier's numbers (:mod:`.tiers`), does not build the dataclass; it loads when a
tuning is asked for (``LambdaDB.tuning``, :func:`~.tuning.tuning_for_memory`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from .env import check_memory_mb
from .tiers import CONNECT_TIMEOUT, TIER_FLOORS, TIER_VALUES, floor_of, tier_transport_config

if TYPE_CHECKING:
    from ..transport import TransportConfig


@dataclass(frozen=True, slots=True)
class LambdaTuning:
    """Connection pool, concurrency, timeouts and deadline buffer chosen for a memory size."""

    #: The memory size this tuning was chosen for, in MB.
    memory_mb: int
    #: The tier's floor in MB (128, 512, 1024, 3008 or 10240).
    tier: int
    max_pool_connections: int
    batch_concurrency: int
    scan_segments: int
    scan_concurrency: int
    connect_timeout: float
    read_timeout: float
    timeout_buffer: float

    def __post_init__(self) -> None:
        check_memory_mb(self.memory_mb, "LambdaTuning.memory_mb")
        if self.tier not in TIER_FLOORS:
            raise InvalidInput(f"LambdaTuning.tier must be one of {TIER_FLOORS}, not {self.tier!r}")
        if floor_of(self.memory_mb) != self.tier:
            raise InvalidInput(
                f"LambdaTuning.tier {self.tier} does not match memory_mb {self.memory_mb} "
                f"(its tier is {floor_of(self.memory_mb)})"
            )
        for name in ("max_pool_connections", "batch_concurrency", "scan_segments", "scan_concurrency"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInput(f"LambdaTuning.{name} must be a positive int, not {value!r}")
        if self.scan_concurrency > self.scan_segments:
            raise InvalidInput("LambdaTuning.scan_concurrency cannot exceed scan_segments")
        if max(self.batch_concurrency, self.scan_concurrency) > self.max_pool_connections:
            raise InvalidInput(
                "LambdaTuning.batch_concurrency and scan_concurrency cannot exceed max_pool_connections "
                "(requests beyond the pool only queue for a connection)"
            )
        for name in ("connect_timeout", "read_timeout", "timeout_buffer"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 900:
                raise InvalidInput(f"LambdaTuning.{name} must be seconds between 0 and 900, not {value!r}")
        if self.connect_timeout == 0 or self.read_timeout == 0:
            raise InvalidInput("LambdaTuning.connect_timeout and read_timeout must be more than 0")

    def transport_config(self, **options: Any) -> TransportConfig:
        """A :class:`TransportConfig` with this tuning's pool and timeouts; ``options`` override any field."""
        return tier_transport_config(
            self.max_pool_connections, self.connect_timeout, self.read_timeout, **options
        )


def _tier(floor: int, pool: int, batch: int, scan: int, read: float, buffer: float) -> LambdaTuning:
    return LambdaTuning(
        memory_mb=floor,
        tier=floor,
        max_pool_connections=pool,
        batch_concurrency=batch,
        scan_segments=scan,
        scan_concurrency=scan,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read,
        timeout_buffer=buffer,
    )


#: The tiers, smallest first (see :mod:`.tuning`'s docstring for the reasoning).
TIERS: tuple[LambdaTuning, ...] = tuple(_tier(floor, *values) for floor, values in TIER_VALUES.items())


__all__ = ["TIERS", "LambdaTuning"]
