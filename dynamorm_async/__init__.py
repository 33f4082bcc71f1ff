"""dynamorm_async: an async-first, Lambda-native DynamoDB ORM on aiobotocore and pydantic v2.

Importing the package loads pydantic and the library's own small modules only: aiobotocore,
botocore and aiohttp load when the first client is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from .adopt import model_by_keys
from .db import DB
from .errors import (
    AssumeRoleError,
    CancellationReason,
    ConditionCheckFailed,
    ConnectionFailed,
    CredentialsError,
    DeadlineExceeded,
    DeadlinePartialFailure,
    DuplicateKey,
    DynamORMError,
    InvalidCursor,
    InvalidInput,
    InvalidKey,
    InvalidStoredItem,
    InvalidValue,
    ItemNotFound,
    ItemTooLarge,
    KeyUpdateError,
    LambdaTimeoutError,
    ModelError,
    ModelValidationError,
    PartialFailure,
    PartnerScopeError,
    ServiceError,
    ServiceValidationError,
    StreamRecordError,
    TableAlreadyExists,
    TableInUse,
    TableMismatch,
    TableNotFound,
    Throttled,
    TransactionCanceled,
    TransactionWrongModel,
    UnknownAttribute,
    UnknownPartner,
    WrongModel,
)
from .expressions import Condition, Path, Update
from .manager import Manager
from .markers import GSI, LSI, TTL, Attribute, CreatedAt, HashKey, Key, KeyText, RangeKey, UpdatedAt, Version
from .model import Model
from .transport import TransportConfig, debug_stats

__version__ = "0.1.0"

__all__ = [
    "DB",
    "GSI",
    "LSI",
    "TTL",
    "AccountConfig",
    "AssumeRoleError",
    "Attribute",
    "BackfillResult",
    "Backoff",
    "BatchGetResult",
    "BatchWriteResult",
    "BatchWriter",
    "CancellationReason",
    "Change",
    "Collection",
    "CollectionPage",
    "CollectionParallelScan",
    "CollectionQuery",
    "CollectionScan",
    "Condition",
    "ConditionCheckFailed",
    "ConnectionFailed",
    "CreatedAt",
    "CredentialsError",
    "DeadlineExceeded",
    "DeadlinePartialFailure",
    "DuplicateKey",
    "DynamORMError",
    "EventName",
    "HashKey",
    "InvalidCursor",
    "InvalidInput",
    "InvalidKey",
    "InvalidStoredItem",
    "InvalidValue",
    "ItemNotFound",
    "ItemTooLarge",
    "Key",
    "KeyText",
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
    "PartnerScopeError",
    "Path",
    "Query",
    "RangeKey",
    "Scan",
    "ServiceError",
    "ServiceValidationError",
    "StreamRecordError",
    "StreamRouter",
    "TableAlreadyExists",
    "TableInUse",
    "TableMismatch",
    "TableNotFound",
    "Throttled",
    "TransactWrite",
    "TransactionCanceled",
    "TransactionWrongModel",
    "TransportConfig",
    "UnknownAttribute",
    "UnknownPartner",
    "Update",
    "UpdatedAt",
    "Version",
    "WrongModel",
    "current_partner",
    "debug_stats",
    "enable_xray_tracing",
    "get_lambda_memory_mb",
    "is_lambda_environment",
    "model_by_keys",
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
    from .batch_writer import BatchWriter
    from .query import Page, ParallelScan, Query, Scan
    from .query.backfill import BackfillResult
    from .query.collection import (
        Collection,
        CollectionPage,
        CollectionParallelScan,
        CollectionQuery,
        CollectionScan,
    )
    from .retry import Backoff
    from .streams import Change, EventName, StreamRouter
    from .transactions import TransactWrite

#: Names imported on first access, so ``import dynamorm_async`` stays cheap (cold start); the
#: ``TYPE_CHECKING`` imports above mirror this list for type checkers (a test holds them equal).
_EXPORTS = {
    ".accounts": ("AccountConfig", "MultiAccountDB", "current_partner"),
    ".aws_lambda": (
        "LambdaDB",
        "LambdaTuning",
        "enable_xray_tracing",
        "get_lambda_memory_mb",
        "is_lambda_environment",
        "optimize_for_memory",
        "with_lambda_timeout",
    ),
    ".batch": ("BatchGetResult", "BatchWriteResult"),
    ".batch_writer": ("BatchWriter",),
    ".query": ("Page", "ParallelScan", "Query", "Scan"),
    ".query.backfill": ("BackfillResult",),
    ".query.collection": (
        "Collection",
        "CollectionPage",
        "CollectionParallelScan",
        "CollectionQuery",
        "CollectionScan",
    ),
    ".retry": ("Backoff",),
    ".streams": ("Change", "EventName", "StreamRouter"),
    ".transactions": ("TransactWrite",),
}

__getattr__, __dir__ = lazy_exports(
    __name__, globals(), _EXPORTS, deprecated={"ValidationError": "ServiceValidationError"}
)
