"""The stdlib refresh machinery of lean partners keeps aiobotocore's windows: one fetch for many
waiters, old keys kept when an advisory refresh fails, a mandatory failure raised."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

from dynamorm_async.accounts.refresh import Refreshable

pytestmark = pytest.mark.anyio

START = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


class Source:
    """Issues keys ``k1``, ``k2``... valid for 900 s from the clock; can be told to fail."""

    def __init__(self) -> None:
        self.now = START
        self.calls = 0
        self.fail = False

    async def __call__(self) -> Mapping[str, Any]:
        self.calls += 1
        await asyncio.sleep(0.01)  # waiters pile up on the lock meanwhile
        if self.fail:
            raise RuntimeError("STS is down")
        expiry = self.now + dt.timedelta(seconds=900)
        return {
            "access_key": f"k{self.calls}",
            "secret_key": "s",
            "token": "t",
            "expiry_time": expiry.isoformat(),
        }


def machine(source: Source) -> Refreshable:
    return Refreshable(source, advisory_seconds=300, mandatory_seconds=150, clock=lambda: source.now)


async def test_windows_and_single_flight() -> None:
    source = Source()
    keys = machine(source)
    first = await asyncio.gather(*(keys.get_frozen_credentials() for _ in range(50)))
    assert source.calls == 1 and {f.access_key for f in first} == {"k1"}
    assert repr(first[0]) == "Frozen(access_key='k1')"  # no secret, no token

    source.now = START + dt.timedelta(seconds=100)  # fresh: nothing fetched
    assert (await keys.get_frozen_credentials()).access_key == "k1" and source.calls == 1

    source.now = START + dt.timedelta(seconds=700)  # advisory window: a failure keeps the old keys
    source.fail = True
    assert (await keys.get_frozen_credentials()).access_key == "k1" and source.calls == 2
    source.fail = False
    advisory = await asyncio.gather(*(keys.get_frozen_credentials() for _ in range(20)))
    assert source.calls == 3 and {f.access_key for f in advisory} <= {"k1", "k3"}
    assert (await keys.get_frozen_credentials()).access_key == "k3"

    source.now += dt.timedelta(seconds=800)  # mandatory window: every caller waits, errors raise
    source.fail = True
    with pytest.raises(RuntimeError):
        await keys.get_frozen_credentials()
    source.fail = False
    mandatory = await asyncio.gather(*(keys.get_frozen_credentials() for _ in range(20)))
    assert source.calls == 5 and {f.access_key for f in mandatory} == {"k5"}
