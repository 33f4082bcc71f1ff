"""pydynox: a model and its client at module level (the init phase); ``asyncio.run`` per invocation.

pydynox does its HTTP, signing and encoding in a Rust core; its model API is async by default,
so a Lambda handler (a plain function) runs the read in a fresh event loop each time.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from pydynox import DynamoDBClient, Model, ModelConfig
from pydynox.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, StringAttribute

client = DynamoDBClient(endpoint_url=os.environ.get("BENCH_ENDPOINT_URL"))


class BenchItem(Model):
    """The benchmark item (the same fields as ours)."""

    model_config = ModelConfig(table=os.environ.get("BENCH_TABLE", "dynamorm_bench"), client=client)

    pk = StringAttribute(partition_key=True)
    sk = StringAttribute(sort_key=True)
    name = StringAttribute()
    email = StringAttribute()
    status = StringAttribute()
    count = NumberAttribute()
    active = BooleanAttribute()
    tags = ListAttribute()
    address = MapAttribute()


async def _get(event: dict[str, Any]) -> dict[str, Any]:
    item = await BenchItem.get(pk=event["pk"], sk=event["sk"])
    if item is None:
        raise LookupError(f"no item {event['pk']}/{event['sk']}")
    return item.to_dict()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Read one item and return it as JSON data."""
    return asyncio.run(_get(event))
