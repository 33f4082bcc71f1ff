"""The Lambda-native runtime: ``LambdaDB``, the one-loop handler runner, deadlines, tuning, X-Ray, SnapStart.

::

    from dynamorm_async.aws_lambda import LambdaDB

    db = LambdaDB(models=[Order], warm=True)         # init phase: compile, tune, connect

    @db.handler                                     # one loop for the environment, deadline scope
    async def handler(event, context):
        ...

Every name is imported on first use, so importing this package costs nothing until one is used,
and ``import dynamorm_async`` does not import it at all.

=============================  =======================================================
name                           module
=============================  =======================================================
``LambdaDB``                   :mod:`.db`: the DB made once per environment
``with_lambda_timeout``        :mod:`.timeout`: the deadline scope
``HandlerRunner``, ...         :mod:`.runner`: one event loop; ``runtime_stats()`` debug counters
``is_lambda_environment``, ... :mod:`.env`: environment detection
``optimize_for_memory``, ...   :mod:`.tuning`: memory tiers
``enable_xray_tracing``        :mod:`.xray`: X-Ray subsegments and annotations
``register_snapstart_hooks``   :mod:`.snapstart`: SnapStart hooks
=============================  =======================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .db import LambdaDB
    from .env import get_function_name, get_initialization_type, get_lambda_memory_mb, is_lambda_environment
    from .runner import (
        HandlerRunner,
        InvocationInfo,
        LambdaHandler,
        current_invocation,
        default_runner,
        runtime_stats,
    )
    from .snapstart import register_snapstart_hooks
    from .timeout import lambda_deadline, with_lambda_timeout
    from .tuning import LambdaTuning, current_tuning, optimize_for_memory, tuning_for_memory
    from .xray import enable_xray_tracing

#: Every name is imported on first access; the ``TYPE_CHECKING`` imports mirror this list.
_EXPORTS = {
    ".db": ("LambdaDB",),
    ".env": ("get_function_name", "get_initialization_type", "get_lambda_memory_mb", "is_lambda_environment"),
    ".runner": (
        "HandlerRunner",
        "InvocationInfo",
        "LambdaHandler",
        "current_invocation",
        "default_runner",
        "runtime_stats",
    ),
    ".snapstart": ("register_snapstart_hooks",),
    ".timeout": ("lambda_deadline", "with_lambda_timeout"),
    ".tuning": ("LambdaTuning", "current_tuning", "optimize_for_memory", "tuning_for_memory"),
    ".xray": ("enable_xray_tracing",),
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = [
    "HandlerRunner",
    "InvocationInfo",
    "LambdaDB",
    "LambdaHandler",
    "LambdaTuning",
    "current_invocation",
    "current_tuning",
    "default_runner",
    "enable_xray_tracing",
    "get_function_name",
    "get_initialization_type",
    "get_lambda_memory_mb",
    "is_lambda_environment",
    "lambda_deadline",
    "optimize_for_memory",
    "register_snapstart_hooks",
    "runtime_stats",
    "tuning_for_memory",
    "with_lambda_timeout",
]
