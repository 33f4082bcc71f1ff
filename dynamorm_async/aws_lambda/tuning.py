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
* **buffer**: the most :func:`~dynamorm_async.aws_lambda.with_lambda_timeout` keeps by default
  before Lambda's deadline to build and send the answer; a slower CPU needs a wider margin. An
  invocation with little time keeps less (:func:`fit_buffer`): at most a quarter of the time it
  has, never under :data:`MIN_BUFFER`, so a 1 s function still makes its calls.

Lambda allows 128 to 10,240 MB; any other size is refused with
:class:`~dynamorm_async.errors.InvalidInput`, as is a :class:`LambdaTuning` whose fields disagree.

:func:`optimize_for_memory` picks the tier and makes it the process-wide default that
:class:`~dynamorm_async.aws_lambda.LambdaDB` and the timeout scope read, and makes the tier's batch and scan
concurrency the core's defaults (:mod:`dynamorm_async.concurrency`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from ..errors import InvalidInput
from ..transport import TransportConfig
from .env import MAX_MEMORY_MB, MIN_MEMORY_MB, check_memory_mb, get_lambda_memory_mb

logger = logging.getLogger("dynamorm_async.lambda")

#: The tiers' floors in MB, smallest first.
TIER_FLOORS: tuple[int, ...] = (128, 512, 1024, 3008, 10240)


def _floor_of(memory_mb: int) -> int:
    return max(floor for floor in TIER_FLOORS if floor <= memory_mb)


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
        if _floor_of(self.memory_mb) != self.tier:
            raise InvalidInput(
                f"LambdaTuning.tier {self.tier} does not match memory_mb {self.memory_mb} "
                f"(its tier is {_floor_of(self.memory_mb)})"
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
#: The default buffer is at most this share of the time an invocation has at its start.
BUFFER_FRACTION = 0.25
#: ... and never less than this many seconds (to answer at all).
MIN_BUFFER = 0.1

_active: LambdaTuning | None = None


def tuning_for_memory(memory_mb: int) -> LambdaTuning:
    """The tuning for ``memory_mb`` without applying it.

    :raises InvalidInput: ``memory_mb`` is not an int from 128 to 10,240 (what Lambda allows).
    """
    check_memory_mb(memory_mb, "memory_mb")
    floor = _floor_of(memory_mb)
    return replace(next(t for t in TIERS if t.tier == floor), memory_mb=memory_mb)


def optimize_for_memory(memory_mb: int | None = None) -> LambdaTuning:
    """Choose the tuning for ``memory_mb`` (default: this function's configured memory) and apply it.

    Applying makes it the process-wide default: a :class:`~dynamorm_async.aws_lambda.LambdaDB` made
    afterwards without an explicit ``config`` uses its pool and timeouts, and deadline scopes
    opened without an explicit ``buffer`` use its buffer; batch calls and parallel scans that do
    not say otherwise use its concurrency. With no size given and none configured (outside
    Lambda), the 1024 MB tier (about one vCPU) is used.

    :raises InvalidInput: ``memory_mb`` (or the configured size) is not an int from 128 to 10,240.
    """
    global _active
    if memory_mb is None:
        memory_mb = get_lambda_memory_mb() or 1024
    _active = tuning_for_memory(memory_mb)
    apply_concurrency(_active)
    return _active


def apply_concurrency(tuning: LambdaTuning | None) -> None:
    """Make ``tuning``'s batch and scan concurrency the core's defaults (``None``: the core's own)."""
    from .. import concurrency

    if tuning is None:
        concurrency.set_defaults(None)
    else:
        concurrency.set_defaults(
            concurrency.ConcurrencyLimits(batch=tuning.batch_concurrency, scan=tuning.scan_concurrency)
        )


def current_tuning() -> LambdaTuning | None:
    """The tuning applied by :func:`optimize_for_memory`, or ``None`` if none was."""
    return _active


def reset_tuning() -> None:
    """Forget the applied tuning (tests; a process that changes its mind)."""
    global _active
    _active = None
    apply_concurrency(None)


def timeout_buffer() -> float:
    """The default deadline buffer: the applied tuning's, else :data:`DEFAULT_TIMEOUT_BUFFER`."""
    return DEFAULT_TIMEOUT_BUFFER if _active is None else _active.timeout_buffer


def fit_buffer(remaining: float, cap: float) -> float:
    """The default buffer for an invocation that has ``remaining`` seconds at its start.

    ``cap`` (the tier's buffer) when the invocation has time for it; else a quarter of the time
    it has (:data:`BUFFER_FRACTION`), never less than :data:`MIN_BUFFER`. So a short function
    keeps most of its time for work instead of having every call refused.
    """
    return min(cap, max(MIN_BUFFER, BUFFER_FRACTION * max(remaining, 0.0)))


_said: set[str] = set()


def choose_buffer(remaining: float, buffer: float | None, max_buffer: float | None) -> float:
    """The buffer for an invocation with ``remaining`` seconds: ``buffer`` if given, else fitted.

    Says once per process, in the log, when the default buffer was reduced to fit, and when an
    explicit buffer leaves no time at all (every AWS call of that invocation is refused).
    """
    for value in (buffer, max_buffer):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise InvalidInput(f"buffer must be zero or more seconds, not {value!r}")
    if buffer is not None:
        if buffer >= remaining and "explicit" not in _said:
            _said.add("explicit")
            logger.warning(
                "the %gs Lambda deadline buffer is not shorter than the %.3fs this invocation had: "
                "every AWS call is refused; leave the buffer unset to fit it to the function's timeout",
                buffer,
                remaining,
            )
        return float(buffer)
    cap = timeout_buffer() if max_buffer is None else max_buffer
    fitted = fit_buffer(remaining, cap)
    if fitted < cap and "fitted" not in _said:
        _said.add("fitted")
        logger.log(
            logging.WARNING if fitted < cap / 2 else logging.INFO,
            "Lambda deadline buffer reduced from %gs to %.3fs to fit an invocation that had %.3fs "
            "(said once per process)",
            cap,
            fitted,
            remaining,
        )
    return fitted


__all__ = [
    "BUFFER_FRACTION",
    "DEFAULT_TIMEOUT_BUFFER",
    "MAX_MEMORY_MB",
    "MIN_BUFFER",
    "MIN_MEMORY_MB",
    "TIERS",
    "TIER_FLOORS",
    "LambdaTuning",
    "apply_concurrency",
    "choose_buffer",
    "current_tuning",
    "fit_buffer",
    "optimize_for_memory",
    "reset_tuning",
    "timeout_buffer",
    "tuning_for_memory",
]
