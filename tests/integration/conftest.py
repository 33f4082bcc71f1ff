"""ORM fixtures on DynamoDB Local: a DB per test and tables made from models."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from dynamorm_async import DB, Model, TableNotFound

pytestmark = pytest.mark.anyio

TableFactory = Callable[[type[Model]], Awaitable[None]]


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
