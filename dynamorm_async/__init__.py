"""dynamorm_async: an async-first, Lambda-native DynamoDB ORM on aiobotocore and pydantic v2.

Importing the package loads pydantic and the library's own small modules only: aiobotocore,
botocore and aiohttp load when the first client is made.
"""

from __future__ import annotations

from .db import DB
from .errors import (
    AssumeRoleError,
    CancellationReason,
    ConditionCheckFailed,
    CredentialsError,
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
    "AssumeRoleError",
    "Attribute",
    "CancellationReason",
    "Condition",
    "ConditionCheckFailed",
    "CreatedAt",
    "CredentialsError",
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
    "PartialFailure",
    "Path",
    "RangeKey",
    "ServiceError",
    "TableAlreadyExists",
    "TableInUse",
    "TableNotFound",
    "Throttled",
    "TransportConfig",
    "UnknownAttribute",
    "UnknownPartner",
    "Update",
    "UpdatedAt",
    "ValidationError",
    "Version",
    "__version__",
]
