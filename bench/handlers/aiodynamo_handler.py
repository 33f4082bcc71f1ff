"""aiodynamo with httpx: a client per invocation under ``asyncio.run``, as its Lambda users write it."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
from aiodynamo.client import Client
from aiodynamo.credentials import Credentials
from aiodynamo.http.httpx import HTTPX
from yarl import URL

TABLE = os.environ.get("BENCH_TABLE", "dynamorm_bench")
ENDPOINT = os.environ.get("BENCH_ENDPOINT_URL")
REGION = os.environ.get("AWS_REGION", "us-east-1")


async def _get(pk: str, sk: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        client = Client(HTTPX(http), Credentials.auto(), REGION, endpoint=URL(ENDPOINT) if ENDPOINT else None)
        item: dict[str, Any] = await client.table(TABLE).get_item({"pk": pk, "sk": sk})
        return item


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Read one item and return it as JSON data."""
    return asyncio.run(_get(event["pk"], event["sk"]))
