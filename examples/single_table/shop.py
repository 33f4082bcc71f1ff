"""A shop in one table: customers, their orders and order lines, each access pattern one request.

The access patterns come first, then the keys that serve them (single-table design works from the
questions asked to the keys, not the other way round):

====  =========================================  =================================================
 #    access pattern                             served by
====  =========================================  =================================================
 1    a customer's profile                       GetItem  pk=CUSTOMER#{customer_id}, sk=PROFILE
 2    a customer with all their orders and       Query    pk=CUSTOMER#{customer_id}
      lines (one page of the partition)                   (collection: each item decoded into its model)
 3    a customer's orders placed in a period     Query    pk=CUSTOMER#..., sk BETWEEN ORDER#{from}
                                                          AND ORDER#{to}...
 4    the lines of one order                     Query    pk=CUSTOMER#..., sk BEGINS_WITH LINE#{order_id}#
 5    orders in a status, oldest first           Query    gsi1: gsi1pk=STATUS#{status},
                                                          gsi1sk={placed_at}
 6    a customer by email                        Query    gsi1: gsi1pk=EMAIL#{email}, gsi1sk=CUSTOMER
====  =========================================  =================================================

``gsi1`` is overloaded: orders put their status in it, customers their email; each model's items
only ever match its own templates, and the ``entity`` attribute (the discriminator) says which
model an item is. Run ``python examples/single_table/shop.py`` against DynamoDB Local (the
endpoint in ``DYNAMODB_ENDPOINT``) to see each pattern answered.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated

from dynamorm_async import DB, GSI, Key, KeyText, Model

TABLE = "shop"
#: One index, overloaded by every model that needs a second way in.
GSI1 = "gsi1"


class Customer(
    Model,
    table=TABLE,
    discriminator="CUSTOMER",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),  # 1, 2
    range_key=Key("sk", "PROFILE"),  # 1: one profile item per customer partition
    indexes=[GSI(GSI1, hash=Key("gsi1pk", "EMAIL#{email}"), range=Key("gsi1sk", "CUSTOMER"))],  # 6
):
    customer_id: str
    email: str
    name: str


class Order(
    Model,
    table=TABLE,
    discriminator="ORDER",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),  # 2, 3: orders live in their customer's partition
    range_key=Key("sk", "ORDER#{placed_at}#{order_id}"),  # 3: sorted by time, so a period is a range
    indexes=[GSI(GSI1, hash=Key("gsi1pk", "STATUS#{status}"), range=Key("gsi1sk", "{placed_at}"))],  # 5
):
    customer_id: str
    order_id: str
    placed_at: dt.datetime
    status: str = "placed"
    total_cents: int = 0


class OrderLine(
    Model,
    table=TABLE,
    discriminator="LINE",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),  # 2
    range_key=Key("sk", "LINE#{order_id}#{line_no}"),  # 4: an order's lines are one prefix
):
    customer_id: str
    order_id: str
    line_no: Annotated[int, KeyText(width=3)]  # fixed width: line 10 sorts after line 9
    sku: str
    quantity: int = 1


async def profile(db: DB, customer_id: str) -> Customer:
    """1: a customer's profile."""
    return await db.manager(Customer).get({"customer_id": customer_id})


async def customer_with_orders(
    db: DB, customer_id: str
) -> tuple[list[Customer], list[Order], list[OrderLine]]:
    """2: the customer, their orders and lines: one query over the partition."""
    return await db.collection(Customer, Order, OrderLine).query(customer_id=customer_id).all()


async def orders_between(db: DB, customer_id: str, start: dt.datetime, end: dt.datetime) -> list[Order]:
    """3: a customer's orders placed between two instants (inclusive), oldest first."""
    condition = (Order.attr.customer_id == customer_id) & Order.attr.placed_at.between(start, end)
    return await db.manager(Order).query(condition).all()


async def order_lines(db: DB, customer_id: str, order_id: str) -> list[OrderLine]:
    """4: the lines of one order, in line order."""
    condition = (OrderLine.attr.customer_id == customer_id) & (OrderLine.attr.order_id == order_id)
    return await db.manager(OrderLine).query(condition).all()


async def orders_in_status(db: DB, status: str) -> list[Order]:
    """5: every order in a status, oldest first (index overloading: gsi1)."""
    return await db.manager(Order).query(Order.attr.status == status).index(GSI1).all()


async def customer_by_email(db: DB, email: str) -> Customer | None:
    """6: the customer with this email, if any (index overloading: gsi1)."""
    return await db.manager(Customer).query(Customer.attr.email == email).index(GSI1).first()


async def seed(db: DB) -> None:
    """Two customers, three orders, four lines."""
    await db.manager(Customer).ensure_table()  # key schema and gsi1 from all three models
    day = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    async with db.batch_writer() as batch:
        await batch.put(Customer(customer_id="c1", email="ada@example.com", name="Ada"))
        await batch.put(Customer(customer_id="c2", email="bob@example.com", name="Bob"))
        await batch.put(Order(customer_id="c1", order_id="o1", placed_at=day, total_cents=1200))
        await batch.put(
            Order(customer_id="c1", order_id="o2", placed_at=day + dt.timedelta(days=9), status="shipped")
        )
        await batch.put(Order(customer_id="c2", order_id="o3", placed_at=day + dt.timedelta(days=1)))
        for line_no, sku in enumerate(["tea", "cups", "pot"], 1):
            await batch.put(OrderLine(customer_id="c1", order_id="o1", line_no=line_no, sku=sku))
        await batch.put(OrderLine(customer_id="c1", order_id="o2", line_no=1, sku="tray"))


async def main() -> None:
    endpoint = os.environ.get("DYNAMODB_ENDPOINT", "http://localhost:8000")
    async with DB(endpoint_url=endpoint, region="us-east-1") as db:
        await seed(db)
        print("1", await profile(db, "c1"))
        customers, orders, lines = await customer_with_orders(db, "c1")
        print("2", len(customers), "customer,", len(orders), "orders,", len(lines), "lines")
        march = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
        print("3", [o.order_id for o in await orders_between(db, "c1", march, march + dt.timedelta(days=5))])
        print("4", [line.sku for line in await order_lines(db, "c1", "o1")])
        print("5", [o.order_id for o in await orders_in_status(db, "placed")])
        print("6", await customer_by_email(db, "bob@example.com"))


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
