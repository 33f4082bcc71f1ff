"""Test utilities shipped with the package: an embedded DynamoDB Local launcher.

The names are loaded lazily so that ``python -m dynamorm_async.testing.dynamodb_local`` does not
import the module twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .dynamodb_local import DynamoDBLocal, ensure_installed

#: Every name is imported on first access; the ``TYPE_CHECKING`` imports mirror this list.
_EXPORTS = {".dynamodb_local": ("DynamoDBLocal", "ensure_installed")}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = ["DynamoDBLocal", "ensure_installed"]
