"""aiobotocore as commonly used on Lambda: ``asyncio.run`` and ``create_client`` per invocation.

The session is made once at module level; the client (and its connection pool) cannot outlive
the loop ``asyncio.run`` makes, so each invocation creates and closes one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

from aiobotocore.session import get_session

TABLE = os.environ.get("BENCH_TABLE", "dynamorm_bench")
ENDPOINT = os.environ.get("BENCH_ENDPOINT_URL")
session = get_session()


def _plain(av: Mapping[str, Any]) -> Any:
    """One AttributeValue as plain JSON data (the types the benchmark item uses)."""
    ((tag, value),) = av.items()
    if tag == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if tag == "L":
        return [_plain(v) for v in value]
    if tag == "M":
        return {k: _plain(v) for k, v in value.items()}
    return value


async def _get(pk: str, sk: str) -> dict[str, Any]:
    async with session.create_client("dynamodb", endpoint_url=ENDPOINT) as client:
        response = await client.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}})
        return {k: _plain(v) for k, v in response["Item"].items()}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Read one item and return it as JSON data."""
    return asyncio.run(_get(event["pk"], event["sk"]))
