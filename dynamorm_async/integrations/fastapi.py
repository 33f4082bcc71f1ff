"""FastAPI integration: the DB lives as long as the app, routes receive it by dependency, and the
library's typed errors become HTTP answers.

::

    db = DB()                                   # region and endpoint from the usual AWS settings
    orm = DynamORM(db, models=[Order])
    app = FastAPI(lifespan=orm.lifespan)        # client made at startup, closed at shutdown
    install_exception_handlers(app)             # ItemNotFound -> 404, ConditionCheckFailed -> 409, ...

    Orders = Annotated[Manager[Order], Depends(orm.manager(Order))]

    @app.get("/orders/{partner_id}/{order_id}")
    async def get_order(partner_id: str, order_id: str, orders: Orders) -> Order:
        return await orders.get(partner_id, order_id)

Models are pydantic models, so they serve as request and response models as they are, and so does
:class:`~dynamorm_async.query.Page` (``-> Page[Order]``).

Behind AWS Lambda with Mangum, give Mangum ``lifespan="off"``: Mangum runs the app's startup and
shutdown around *every* invocation, which would close the client pool each time. Mangum runs every
invocation on one event loop, so a client made on that loop (call :meth:`DynamORM.startup` on it
during the init phase) serves every warm invocation. Wrap the app in :class:`LambdaDeadline` so
each request stops, and answers 503, before Lambda's own timeout.

This module imports FastAPI (install the ``fastapi`` extra); the rest of the package never does.
"""

from __future__ import annotations

import inspect
import keyword
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import Annotated, Any, Generic, Protocol, TypeVar

import anyio
from fastapi import Depends, FastAPI, Header, Request
from fastapi import Path as FastAPIPath
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import (
    ConditionCheckFailed,
    DeadlineExceeded,
    DuplicateKey,
    DynamORMError,
    InvalidCursor,
    InvalidKey,
    InvalidValue,
    ItemNotFound,
    ItemTooLarge,
    LambdaTimeoutError,
    ServiceError,
    ServiceValidationError,
    Throttled,
    UnknownPartner,
)
from ..manager import Manager  # at run time: FastAPI evaluates the dependencies' annotations
from ..model import Model

M = TypeVar("M", bound=Model)

logger = logging.getLogger("dynamorm_async.fastapi")


class Database(Protocol):
    """What :class:`DynamORM` needs of a database object (a :class:`~dynamorm_async.DB` has it)."""

    def register(self, *models: type[Model]) -> None: ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...


class ManagerSource(Database, Protocol):
    """A database that hands out model managers (a :class:`~dynamorm_async.DB`)."""

    def manager(self, model: type[M]) -> Manager[M]: ...


D = TypeVar("D", bound=Database, covariant=True)

#: The HTTP status each error class answers with; the most specific class listed wins.
#: Errors not listed (a stored item that no longer validates, a bad expression in the code,
#: refused credentials, ...) are the service's fault and stay 500s.
ERROR_STATUS: Mapping[type[DynamORMError], int] = MappingProxyType(
    {
        ItemNotFound: 404,
        UnknownPartner: 404,
        ConditionCheckFailed: 409,
        # Bad input a client can send: a key or value DynamoDB cannot hold, a bad cursor.
        InvalidKey: 422,
        InvalidValue: 422,
        ItemTooLarge: 422,
        InvalidCursor: 422,
        DuplicateKey: 422,
        ServiceValidationError: 422,
        DeadlineExceeded: 503,
        Throttled: 503,
    }
)

#: Seconds a client is asked to wait (``Retry-After``) after a 503.
RETRY_AFTER_SECONDS = 1


class DynamORM(Generic[D]):
    """Ties a database's lifetime to a FastAPI app and hands it to routes as dependencies.

    ``db`` is a :class:`~dynamorm_async.DB`, or a :class:`~dynamorm_async.MultiAccountDB` whose
    partner each request names in a header (``partner_header="X-Partner-Id"``) or a path
    parameter (``partner_path_param="partner_id"``); :attr:`get_db` and :meth:`manager` then hand
    out that partner's DB and managers, and the partner is active for the whole request.
    Authenticate callers before letting them name a partner.

    ``models`` are compiled and their managers made at startup (not on the first request);
    with ``ensure_tables`` their tables are also created when missing, in every partner's account
    for a MultiAccountDB (for local development and tests; in production tables belong to your
    infrastructure code).
    """

    def __init__(
        self,
        db: D,
        *,
        models: Sequence[type[Model]] = (),
        ensure_tables: bool = False,
        partner_header: str | None = None,
        partner_path_param: str | None = None,
    ) -> None:
        self.db = db
        self.models = tuple(models)
        self.ensure_tables = ensure_tables
        self.multi_account = _is_multi_account(db)
        self._manager_dependencies: dict[type[Model], Callable[..., Awaitable[Any]]] = {}
        partner = _partner_id_parameter(partner_header, partner_path_param)
        if partner is not None and not self.multi_account:
            raise TypeError("partner_header/partner_path_param pick a MultiAccountDB's partner; this is a DB")
        #: Dependency: the DB, or the partner's DB (``db: Annotated[DB, Depends(orm.get_db)]``).
        #: The DB is lazy, so this also works where the lifespan does not run (Mangum with its
        #: lifespan off): the first call makes the client.
        self.get_db: Callable[..., Any] = self._db_dependency(partner)
        self._partner_scoped = partner is not None

    # ------------------------------------------------------------------ lifetime
    async def startup(self) -> None:
        """Compile the models, make the client (and its connection pool), create tables if asked.

        A MultiAccountDB's partners connect on first use instead: one partner whose role is
        refused must not keep the service from starting.
        """
        db: Any = self.db
        db.register(*self.models)
        if not self.multi_account:
            await db.connect()
        if not (self.ensure_tables and self.models):
            return
        async with anyio.create_task_group() as tg:
            if not self.multi_account:
                for model in self.models:
                    tg.start_soon(_ensure_table, db.manager(model))
                return
            for partner_id in db.partners:
                async with db.partner(partner_id) as partner_db:
                    for model in self.models:
                        tg.start_soon(_ensure_table, partner_db.manager(model))

    async def shutdown(self) -> None:
        """Close the client(s) and connection pool(s)."""
        await self.db.close()

    @asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """FastAPI's ``lifespan=``: :meth:`startup` before the first request, :meth:`shutdown` after the last.

        To combine it with a lifespan of your own, enter it there: ``async with orm.lifespan(app): ...``.
        """
        await self.startup()
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):
                await self.shutdown()

    # ------------------------------------------------------------------ dependencies
    def _db_dependency(self, partner: inspect.Parameter | None) -> Callable[..., Any]:
        db: Any = self.db
        if partner is None:

            async def get_db() -> Any:
                return db

            get_db.__signature__ = inspect.Signature()  # type: ignore[attr-defined]
            return get_db

        async def get_partner_db(**partner_id: str) -> AsyncIterator[Any]:
            (value,) = partner_id.values()
            async with db.partner(value) as partner_db:  # UnknownPartner: 404
                yield partner_db

        get_partner_db.__signature__ = inspect.Signature([partner])  # type: ignore[attr-defined]
        return get_partner_db

    def manager(self: DynamORM[ManagerSource], model: type[M]) -> Callable[..., Awaitable[Manager[M]]]:
        """Dependency factory: the manager of ``model`` (``Depends(orm.manager(Order))``).

        With a partner header or path parameter configured it is the partner's manager. The same
        callable is returned for the same model, so FastAPI resolves it once per request.
        """
        found = self._manager_dependencies.get(model)
        if found is not None:
            return found
        source: Any = self.db

        async def dependency(**resolved: Any) -> Manager[M]:
            manager: Manager[M] = resolved.get("db", source).manager(model)
            return manager

        parameters = []
        if self._partner_scoped:  # the partner's DB, from the partner dependency
            annotation = Annotated[Any, Depends(self.get_db)]
            parameters.append(inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
        dependency.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        dependency.__name__ = dependency.__qualname__ = f"{model.__name__}_manager"
        self._manager_dependencies[model] = dependency
        return dependency


def _is_multi_account(db: object) -> bool:
    from ..accounts import MultiAccountDB

    return isinstance(db, MultiAccountDB)


def _partner_id_parameter(header: str | None, path_param: str | None) -> inspect.Parameter | None:
    """The FastAPI parameter that reads the partner id from a header or a path parameter."""
    if header is not None and path_param is not None:
        raise TypeError("give partner_header or partner_path_param, not both")
    if header is not None:
        if not header or not all(c.isalnum() or c in "-_" for c in header):
            raise ValueError(f"partner_header must be an HTTP header name, not {header!r}")
        annotation: Any = Annotated[str, Header(alias=header, min_length=1)]
        return inspect.Parameter("partner_id", inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
    if path_param is not None:
        if not path_param.isidentifier() or keyword.iskeyword(path_param):
            raise ValueError(f"partner_path_param must be a Python identifier, not {path_param!r}")
        annotation = Annotated[str, FastAPIPath(min_length=1)]
        return inspect.Parameter(path_param, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
    return None


async def _ensure_table(manager: Manager[Any]) -> None:
    await manager.ensure_table()


# --------------------------------------------------------------------------- errors


def _detail(exc: DynamORMError) -> str:
    """What the client is told: enough to act on, nothing about tables, keys or accounts."""
    if isinstance(exc, ItemNotFound):
        return "item not found"
    if isinstance(exc, UnknownPartner):
        return "unknown partner"
    if isinstance(exc, ConditionCheckFailed):
        return "the item has changed, or does not meet the request's condition"
    if isinstance(exc, DeadlineExceeded):
        return "the request ran out of time; retry it"
    if isinstance(exc, Throttled):
        return "too many requests right now; retry later"
    if isinstance(exc, ServiceError):
        return exc.message
    return str(exc)


def status_for(exc: BaseException, statuses: Mapping[type[DynamORMError], int] = ERROR_STATUS) -> int | None:
    """The HTTP status for ``exc`` (its most specific class in ``statuses``), or ``None``."""
    for cls in type(exc).__mro__:
        status = statuses.get(cls)
        if status is not None:
            return status
    return None


def error_response(exc: DynamORMError, status: int) -> JSONResponse:
    """The JSON answer for a library error: ``{"detail": ..., "error": "<class name>"}``.

    503s carry ``Retry-After``.
    """
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    body = {"detail": _detail(exc), "error": type(exc).__name__}
    return JSONResponse(body, status_code=status, headers=headers)


def install_exception_handlers(
    app: FastAPI, statuses: Mapping[type[DynamORMError], int] = ERROR_STATUS
) -> None:
    """Answer the library's errors with HTTP statuses (by default :data:`ERROR_STATUS`).

    Unlisted errors are left alone, so they stay 500s and reach your logs.
    """

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        status = status_for(exc, statuses)
        if status is None or not isinstance(exc, DynamORMError):  # pragma: no cover - registered per class
            raise exc
        if status >= 500:
            logger.warning("%s %s answered %d: %r", request.method, request.url.path, status, exc)
        return error_response(exc, status)

    for cls in statuses:
        app.add_exception_handler(cls, handler)


# --------------------------------------------------------------------------- Lambda


class LambdaDeadline:
    """ASGI middleware for FastAPI on AWS Lambda behind Mangum: each request gets the Lambda deadline.

    ``Mangum(LambdaDeadline(app), lifespan="off")``. Mangum puts Lambda's ``context`` in the ASGI
    scope (``aws.context``); the request runs inside
    :func:`~dynamorm_async.aws_lambda.with_lambda_timeout` (the deadline minus ``buffer``
    seconds), so a DynamoDB call that would start too late is not sent, and one still running
    is cancelled. Either way the client gets a 503 while the function can still answer, instead of
    Lambda's own timeout error. Without ``aws.context`` (uvicorn, tests) it does nothing.
    """

    def __init__(self, app: ASGIApp, *, buffer: float | None = None) -> None:
        self.app = app
        self.buffer = buffer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = scope.get("aws.context") if scope["type"] == "http" else None
        if context is None:
            await self.app(scope, receive, send)
            return
        from ..aws_lambda.timeout import with_lambda_timeout

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            with with_lambda_timeout(context, self.buffer):
                await self.app(scope, receive, tracking_send)
        except LambdaTimeoutError as exc:
            if started:  # too late to answer otherwise
                raise
            logger.warning("%s %s answered 503: %r", scope.get("method"), scope.get("path"), exc)
            await error_response(exc, 503)(scope, receive, send)


__all__ = [
    "ERROR_STATUS",
    "RETRY_AFTER_SECONDS",
    "Database",
    "DynamORM",
    "LambdaDeadline",
    "ManagerSource",
    "error_response",
    "install_exception_handlers",
    "status_for",
]
