"""The integration suites really run on both ways to the wire, and each reports which it is."""

from __future__ import annotations

import logging

import pytest

from dynamorm_async import DB
from dynamorm_async.transport import debug_stats
from tests.conftest import AWS_REGION
from tests.transports import managed

pytestmark = pytest.mark.anyio


async def test_the_db_uses_the_transport_the_run_asks_for(
    http: str, dynamodb_local: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="dynamorm_async.transport"):
        async with DB(region=AWS_REGION, endpoint_url=dynamodb_local) as db:
            transport = managed(db)
            assert transport.http == http
            assert debug_stats().http == http
            answer = await transport.call("ListTables", {})
            assert isinstance(answer["TableNames"], list)
    assert [r.getMessage() for r in caplog.records if http in r.getMessage()]
