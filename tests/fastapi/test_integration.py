"""``dynamorm_async.integrations.fastapi`` itself: lifespan, dependencies and the error answers.

No ``from __future__ import annotations`` here: FastAPI reads the annotations of the routes defined
inside the tests, and those name local variables.
"""

import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated

import anyio
import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from dynamorm_async import (
    DB,
    ConditionCheckFailed,
    CredentialsError,
    DuplicateKey,
    DynamORMError,
    HashKey,
    InvalidCursor,
    InvalidKey,
    InvalidValue,
    ItemNotFound,
    ItemTooLarge,
    LambdaTimeoutError,
    Manager,
    Model,
    ModelValidationError,
    ServiceValidationError,
    TableNotFound,
    Throttled,
    UnknownAttribute,
    UnknownPartner,
)
from dynamorm_async.deadline import Deadline, deadline_scope, remaining
from dynamorm_async.integrations.fastapi import (
    ERROR_STATUS,
    DynamORM,
    LambdaDeadline,
    install_exception_handlers,
    status_for,
)
from dynamorm_async.transport import debug_stats
from tests.transports import managed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio


class Widget(Model, table=f"fastapi_widgets_{uuid.uuid4().hex[:8]}"):
    widget_id: Annotated[str, HashKey()]
    size: int = 0


def service_error(cls: type[DynamORMError], code: str) -> DynamORMError:
    return cls("DynamoDB says no", code=code, operation="PutItem", table="secret_table")  # type: ignore[call-arg]


# (error raised by a route, expected status or None for "left alone: 500")
ERROR_CASES: list[tuple[DynamORMError, int | None]] = [
    (ItemNotFound("no item", table="secret_table", key={"id": {"S": "x"}}), 404),
    (UnknownPartner("no partner 'acme'"), 404),
    (service_error(ConditionCheckFailed, "ConditionalCheckFailedException"), 409),
    (InvalidKey("Widget.widget_id: key values cannot be empty"), 422),
    (InvalidValue("NaN cannot be stored"), 422),
    (ItemTooLarge("item is 500 KB", size=500_000, limit=400_000), 422),
    (InvalidCursor("cursor is not a valid cursor"), 422),
    (DuplicateKey("the same key twice"), 422),
    (service_error(ServiceValidationError, "ValidationException"), 422),
    (LambdaTimeoutError("deadline reached", operation="GetItem"), 503),
    (service_error(Throttled, "ProvisionedThroughputExceededException"), 503),
    # The service's own faults stay 500s.
    (ModelValidationError("stored item does not validate"), None),
    (UnknownAttribute("Widget has no field 'colour'"), None),
    (CredentialsError("expired", code="ExpiredToken"), None),
    (service_error(TableNotFound, "ResourceNotFoundException"), None),
]


def raising_app(exc: BaseException) -> FastAPI:
    app = FastAPI()
    install_exception_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return app


def case_id(value: object) -> str:
    return type(value).__name__ if isinstance(value, Exception) else str(value)


@pytest.mark.parametrize(("exc", "status"), ERROR_CASES, ids=case_id)
async def test_errors_become_http_answers(exc: DynamORMError, status: int | None) -> None:
    assert status_for(exc) == status
    transport = httpx.ASGITransport(app=raising_app(exc), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom")
    if status is None:
        assert response.status_code == 500
        return
    assert response.status_code == status
    body = response.json()
    assert body["error"] == type(exc).__name__
    assert "secret_table" not in response.text  # no table names, keys or accounts leak out
    assert ("retry-after" in response.headers) == (status == 503)


def test_error_status_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        ERROR_STATUS[ItemNotFound] = 410  # type: ignore[index]


async def test_custom_status_table() -> None:
    app = FastAPI()
    install_exception_handlers(app, {ItemNotFound: 410})

    @app.get("/gone")
    async def gone() -> None:
        raise ItemNotFound("no item", table="t", key={})

    @app.get("/conflict")
    async def conflict() -> None:
        raise service_error(ConditionCheckFailed, "ConditionalCheckFailedException")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/gone")).status_code == 410
        assert (await client.get("/conflict")).status_code == 500  # not in this table


@pytest.fixture
async def widget_orm(dynamodb_local: str, boto3_client: "DynamoDBClient") -> AsyncIterator[DynamORM[DB]]:
    db = DB(endpoint_url=dynamodb_local)
    yield DynamORM(db, models=[Widget], ensure_tables=True)
    await db.close()
    try:
        boto3_client.delete_table(TableName=Widget.__dynamorm_schema__.require_table())
    except boto3_client.exceptions.ResourceNotFoundException:
        pass


async def test_lifespan_opens_and_closes_the_client(
    widget_orm: DynamORM[DB], boto3_client: "DynamoDBClient"
) -> None:
    db = widget_orm.db
    app = FastAPI(lifespan=widget_orm.lifespan)
    created, closed = debug_stats().clients_created, debug_stats().clients_closed
    assert not managed(db).has_client
    async with widget_orm.lifespan(app):
        assert managed(db).has_client
        assert debug_stats().clients_created == created + 1
        table = boto3_client.describe_table(TableName=Widget.__dynamorm_schema__.require_table())["Table"]
        assert table["TableStatus"] == "ACTIVE"  # ensure_tables made it
        await db.manager(Widget).put(Widget(widget_id="w1", size=3))
        assert debug_stats().clients_created == created + 1  # the call used the client made at startup
    assert not managed(db).has_client
    assert debug_stats().clients_closed == closed + 1


async def test_dependencies_hand_out_the_db_and_managers(widget_orm: DynamORM[DB]) -> None:
    assert widget_orm.manager(Widget) is widget_orm.manager(Widget)  # FastAPI caches it per request
    app = FastAPI(lifespan=widget_orm.lifespan)
    install_exception_handlers(app)

    @app.put("/widgets/{widget_id}")
    async def put_widget(
        widget_id: str, size: int, widgets: Annotated[Manager[Widget], Depends(widget_orm.manager(Widget))]
    ) -> Widget:
        return await widgets.put(Widget(widget_id=widget_id, size=size))

    @app.get("/widgets/{widget_id}")
    async def get_widget(widget_id: str, db: Annotated[DB, Depends(widget_orm.get_db)]) -> Widget:
        return await db.manager(Widget).get(widget_id, consistent=True)

    @app.get("/late/{widget_id}")
    async def late(widget_id: str, db: Annotated[DB, Depends(widget_orm.get_db)]) -> Widget:
        with deadline_scope(Deadline(at=anyio.current_time() - 0.001, label="test deadline")):
            return await db.manager(Widget).get(widget_id)

    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://test")
    async with widget_orm.lifespan(app), client:
        assert (await client.put("/widgets/w2", params={"size": 7})).status_code == 200
        got = await client.get("/widgets/w2")
        assert got.json() == {"widget_id": "w2", "size": 7}
        assert (await client.get("/widgets/absent")).status_code == 404
        # A real deadline past its end: the transport refuses to send, the answer is 503.
        late_answer = await client.get("/late/w2")
        assert late_answer.status_code == 503
        assert late_answer.json()["error"] == "DeadlineExceeded"


def test_integration_module_is_not_imported_by_the_package() -> None:
    import subprocess
    import sys

    code = "import sys, dynamorm_async; print('fastapi' in sys.modules, 'starlette' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


class Remaining:
    """The part of a Lambda context the deadline reads: time left, counting down from now."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._end - time.monotonic()) * 1000))


def in_lambda(app: ASGIApp, context: Remaining | None) -> ASGIApp:
    """``app`` called the way Mangum calls it: Lambda's context in the ASGI scope."""

    async def with_context(scope: Scope, receive: Receive, send: Send) -> None:
        if context is not None:
            scope = {**scope, "aws.context": context}
        await app(scope, receive, send)

    return with_context


def deadline_app() -> FastAPI:
    app = FastAPI()
    install_exception_handlers(app)

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await anyio.sleep(10)  # stands for work still running when the deadline comes
        return {"done": True}

    @app.get("/left")
    async def left() -> dict[str, float | None]:
        return {"remaining": remaining()}

    return app


async def test_lambda_deadline_answers_503_before_lambda_times_out() -> None:
    app = LambdaDeadline(deadline_app(), buffer=1.0)
    transport = httpx.ASGITransport(app=in_lambda(app, Remaining(1.3)))
    started = time.monotonic()
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/slow")
    took = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["error"] == "LambdaTimeoutError"
    assert response.headers["retry-after"] == "1"
    assert 0.2 < took < 1.2  # cut at 1.3 s - 1.0 s buffer, well before the Lambda deadline


@pytest.mark.parametrize("in_lambda_seconds", [30.0, None], ids=["in Lambda", "outside Lambda"])
async def test_lambda_deadline_sets_the_deadline_only_in_lambda(in_lambda_seconds: float | None) -> None:
    context = None if in_lambda_seconds is None else Remaining(in_lambda_seconds)
    app = LambdaDeadline(deadline_app(), buffer=1.0)
    transport = httpx.ASGITransport(app=in_lambda(app, context))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        left = (await client.get("/left")).json()["remaining"]
    if context is None:
        assert left is None
    else:
        assert 28.0 < left <= 29.0
