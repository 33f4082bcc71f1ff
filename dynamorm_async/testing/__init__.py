"""Test utilities shipped with the package: a mock transport and an embedded DynamoDB Local launcher.

The names are loaded lazily, so importing this package costs nothing and
``python -m dynamorm_async.testing.dynamodb_local`` does not import the module twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .dynamodb_local import DynamoDBLocal, ensure_installed
    from .mock import MockCall, MockTransport

#: Every name is imported on first access; the ``TYPE_CHECKING`` imports mirror this list.
_EXPORTS = {".dynamodb_local": ("DynamoDBLocal", "ensure_installed"), ".mock": ("MockCall", "MockTransport")}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = ["DynamoDBLocal", "MockCall", "MockTransport", "ensure_installed"]
