"""Table management from a compiled schema: create, ensure, describe, delete, enable TTL.

Creation derives the key schema, attribute definitions and indexes from the model, so the table
always matches what the managers will send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import anyio

from .errors import InvalidInput, TableAlreadyExists, TableNotFound
from .schema import FieldSpec, IndexSpec, Schema

if TYPE_CHECKING:
    from .transport import Transport

Billing = Literal["PAY_PER_REQUEST", "PROVISIONED"]
StreamView = Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]


def _key_schema(hash_key: FieldSpec, range_key: FieldSpec | None) -> list[dict[str, str]]:
    out = [{"AttributeName": hash_key.attr, "KeyType": "HASH"}]
    if range_key is not None:
        out.append({"AttributeName": range_key.attr, "KeyType": "RANGE"})
    return out


def _projection(index: IndexSpec) -> dict[str, Any]:
    if isinstance(index.projection, str):
        return {"ProjectionType": index.projection}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.projection)}


def table_definition(
    schema: Schema,
    *,
    billing: Billing = "PAY_PER_REQUEST",
    read_capacity: int = 5,
    write_capacity: int = 5,
    stream: StreamView | None = None,
) -> dict[str, Any]:
    """The CreateTable request for a model, without sending it."""
    table = schema.require_table()
    assert schema.hash_key is not None
    attrs: dict[str, str] = {}

    def define(f: FieldSpec) -> None:
        assert f.codec.kind is not None
        attrs[f.attr] = f.codec.kind

    for f in schema.key_fields:
        define(f)
    provisioned = billing == "PROVISIONED"
    throughput = {"ReadCapacityUnits": read_capacity, "WriteCapacityUnits": write_capacity}
    params: dict[str, Any] = {
        "TableName": table,
        "KeySchema": _key_schema(schema.hash_key, schema.range_key),
        "BillingMode": billing,
    }
    if provisioned:
        params["ProvisionedThroughput"] = throughput
    gsis, lsis = [], []
    for index in schema.indexes.values():
        define(index.hash)
        if index.range is not None:
            define(index.range)
        spec: dict[str, Any] = {
            "IndexName": index.name,
            "KeySchema": _key_schema(index.hash, index.range),
            "Projection": _projection(index),
        }
        if index.kind == "GSI":
            if provisioned:
                spec["ProvisionedThroughput"] = {
                    "ReadCapacityUnits": index.read_capacity or read_capacity,
                    "WriteCapacityUnits": index.write_capacity or write_capacity,
                }
            gsis.append(spec)
        else:
            lsis.append(spec)
    params["AttributeDefinitions"] = [{"AttributeName": k, "AttributeType": t} for k, t in attrs.items()]
    if gsis:
        params["GlobalSecondaryIndexes"] = gsis
    if lsis:
        params["LocalSecondaryIndexes"] = lsis
    if stream is not None:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    return params


async def create_table(
    transport: Transport,
    schema: Schema,
    *,
    billing: Billing = "PAY_PER_REQUEST",
    read_capacity: int = 5,
    write_capacity: int = 5,
    stream: StreamView | None = None,
    wait: bool = True,
    ttl: bool = True,
    max_wait: float = 300.0,
) -> dict[str, Any]:
    """Create the table; with ``wait`` return once it and its indexes are ACTIVE.

    With ``ttl`` and a ``TTL()`` field, DynamoDB's time to live is enabled on that attribute.
    :raises TableAlreadyExists: the table exists already.
    """
    if billing not in ("PAY_PER_REQUEST", "PROVISIONED"):
        raise InvalidInput("billing must be 'PAY_PER_REQUEST' or 'PROVISIONED'")
    params = table_definition(
        schema, billing=billing, read_capacity=read_capacity, write_capacity=write_capacity, stream=stream
    )
    response = await transport.call("CreateTable", params, table=params["TableName"])
    description: dict[str, Any] = response["TableDescription"]
    if wait:
        description = await wait_until_active(transport, params["TableName"], max_wait=max_wait)
    if ttl and schema.ttl is not None:
        await enable_ttl(transport, schema)
    return description


async def ensure_table(transport: Transport, schema: Schema, **options: Any) -> dict[str, Any]:
    """Create the table unless it exists; returns its description (waiting if asked)."""
    table = schema.require_table()
    try:
        description = await describe_table(transport, table)
    except TableNotFound:
        try:
            return await create_table(transport, schema, **options)
        except TableAlreadyExists:  # created concurrently by someone else
            description = await describe_table(transport, table)
    if options.get("wait", True) and description.get("TableStatus") != "ACTIVE":
        description = await wait_until_active(transport, table, max_wait=options.get("max_wait", 300.0))
    return description


async def describe_table(transport: Transport, table: str) -> dict[str, Any]:
    """The table's description; :class:`TableNotFound` when it does not exist."""
    response = await transport.call("DescribeTable", {"TableName": table}, table=table)
    description: dict[str, Any] = response["Table"]
    return description


def _active(description: dict[str, Any]) -> bool:
    if description.get("TableStatus") != "ACTIVE":
        return False
    return all(
        g.get("IndexStatus", "ACTIVE") == "ACTIVE" for g in description.get("GlobalSecondaryIndexes", [])
    )


async def wait_until_active(transport: Transport, table: str, *, max_wait: float = 300.0) -> dict[str, Any]:
    """Poll until the table and its global indexes are ACTIVE (anyio ``fail_after`` bounds it)."""
    delay = 0.05
    with anyio.fail_after(max_wait):
        while True:
            description = await describe_table(transport, table)
            if _active(description):
                return description
            await anyio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def delete_table(
    transport: Transport, table: str, *, wait: bool = True, max_wait: float = 300.0
) -> None:
    """Delete the table; with ``wait`` return once DynamoDB no longer knows it."""
    await transport.call("DeleteTable", {"TableName": table}, table=table)
    if not wait:
        return
    delay = 0.05
    with anyio.fail_after(max_wait):
        while True:
            try:
                await describe_table(transport, table)
            except TableNotFound:
                return
            await anyio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def enable_ttl(transport: Transport, schema: Schema) -> None:
    """Enable DynamoDB's TTL on the model's ``TTL()`` attribute (no-op if already enabled)."""
    table = schema.require_table()
    if schema.ttl is None:
        raise InvalidInput(f"{schema.model.__name__} declares no TTL() field")
    current = await transport.call("DescribeTimeToLive", {"TableName": table}, table=table)
    ttl_desc = current.get("TimeToLiveDescription", {})
    if (
        ttl_desc.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        and ttl_desc.get("AttributeName") == schema.ttl.attr
    ):
        return
    await transport.call(
        "UpdateTimeToLive",
        {"TableName": table, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": schema.ttl.attr}},
        table=table,
    )


__all__ = [
    "create_table",
    "delete_table",
    "describe_table",
    "enable_ttl",
    "ensure_table",
    "table_definition",
    "wait_until_active",
]
