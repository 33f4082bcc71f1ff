"""``LambdaDB`` in this process, on DynamoDB Local: init-phase work, plain-DB code, SnapStart hooks."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import pytest

from dynamorm_async import DB, HashKey, ItemNotFound, LambdaDB, Model, TableNotFound, concurrency
from dynamorm_async.aws_lambda import HandlerRunner, current_invocation
from dynamorm_async.aws_lambda.snapstart import after_restore, before_snapshot, register_snapstart_hooks
from dynamorm_async.transport import debug_stats
from tests.lambda_runtime.slow_proxy import SlowProxy
from tests.transports import managed

pytestmark = pytest.mark.integration


class Widget(Model, table="lambda_db_widgets"):
    widget_id: Annotated[str, HashKey()]
    name: str = ""


class Missing(Model, table="lambda_db_no_such_table"):
    key: Annotated[str, HashKey()]


@pytest.fixture(scope="module")
def widget_table(dynamodb_local: str) -> Iterator[str]:
    runner = HandlerRunner()

    async def make() -> None:
        async with DB(region="us-east-1", endpoint_url=dynamodb_local) as db:
            try:
                await db.manager(Widget).delete_table()
            except TableNotFound:
                pass
            await db.manager(Widget).create_table()

    runner.run(make)
    yield Widget.__dynamorm_schema__.require_table()
    runner.close()


@pytest.fixture(autouse=True)
def no_lasting_concurrency_defaults() -> Iterator[None]:
    """A LambdaDB tuned inside Lambda sets the process's batch and scan defaults: undo it."""
    yield
    concurrency.set_defaults(None)


@pytest.fixture
def runner() -> Iterator[HandlerRunner]:
    r = HandlerRunner()
    yield r
    r.close()


def test_the_client_is_made_and_warmed_during_init_never_on_the_first_request(
    dynamodb_local: str, widget_table: str, runner: HandlerRunner
) -> None:
    clients, describes = debug_stats().clients_created, debug_stats().by_operation.get("DescribeTable", 0)
    db = LambdaDB(
        models=[Widget],
        region="us-east-1",
        endpoint_url=dynamodb_local,
        connect=True,
        warm=True,
        runner=runner,
    )
    assert managed(db).has_client
    assert debug_stats().clients_created == clients + 1
    assert debug_stats().by_operation.get("DescribeTable", 0) == describes + 1

    @db.handler
    async def handler(event: Any, context: Any) -> dict[str, Any]:
        await db.manager(Widget).put(Widget(widget_id=event["id"], name="gear"))
        got = await db.manager(Widget).get(event["id"])
        info = current_invocation()
        assert info is not None
        return {"name": got.name, "start": info.start}

    first = handler({"id": uuid.uuid4().hex}, None)
    second = handler({"id": uuid.uuid4().hex}, None)
    assert (first, second) == ({"name": "gear", "start": "cold"}, {"name": "gear", "start": "warm"})
    assert debug_stats().clients_created == clients + 1


def test_concurrent_work_inside_one_invocation_shares_the_one_client(
    dynamodb_local: str, widget_table: str, runner: HandlerRunner
) -> None:
    db = LambdaDB(
        models=[Widget], region="us-east-1", endpoint_url=dynamodb_local, connect=True, runner=runner
    )
    widgets = db.manager(Widget)
    keys = [f"many-{n}" for n in range(20)]
    clients = debug_stats().clients_created

    @db.handler
    async def handler(event: Any, context: Any) -> list[str]:
        import anyio

        names: dict[str, str] = {}

        async def write_then_read(key: str) -> None:
            await widgets.put(Widget(widget_id=key, name=key.upper()))
            names[key] = (await widgets.get(key, consistent=True)).name

        async with anyio.create_task_group() as tg:
            for key in keys:
                tg.start_soon(write_then_read, key)
        return [names[k] for k in keys]

    assert handler({}, None) == [k.upper() for k in keys]
    assert handler({}, None) == [k.upper() for k in keys]
    assert debug_stats().clients_created == clients


def test_warming_a_missing_table_is_logged_not_raised(
    dynamodb_local: str, runner: HandlerRunner, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="dynamorm_async.lambda"):
        db = LambdaDB(
            models=[Missing],
            region="us-east-1",
            endpoint_url=dynamodb_local,
            connect=True,
            warm=True,
            runner=runner,
        )
    assert managed(db).has_client
    assert "lambda_db_no_such_table" in caplog.text


def test_inside_lambda_it_connects_at_init_by_itself(
    dynamodb_local: str, runner: HandlerRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    db = LambdaDB(models=[Widget], region="us-east-1", endpoint_url=dynamodb_local, runner=runner)
    assert managed(db).has_client
    assert managed(db).config.max_pool_connections == 32
    assert managed(db).config.endpoint_url == dynamodb_local


@pytest.mark.anyio
async def test_code_written_for_db_runs_unchanged(dynamodb_local: str, widget_table: str) -> None:
    async with LambdaDB(models=[Widget], region="us-east-1", endpoint_url=dynamodb_local) as db:
        assert isinstance(db, DB)
        widgets = db.manager(Widget)
        key = uuid.uuid4().hex
        await widgets.put(Widget(widget_id=key, name="cog"))
        assert (await widgets.get(key)).name == "cog"
        await widgets.delete(key)
        with pytest.raises(ItemNotFound):
            await widgets.get(key)


def test_snapstart_hooks_drop_the_connection_then_reconnect_with_a_fresh_transport(
    dynamodb_local: str, widget_table: str, runner: HandlerRunner
) -> None:
    db = LambdaDB(
        models=[Widget], region="us-east-1", endpoint_url=dynamodb_local, connect=True, runner=runner
    )
    old = managed(db)
    closed, created = debug_stats().clients_closed, debug_stats().clients_created

    before_snapshot(db)
    assert not old.has_client
    assert debug_stats().clients_closed == closed + 1

    after_restore(db)
    assert db.transport is not old and managed(db).has_client
    assert managed(db).config == old.config
    assert db.manager(Widget).transport is db.transport
    assert debug_stats().clients_created == created + 1

    @db.handler
    async def handler(event: Any, context: Any) -> str:
        await db.manager(Widget).put(Widget(widget_id="restored", name="ok"))
        info = current_invocation()
        assert info is not None
        return info.start

    assert handler({}, None) == "restore"
    assert handler({}, None) == "warm"


def test_register_snapstart_hooks_with_the_runtime(dynamodb_local: str, runner: HandlerRunner) -> None:
    import snapshot_restore_py

    before, after = snapshot_restore_py.get_before_snapshot(), snapshot_restore_py.get_after_restore()
    saved = (list(before), list(after))
    try:
        db = LambdaDB(
            models=[Widget], region="us-east-1", endpoint_url=dynamodb_local, snapstart=True, runner=runner
        )
        assert (before_snapshot, (db,), {}) in before
        assert (after_restore, (db,), {}) in after
        assert register_snapstart_hooks(db) is True
    finally:
        before[:], after[:] = saved


@pytest.mark.anyio
async def test_made_inside_a_running_loop_it_connects_on_first_use_instead(
    dynamodb_local: str, widget_table: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="dynamorm_async.lambda"):
        db = LambdaDB(models=[Widget], region="us-east-1", endpoint_url=dynamodb_local, connect=True)
    assert "running event loop" in caplog.text
    assert not managed(db).has_client
    async with db:
        assert (await db.manager(Widget).get_or_none("nobody")) is None


def test_warming_an_endpoint_that_never_answers_stops_at_its_budget(
    slow_proxy: SlowProxy, runner: HandlerRunner, caplog: pytest.LogCaptureFixture
) -> None:
    slow_proxy.slow(30.0)  # takes the request, never answers
    db = LambdaDB(models=[Widget], region="us-east-1", endpoint_url=slow_proxy.url, runner=runner)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="dynamorm_async.lambda"):
        runner.run(db.warm, 0.5)
    assert time.monotonic() - started < 1.5
    assert slow_proxy.operations == ["DescribeTable"]
    assert "stopped after its 0.5s budget" in caplog.text and "lambda_db_widgets" in caplog.text
