"""Where are we running? Lambda environment detection from the variables the Lambda runtime sets.

Only the standard library is used, so these can be called at module level in a handler file at no
cost. Every function takes an optional ``environ`` mapping (``os.environ`` by default), which keeps
them pure for tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

#: ``AWS_LAMBDA_INITIALIZATION_TYPE`` values documented by AWS. Lambda Managed Instances adds
#: ``lambda-managed-instances``; any other value is passed through as it is.
ON_DEMAND: Final = "on-demand"
PROVISIONED_CONCURRENCY: Final = "provisioned-concurrency"
SNAP_START: Final = "snap-start"


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def is_lambda_environment(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process is a Lambda execution environment (or a faithful local copy of one).

    True when the Runtime API address is set (every Lambda runtime, including ``awslambdaric``
    run by hand or by SAM) or when ``AWS_EXECUTION_ENV`` names a Lambda runtime.
    """
    env = _env(environ)
    if env.get("AWS_LAMBDA_RUNTIME_API"):
        return True
    return env.get("AWS_EXECUTION_ENV", "").startswith("AWS_Lambda_")


def get_lambda_memory_mb(environ: Mapping[str, str] | None = None) -> int | None:
    """The function's configured memory in MB (``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``), or ``None``.

    A missing, empty or non-numeric value gives ``None`` rather than an error: tuning must never
    stop a function from starting.
    """
    raw = _env(environ).get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "").strip()
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value > 0 else None


def get_initialization_type(environ: Mapping[str, str] | None = None) -> str | None:
    """How this environment was initialised: ``"on-demand"``, ``"provisioned-concurrency"``, ``"snap-start"``.

    ``None`` outside Lambda or when the runtime did not say.
    """
    value = _env(environ).get("AWS_LAMBDA_INITIALIZATION_TYPE", "").strip()
    return value or None


def get_function_name(environ: Mapping[str, str] | None = None) -> str | None:
    """The function's name (``AWS_LAMBDA_FUNCTION_NAME``), or ``None`` outside Lambda."""
    return _env(environ).get("AWS_LAMBDA_FUNCTION_NAME") or None


__all__ = [
    "ON_DEMAND",
    "PROVISIONED_CONCURRENCY",
    "SNAP_START",
    "get_function_name",
    "get_initialization_type",
    "get_lambda_memory_mb",
    "is_lambda_environment",
]
