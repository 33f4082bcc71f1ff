"""The example order service over real HTTP: uvicorn on a loopback port, DynamoDB Local behind it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio


def new_partner() -> str:
    return f"partner-{uuid.uuid4().hex[:12]}"


async def create(client: httpx.AsyncClient, partner: str, order_id: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(f"/partners/{partner}/orders", json={"order_id": order_id, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_then_get(
    client: httpx.AsyncClient, orders_table: str, boto3_client: DynamoDBClient
) -> None:
    partner = new_partner()
    created = await create(client, partner, "o-1", total=42)
    assert created["partner_id"] == partner
    assert (created["order_id"], created["status"], created["total"]) == ("o-1", "new", 42)
    assert created["version"] == 1
    assert created["created_at"] is not None

    response = await client.get(f"/partners/{partner}/orders/o-1")
    assert response.status_code == 200
    assert response.json() == created

    # What the service wrote is really in DynamoDB, read back without the library.
    key = {"partner_id": {"S": partner}, "order_id": {"S": "o-1"}}
    stored = boto3_client.get_item(TableName=orders_table, Key=key, ConsistentRead=True)["Item"]
    assert stored["total"] == {"N": "42"}
    assert stored["version"] == {"N": "1"}


async def test_creating_an_existing_order_is_a_conflict(client: httpx.AsyncClient) -> None:
    partner = new_partner()
    await create(client, partner, "o-1", total=1)
    response = await client.post(f"/partners/{partner}/orders", json={"order_id": "o-1", "total": 2})
    assert response.status_code == 409
    assert response.json()["error"] == "ConditionCheckFailed"
    assert (await client.get(f"/partners/{partner}/orders/o-1")).json()["total"] == 1


async def test_missing_order_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/partners/{new_partner()}/orders/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "item not found", "error": "ItemNotFound"}
    response = await client.patch(
        f"/partners/{new_partner()}/orders/nope", json={"status": "paid", "version": 1}
    )
    assert response.status_code == 404


async def test_conditional_update_conflict_is_409(client: httpx.AsyncClient) -> None:
    partner = new_partner()
    created = await create(client, partner, "o-1")
    url = f"/partners/{partner}/orders/o-1"

    first = await client.patch(url, json={"status": "paid", "version": created["version"]})
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["version"]) == ("paid", 2)

    # A second writer that read the order before the first change: its version is stale.
    stale = await client.patch(url, json={"status": "cancelled", "version": created["version"]})
    assert stale.status_code == 409
    assert stale.json()["error"] == "ConditionCheckFailed"
    assert "version" not in stale.json()  # the current item is not leaked to the client

    current = (await client.get(url)).json()
    assert (current["status"], current["version"]) == ("paid", 2)


async def test_delete(client: httpx.AsyncClient) -> None:
    partner = new_partner()
    await create(client, partner, "o-1")
    response = await client.delete(f"/partners/{partner}/orders/o-1")
    assert response.status_code == 204
    assert (await client.get(f"/partners/{partner}/orders/o-1")).status_code == 404


async def test_paginate_with_cursors(client: httpx.AsyncClient) -> None:
    partner, other = new_partner(), new_partner()
    expected = [f"o-{i:03d}" for i in range(23)]
    for order_id in expected:
        await create(client, partner, order_id, total=int(order_id[2:]))
    await create(client, other, "o-000")  # another partition, never listed

    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 10}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get(f"/partners/{partner}/orders", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        assert len(page["items"]) <= 10
        assert all(item["partner_id"] == partner for item in page["items"])
        seen.extend(item["order_id"] for item in page["items"])
        cursor = page["cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == 10
    assert pages == 3
    assert seen == expected  # in sort key order, each exactly once


async def test_bad_cursors_are_422(client: httpx.AsyncClient) -> None:
    partner, other = new_partner(), new_partner()
    for i in range(3):
        await create(client, partner, f"o-{i}")
        await create(client, other, f"o-{i}")
    first = (await client.get(f"/partners/{partner}/orders", params={"limit": 1})).json()
    cursor = first["cursor"]
    assert cursor

    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    for bad in (tampered, "not-a-cursor"):
        response = await client.get(f"/partners/{partner}/orders", params={"cursor": bad})
        assert response.status_code == 422
        assert response.json()["error"] == "InvalidCursor"

    # A valid cursor of one partner's listing does not open another partner's.
    response = await client.get(f"/partners/{other}/orders", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidCursor"


async def test_request_validation_is_422(client: httpx.AsyncClient) -> None:
    partner = new_partner()
    response = await client.post(f"/partners/{partner}/orders", json={"order_id": "", "total": 1})
    assert response.status_code == 422
    response = await client.post(f"/partners/{partner}/orders", json={"order_id": "o-1", "total": -1})
    assert response.status_code == 422
    response = await client.get(f"/partners/{partner}/orders", params={"limit": 0})
    assert response.status_code == 422
    # A key DynamoDB refuses (over 1,024 bytes for a sort key) is caught and answered 422, not 500.
    response = await client.get(f"/partners/{partner}/orders/{'x' * 1100}")
    assert response.status_code == 422, response.text


async def test_openapi_uses_the_models(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert {"Order", "NewOrder", "StatusChange"} <= set(schemas)
    assert {"partner_id", "order_id", "version", "created_at"} <= set(schemas["Order"]["properties"])
