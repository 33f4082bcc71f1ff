"""Test utilities shipped with the package: an embedded DynamoDB Local launcher.

The names are loaded lazily so that ``python -m dynamorm_async.testing.dynamodb_local`` does not
import the module twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dynamorm_async.testing.dynamodb_local import DynamoDBLocal, ensure_installed

__all__ = ["DynamoDBLocal", "ensure_installed"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dynamorm_async.testing import dynamodb_local

        return getattr(dynamodb_local, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
