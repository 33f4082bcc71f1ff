"""dynamorm_async: an async-first, Lambda-native DynamoDB ORM on aiobotocore and pydantic v2.

Importing the package loads pydantic and the library's own small modules only: aiobotocore,
botocore and aiohttp load when the first client is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .db import DB
from .errors import (
    AssumeRoleError,
    CancellationReason,
    ConditionCheckFailed,
    CredentialsError,
    DeadlinePartialFailure,
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
from .schema import GSI, LSI, TTL, Attribute, CreatedAt, HashKey, RangeKey, UpdatedAt, Version
from .transport import TransportConfig

__version__ = "0.1.0"

__all__ = [
    "DB",
    "GSI",
    "LSI",
    "TTL",
    "AccountConfig",
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
    "DeadlinePartialFailure",
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
    "LambdaDB",
    "LambdaTimeoutError",
    "LambdaTuning",
    "Manager",
    "Model",
    "ModelError",
    "ModelValidationError",
    "MultiAccountDB",
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
    "current_partner",
    "enable_xray_tracing",
    "get_lambda_memory_mb",
    "is_lambda_environment",
    "optimize_for_memory",
    "with_lambda_timeout",
    "__version__",
]

if TYPE_CHECKING:
    from .accounts import AccountConfig, MultiAccountDB, current_partner
    from .aws_lambda import (
        LambdaDB,
        LambdaTuning,
        enable_xray_tracing,
        get_lambda_memory_mb,
        is_lambda_environment,
        optimize_for_memory,
        with_lambda_timeout,
    )
    from .batch import BatchGetResult, BatchWriteResult
    from .query import Page, ParallelScan, Query, Scan
    from .retry import Backoff
    from .transactions import TransactWrite

#: Names imported on first access (module ``__getattr__``), so ``import dynamorm_async`` stays cheap.
_LAZY = {
    # Not needed by a first GetItem: loaded when named (cold start).
    "BatchGetResult": ".batch",
    "BatchWriteResult": ".batch",
    "Page": ".query",
    "ParallelScan": ".query",
    "Query": ".query",
    "Scan": ".query",
    "Backoff": ".retry",
    "TransactWrite": ".transactions",
    "AccountConfig": ".accounts",
    "MultiAccountDB": ".accounts",
    "current_partner": ".accounts",
    "LambdaDB": ".aws_lambda",
    "LambdaTuning": ".aws_lambda",
    "enable_xray_tracing": ".aws_lambda",
    "get_lambda_memory_mb": ".aws_lambda",
    "is_lambda_environment": ".aws_lambda",
    "optimize_for_memory": ".aws_lambda",
    "with_lambda_timeout": ".aws_lambda",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
