"""AWS X-Ray tracing of every DynamoDB call, through the X-Ray SDK (the ``xray`` extra).

:func:`enable_xray_tracing` patches aiobotocore with the SDK's own patcher, so each AWS call
becomes an ``aws`` subsegment (named after the service, ``dynamodb``, with the operation in its
``aws`` metadata) sent to the X-Ray daemon at ``AWS_XRAY_DAEMON_ADDRESS``. On top of that, every
subsegment gets three annotations (indexed, so traces can be searched by them):

* ``operation``: ``GetItem``, ``Query``, ...;
* ``table``: the table (tables, comma separated, for batch and transaction calls);
* ``partner``: the label of the transport that made the call, when it has one (a partner id in
  a multi-account setup), recorded by :func:`xray_hook` which a transport must carry in its
  ``hooks`` (:class:`~dynamorm_async.aws_lambda.LambdaDB` adds it to its own).

Inside Lambda, the SDK keeps the open subsegments of an invocation in a thread-local stack; with
several tasks awaiting calls at once on one loop, their subsegments would nest inside each other
and end in the wrong order. :func:`enable_xray_tracing` therefore gives the SDK a context that
keeps that stack per task (a context variable, copied on write), so concurrent calls are siblings
under the invocation's segment, as they really are.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Mapping
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


def xray_hook(operation: str, params: Mapping[str, Any], label: str | None) -> None:
    """A transport call hook that records the transport's label for the ``partner`` annotation."""
    _call_label.set(label)


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
    """Trace every aiobotocore call with X-Ray and annotate it with table, operation and partner.

    Idempotent. ``task_local_context`` (inside Lambda only) installs the per-task SDK context
    described in the module docstring; pass ``False`` to keep the SDK's own.

    :raises ImportError: the X-Ray SDK is not installed (the message says how to install it).
    """
    global _enabled
    try:
        from aws_xray_sdk.core import patch, xray_recorder
        from aws_xray_sdk.core.lambda_launcher import check_in_lambda
    except ImportError as exc:
        raise ImportError(_MISSING) from exc
    if _enabled:
        return
    patch(["aiobotocore"])
    _annotate_aiobotocore_subsegments()
    if task_local_context and check_in_lambda() is not None:
        xray_recorder.configure(context=_task_local_lambda_context())
    _enabled = True


def _annotate_aiobotocore_subsegments() -> None:
    """Wrap the SDK's aiobotocore metadata callback so it also annotates the subsegment."""
    import importlib

    # The package re-exports its ``patch`` function under the module's name: import the module.
    sdk_patch = importlib.import_module("aws_xray_sdk.ext.aiobotocore.patch")
    original = getattr(sdk_patch, "aws_meta_processor", None)
    if original is None or getattr(original, "_dynamorm", False):
        if original is None:
            logger.warning("this X-Ray SDK has no aiobotocore meta processor; subsegments are not annotated")
        return

    def meta_processor(
        wrapped: Any,
        instance: Any,
        args: Any,
        kwargs: Any,
        return_value: Any,
        exception: Any,
        subsegment: Any,
        stack: Any,
    ) -> None:
        original(
            wrapped=wrapped,
            instance=instance,
            args=args,
            kwargs=kwargs,
            return_value=return_value,
            exception=exception,
            subsegment=subsegment,
            stack=stack,
        )
        operation = kwargs.get("operation_name") or (args[0] if args else None)
        params = kwargs.get("api_params") or (args[1] if len(args) > 1 else {})
        if operation:
            subsegment.put_annotation("operation", str(operation))
        table = tables_of(params) if isinstance(params, Mapping) else None
        if table:
            subsegment.put_annotation("table", table)
        label = _call_label.get()
        if label:
            subsegment.put_annotation("partner", label)

    meta_processor._dynamorm = True  # type: ignore[attr-defined]
    setattr(sdk_patch, "aws_meta_processor", meta_processor)  # noqa: B010 (typed as a plain module)


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
