"""Where are we running? Lambda environment detection from the variables the Lambda runtime sets.

Only the standard library is used, so these can be called at module level in a handler file at no
cost. Every function takes an optional ``environ`` mapping (``os.environ`` by default), which keeps
them pure for tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from ..errors import InvalidInput

#: ``AWS_LAMBDA_INITIALIZATION_TYPE`` values documented by AWS. Lambda Managed Instances adds
#: ``lambda-managed-instances``; any other value is passed through as it is.
ON_DEMAND: Final = "on-demand"
PROVISIONED_CONCURRENCY: Final = "provisioned-concurrency"
SNAP_START: Final = "snap-start"

#: The smallest and largest memory sizes Lambda accepts, in MB.
MIN_MEMORY_MB: Final = 128
MAX_MEMORY_MB: Final = 10240


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


def check_memory_mb(value: object, what: str) -> int:
    """``value`` if it is a memory size Lambda can have (an int from 128 to 10,240 MB).

    :raises InvalidInput: anything else (``bool`` and ``float`` included), naming ``what``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            f"{what} must be an int number of MB ({MIN_MEMORY_MB} to {MAX_MEMORY_MB}), "
            f"not {type(value).__name__} {value!r}"
        )
    if not MIN_MEMORY_MB <= value <= MAX_MEMORY_MB:
        raise InvalidInput(
            f"{what} must be between {MIN_MEMORY_MB} and {MAX_MEMORY_MB} MB (what Lambda allows), not {value}"
        )
    return value


def get_lambda_memory_mb(environ: Mapping[str, str] | None = None) -> int | None:
    """The function's configured memory in MB (``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``), or ``None``.

    ``None`` when the variable is missing or empty (outside Lambda).

    :raises InvalidInput: the variable holds something Lambda never sets (not a whole number of
        MB from 128 to 10,240): a broken local emulation should fail clearly, not tune at random.
    """
    raw = _env(environ).get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(
            f"AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be a whole number of MB, not {raw[:32]!r}"
        ) from None
    return check_memory_mb(value, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")


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
    "MAX_MEMORY_MB",
    "MIN_MEMORY_MB",
    "ON_DEMAND",
    "PROVISIONED_CONCURRENCY",
    "SNAP_START",
    "check_memory_mb",
    "get_function_name",
    "get_initialization_type",
    "get_lambda_memory_mb",
    "is_lambda_environment",
]
