"""dynamorm_async: an async-first, Lambda-native DynamoDB ORM on aiobotocore and pydantic v2.

Importing the package loads pydantic and the library's own small modules only: aiobotocore,
botocore and aiohttp load when the first client is made.
"""

from __future__ import annotations

from .batch import BatchGetResult, BatchWriteResult
from .db import DB
from .errors import (
    AssumeRoleError,
    CancellationReason,
    ConditionCheckFailed,
    CredentialsError,
    DuplicateKey,
    DynamORMError,
    InvalidCursor,
    InvalidInput,
    InvalidKey,
    InvalidValue,
    ItemNotFound,
    ItemTooLarge,
    KeyUpdateError,
    LambdaTimeoutError,
    ModelError,
    ModelValidationError,
    PartialFailure,
    ServiceError,
    TableAlreadyExists,
    TableInUse,
    TableNotFound,
    Throttled,
    TransactionCanceled,
    UnknownAttribute,
    UnknownPartner,
    ValidationError,
)
from .expressions import Condition, Path, Update
from .manager import Manager
from .model import Model
from .query import Page, ParallelScan, Query, Scan
from .retry import Backoff
from .schema import GSI, LSI, TTL, Attribute, CreatedAt, HashKey, RangeKey, UpdatedAt, Version
from .transactions import TransactWrite
from .transport import TransportConfig

__version__ = "0.1.0"

__all__ = [
    "DB",
    "GSI",
    "LSI",
    "TTL",
    "AssumeRoleError",
    "Attribute",
    "Backoff",
    "BatchGetResult",
    "BatchWriteResult",
    "CancellationReason",
    "Condition",
    "ConditionCheckFailed",
    "CreatedAt",
    "CredentialsError",
    "DuplicateKey",
    "DynamORMError",
    "HashKey",
    "InvalidCursor",
    "InvalidInput",
    "InvalidKey",
    "InvalidValue",
    "ItemNotFound",
    "ItemTooLarge",
    "KeyUpdateError",
    "LambdaTimeoutError",
    "Manager",
    "Model",
    "ModelError",
    "ModelValidationError",
    "Page",
    "ParallelScan",
    "PartialFailure",
    "Path",
    "Query",
    "RangeKey",
    "Scan",
    "ServiceError",
    "TableAlreadyExists",
    "TableInUse",
    "TableNotFound",
    "Throttled",
    "TransactWrite",
    "TransactionCanceled",
    "TransportConfig",
    "UnknownAttribute",
    "UnknownPartner",
    "Update",
    "UpdatedAt",
    "ValidationError",
    "Version",
    "__version__",
]


#: Names imported on first access (module ``__getattr__``), so ``import dynamorm_async`` stays cheap.
_LAZY = {
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
