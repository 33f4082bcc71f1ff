"""Lambda DynamoDB Streams events from records read off a real stream, for tests and local runs.

::

    streams = boto3.client("dynamodbstreams", endpoint_url=...)
    records = read_stream(streams, stream_arn)               # every record, every shard
    event = lambda_event(records, stream_arn=stream_arn)     # what Lambda would send
    answer = handler(event, context)

boto3 gives binary values as ``bytes`` and ``ApproximateCreationDateTime`` as a ``datetime``;
Lambda's event carries base64 text and epoch seconds, plus ``eventSourceARN``. These functions do
that conversion and nothing else; they need no AWS SDK themselves (pass a client in).
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

from .records import TTL_PRINCIPAL


def to_event_json(av: Mapping[str, Any]) -> dict[str, Any]:
    """An AttributeValue with ``bytes`` (botocore's shape) as Lambda writes it: binary as base64 text."""
    ((tag, raw),) = av.items()
    if tag == "B":
        return {"B": _b64(raw)}
    if tag == "BS":
        return {"BS": [_b64(x) for x in raw]}
    if tag == "M":
        return {"M": {k: to_event_json(v) for k, v in raw.items()}}
    if tag == "L":
        return {"L": [to_event_json(v) for v in raw]}
    return {tag: copy.deepcopy(raw)}


def _b64(raw: Any) -> str:
    return raw if isinstance(raw, str) else base64.b64encode(bytes(raw)).decode("ascii")


def _epoch(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        seconds = value.timestamp()
        return int(seconds) if seconds.is_integer() else seconds
    return value


def lambda_record(record: Mapping[str, Any], *, stream_arn: str, region: str | None = None) -> dict[str, Any]:
    """One record of ``get_records`` in the shape of a record of Lambda's event."""
    body = dict(record.get("dynamodb", {}))
    for name in ("Keys", "NewImage", "OldImage"):
        if name in body:
            body[name] = {k: to_event_json(v) for k, v in body[name].items()}
    if "ApproximateCreationDateTime" in body:
        body["ApproximateCreationDateTime"] = _epoch(body["ApproximateCreationDateTime"])
    out: dict[str, Any] = {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region or record.get("awsRegion") or _region_of(stream_arn),
        "dynamodb": body,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        out["userIdentity"] = dict(record["userIdentity"])
    return out


def lambda_event(
    records: Iterable[Mapping[str, Any]], *, stream_arn: str, region: str | None = None
) -> dict[str, Any]:
    """A Lambda DynamoDB Streams event (``{"Records": [...]}``) from records of ``get_records``."""
    return {"Records": [lambda_record(r, stream_arn=stream_arn, region=region) for r in records]}


def as_ttl_removal(record: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a ``REMOVE`` record marked as made by time to live (DynamoDB's service principal).

    DynamoDB Local never expires items; this makes the record DynamoDB writes when TTL does.
    """
    out = dict(record)
    out["userIdentity"] = {"type": "Service", "principalId": TTL_PRINCIPAL}
    return out


def read_stream(client: Any, stream_arn: str, *, iterator_type: str = "TRIM_HORIZON") -> list[dict[str, Any]]:
    """Every record currently readable from a stream, shard by shard, with a boto3 ``dynamodbstreams`` client.

    Shards are read parents first, each one until ``get_records`` returns an empty page or the
    shard ends. That suits DynamoDB Local and tests; a live AWS shard can answer an empty page
    before later records, so do not use this to consume a production stream.
    """
    shards: list[Mapping[str, Any]] = []
    start: str | None = None
    while True:
        options: dict[str, Any] = {"StreamArn": stream_arn}
        if start is not None:
            options["ExclusiveStartShardId"] = start
        description = client.describe_stream(**options)["StreamDescription"]
        shards.extend(description.get("Shards", []))
        start = description.get("LastEvaluatedShardId")
        if not start:
            break
    records: list[dict[str, Any]] = []
    for shard in _parents_first(shards):
        iterator = client.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType=iterator_type
        ).get("ShardIterator")
        while iterator:
            page = client.get_records(ShardIterator=iterator)
            records.extend(page.get("Records", []))
            if not page.get("Records"):
                break
            iterator = page.get("NextShardIterator")
    return records


def _parents_first(shards: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    ids = {s["ShardId"] for s in shards}
    done: set[str] = set()
    ordered: list[Mapping[str, Any]] = []
    remaining = list(shards)
    while remaining:
        ready = [s for s in remaining if s.get("ParentShardId") not in ids or s["ParentShardId"] in done]
        if not ready:  # a cycle cannot happen in a real stream; keep the rest in the given order
            ready = remaining
        for shard in ready:
            ordered.append(shard)
            done.add(shard["ShardId"])
        remaining = [s for s in remaining if s["ShardId"] not in done]
    return ordered


def _region_of(stream_arn: str) -> str | None:
    parts = stream_arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


__all__ = ["as_ttl_removal", "lambda_event", "lambda_record", "read_stream", "to_event_json"]
