"""Query and Scan: immutable request builders, their pagination, and parallel scans.

::

    orders = db.manager(Order)
    q = orders.query(Order.attr.partner_id == "p1").filter(Order.attr.total > 3)
    async for order in q:                       # every item, page after page
        ...
    page = await q.limit(25).page(cursor=None)  # 25 items and a cursor for the next 25
    n = await q.count()

Every builder method returns a new object, so a query can be shared and refined freely. The
key condition is checked against the table's keys and its indexes before anything is sent; the
index is picked by itself when exactly one key (and not the table's) fits it. The key condition,
filter and projection of one request share one :class:`~dynamorm_async.expressions.Encoder`, so
user values only ever reach DynamoDB as ``:v`` placeholders.

``limit(n)`` caps the items an iteration yields in all, and the items one ``page()`` returns;
``page_size(n)`` is DynamoDB's ``Limit``, the items each request reads. Cursors are described in
:mod:`dynamorm_async.cursor`.
"""

from .builders import Page, Query, Scan
from .parallel import ParallelScan

__all__ = ["Page", "ParallelScan", "Query", "Scan"]
