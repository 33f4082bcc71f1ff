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
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from .env import MAX_MEMORY_MB, MIN_MEMORY_MB, check_memory_mb, get_lambda_memory_mb
from .tiers import (
    CONNECT_TIMEOUT,
    TIER_FLOORS,
    TIER_VALUES,
    floor_of,
    tier_transport_config,
    tier_values,
)

if TYPE_CHECKING:
    from .lambda_tuning import TIERS, LambdaTuning

logger = logging.getLogger("dynamorm_async.lambda")

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
    from dataclasses import replace

    from .lambda_tuning import TIERS  # the dataclass loads on first use: LambdaDB() reads TIER_VALUES

    check_memory_mb(memory_mb, "memory_mb")
    floor = floor_of(memory_mb)
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
    if tuning is None:
        set_concurrency(None)
    else:
        set_concurrency((tuning.batch_concurrency, tuning.scan_concurrency))


def set_concurrency(batch_and_scan: tuple[int, int] | None) -> None:
    """Make these batch and scan concurrency the core's defaults (``None``: the core's own)."""
    from .. import concurrency

    if batch_and_scan is None:
        concurrency.set_defaults(None)
    else:
        batch, scan = batch_and_scan
        concurrency.set_defaults(concurrency.ConcurrencyLimits(batch=batch, scan=scan))


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


def __getattr__(name: str) -> Any:
    """``LambdaTuning`` and ``TIERS`` live in :mod:`.lambda_tuning`, loaded on first use."""
    if name in ("LambdaTuning", "TIERS"):
        from . import lambda_tuning

        return getattr(lambda_tuning, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUFFER_FRACTION",
    "CONNECT_TIMEOUT",
    "DEFAULT_TIMEOUT_BUFFER",
    "MAX_MEMORY_MB",
    "MIN_BUFFER",
    "MIN_MEMORY_MB",
    "TIERS",
    "TIER_FLOORS",
    "TIER_VALUES",
    "LambdaTuning",
    "apply_concurrency",
    "choose_buffer",
    "current_tuning",
    "fit_buffer",
    "optimize_for_memory",
    "reset_tuning",
    "set_concurrency",
    "tier_transport_config",
    "tier_values",
    "timeout_buffer",
    "tuning_for_memory",
]
