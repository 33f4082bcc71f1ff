"""Client tuning by Lambda memory size, in documented tiers.

Lambda gives a function CPU in proportion to its memory: about 1/14 of a vCPU at 128 MB, one
full vCPU at 1,769 MB and six at 10,240 MB. Signing requests and parsing JSON responses cost CPU,
so a small function gains nothing from many connections or many concurrent batch requests (they
only queue for the CPU and hold memory), while a large one is wasted on a narrow pool. The tier is
the largest one whose floor is at or below the configured memory:

=========  ==========  ====  =====  ====  =======  ====  ======
tier (MB)  vCPU        pool  batch  scan  connect  read  buffer
=========  ==========  ====  =====  ====  =======  ====  ======
128        0.07-0.28   8     2      2     1.0 s    3 s   1.5 s
512        0.29-0.57   16    4      4     1.0 s    3 s   1.0 s
1024       0.58-1.70   32    8      8     1.0 s    5 s   1.0 s
3008       1.70-5.79   64    16     16    1.0 s    5 s   0.75 s
10240      5.79-6      128   32     32    1.0 s    5 s   0.5 s
=========  ==========  ====  =====  ====  =======  ====  ======

* **pool**: ``max_pool_connections`` of the aiobotocore client: the most requests in flight at once.
* **batch**: concurrent BatchGetItem/BatchWriteItem requests of one batch call.
* **scan**: parallel-scan segments (and the concurrency reading them).
* **connect / read**: socket timeouts. DynamoDB answers in milliseconds from inside its region, so
  a connection that takes a second is better dropped and retried than waited for; botocore's
  60 s default would let one stuck read eat a whole invocation.
* **buffer**: the default margin :func:`~dynamorm_async.aws_lambda.with_lambda_timeout` keeps
  before Lambda's deadline to build and send the answer; a slower CPU needs a wider margin.

:func:`optimize_for_memory` picks the tier and makes it the process-wide default that
:class:`~dynamorm_async.aws_lambda.LambdaDB` and the timeout scope read; other layers (batch, parallel
scan) may read :func:`current_tuning` too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..transport import TransportConfig
from .env import get_lambda_memory_mb

#: The smallest and largest memory sizes Lambda accepts, in MB.
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10240


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

    def transport_config(self, **options: Any) -> TransportConfig:
        """A :class:`TransportConfig` with this tuning's pool and timeouts; ``options`` override any field."""
        values: dict[str, Any] = {
            "max_pool_connections": self.max_pool_connections,
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
        }
        values.update(options)
        return TransportConfig(**values)


def _tier(floor: int, pool: int, batch: int, scan: int, read: float, buffer: float) -> LambdaTuning:
    return LambdaTuning(
        memory_mb=floor,
        tier=floor,
        max_pool_connections=pool,
        batch_concurrency=batch,
        scan_segments=scan,
        scan_concurrency=scan,
        connect_timeout=1.0,
        read_timeout=read,
        timeout_buffer=buffer,
    )


#: The tiers, smallest first (see the module docstring for the reasoning).
TIERS: tuple[LambdaTuning, ...] = (
    _tier(128, pool=8, batch=2, scan=2, read=3.0, buffer=1.5),
    _tier(512, pool=16, batch=4, scan=4, read=3.0, buffer=1.0),
    _tier(1024, pool=32, batch=8, scan=8, read=5.0, buffer=1.0),
    _tier(3008, pool=64, batch=16, scan=16, read=5.0, buffer=0.75),
    _tier(10240, pool=128, batch=32, scan=32, read=5.0, buffer=0.5),
)

#: The timeout buffer used when no tuning has been applied.
DEFAULT_TIMEOUT_BUFFER = 1.0

_active: LambdaTuning | None = None


def tuning_for_memory(memory_mb: int) -> LambdaTuning:
    """The tuning for ``memory_mb`` without applying it (sizes outside 128-10240 use the end tiers).

    :raises ValueError: ``memory_mb`` is not a positive number.
    """
    if memory_mb <= 0:
        raise ValueError(f"memory size must be a positive number of MB, not {memory_mb!r}")
    chosen = TIERS[0]
    for tier in TIERS:
        if memory_mb >= tier.tier:
            chosen = tier
    return replace(chosen, memory_mb=memory_mb)


def optimize_for_memory(memory_mb: int | None = None) -> LambdaTuning:
    """Choose the tuning for ``memory_mb`` (default: this function's configured memory) and apply it.

    Applying makes it the process-wide default: a :class:`~dynamorm_async.aws_lambda.LambdaDB` made
    afterwards without an explicit ``config`` uses its pool and timeouts, and deadline scopes
    opened without an explicit ``buffer`` use its buffer. With no size given and none configured
    (outside Lambda), the 1024 MB tier (about one vCPU) is used.
    """
    global _active
    if memory_mb is None:
        memory_mb = get_lambda_memory_mb() or 1024
    _active = tuning_for_memory(memory_mb)
    return _active


def current_tuning() -> LambdaTuning | None:
    """The tuning applied by :func:`optimize_for_memory`, or ``None`` if none was."""
    return _active


def reset_tuning() -> None:
    """Forget the applied tuning (tests; a process that changes its mind)."""
    global _active
    _active = None


def timeout_buffer() -> float:
    """The default deadline buffer: the applied tuning's, else :data:`DEFAULT_TIMEOUT_BUFFER`."""
    return DEFAULT_TIMEOUT_BUFFER if _active is None else _active.timeout_buffer


__all__ = [
    "DEFAULT_TIMEOUT_BUFFER",
    "MAX_MEMORY_MB",
    "MIN_MEMORY_MB",
    "TIERS",
    "LambdaTuning",
    "current_tuning",
    "optimize_for_memory",
    "reset_tuning",
    "timeout_buffer",
    "tuning_for_memory",
]
