"""aioboto3: a session at module level, a resource Table per invocation under ``asyncio.run``.

This is the pattern aioboto3's users write for Lambda's synchronous handler: the resource and
its connection pool belong to the loop ``asyncio.run`` makes, so each invocation builds them anew.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import aioboto3

TABLE = os.environ.get("BENCH_TABLE", "dynamorm_bench")
ENDPOINT = os.environ.get("BENCH_ENDPOINT_URL")
session = aioboto3.Session()


async def _get(pk: str, sk: str) -> dict[str, Any]:
    async with session.resource("dynamodb", endpoint_url=ENDPOINT) as dynamodb:
        table = await dynamodb.Table(TABLE)
        response = await table.get_item(Key={"pk": pk, "sk": sk})
        item: dict[str, Any] = response["Item"]
        return item


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Read one item and return it as JSON data."""
    return asyncio.run(_get(event["pk"], event["sk"]))
