"""Raw aiobotocore, used by hand: the baseline the ORM's per-operation cost is compared with.

"By hand" means what a careful user of the bare client writes: AttributeValue dicts spelled out
for the benchmark item, and the response unwrapped into plain values, with the same client
configuration (pool size, timeouts, retries) as the library's own transport, so that the only
difference measured is the ORM's work.
"""

from __future__ import annotations

from typing import Any

from .common import REGION


def client_kwargs(endpoint: str) -> dict[str, Any]:
    """``create_client`` arguments matching the library's default :class:`TransportConfig`."""
    from aiobotocore.config import AioConfig

    from dynamorm_async import TransportConfig

    cfg = TransportConfig()
    config = AioConfig(
        region_name=REGION,
        max_pool_connections=cfg.max_pool_connections,
        connect_timeout=cfg.connect_timeout,
        read_timeout=cfg.read_timeout,
        retries={"mode": cfg.retry_mode, "total_max_attempts": cfg.max_attempts},
        tcp_keepalive=cfg.tcp_keepalive,
    )
    return {"region_name": REGION, "endpoint_url": endpoint, "config": config}


def to_av(v: dict[str, Any]) -> dict[str, Any]:
    """The benchmark item's values as AttributeValues, written out by hand."""
    return {
        "pk": {"S": v["pk"]},
        "sk": {"S": v["sk"]},
        "name": {"S": v["name"]},
        "email": {"S": v["email"]},
        "status": {"S": v["status"]},
        "count": {"N": str(v["count"])},
        "active": {"BOOL": v["active"]},
        "tags": {"L": [{"S": t} for t in v["tags"]]},
        "address": {"M": {k: {"S": s} for k, s in v["address"].items()}},
    }


def from_av(item: dict[str, Any]) -> dict[str, Any]:
    """A benchmark item's AttributeValues unwrapped into plain values, by hand."""
    return {
        "pk": item["pk"]["S"],
        "sk": item["sk"]["S"],
        "name": item["name"]["S"],
        "email": item["email"]["S"],
        "status": item["status"]["S"],
        "count": int(item["count"]["N"]),
        "active": item["active"]["BOOL"],
        "tags": [t["S"] for t in item["tags"]["L"]],
        "address": {k: s["S"] for k, s in item["address"]["M"].items()},
    }


async def query_all(client: Any, table: str, pk: str) -> list[dict[str, Any]]:
    """Every item of partition ``pk``, page after page, through a raw aiobotocore ``client``."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": {"#p": "pk"},
        "ExpressionAttributeValues": {":p": {"S": pk}},
    }
    while True:
        r = await client.query(**params)
        out.extend(from_av(it) for it in r["Items"])
        if "LastEvaluatedKey" not in r:
            return out
        params["ExclusiveStartKey"] = r["LastEvaluatedKey"]
