"""Test utilities shipped with the package: a mock transport and an embedded DynamoDB Local launcher.

The names are loaded lazily, so importing this package costs nothing and
``python -m dynamorm_async.testing.dynamodb_local`` does not import the module twice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dynamorm_async.testing.dynamodb_local import DynamoDBLocal, ensure_installed
    from dynamorm_async.testing.mock import MockCall, MockTransport

_LAZY = {
    "DynamoDBLocal": "dynamodb_local",
    "ensure_installed": "dynamodb_local",
    "MockCall": "mock",
    "MockTransport": "mock",
}

__all__ = ["DynamoDBLocal", "MockCall", "MockTransport", "ensure_installed"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
