"""DynamoDB Streams into typed models, for async Lambda handlers with partial batch failures.

::

    from dynamorm_async.aws_lambda import LambdaDB
    from dynamorm_async.streams import Change

    db = LambdaDB(models=[Order])

    @db.stream_handler(Order)
    async def handler(change: Change[Order]) -> None:
        if change.new is not None:
            ...

Every name is imported on first use: importing this package loads neither anyio nor an AWS SDK.

==========================  ====================================================================
name                        module
==========================  ====================================================================
``Change``, ...             :mod:`.records`: a record decoded into its model
``StreamRouter``            :mod:`.routing`: several models in one table, by discriminator
``process``, ...            :mod:`.handler`: a batch with ``batchItemFailures``, in key order
``lambda_event``, ...       :mod:`.events`: Lambda events from records read with boto3
==========================  ====================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .events import as_ttl_removal, lambda_event, lambda_record, read_stream
    from .handler import BatchResponse, BatchResult, RecordFailure, process, process_batch
    from .records import Change, EventName, StreamRecordError, ViewType, parse_record
    from .routing import ChangeHandler, Route, StreamRouter

#: Every name is imported on first access; the ``TYPE_CHECKING`` imports mirror this list.
_EXPORTS = {
    ".events": ("as_ttl_removal", "lambda_event", "lambda_record", "read_stream"),
    ".handler": ("BatchResponse", "BatchResult", "RecordFailure", "process", "process_batch"),
    ".records": ("Change", "EventName", "StreamRecordError", "ViewType", "parse_record"),
    ".routing": ("ChangeHandler", "Route", "StreamRouter"),
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = [
    "BatchResponse",
    "BatchResult",
    "Change",
    "ChangeHandler",
    "EventName",
    "RecordFailure",
    "Route",
    "StreamRecordError",
    "StreamRouter",
    "ViewType",
    "as_ttl_removal",
    "lambda_event",
    "lambda_record",
    "parse_record",
    "process",
    "process_batch",
    "read_stream",
]
