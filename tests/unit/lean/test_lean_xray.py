"""X-Ray on the lean path: the library's call hooks make one subsegment per call, retries inside."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import pytest

from dynamorm_async import DB, HashKey, Model
from dynamorm_async.aws_lambda import xray
from dynamorm_async.transport import TransportConfig, base

from .scripted_server import Request, ScriptedServer, answer

pytestmark = pytest.mark.anyio
recorder_module = pytest.importorskip("aws_xray_sdk.core")


class Parcel(Model, table="parcels"):
    parcel_id: Annotated[str, HashKey()]
    weight: int = 0


@pytest.fixture
def segment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Tracing on for this test only, inside an open segment (never sent: it is not ended)."""
    monkeypatch.setattr(xray, "_enabled", False)
    monkeypatch.setattr(base, "PROCESS_HOOKS", [])
    monkeypatch.setattr("dynamorm_async.transport.core.PROCESS_HOOKS", base.PROCESS_HOOKS)
    xray.enable_xray_tracing()
    recorder = recorder_module.xray_recorder
    opened = recorder.begin_segment("lean-test", sampling=1)
    try:
        yield opened
    finally:
        recorder.clear_trace_entities()


async def test_one_subsegment_per_call_with_its_retries_inside(segment: Any) -> None:
    async def throttle_once(request: Request) -> bytes:
        if len(server.requests) == 1:
            return answer(400, {"__type": "x#ThrottlingException", "message": "slow down"})
        return answer(body={"Item": {"parcel_id": {"S": "p1"}, "weight": {"N": "3"}}})

    async with ScriptedServer(throttle_once) as server:
        config = TransportConfig(region="us-east-1", endpoint_url=server.url, http="lean", backoff_base=0.001)
        async with DB(config=config) as db:
            assert (await db.manager(Parcel).get("p1")).weight == 3
    assert len(server.requests) == 2  # two attempts ...
    (sub,) = segment.subsegments  # ... one subsegment
    doc = sub.to_dict()
    assert doc["name"] == "dynamodb" and doc["namespace"] == "aws"
    assert doc["annotations"] == {"operation": "GetItem", "table": "parcels"}
    assert doc["aws"]["retries"] == 1 and doc["aws"]["table_name"] == "parcels"
    assert doc["http"]["response"]["status"] == 200
    assert doc["end_time"] >= doc["start_time"]
