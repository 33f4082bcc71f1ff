"""A small orders API for partners: an async Lambda handler behind API Gateway (HTTP API, payload 2.0).

Routes::

    POST /partners/{partner}/orders              create an order     -> 201 and the order
    GET  /partners/{partner}/orders/{order}      read one order      -> 200, or 404
    GET  /partners/{partner}/orders?limit=&cursor=   newest first, one page -> 200 {items, cursor}
    GET  /partners/{partner}/summary             order count and the 3 newest, read concurrently

Everything slow happens once per execution environment, at import (Lambda's init phase):
``LambdaDB`` compiles the model, tunes the client to the function's memory, creates the client
on the environment's one event loop and warms its connection. Each invocation then runs on that
loop, inside a deadline scope taken from ``context``: if DynamoDB cannot answer in time, the
caller gets a 503 before Lambda would kill the function.

Configuration (environment): ``ORDERS_TABLE`` (default ``orders``); ``ENABLE_XRAY=1`` traces
DynamoDB calls with X-Ray; ``AWS_ENDPOINT_URL_DYNAMODB`` points the client elsewhere (DynamoDB
Local, for instance); region and credentials come from Lambda as usual.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio
from pydantic import BaseModel, Field
from pydantic import ValidationError as BadBody

from dynamorm_async import (
    ConditionCheckFailed,
    CreatedAt,
    HashKey,
    InvalidInput,
    ItemNotFound,
    LambdaDB,
    LambdaTimeoutError,
    Model,
    RangeKey,
    Version,
)


class Order(Model, table=os.environ.get("ORDERS_TABLE", "orders")):
    """One order of one partner; ``order_id`` sorts by creation time, so queries list newest first."""

    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    customer: str
    total_cents: int = 0
    items: list[str] = []
    status: str = "new"
    version: Annotated[int, Version()] = 0
    created_at: Annotated[dt.datetime | None, CreatedAt()] = None


class NewOrder(BaseModel):
    """The body of ``POST /partners/{partner}/orders``."""

    customer: str = Field(min_length=1, max_length=200)
    total_cents: int = Field(ge=0)
    items: list[str] = Field(default_factory=list, max_length=100)


class UnsupportedEvent(TypeError):
    """The event is not an API Gateway HTTP API request: a wiring mistake, reported as an error."""


Response = dict[str, Any]

# Init phase: compile, tune, connect, warm. Runs once per execution environment.
db = LambdaDB(models=[Order], warm=True, xray=os.environ.get("ENABLE_XRAY") == "1")
orders = db.manager(Order)


def answer(status: int, body: Any, **headers: str) -> Response:
    """An API Gateway proxy response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **headers},
        "body": json.dumps(body, default=str),
    }


def on_timeout(event: Any, context: Any, error: LambdaTimeoutError) -> Response:
    """The answer when the deadline is reached: 503, retry later, and what was cut off."""
    return answer(
        503, {"error": "timeout", "operation": error.operation, "detail": str(error)}, **{"retry-after": "1"}
    )


def new_order_id() -> str:
    """Milliseconds since the epoch, then randomness: unique, and sorts by creation time."""
    return f"{time.time_ns() // 1_000_000:013d}-{secrets.token_hex(4)}"


def read_body(event: dict[str, Any]) -> Any:
    raw = event.get("body") or "{}"
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


def path_parameter(event: dict[str, Any], name: str) -> str:
    return str((event.get("pathParameters") or {}).get(name, ""))


def query_parameters(event: dict[str, Any]) -> dict[str, str]:
    return dict(event.get("queryStringParameters") or {})


async def create_order(event: dict[str, Any]) -> Response:
    data = NewOrder.model_validate(read_body(event))
    order = Order(partner_id=path_parameter(event, "partner"), order_id=new_order_id(), **data.model_dump())
    await orders.put(order, overwrite=False)
    return answer(201, order.model_dump(mode="json"))


async def get_order(event: dict[str, Any]) -> Response:
    order = await orders.get(path_parameter(event, "partner"), path_parameter(event, "order"))
    return answer(200, order.model_dump(mode="json"))


async def list_orders(event: dict[str, Any]) -> Response:
    params = query_parameters(event)
    limit = min(max(int(params.get("limit", "25")), 1), 100)
    query = orders.query(Order.attr.partner_id == path_parameter(event, "partner"))
    page = await query.descending().limit(limit).page(cursor=params.get("cursor"))
    return answer(200, {"items": [o.model_dump(mode="json") for o in page.items], "cursor": page.cursor})


async def summary(event: dict[str, Any]) -> Response:
    """Two independent reads at once, on the same connection pool."""
    partner = path_parameter(event, "partner")
    query = orders.query(Order.attr.partner_id == partner)
    result: dict[str, Any] = {"partner": partner}

    async def count() -> None:
        result["orders"] = await query.count()

    async def newest() -> None:
        page = await query.descending().limit(3).page()
        result["newest"] = [o.model_dump(mode="json") for o in page.items]

    async with anyio.create_task_group() as tg:
        tg.start_soon(count)
        tg.start_soon(newest)
    return answer(200, result)


#: API Gateway route keys and what serves them (template.yaml declares the same routes).
ROUTES: dict[str, Callable[[dict[str, Any]], Awaitable[Response]]] = {
    "POST /partners/{partner}/orders": create_order,
    "GET /partners/{partner}/orders/{order}": get_order,
    "GET /partners/{partner}/orders": list_orders,
    "GET /partners/{partner}/summary": summary,
}


@db.handler(on_timeout=on_timeout)
async def handler(event: Any, context: Any) -> Response:
    """Route one API Gateway request; client errors become 4xx answers, anything else is raised."""
    if not isinstance(event, dict) or "routeKey" not in event:
        raise UnsupportedEvent("expected an API Gateway HTTP API (payload 2.0) event with a routeKey")
    route = ROUTES.get(event["routeKey"])
    if route is None:
        return answer(404, {"error": f"no route {event['routeKey']!r}"})
    try:
        return await route(event)
    except ItemNotFound:
        return answer(404, {"error": "not found"})
    except ConditionCheckFailed:
        return answer(409, {"error": "already exists"})
    except (BadBody, InvalidInput, ValueError) as exc:
        return answer(400, {"error": "bad request", "detail": str(exc)})
