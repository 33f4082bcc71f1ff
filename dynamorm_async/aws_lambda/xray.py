"""AWS X-Ray tracing of every DynamoDB call, through the X-Ray SDK (the ``xray`` extra).

:func:`enable_xray_tracing` makes every call of the library an ``aws`` subsegment named after
the service (``dynamodb``) with the operation, table, request id and retries in its ``aws``
metadata and the HTTP status in its ``http`` metadata, sent to the X-Ray daemon at
``AWS_XRAY_DAEMON_ADDRESS``. It does so through the library's own call hooks (:func:`xray_hook`,
run by every transport of the process once switched on), not by patching aiobotocore, so it
works the same on the lean transport and on aiobotocore, with **one subsegment per call**,
its retries inside. Every subsegment also gets three annotations (indexed, so traces can be
searched by them):

* ``operation``: ``GetItem``, ``Query``, ...;
* ``table``: the table (tables, comma separated, for batch and transaction calls);
* ``partner``: the label of the transport that made the call, when it has one (a partner id in
  a multi-account setup).

Inside Lambda, the SDK keeps the open subsegments of an invocation in a thread-local stack; with
several tasks awaiting calls at once on one loop, their subsegments would nest inside each other
and end in the wrong order. :func:`enable_xray_tracing` therefore gives the SDK a context that
keeps that stack per task (a context variable, copied on write), so concurrent calls are siblings
under the invocation's segment, as they really are.
"""

from __future__ import annotations

import contextvars
import logging
import os
import traceback
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger("dynamorm_async.lambda")

_MISSING = (
    "X-Ray tracing needs the AWS X-Ray SDK for Python: install it with "
    "`pip install 'dynamorm_async[xray]'` (or `pip install aws-xray-sdk`)"
)

#: The label of the transport making the current call (set by :func:`xray_hook`).
_call_label: contextvars.ContextVar[str | None] = contextvars.ContextVar("dynamorm_xray_label", default=None)
#: Per-task storage of the SDK's Lambda context (segment and open subsegments).
_entities: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "dynamorm_xray_entities", default=None
)

_enabled = False

#: Operations of STS (the partner accounts' AssumeRole), traced as ``sts`` subsegments.
_STS_OPERATIONS = frozenset({"AssumeRole", "GetCallerIdentity"})


def xray_hook(
    operation: str, params: Mapping[str, Any], label: str | None
) -> Callable[[Mapping[str, Any] | None, BaseException | None], None] | None:
    """A transport call hook: once tracing is on, opens the call's subsegment and returns what
    closes it (with the answer's status and request id, or the error); always records ``label``."""
    _call_label.set(label)
    if not _enabled:
        return None
    try:
        return _begin(operation, params, label)
    except Exception as exc:  # tracing must never fail a call
        logger.debug("X-Ray subsegment for %s not recorded: %s", operation, exc)
        return None


def _begin(
    operation: str, params: Mapping[str, Any], label: str | None
) -> Callable[[Mapping[str, Any] | None, BaseException | None], None] | None:
    from aws_xray_sdk.core import xray_recorder

    # Named after the service, as the SDK's own AWS subsegments are (a partner's AssumeRole: sts).
    service = "sts" if operation in _STS_OPERATIONS else "dynamodb"
    subsegment = xray_recorder.begin_subsegment(service, "aws")
    if subsegment is None:
        return None
    aws: dict[str, Any] = {"operation": operation}
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        aws["region"] = region
    subsegment.put_annotation("operation", operation)
    table = tables_of(params)
    if table:
        subsegment.put_annotation("table", table)
        if "," not in table:
            aws["table_name"] = table
    if label:
        subsegment.put_annotation("partner", label)

    def end(result: Mapping[str, Any] | None, error: BaseException | None) -> None:
        try:
            meta = (result or {}).get("ResponseMetadata") or {}
            status = meta.get("HTTPStatusCode") if result is not None else getattr(error, "status", None)
            if isinstance(status, int):
                subsegment.put_http_meta("status", status)
            request_id = meta.get("RequestId") or getattr(error, "request_id", None)
            if request_id:
                aws["request_id"] = request_id
            retries = meta.get("RetryAttempts")
            if retries is None and error is not None:
                retries = max(0, int(getattr(error, "attempts", 1) or 1) - 1)
            if retries is not None:
                aws["retries"] = retries
            subsegment.set_aws(aws)
            if error is not None:
                if isinstance(error, Exception):
                    subsegment.add_exception(error, traceback.extract_stack(limit=8))
                else:
                    subsegment.add_fault_flag()  # cancelled (the deadline): no answer
        except Exception as exc:  # tracing must never fail a call
            logger.debug("X-Ray subsegment for %s incomplete: %s", operation, exc)
        finally:
            try:
                xray_recorder.end_subsegment()
            except Exception as exc:
                logger.debug("X-Ray subsegment for %s not ended: %s", operation, exc)

    return end


def tables_of(params: Mapping[str, Any]) -> str | None:
    """The table(s) a DynamoDB request names, comma separated, or ``None``."""
    table = params.get("TableName")
    if isinstance(table, str):
        return table
    names: set[str] = set()
    items = params.get("RequestItems")
    if isinstance(items, Mapping):
        names.update(str(k) for k in items)
    for entry in params.get("TransactItems") or ():
        if isinstance(entry, Mapping):
            for action in entry.values():
                if isinstance(action, Mapping) and isinstance(action.get("TableName"), str):
                    names.add(action["TableName"])
    return ",".join(sorted(names)) or None


def enable_xray_tracing(*, task_local_context: bool = True) -> None:
    """Trace every call of the library with X-Ray, annotated with table, operation and partner.

    Idempotent. Registers :func:`xray_hook` for every transport of the process (see
    :func:`~dynamorm_async.transport.add_process_hook`). ``task_local_context`` (inside Lambda
    only) installs the per-task SDK context described in the module docstring; pass ``False`` to
    keep the SDK's own.

    :raises ImportError: the X-Ray SDK is not installed (the message says how to install it).
    """
    global _enabled
    try:
        from aws_xray_sdk.core import xray_recorder
        from aws_xray_sdk.core.lambda_launcher import check_in_lambda
    except ImportError as exc:
        raise ImportError(_MISSING) from exc
    if _enabled:
        return
    from ..transport import add_process_hook

    add_process_hook(xray_hook)
    if task_local_context and check_in_lambda() is not None:
        xray_recorder.configure(context=_task_local_lambda_context())
    _enabled = True


def _task_local_lambda_context() -> Any:
    """An instance of the SDK's Lambda context that keeps its trace entities per task."""
    from aws_xray_sdk.core.lambda_launcher import LambdaContext
    from aws_xray_sdk.core.models.dummy_entities import DummySegment

    class _TaskLocal:
        """Attribute storage in a context variable; every write replaces the mapping (copy on write)."""

        def __getattr__(self, name: str) -> Any:
            try:
                return (_entities.get() or {})[name]
            except KeyError:
                raise AttributeError(name) from None

        def __setattr__(self, name: str, value: Any) -> None:
            _entities.set({**(_entities.get() or {}), name: value})

    class TaskLocalLambdaContext(LambdaContext):  # type: ignore[misc]
        """The SDK's Lambda context, with its segment and subsegment stack kept per asyncio task."""

        def __init__(self) -> None:
            self._local = _TaskLocal()

        def put_subsegment(self, subsegment: Any) -> None:
            current = self.get_trace_entity()
            if not self._is_subsegment(current) and (
                getattr(current, "initializing", None) or isinstance(current, DummySegment)
            ):
                return  # no invocation segment yet (init phase): nothing to attach to
            current.add_subsegment(subsegment)
            self._local.entities = [*self._local.entities, subsegment]

        def end_subsegment(self, end_time: float | None = None) -> bool:
            entity = self.get_trace_entity()
            if self._is_subsegment(entity):
                entity.close(end_time)
                self._local.entities = self._local.entities[:-1]
                return True
            return False

        def clear_trace_entities(self) -> None:
            _entities.set({})

    return TaskLocalLambdaContext()


__all__ = ["enable_xray_tracing", "tables_of", "xray_hook"]
