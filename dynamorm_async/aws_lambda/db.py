"""``LambdaDB``: a :class:`~dynamorm_async.DB` made once per Lambda execution environment.

::

    db = LambdaDB(models=[Order], warm=True)      # module level: runs in the init phase

    @db.handler
    async def handler(event, context):
        order = await db.manager(Order).get(event["partner"], event["id"])
        return order.model_dump(mode="json")

Made at module level, it does its work in the init phase, never on the first request: the
models are compiled and their managers made, the client is tuned to the function's memory
(:mod:`~dynamorm_async.aws_lambda.tuning`) and created on the environment's one event loop
(:mod:`~dynamorm_async.aws_lambda.runner`), and with ``warm=True`` one cheap call per table opens
the connection. It is a ``DB`` in every other way: code written for ``DB`` runs unchanged, in
Lambda or not; outside Lambda nothing is connected early.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ..db import DB
from ..model import Model
from ..schema import schema_of
from ..transport import RawTransport, RetryingTransport, Transport, TransportConfig, build_transport
from .env import SNAP_START, get_initialization_type, get_lambda_memory_mb, is_lambda_environment
from .runner import AsyncHandler, HandlerRunner, LambdaHandler, TimeoutAnswer, default_runner
from .tuning import (
    CONNECT_TIMEOUT,
    apply_concurrency,
    current_tuning,
    set_concurrency,
    tier_transport_config,
    tier_values,
    timeout_buffer,
    tuning_for_memory,
)

R = TypeVar("R")

logger = logging.getLogger("dynamorm_async.lambda")

#: Seconds warm-up may take in all, well inside Lambda's 10 s init phase.
WARM_BUDGET = 2.0

_TRANSPORT_FIELDS = frozenset(f.name for f in dataclasses.fields(TransportConfig))


class LambdaDB(DB):
    """A ``DB`` that prepares itself during Lambda's init phase and runs async handlers on one loop.

    ``models`` are compiled and registered at once. The transport options are ``DB``'s; when
    neither ``config`` nor ``transport`` is given, pool size and timeouts come from ``tuning``
    (default: the tuning applied by :func:`~dynamorm_async.aws_lambda.optimize_for_memory`, else
    the tier of the function's configured memory) and explicit options override them.

    ``connect`` creates the client now, on the environment's loop (default: only inside Lambda);
    ``warm`` also sends one ``DescribeTable`` per table to open the connection, within
    :data:`WARM_BUDGET` seconds in all (failures are logged, never raised: Lambda's init phase
    has 10 s). ``xray`` calls :func:`~dynamorm_async.aws_lambda.enable_xray_tracing`.
    ``snapstart`` registers the SnapStart hooks (default: when the environment is initialised
    for SnapStart). ``timeout_buffer`` fixes the margin kept before Lambda's deadline; left unset,
    each invocation keeps the tuning's buffer, or less when its function's timeout is short
    (see :func:`~dynamorm_async.aws_lambda.with_lambda_timeout`). The tuning's batch and scan
    concurrency become the defaults of batch calls and parallel scans.
    """

    def __init__(
        self,
        *,
        models: Sequence[type[Model]] = (),
        region: str | None = None,
        endpoint_url: str | None = None,
        session: Any = None,
        credentials: Any = None,
        config: TransportConfig | None = None,
        transport: Transport | RawTransport | None = None,
        tuning: LambdaTuning | None = None,
        connect: bool | None = None,
        warm: bool = False,
        xray: bool = False,
        snapstart: bool | None = None,
        timeout_buffer: float | None = None,
        runner: HandlerRunner | None = None,
        **options: Any,
    ) -> None:
        in_lambda = is_lambda_environment()
        if tuning is None:
            tuning = current_tuning()
        # In Lambda with no tuning applied: the tier's numbers now, the LambdaTuning value on
        # first read of ``self.tuning`` (its dataclass stays off the cold path).
        memory = get_lambda_memory_mb() if tuning is None and in_lambda else None
        tier = None if memory is None else tier_values(memory)
        transport_options = {k: v for k, v in options.items() if k in _TRANSPORT_FIELDS}
        db_options = {k: v for k, v in options.items() if k not in _TRANSPORT_FIELDS}
        if config is None and transport is None and (tuning is not None or tier is not None):
            where = {"region": region, "endpoint_url": endpoint_url, **transport_options}
            if tuning is not None:
                config = tuning.transport_config(**where)
            elif tier is not None:
                config = tier_transport_config(tier[0], CONNECT_TIMEOUT, tier[3], **where)
            region, endpoint_url, transport_options = None, None, {}
        super().__init__(
            region=region,
            endpoint_url=endpoint_url,
            session=session,
            credentials=credentials,
            config=config,
            transport=transport,
            **transport_options,
            **db_options,
        )
        self._tuning = tuning
        self._tuning_memory = memory
        #: Seconds kept before Lambda's deadline by this DB's handlers (the most, unless fixed).
        self.timeout_buffer = _buffer(timeout_buffer, tuning, tier)
        self._fixed_buffer = timeout_buffer is not None
        if tuning is not None:
            apply_concurrency(tuning)
        elif tier is not None:
            set_concurrency((tier[1], tier[2]))
        #: The runner owning the environment's event loop.
        self.runner = runner or default_runner()
        self.warm_on_connect = warm
        # A transport this DB built from a default session can be rebuilt with fresh credentials.
        self._own_transport = transport is None and session is None and credentials is None
        self.register(*models)
        self.runner.on_close(self.close)
        if connect is None:
            connect = in_lambda
        if connect and _loop_running():
            # Made from async code (a test, an ASGI app's startup): the runner cannot block here,
            # and a client made on this loop would not serve the runner's. Connect on first use.
            logger.warning("LambdaDB made inside a running event loop: not connecting during init")
        elif connect:
            self.runner.run(self.prepare)
        if xray:
            self.enable_xray()
        if snapstart is None:
            snapstart = get_initialization_type() == SNAP_START
        if snapstart:
            from .snapstart import register_snapstart_hooks

            if not register_snapstart_hooks(self):
                logger.warning("SnapStart hooks not registered: snapshot-restore-py is not installed")

    @property
    def tuning(self) -> LambdaTuning | None:
        """The tuning in force (``None`` when none applied and outside Lambda); in Lambda with
        none applied, the tier of the function's memory, made on first read."""
        if self._tuning is None and self._tuning_memory is not None:
            self._tuning = tuning_for_memory(self._tuning_memory)
        return self._tuning

    @tuning.setter
    def tuning(self, value: LambdaTuning | None) -> None:
        self._tuning, self._tuning_memory = value, None

    # ------------------------------------------------------------------ handlers
    @overload
    def handler(self, fn: AsyncHandler[R]) -> LambdaHandler[R]: ...

    @overload
    def handler(
        self, *, buffer: float | None = None, on_timeout: TimeoutAnswer[R] | None = None
    ) -> Callable[[AsyncHandler[R]], LambdaHandler[R]]: ...

    def handler(
        self,
        fn: AsyncHandler[R] | None = None,
        *,
        buffer: float | None = None,
        on_timeout: TimeoutAnswer[R] | None = None,
    ) -> LambdaHandler[R] | Callable[[AsyncHandler[R]], LambdaHandler[R]]:
        """Decorate ``async def handler(event, context)`` into the function Lambda calls.

        Every invocation runs on the environment's one loop, inside
        :func:`~dynamorm_async.aws_lambda.with_lambda_timeout` (``buffer`` fixes the margin; by
        default it fits each invocation, at most this DB's ``timeout_buffer``).
        When the deadline is reached, ``on_timeout(event, context, error)`` gives the answer; without
        it the :class:`~dynamorm_async.errors.LambdaTimeoutError` goes to the runtime, which
        reports it as the invocation's error. Use as ``@db.handler`` or ``@db.handler(on_timeout=...)``.
        """
        if buffer is None and self._fixed_buffer:
            buffer = self.timeout_buffer

        def wrap(f: AsyncHandler[R]) -> LambdaHandler[R]:
            return self.runner.handler(
                f, buffer=buffer, max_buffer=self.timeout_buffer, on_timeout=on_timeout
            )

        return wrap if fn is None else wrap(fn)

    # ------------------------------------------------------------------ init phase
    async def prepare(self) -> None:
        """Create the client now and, if this DB warms, open its connection (init phase)."""
        await self.connect()
        if self.warm_on_connect:
            await self.warm()

    async def warm(self, budget: float = WARM_BUDGET) -> None:
        """Send one ``DescribeTable`` per registered table, concurrently, to open connections.

        Warming is an optimisation and must never stop or stall the function's start: it gets
        ``budget`` seconds in all (retries included), after which calls still waiting are
        cancelled. What it could not do (a missing table, no ``dynamodb:DescribeTable``
        permission, no answer in time) is logged, never raised.
        """
        import anyio

        from ..deadline import Deadline, deadline_scope
        from ..errors import DynamORMError
        from ..tables import describe_table

        tables = sorted({schema_of(model).require_table() for model in self._managers})
        waiting = set(tables)

        async def one(table: str) -> None:
            try:
                await describe_table(self.transport, table)
            except DynamORMError as exc:
                logger.warning("warming the connection with DescribeTable %r failed: %s", table, exc)
            waiting.discard(table)

        limit = Deadline(anyio.current_time() + budget, f"the {budget:g}s warm-up budget")
        with deadline_scope(limit), anyio.move_on_after(budget):
            async with anyio.create_task_group() as tg:
                for table in tables:
                    tg.start_soon(one, table)
        if waiting:
            logger.warning(
                "warming the connection stopped after its %gs budget: no answer to DescribeTable for %s; "
                "the first request will connect instead",
                budget,
                ", ".join(map(repr, sorted(waiting))),
            )

    def enable_xray(self) -> None:
        """Trace this DB's calls with X-Ray (see :func:`~dynamorm_async.aws_lambda.enable_xray_tracing`)."""
        from .xray import enable_xray_tracing, xray_hook

        enable_xray_tracing()
        transport = self.transport
        if isinstance(transport, RetryingTransport) and xray_hook not in transport.hooks:
            transport.hooks = (*transport.hooks, xray_hook)

    # ------------------------------------------------------------------ SnapStart
    async def prepare_snapshot(self) -> None:
        """Before a SnapStart snapshot: finish warming, then close the client and its connections."""
        await self.connect()
        if self.warm_on_connect:
            await self.warm()
        await self.close()

    async def resume_after_restore(self) -> None:
        """After a SnapStart restore: a fresh client (fresh credentials when possible), connected."""
        old = self.transport
        if self._own_transport and isinstance(old, RetryingTransport):
            self.transport = build_transport(
                old.config, service=old.service, label=old.label, hooks=old.hooks
            )
            for manager in self._managers.values():
                manager.transport = self.transport
        await self.prepare()
        self.runner.mark_restored()

    # ------------------------------------------------------------------ DynamoDB Streams
    @overload
    def stream_handler(
        self,
        target: type[_M],
        *,
        concurrency: int | None = None,
        stop_margin: float | None = None,
        buffer: float | None = None,
    ) -> Callable[[ChangeHandler[_M]], LambdaHandler[BatchResponse]]: ...

    @overload
    def stream_handler(
        self,
        target: StreamRouter,
        *,
        concurrency: int | None = None,
        stop_margin: float | None = None,
        buffer: float | None = None,
    ) -> LambdaHandler[BatchResponse]: ...

    def stream_handler(
        self,
        target: type[_M] | StreamRouter,
        *,
        concurrency: int | None = None,
        stop_margin: float | None = None,
        buffer: float | None = None,
    ) -> Callable[[ChangeHandler[_M]], LambdaHandler[BatchResponse]] | LambdaHandler[BatchResponse]:
        """A DynamoDB Streams handler answering with ``batchItemFailures`` (ReportBatchItemFailures).

        ``@db.stream_handler(Order)`` decorates ``async def on_change(change: Change[Order])``;
        ``db.stream_handler(router)`` takes a :class:`~dynamorm_async.streams.StreamRouter`. It runs
        like :meth:`handler`. ``concurrency`` (keys handled at once) defaults to this DB's tuning;
        ``stop_margin`` (no record starts closer to the deadline) to 0.5 s; ``buffer`` to this DB's.
        See :mod:`dynamorm_async.streams.handler`.
        """
        from ..streams.handler import lambda_stream_handler

        if not isinstance(target, type):
            return lambda_stream_handler(
                self, target, concurrency=concurrency, stop_margin=stop_margin, buffer=buffer
            )
        model = target

        def decorate(fn: ChangeHandler[_M]) -> LambdaHandler[BatchResponse]:
            return lambda_stream_handler(
                self, fn, model, concurrency=concurrency, stop_margin=stop_margin, buffer=buffer
            )

        return decorate


if TYPE_CHECKING:  # the stream handler's types; the module itself loads on first use
    from pydantic import BaseModel

    from ..streams.handler import BatchResponse
    from ..streams.routing import ChangeHandler, StreamRouter
    from .lambda_tuning import LambdaTuning

    _M = TypeVar("_M", bound=BaseModel)


def _loop_running() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _buffer(explicit: float | None, tuning: LambdaTuning | None, tier: tuple[Any, ...] | None) -> float:
    if explicit is not None:
        return explicit
    if tuning is not None:
        return tuning.timeout_buffer
    return float(tier[4]) if tier is not None else timeout_buffer()


__all__ = ["WARM_BUDGET", "LambdaDB"]
