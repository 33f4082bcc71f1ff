"""Table management from a compiled schema: create, ensure, describe, delete, enable TTL.

Creation derives the key schema, attribute definitions and indexes from the model, so the table
always matches what the managers will send. A model with a discriminator shares its table with
the other models registered on it (:func:`~dynamorm_async.single_table.table_models`): the
table is made from all of them (every index of every model; an ``INCLUDE`` index also projects
the discriminator, so queries through it can tell the models apart), whichever model's manager
creates it, and :func:`ensure_table` reports an existing table that lacks what they need
(:class:`~dynamorm_async.errors.TableMismatch`) rather than altering it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import anyio

from .errors import InvalidInput, ModelError, TableAlreadyExists, TableMismatch, TableNotFound
from .schema import FieldSpec, IndexSpec, Schema
from .single_table import table_models

if TYPE_CHECKING:
    from .transport import Transport

Billing = Literal["PAY_PER_REQUEST", "PROVISIONED"]
StreamView = Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]


def _key_schema(hash_key: FieldSpec, range_key: FieldSpec | None) -> list[dict[str, str]]:
    out = [{"AttributeName": hash_key.attr, "KeyType": "HASH"}]
    if range_key is not None:
        out.append({"AttributeName": range_key.attr, "KeyType": "RANGE"})
    return out


def _projection(index: IndexSpec, extra: str | None = None) -> dict[str, Any]:
    """The index's ``Projection``; ``extra`` (the discriminator) is added to an ``INCLUDE`` list."""
    if isinstance(index.projection, str):
        return {"ProjectionType": index.projection}
    attrs = list(index.projection)
    if extra is not None and extra not in attrs:
        attrs.append(extra)
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": attrs}


def table_schemas(schema: Schema) -> tuple[Schema, ...]:
    """The models whose items the table of ``schema`` holds: ``schema`` alone, or, for a model
    with a discriminator, every model registered on its table, in definition order (so the
    table is the same whichever model's manager makes it)."""
    if schema.discriminator is None or schema.table is None:
        return (schema,)
    registered = table_models(schema.table)
    if any(s.model is schema.model for s in registered):
        return registered
    return (*registered, schema)


def _union_indexes(schemas: tuple[Schema, ...]) -> dict[str, IndexSpec]:
    """Every index of the models by name; :class:`ModelError` when two models declare one name
    with other keys, kind or projection (one table has one index of a name)."""
    out: dict[str, IndexSpec] = {}
    owner: dict[str, str] = {}
    for schema in schemas:
        for name, index in schema.indexes.items():
            seen = out.get(name)
            if seen is None:
                out[name], owner[name] = index, schema.model.__name__
            elif _index_shape(seen) != _index_shape(index):
                raise ModelError(
                    f"index {name!r} of table {schema.table!r} is {_index_shape(index)} in "
                    f"{schema.model.__name__} but {_index_shape(seen)} in {owner[name]}"
                )
    return out


def _index_shape(index: IndexSpec) -> tuple[Any, ...]:
    projection = index.projection if isinstance(index.projection, str) else tuple(sorted(index.projection))
    return (index.kind, index.hash.attr, index.range.attr if index.range else None, projection)


def _ttl_attr(schemas: tuple[Schema, ...]) -> str | None:
    """The TTL attribute of the table's models; :class:`ModelError` if they name several."""
    attrs = {s.ttl.attr for s in schemas if s.ttl is not None}
    if len(attrs) > 1:
        raise ModelError(
            f"the models of table {schemas[0].table!r} declare different TTL() attributes "
            f"{sorted(attrs)}; a table has one"
        )
    return attrs.pop() if attrs else None


def table_definition(
    schema: Schema,
    *,
    billing: Billing = "PAY_PER_REQUEST",
    read_capacity: int = 5,
    write_capacity: int = 5,
    stream: StreamView | None = None,
) -> dict[str, Any]:
    """The CreateTable request for a model (and the other models of its table), without sending it.

    :raises ModelError: the table's models declare one index name differently.
    """
    table = schema.require_table()
    assert schema.hash_key is not None
    schemas = table_schemas(schema)
    indexes = _union_indexes(schemas)
    extra = schema.discriminator_attr if schema.discriminator is not None else None
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
    for index in indexes.values():
        define(index.hash)
        if index.range is not None:
            define(index.range)
        spec: dict[str, Any] = {
            "IndexName": index.name,
            "KeySchema": _key_schema(index.hash, index.range),
            "Projection": _projection(index, extra),
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

    With ``ttl`` and a ``TTL()`` field (of any model of the table), DynamoDB's time to live is
    enabled on that attribute.
    :raises TableAlreadyExists: the table exists already.
    :raises ModelError: the table's models disagree on an index or the TTL attribute (nothing sent).
    """
    if billing not in ("PAY_PER_REQUEST", "PROVISIONED"):
        raise InvalidInput("billing must be 'PAY_PER_REQUEST' or 'PROVISIONED'")
    ttl_attr = _ttl_attr(table_schemas(schema))
    params = table_definition(
        schema, billing=billing, read_capacity=read_capacity, write_capacity=write_capacity, stream=stream
    )
    response = await transport.call("CreateTable", params, table=params["TableName"])
    description: dict[str, Any] = response["TableDescription"]
    if wait:
        description = await wait_until_active(transport, params["TableName"], max_wait=max_wait)
    if ttl and ttl_attr is not None:
        await _enable_ttl_on(transport, params["TableName"], ttl_attr)
    return description


async def ensure_table(transport: Transport, schema: Schema, **options: Any) -> dict[str, Any]:
    """Create the table unless it exists; returns its description (waiting if asked).

    For a model with a discriminator, an existing table is checked against what the models of
    the table need (:func:`table_differences`), and never altered.
    :raises TableMismatch: the existing table lacks a key, key type or index the models need.
    """
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
    if schema.discriminator is not None:
        differences = table_differences(schema, description)
        if differences:
            names = ", ".join(s.model.__name__ for s in table_schemas(schema))
            raise TableMismatch(
                f"table {table!r} does not have what its models ({names}) need: " + "; ".join(differences),
                table=table,
                differences=differences,
            )
    return description


def _described_keys(key_schema: Any) -> tuple[str | None, str | None]:
    keys = {k.get("KeyType"): k.get("AttributeName") for k in key_schema or ()}
    return keys.get("HASH"), keys.get("RANGE")


def _covers(have: dict[str, Any], need: dict[str, Any]) -> bool:
    """Whether a described projection holds every attribute a needed one asks for."""
    kind = have.get("ProjectionType")
    if kind == "ALL" or need["ProjectionType"] == "KEYS_ONLY":
        return True
    if need["ProjectionType"] == "ALL":
        return False
    return kind == "INCLUDE" and set(need["NonKeyAttributes"]) <= set(have.get("NonKeyAttributes", ()))


def table_differences(schema: Schema, description: dict[str, Any]) -> list[str]:
    """What a described table lacks for the models of ``schema``'s table, in words (empty: none).

    Compared: the key schema, the types of the key attributes, and each index the models
    declare (present, of its kind, with its keys, projecting what they declare). Indexes the
    models do not declare, billing and streams are not compared.
    """
    wanted = table_definition(schema)
    out: list[str] = []
    types = {d["AttributeName"]: d["AttributeType"] for d in description.get("AttributeDefinitions", ())}
    want_keys = _described_keys(wanted["KeySchema"])
    have_keys = _described_keys(description.get("KeySchema"))
    if want_keys != have_keys:
        out.append(f"its key is {have_keys} (hash, range), the models need {want_keys}")
    for d in wanted["AttributeDefinitions"]:
        name, kind = d["AttributeName"], d["AttributeType"]
        if name in types and types[name] != kind:
            out.append(f"key attribute {name!r} is {types[name]}, the models need {kind}")
    described = {
        i["IndexName"]: (kind, i)
        for kind, member in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes"))
        for i in description.get(member, ())
    }
    for kind, member in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
        for need in wanted.get(member, ()):
            name = need["IndexName"]
            if name not in described:
                out.append(f"it has no {kind} {name!r}")
                continue
            have_kind, have = described[name]
            if have_kind != kind:
                out.append(f"index {name!r} is a {have_kind}, the models need a {kind}")
            elif _described_keys(have.get("KeySchema")) != _described_keys(need["KeySchema"]):
                out.append(
                    f"index {name!r} has keys {_described_keys(have.get('KeySchema'))}, "
                    f"the models need {_described_keys(need['KeySchema'])}"
                )
            else:
                declared = {**need["Projection"]}
                if declared["ProjectionType"] == "INCLUDE" and schema.discriminator_attr:
                    # the discriminator is added on creation; a table made before may lack it
                    rest = [a for a in declared["NonKeyAttributes"] if a != schema.discriminator_attr]
                    declared["NonKeyAttributes"] = rest
                if not _covers(have.get("Projection", {}), declared):
                    out.append(f"index {name!r} does not project what the models need ({declared})")
    return out


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
    await _enable_ttl_on(transport, table, schema.ttl.attr)


async def _enable_ttl_on(transport: Transport, table: str, attr: str) -> None:
    current = await transport.call("DescribeTimeToLive", {"TableName": table}, table=table)
    ttl_desc = current.get("TimeToLiveDescription", {})
    if ttl_desc.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and ttl_desc.get("AttributeName") == attr:
        return
    await transport.call(
        "UpdateTimeToLive",
        {"TableName": table, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": attr}},
        table=table,
    )


__all__ = [
    "create_table",
    "delete_table",
    "describe_table",
    "enable_ttl",
    "ensure_table",
    "table_definition",
    "table_differences",
    "table_schemas",
    "wait_until_active",
]
