"""``RetryingTransport``: the one implementation of :class:`~.base.Transport`, around any raw transport.

Each call, whatever the way to the wire:

1. tells the call observer (:func:`~.base.observe_calls`) it started; runs the call hooks once,
   before the first attempt is sent (what a hook returns hears how the call ended);
2. before each attempt checks the active deadline (:mod:`dynamorm_async.deadline`): past it,
   nothing is sent; the call yields to the event loop once (so a deadline scope's cancellation
   is delivered to a handler that catches ``Exception`` in a loop) and raises the deadline's
   error (:class:`~dynamorm_async.errors.DeadlineExceeded`, or ``LambdaTimeoutError`` in a
   Lambda scope);
3. sends one attempt through the raw transport and maps any failure with the error table
   (:func:`~.errortable.library_error`);
4. retries what :class:`~dynamorm_async.retry.RetryPolicy` calls transient, within the attempts
   allowed and the transport's :class:`~dynamorm_async.retry.RetryBudget`, after a full-jitter
   pause; a pause that would end past the deadline is not taken: the deadline's error is raised
   at once, before the deadline.

How the call went is reported both ways. A successful answer's ``ResponseMetadata`` holds
``RetryAttempts`` (retries made: 0 when the first attempt succeeded, as botocore counts them)
and ``InDoubtAttempts`` (how many earlier attempts were sent and their answer lost, so
DynamoDB may have applied the request more than once). A raised error carries ``attempts``
(requests sent) and ``in_doubt`` (whether any of them may have been applied).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ..deadline import current_deadline
from ..errors import ConnectionFailed, CredentialsError, DeadlineExceeded, DynamORMError, ServiceError
from ..retry import Backoff, RetryBudget, RetryPolicy
from .base import (
    PROCESS_HOOKS,
    STATS,
    CallEnd,
    CallHook,
    CallObserver,
    RawTransport,
    TransportConfig,
    current_observer,
)
from .errortable import library_error

#: ``ResponseMetadata`` keys a successful answer carries (see the module docstring).
RETRY_ATTEMPTS = "RetryAttempts"
IN_DOUBT_ATTEMPTS = "InDoubtAttempts"


def policy_for(config: TransportConfig) -> RetryPolicy:
    """The retry policy a :class:`TransportConfig` describes."""
    return RetryPolicy(
        attempts=config.max_attempts,
        backoff=Backoff(attempts=config.max_attempts, base=config.backoff_base, cap=config.backoff_cap),
    )


class RetryingTransport:
    """A :class:`~.base.Transport` that sends through ``raw`` with the library's checks and retries.

    ``label`` names the partner account (multi-account setups) in errors and hooks; ``hooks``
    run once before each call; ``policy`` defaults to what ``config`` says; ``budget`` is this
    transport's own :class:`RetryBudget` unless one is shared.
    """

    def __init__(
        self,
        raw: RawTransport,
        config: TransportConfig | None = None,
        *,
        label: str | None = None,
        hooks: tuple[CallHook, ...] = (),
        policy: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
    ) -> None:
        self.raw = raw
        self.config = config or TransportConfig()
        self.label = label
        self.hooks = hooks
        self.policy = policy or policy_for(self.config)
        self.budget = budget if budget is not None else RetryBudget()

    @property
    def service(self) -> str:
        """The AWS service the raw transport talks to (``dynamodb``, ``sts``)."""
        return self.raw.service

    @property
    def http(self) -> str:
        """The way to the wire: ``"lean"``, ``"aiobotocore"``, or the raw transport's class name."""
        return str(getattr(self.raw, "http", type(self.raw).__name__))

    @property
    def has_client(self) -> bool:
        """Whether the raw transport holds a client (connection pool) now."""
        return self.raw.has_client

    async def connect(self) -> None:
        """Make the raw transport's client now (e.g. in Lambda's init phase)."""
        try:
            await self.raw.connect()
        except Exception as exc:
            raise self._locate(library_error(exc, operation="CreateClient"), None, "CreateClient") from exc

    async def close(self) -> None:
        """Close the raw transport's client; the next call makes a new one."""
        await self.raw.close()

    async def call(
        self, operation: str, params: Mapping[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        """Send one operation; raises the library's typed errors, never a lower layer's."""
        observer = current_observer()
        watch = _Watch(observer, observer.call_started(operation, table)) if observer is not None else None
        ends: list[CallEnd] = []
        try:
            result = await self._call(operation, params, table, watch, ends)
        except BaseException as exc:
            if watch is not None:
                watch.end(exc)
            for end in ends:
                end(None, exc)
            raise
        if watch is not None:
            watch.end(None)
        for end in ends:
            end(result, None)
        return result

    async def _call(
        self,
        operation: str,
        params: Mapping[str, Any],
        table: str | None,
        watch: _Watch | None,
        ends: list[CallEnd],
    ) -> dict[str, Any]:
        policy = self.policy
        attempt = 0
        in_doubt = 0
        spent = 0
        last: DynamORMError | None = None  # the error of the previous attempt, if it failed
        while True:
            deadline = current_deadline()
            if deadline is not None and deadline.remaining() <= 0:
                left = deadline.remaining()
                late = deadline.exceeded(
                    f"{deadline.label} reached {-left:.3f}s ago; {operation} was not sent",
                    operation=operation,
                    left=left,
                )
                _annotate(late, attempt, in_doubt)
                if watch is not None:
                    watch.end(late)  # refused, not cut off: the observer hears it before the checkpoint
                await _checkpoint()  # delivers a deadline scope's cancellation, if there is one
                raise late from last
            attempt += 1
            if attempt == 1:
                hooks = self.hooks
                if PROCESS_HOOKS:
                    hooks = (*PROCESS_HOOKS, *(h for h in hooks if h not in PROCESS_HOOKS))
                for hook in hooks:
                    end = hook(operation, params, self.label)
                    if end is not None:
                        ends.append(end)
                STATS.calls += 1
                STATS.by_operation[operation] = STATS.by_operation.get(operation, 0) + 1
            STATS.attempts += 1
            try:
                result = await self.raw.send(operation, params)
            except Exception as exc:
                err = self._locate(library_error(exc, operation=operation), table, operation)
                if isinstance(err, ConnectionFailed) and err.may_have_reached_aws:
                    in_doubt += 1
                _annotate(err, attempt, in_doubt)
                cost = None
                if attempt < policy.attempts and policy.retryable(err):
                    cost = self.budget.withdraw(err, retry=attempt)
                if cost is None:
                    if err is exc:
                        raise
                    raise err from exc
                spent += cost
                STATS.retries += 1
                STATS.retries_free += cost == 0
                delay = policy.delay(err, attempt)
                if deadline is not None and delay >= deadline.remaining():
                    await _checkpoint()
                    why = err.code if isinstance(err, ServiceError) else str(err)
                    stop = deadline.exceeded(
                        f"{deadline.label} would pass during the {delay:.3f}s pause before retrying "
                        f"{operation} (attempt {attempt} failed: {why})",
                        operation=operation,
                    )
                    raise _annotate(stop, attempt, in_doubt) from err
                await _sleep(delay)
                last = err
                continue
            self.budget.deposit(spent)
            meta = result.get("ResponseMetadata")
            if not isinstance(meta, dict):
                meta = result["ResponseMetadata"] = {}
            meta[RETRY_ATTEMPTS] = attempt - 1
            meta[IN_DOUBT_ATTEMPTS] = in_doubt
            return result

    def _locate(self, err: DynamORMError, table: str | None, operation: str) -> DynamORMError:
        """Fill in the operation, the table and the partner label on an error that lacks them."""
        if isinstance(err, ServiceError):
            if not err.operation:
                err.operation = operation
            if err.table is None:
                err.table = table
            if err.partner is None:
                err.partner = self.label
        elif isinstance(err, CredentialsError) and err.partner is None and self.label is not None:
            err.partner = self.label
            err.args = (f"{err} (partner {self.label!r})", *err.args[1:])
        return err

    def __repr__(self) -> str:
        who = f", label={self.label!r}" if self.label else ""
        return f"RetryingTransport({type(self.raw).__name__}, {self.service}{who})"


class _Watch:
    """One call's token with its observer; ends once (a refused call ends before its checkpoint)."""

    __slots__ = ("ended", "observer", "token")

    def __init__(self, observer: CallObserver, token: object) -> None:
        self.observer = observer
        self.token = token
        self.ended = False

    def end(self, error: BaseException | None) -> None:
        if not self.ended:
            self.ended = True
            self.observer.call_ended(self.token, error)


def _annotate(err: DynamORMError, attempts: int, in_doubt: int) -> DynamORMError:
    if isinstance(err, (ServiceError, DeadlineExceeded)):
        err.attempts = attempts
        err.in_doubt = in_doubt > 0
    return err


async def _checkpoint() -> None:
    await _sleep(0)


async def _sleep(delay: float) -> None:
    """Sleep ``delay`` seconds (0: yield once) as the running event loop's library does it.

    On asyncio that is ``asyncio.sleep``, which is what anyio's own sleep and checkpoint are there
    (a cancel scope's cancellation arrives as the task's ``CancelledError`` all the same), so the
    request path does not import anyio (~18 ms at a cold start); another loop (trio) uses anyio.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import anyio

        await anyio.sleep(delay)
        return
    await asyncio.sleep(delay)


__all__ = ["IN_DOUBT_ATTEMPTS", "RETRY_ATTEMPTS", "RetryingTransport", "policy_for"]
