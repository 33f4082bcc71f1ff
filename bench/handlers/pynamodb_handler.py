"""PynamoDB: a model class at module level; its connection is made on first use."""

from __future__ import annotations

import os
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model


class BenchItem(Model):  # type: ignore[misc]  # PynamoDB ships no stubs
    """The benchmark item."""

    class Meta:
        table_name = os.environ.get("BENCH_TABLE", "dynamorm_bench")
        host = os.environ.get("BENCH_ENDPOINT_URL")
        region = os.environ.get("AWS_REGION", "us-east-1")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    status = UnicodeAttribute()
    count = NumberAttribute()
    active = BooleanAttribute()
    tags = ListAttribute(of=UnicodeAttribute)
    address = MapAttribute()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Read one item and return it as JSON data."""
    item = BenchItem.get(event["pk"], event["sk"])
    out: dict[str, Any] = item.to_simple_dict()
    return out
