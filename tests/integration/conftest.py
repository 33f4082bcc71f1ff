"""ORM fixtures on DynamoDB Local: a DB per test and tables made from models."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import dynamorm_async.transport as transport_package
from dynamorm_async import DB, Model, TableNotFound
from dynamorm_async.transport import TransportConfig

pytestmark = pytest.mark.anyio

TableFactory = Callable[[type[Model]], Awaitable[None]]

#: Suites that run on both ways to the wire. They are the data plane: every operation, its
#: errors, paging, batches, transactions, lost answers and retries through the fault proxy; the
#: two transports differ exactly there (encoding, error mapping, connections). The others (table
#: engine checks, streams decoding, the README) exercise nothing transport-specific, so they run
#: once, on aiobotocore: running them twice would cost minutes of the CI budget on a 2-core box
#: for no added coverage. The Lambda runtime suites (tests/lambda_runtime) get the lean transport
#: by ``auto`` (a Runtime API is set there), the aiobotocore one in their explicit cases.
BOTH_TRANSPORTS = frozenset(
    {
        "test_bad_input",
        "test_both_transports",
        "test_batch",
        "test_crud",
        "test_faults",
        "test_query",
        "test_scan",
        "test_transactions",
        "test_transport_faults",
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give every test of :data:`BOTH_TRANSPORTS` an ``http`` parameter: aiobotocore, then lean."""
    if "http" in metafunc.fixturenames:
        module = metafunc.module.__name__.rsplit(".", 1)[-1]
        ways = ["aiobotocore", "lean"] if module in BOTH_TRANSPORTS else ["aiobotocore"]
        metafunc.parametrize("http", ways, indirect=True)


@pytest.fixture(autouse=True)
def http(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The way to the wire every ``DB`` of the test gets when its config says ``auto`` (the default).

    For ``lean``, ``auto`` picks the lean transport as it does in Lambda (only for DynamoDB and
    when no session or aiobotocore credentials are given); an explicit choice is kept.
    """
    way = str(getattr(request, "param", "aiobotocore"))
    if way == "lean":
        original = transport_package.choose_http

        def choose(config: TransportConfig, **kwargs: Any) -> tuple[str, str]:
            chosen = original(config, **kwargs)
            if config.http == "auto" and chosen[1].startswith("auto"):
                return "lean", "auto: the test asks for lean"
            return chosen

        monkeypatch.setattr(transport_package, "choose_http", choose)
    return way


@pytest.fixture
async def db(dynamodb_local: str) -> AsyncIterator[DB]:
    """A DB on DynamoDB Local; its client is closed after the test."""
    async with DB(region="us-east-1", endpoint_url=dynamodb_local) as database:
        yield database


@pytest.fixture
async def tables(db: DB) -> AsyncIterator[TableFactory]:
    """``await tables(Model)`` creates the model's table fresh; all are deleted after the test."""
    made: list[type[Model]] = []

    async def make(model: type[Model]) -> None:
        manager = db.manager(model)
        try:
            await manager.delete_table()
        except TableNotFound:
            pass
        await manager.create_table()
        made.append(model)

    yield make
    for model in made:
        try:
            await db.manager(model).delete_table(wait=False)
        except TableNotFound:
            pass
