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
``HandlerRunner``, ...         :mod:`.runner`: one event loop, cold/warm, debug counters
``is_lambda_environment``, ... :mod:`.env`: environment detection
``optimize_for_memory``, ...   :mod:`.tuning`: memory tiers
``enable_xray_tracing``        :mod:`.xray`: X-Ray subsegments and annotations
``register_snapstart_hooks``   :mod:`.snapstart`: SnapStart hooks
=============================  =======================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .db import LambdaDB
    from .env import get_function_name, get_initialization_type, get_lambda_memory_mb, is_lambda_environment
    from .runner import (
        RUNTIME_STATS,
        HandlerRunner,
        InvocationInfo,
        LambdaHandler,
        RuntimeStats,
        current_invocation,
        default_runner,
        runtime_stats,
    )
    from .snapstart import register_snapstart_hooks
    from .timeout import lambda_deadline, with_lambda_timeout
    from .tuning import LambdaTuning, current_tuning, optimize_for_memory, tuning_for_memory
    from .xray import enable_xray_tracing

_WHERE = {
    "LambdaDB": "db",
    "get_function_name": "env",
    "get_initialization_type": "env",
    "get_lambda_memory_mb": "env",
    "is_lambda_environment": "env",
    "RUNTIME_STATS": "runner",
    "HandlerRunner": "runner",
    "InvocationInfo": "runner",
    "LambdaHandler": "runner",
    "RuntimeStats": "runner",
    "current_invocation": "runner",
    "default_runner": "runner",
    "runtime_stats": "runner",
    "register_snapstart_hooks": "snapstart",
    "lambda_deadline": "timeout",
    "with_lambda_timeout": "timeout",
    "LambdaTuning": "tuning",
    "current_tuning": "tuning",
    "optimize_for_memory": "tuning",
    "tuning_for_memory": "tuning",
    "enable_xray_tracing": "xray",
}

__all__ = [
    "RUNTIME_STATS",
    "HandlerRunner",
    "InvocationInfo",
    "LambdaDB",
    "LambdaHandler",
    "LambdaTuning",
    "RuntimeStats",
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
