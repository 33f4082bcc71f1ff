"""An order service on FastAPI: create, read, change (optimistic locking), delete and list orders.

Run it with uvicorn against DynamoDB Local (see README.md beside this file)::

    AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 CREATE_TABLES=1 uvicorn app:app --port 8080

``lambda_app.py`` serves this same app from AWS Lambda.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Response
from pydantic import BaseModel, Field

from dynamorm_async import (
    DB,
    AccountConfig,
    CreatedAt,
    HashKey,
    Manager,
    Model,
    MultiAccountDB,
    Page,
    RangeKey,
    UpdatedAt,
    Version,
)
from dynamorm_async.integrations.fastapi import DynamORM, install_exception_handlers


class Order(Model, table="fastapi_orders"):
    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    status: str = "new"
    total: int = 0
    version: Annotated[int, Version()] = 0
    created_at: Annotated[dt.datetime | None, CreatedAt()] = None
    updated_at: Annotated[dt.datetime | None, UpdatedAt()] = None


class NewOrder(BaseModel):
    order_id: str = Field(min_length=1, max_length=64)
    status: str = "new"
    total: int = Field(default=0, ge=0)


class StatusChange(BaseModel):
    status: str
    version: int  # the version the client read; a stale one answers 409


# Region, credentials and endpoint come from the usual AWS settings (AWS_REGION,
# AWS_ENDPOINT_URL_DYNAMODB, ...). CURSOR_SECRET signs the page cursors handed to clients.
# PARTNERS ({"acme": {"role_arn": ..., "external_id": ..., "region": ...}, ...}) keeps each
# partner's orders in its own AWS account: the path's partner_id picks the account.
cursor_secret = os.environ.get("CURSOR_SECRET")
accounts = json.loads(os.environ.get("PARTNERS", "{}"))
partners = {name: AccountConfig(**account) for name, account in accounts.items()}
db = MultiAccountDB(partners, cursor_secret=cursor_secret) if partners else DB(cursor_secret=cursor_secret)
orm = DynamORM(
    db,
    models=[Order],
    ensure_tables=os.environ.get("CREATE_TABLES") == "1",
    partner_path_param="partner_id" if partners else None,
)
app = FastAPI(title="orders", lifespan=orm.lifespan)
install_exception_handlers(app)  # ItemNotFound -> 404, ConditionCheckFailed -> 409, ...

Orders = Annotated[Manager[Order], Depends(orm.manager(Order))]


@app.post("/partners/{partner_id}/orders", status_code=201)
async def create_order(partner_id: str, new: NewOrder, orders: Orders) -> Order:
    order = Order(partner_id=partner_id, **new.model_dump())
    return await orders.put(order, overwrite=False)  # the order exists already: 409


@app.get("/partners/{partner_id}/orders/{order_id}")
async def get_order(partner_id: str, order_id: str, orders: Orders) -> Order:
    return await orders.get(partner_id, order_id)  # no such order: 404


@app.patch("/partners/{partner_id}/orders/{order_id}")
async def change_status(partner_id: str, order_id: str, change: StatusChange, orders: Orders) -> Order:
    order = await orders.get(partner_id, order_id)
    order.version = change.version  # the update is conditional on the version the client saw
    await orders.update(order, Order.attr.status.set(change.status))
    return order


@app.delete("/partners/{partner_id}/orders/{order_id}", status_code=204)
async def delete_order(partner_id: str, order_id: str, orders: Orders) -> Response:
    await orders.delete(partner_id, order_id)
    return Response(status_code=204)


@app.get("/partners/{partner_id}/orders")
async def list_orders(
    partner_id: str,
    orders: Orders,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: str | None = None,
) -> Page[Order]:
    query = orders.query(Order.attr.partner_id == partner_id).limit(limit)
    return await query.page(cursor=cursor)  # a cursor altered or from another query: 422
