"""Query against DynamoDB Local: pagination, cursors, indexes, key conditions, filters, projections."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Annotated, Any

import pytest

from dynamorm_async import (
    DB,
    GSI,
    LSI,
    Condition,
    HashKey,
    InvalidCursor,
    InvalidInput,
    InvalidKey,
    Manager,
    Model,
    Page,
    RangeKey,
    UnknownAttribute,
)
from dynamorm_async.transport import debug_stats

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

pytestmark = pytest.mark.anyio

SECRET = "s3cret-key-for-query-tests-0123456789"
OTHER_SECRET = "another-key-for-query-tests-987654321"
TRICKY = (":v0", "#n", ") OR (1=1")


class Order(
    Model,
    table=f"query_orders_{uuid.uuid4().hex[:10]}",
    indexes=[
        GSI("by_status", hash="status", range="created"),
        GSI("by_status_total", hash="status", range="total"),
        GSI("by_sku", hash="sku", projection="KEYS_ONLY"),
        LSI("by_total", range="total"),
    ],
):
    partner_id: Annotated[str, HashKey()]
    order_id: Annotated[str, RangeKey()]
    status: str = "new"
    created: str = "2024-01-01"
    total: int = 0
    sku: str = "none"
    note: str = ""


class Stranger(Model, table="query_strangers"):
    pk: Annotated[str, HashKey()]
    order_id: str = ""
    weight: int = 0


P1 = [
    Order(
        partner_id="p1",
        order_id=f"o{i:03d}",
        status="paid" if i % 2 else "new",
        created=f"2024-01-{i + 1:02d}",
        total=i,
        sku=f"sku-{i % 3}",
        note=f"note {i}",
    )
    for i in range(25)
]
P2 = [
    Order(partner_id="p2", order_id=f"o{i:03d}", status="paid", created="2024-02-01", total=100 + i)
    for i in range(5)
]
WEIRD = [Order(partner_id=v, order_id=v, note=v, total=7) for v in TRICKY] + [
    Order(partner_id=":v1", order_id="x", note="plain", total=7),
    Order(partner_id="#n0", order_id="y", note=") OR (1=1", total=8),
]
ALL = P1 + P2 + WEIRD


def raw_item(o: Order) -> dict[str, Any]:
    return {
        "partner_id": {"S": o.partner_id},
        "order_id": {"S": o.order_id},
        "status": {"S": o.status},
        "created": {"S": o.created},
        "total": {"N": str(o.total)},
        "sku": {"S": o.sku},
        "note": {"S": o.note},
    }


@pytest.fixture(scope="module")
def order_table(dynamodb_local: str, boto3_client: DynamoDBClient) -> Iterator[str]:
    """Order's table, made by ``Manager.create_table`` and filled through boto3; deleted after."""
    import anyio

    async def create() -> None:
        async with DB(region="us-east-1", endpoint_url=dynamodb_local) as setup:
            await setup.manager(Order).create_table()

    anyio.run(create)
    table = Order.__dynamorm_schema__.require_table()
    for start in range(0, len(ALL), 25):
        boto3_client.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": raw_item(o)}} for o in ALL[start : start + 25]]}
        )
    yield table
    boto3_client.delete_table(TableName=table)


@pytest.fixture
async def orders(order_table: str, dynamodb_local: str) -> AsyncIterator[Manager[Order]]:
    async with DB(region="us-east-1", endpoint_url=dynamodb_local) as db:
        yield db.manager(Order)


@pytest.fixture
async def signed(order_table: str, dynamodb_local: str) -> AsyncIterator[Manager[Order]]:
    """The same table through a DB that signs its cursors."""
    async with DB(region="us-east-1", endpoint_url=dynamodb_local, cursor_secret=SECRET) as db:
        yield db.manager(Order)


def ids(items: list[Order]) -> list[str]:
    return [o.order_id for o in items]


P1_IDS = [o.order_id for o in P1]


# --------------------------------------------------------------------------- pagination


async def test_iteration_reads_every_page_in_order(orders: Manager[Order]) -> None:
    before = debug_stats().by_operation.get("Query", 0)
    got = [o async for o in orders.query(Order.attr.partner_id == "p1").page_size(4)]
    assert ids(got) == P1_IDS
    assert got == P1  # decoded into full, validated models
    assert debug_stats().by_operation["Query"] - before == 7  # 25 items, 4 a request


async def test_pages_with_cursors_lose_and_repeat_nothing(orders: Manager[Order]) -> None:
    query = orders.query(Order.attr.partner_id == "p1").page_size(4)
    seen: list[str] = []
    cursors: list[str] = []
    page = await query.page()
    while True:
        assert isinstance(page, Page)
        assert len(page) <= 4
        seen.extend(ids(page.items))
        if page.cursor is None:
            break
        cursors.append(page.cursor)
        page = await query.page(page.cursor)
    assert seen == P1_IDS
    assert len(cursors) >= 6
    assert len(set(cursors)) == len(cursors)
    for c in cursors:  # URL-safe, opaque
        assert set(c) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


async def test_limit_is_the_page_size_of_page_and_cuts_inside_dynamodb_pages(orders: Manager[Order]) -> None:
    # A filter keeps Limit at page_size (4), so pages of 3 end inside DynamoDB's pages and the
    # cursor is made from the last item handed out.
    query = orders.query(Order.attr.partner_id == "p1").filter(Order.attr.total >= 2).page_size(4).limit(3)
    seen: list[str] = []
    page = await query.page()
    pages = 1
    while page.cursor is not None:
        assert len(page) == 3
        seen.extend(ids(page.items))
        page = await query.page(page.cursor)
        pages += 1
    seen.extend(ids(page.items))
    assert seen == P1_IDS[2:]
    assert pages >= 8


async def test_descending(orders: Manager[Order]) -> None:
    query = orders.query(Order.attr.partner_id == "p1").descending().page_size(5)
    assert ids([o async for o in query]) == P1_IDS[::-1]
    first = await query.limit(3).page()
    second = await query.limit(3).page(first.cursor)
    assert ids(first.items + second.items) == P1_IDS[::-1][:6]


async def test_limit_caps_iteration_across_pages(orders: Manager[Order]) -> None:
    before = debug_stats().by_operation.get("Query", 0)
    got = [o async for o in orders.query(Order.attr.partner_id == "p1").page_size(3).limit(10)]
    assert ids(got) == P1_IDS[:10]
    assert debug_stats().by_operation["Query"] - before == 4  # 3+3+3+1: the last request asks for 1
    assert ids(await orders.query(Order.attr.partner_id == "p1").limit(2).all()) == P1_IDS[:2]


async def test_count(orders: Manager[Order]) -> None:
    q = orders.query(Order.attr.partner_id == "p1")
    assert await q.count() == 25
    assert await q.page_size(4).count() == 25  # summed over 7 pages
    assert await q.filter(Order.attr.status == "paid").page_size(4).count() == 12
    assert await q.limit(5).count() == 5
    assert await orders.query(Order.attr.partner_id == "nobody").count() == 0


async def test_first_and_all(orders: Manager[Order]) -> None:
    q = orders.query(Order.attr.partner_id == "p1")
    first = await q.filter(Order.attr.total > 20).page_size(2).first()
    assert first is not None
    assert first.order_id == "o021"
    assert await q.filter(Order.attr.total > 1000).first() is None
    assert ids(await q.all()) == P1_IDS


async def test_filters(orders: Manager[Order]) -> None:
    q = orders.query(Order.attr.partner_id == "p1")
    got = await q.filter(Order.attr.total > 20).all()
    assert ids(got) == ["o021", "o022", "o023", "o024"]
    both = await q.filter(Order.attr.total > 20).filter(Order.attr.status == "paid").all()
    assert ids(both) == ["o021", "o023"]
    either = await q.filter((Order.attr.total < 2) | Order.attr.note.contains("24")).all()
    assert ids(either) == ["o000", "o001", "o024"]


async def test_projection_reads_only_the_named_fields(orders: Manager[Order]) -> None:
    got = await orders.query(Order.attr.partner_id == "p1").project("total", Order.attr.status).limit(3).all()
    assert [(o.order_id, o.partner_id, o.total, o.status) for o in got] == [
        ("o000", "p1", 0, "new"),
        ("o001", "p1", 1, "paid"),
        ("o002", "p1", 2, "new"),
    ]
    assert all(o.note == "" for o in got)  # not read: the default, not the stored "note N"
    page = await orders.query(Order.attr.partner_id == "p1").project("note").page_size(10).page()
    again = await orders.query(Order.attr.partner_id == "p1").project("note").page_size(10).page(page.cursor)
    assert ids(page.items + again.items) == P1_IDS[:20]


async def test_projection_and_filters_name_only_declared_fields(orders: Manager[Order]) -> None:
    q = orders.query(Order.attr.partner_id == "p1")
    with pytest.raises(UnknownAttribute):
        q.project("nope")
    with pytest.raises(UnknownAttribute):
        q.filter(Stranger.attr.weight > 1)  # a path of another model
    with pytest.raises(UnknownAttribute):
        orders.query(Stranger.attr.pk == "p1")


# --------------------------------------------------------------------------- indexes


async def test_gsi_chosen_by_itself_and_explicitly(orders: Manager[Order]) -> None:
    cond = (Order.attr.status == "paid") & Order.attr.created.between("2024-01-10", "2024-02-01")
    auto = await orders.query(cond).all()
    explicit = await orders.query(cond).index("by_status").page_size(3).all()
    assert ids(auto) == ids(explicit)
    # sorted by "created": p1's paid orders from the 10th, then p2's five (equal "created")
    assert [(o.partner_id, o.order_id) for o in auto[:8]] == [("p1", f"o{i:03d}") for i in range(9, 24, 2)]
    assert sorted((o.partner_id, o.order_id) for o in auto[8:]) == [("p2", f"o{i:03d}") for i in range(5)]


async def test_lsi_chosen_by_itself(orders: Manager[Order]) -> None:
    got = await orders.query((Order.attr.partner_id == "p1") & (Order.attr.total > 20)).descending().all()
    assert [o.total for o in got] == [24, 23, 22, 21]
    explicit = await orders.query(Order.attr.partner_id == "p1").index("by_total").page_size(7).all()
    assert [o.total for o in explicit] == list(range(25))


async def test_ambiguous_index_must_be_named(orders: Manager[Order]) -> None:
    q = orders.query(Order.attr.status == "paid")
    with pytest.raises(InvalidInput, match=r"several indexes.*by_status.*by_status_total"):
        await q.page()
    got = await q.index("by_status_total").all()
    assert [o.total for o in got] == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 100, 101, 102, 103, 104]


async def test_keys_only_index_returns_partial_models(orders: Manager[Order]) -> None:
    got = await orders.query(Order.attr.sku == "sku-1").page_size(2).all()
    assert sorted(ids(got)) == [f"o{i:03d}" for i in range(1, 25, 3)]
    assert all(o.sku == "sku-1" and o.note == "" for o in got)  # only keys were projected


async def test_index_cursor_round_trip(signed: Manager[Order]) -> None:
    q = signed.query(Order.attr.status == "paid").index("by_status").page_size(5)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await q.page(cursor)
        seen.extend(f"{o.partner_id}/{o.order_id}" for o in page.items)
        cursor = page.cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 17


# --------------------------------------------------------------------------- sort key conditions


@pytest.mark.parametrize(
    ("sort", "want"),
    [
        (Order.attr.order_id < "o003", ["o000", "o001", "o002"]),
        (Order.attr.order_id <= "o002", ["o000", "o001", "o002"]),
        (Order.attr.order_id > "o021", ["o022", "o023", "o024"]),
        (Order.attr.order_id >= "o022", ["o022", "o023", "o024"]),
        (Order.attr.order_id == "o007", ["o007"]),
        (Order.attr.order_id.between("o010", "o012"), ["o010", "o011", "o012"]),
        (Order.attr.order_id.begins_with("o01"), [f"o01{i}" for i in range(10)]),
    ],
)
async def test_sort_key_conditions(orders: Manager[Order], sort: Condition, want: list[str]) -> None:
    assert ids(await orders.query((Order.attr.partner_id == "p1") & sort).all()) == want
    assert ids(await orders.query(sort & (Order.attr.partner_id == "p1")).all()) == want


async def test_values_that_look_like_expression_syntax_are_matched_literally(orders: Manager[Order]) -> None:
    for value in TRICKY:
        got = await orders.query(Order.attr.partner_id == value).all()
        assert [(o.partner_id, o.order_id) for o in got] == [(value, value)]
        ranged = await orders.query(
            (Order.attr.partner_id == value) & Order.attr.order_id.begins_with(value)
        ).all()
        assert ids(ranged) == [value]
    hits = await orders.query(Order.attr.partner_id == "#n0").filter(Order.attr.note == ") OR (1=1").all()
    assert ids(hits) == ["y"]
    none = await orders.query(Order.attr.partner_id == ":v1").filter(Order.attr.note == ") OR (1=1").all()
    assert none == []


# --------------------------------------------------------------------------- bad key conditions


BAD_KEY_CONDITIONS: list[tuple[str, Any]] = [
    ("hash key with >", lambda: Order.attr.partner_id > "p1"),
    ("hash key with <>", lambda: Order.attr.partner_id != "p1"),
    ("OR", lambda: (Order.attr.partner_id == "p1") | (Order.attr.partner_id == "p2")),
    ("NOT", lambda: ~(Order.attr.partner_id == "p1")),
    ("no key at all", lambda: Order.attr.note == "x"),
    ("non-key sort", lambda: (Order.attr.partner_id == "p1") & (Order.attr.note == "x")),
    (
        "two sort tests",
        lambda: (Order.attr.partner_id == "p1") & (Order.attr.order_id > "a") & (Order.attr.order_id < "z"),
    ),
    ("IN", lambda: Order.attr.partner_id.is_in("p1", "p2")),
    ("contains", lambda: (Order.attr.partner_id == "p1") & Order.attr.order_id.contains("1")),
    ("exists", lambda: (Order.attr.partner_id == "p1") & Order.attr.order_id.exists()),
    ("nested path", lambda: Order.attr.partner_id["x"] == "p1"),
    ("size()", lambda: Order.attr.partner_id.size() == 2),
    ("sort key alone", lambda: Order.attr.order_id == "o001"),
    ("path compared with path", lambda: Order.attr.partner_id == Order.attr.order_id),
]


@pytest.mark.parametrize(("label", "make"), BAD_KEY_CONDITIONS, ids=[c[0] for c in BAD_KEY_CONDITIONS])
async def test_bad_key_conditions_are_refused_before_sending(
    orders: Manager[Order], label: str, make: Any
) -> None:
    calls = debug_stats().calls
    with pytest.raises(InvalidInput):
        await orders.query(make()).page()
    assert debug_stats().calls == calls


async def test_bad_key_values_and_index_misuse(orders: Manager[Order]) -> None:
    calls = debug_stats().calls
    with pytest.raises(InvalidKey):
        await orders.query(Order.attr.partner_id == 5).page()  # a str key
    with pytest.raises(InvalidKey):
        await orders.query(Order.attr.partner_id == "").page()
    with pytest.raises(InvalidKey):
        await orders.query((Order.attr.partner_id == "p1") & (Order.attr.total > "x")).page()
    with pytest.raises(InvalidInput, match="begins_with"):
        await orders.query((Order.attr.partner_id == "p1") & Order.attr.total.begins_with("1")).page()
    with pytest.raises(InvalidInput, match="does not fit"):
        await orders.query(Order.attr.partner_id == "p1").index("by_status").page()
    with pytest.raises(InvalidInput, match="no index"):
        orders.query(Order.attr.partner_id == "p1").index("nope")
    with pytest.raises(InvalidInput, match="key attribute"):
        await orders.query(Order.attr.partner_id == "p1").filter(Order.attr.order_id > "o1").page()
    with pytest.raises(InvalidInput):
        orders.query(Order.attr.partner_id == "p1").limit(0)
    with pytest.raises(InvalidInput):
        orders.query(Order.attr.partner_id == "p1").page_size(-1)
    with pytest.raises(InvalidInput):
        orders.query("partner_id = p1")  # type: ignore[arg-type]
    assert debug_stats().calls == calls


async def test_consistent_reads_refused_on_gsi(orders: Manager[Order]) -> None:
    calls = debug_stats().calls
    with pytest.raises(InvalidInput, match="consistent"):
        orders.query(Order.attr.status == "paid").index("by_status").consistent()
    with pytest.raises(InvalidInput, match="consistent"):
        orders.query(Order.attr.status == "paid").consistent().index("by_status")
    with pytest.raises(InvalidInput, match="consistent"):  # the index chosen by itself is a GSI
        await orders.query((Order.attr.status == "paid") & (Order.attr.created > "2024")).consistent().page()
    assert debug_stats().calls == calls
    # ...but fine on the table and on a local index
    assert len(await orders.query(Order.attr.partner_id == "p1").consistent().all()) == 25
    lsi = orders.query((Order.attr.partner_id == "p1") & (Order.attr.total >= 23)).consistent()
    assert [o.total for o in await lsi.all()] == [23, 24]


async def test_builders_are_immutable(orders: Manager[Order]) -> None:
    base = orders.query(Order.attr.partner_id == "p1")
    narrowed = base.filter(Order.attr.total > 22).limit(1).descending().project("total")
    assert narrowed is not base
    assert base.filter_condition is None and base.max_items is None and base.forward and base.projection == ()
    assert ids(await base.all()) == P1_IDS
    assert ids(await narrowed.all()) == ["o024"]


# --------------------------------------------------------------------------- cursors


def _payload(cursor: str) -> dict[str, Any]:
    body = cursor.split(".")[0]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return data


def _with_payload(cursor: str, payload: dict[str, Any]) -> str:
    parts = cursor.split(".")
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return ".".join([body, *parts[1:]])


async def test_signed_cursor_round_trip(signed: Manager[Order]) -> None:
    q = signed.query(Order.attr.partner_id == "p1").limit(10)
    first = await q.page()
    assert first.cursor is not None and "." in first.cursor  # payload.signature
    second = await q.page(first.cursor)
    third = await q.page(second.cursor)
    assert ids(first.items + second.items + third.items) == P1_IDS
    assert third.cursor is None


async def test_tampered_cursors_are_refused_before_sending(signed: Manager[Order]) -> None:
    q = signed.query(Order.attr.partner_id == "p1").limit(5)
    cursor = (await q.page()).cursor
    assert cursor is not None
    body, sig = cursor.split(".")
    flip = {"A": "B"}.get(body[10], "A")
    payload = _payload(cursor)
    payload["k"]["order_id"]["S"] = "o019"  # skip ahead, keeping the old signature
    other_partition = _payload(cursor)
    other_partition["k"]["partner_id"]["S"] = "p2"
    bad = [
        body[:10] + flip + body[11:] + "." + sig,  # a flipped character in the payload
        body + "." + ("B" if sig[0] != "B" else "C") + sig[1:],  # a flipped character in the signature
        _with_payload(cursor, payload),
        _with_payload(cursor, other_partition),
        body,  # signature stripped: unsigned where signing is configured
        body + ".",
        cursor + "." + sig,
        "",
        "garbage",
        "!!!.???",
        "x" * 10_000,
    ]
    calls = debug_stats().calls
    for c in bad:
        with pytest.raises(InvalidCursor):
            await q.page(c)
    assert debug_stats().calls == calls


async def test_cursor_from_another_query_is_refused(signed: Manager[Order]) -> None:
    p1 = signed.query(Order.attr.partner_id == "p1").limit(3)
    cursor = (await p1.page()).cursor
    assert cursor is not None
    others = [
        signed.query(Order.attr.partner_id == "p2").limit(3),  # another partition
        signed.query((Order.attr.partner_id == "p1") & (Order.attr.order_id > "o000")).limit(3),
        signed.query(Order.attr.partner_id == "p1").index("by_total").limit(3),  # another index
        signed.query(Order.attr.partner_id == "p1").descending().limit(3),
        signed.scan().limit(3),
    ]
    calls = debug_stats().calls
    for other in others:
        with pytest.raises(InvalidCursor):
            await other.page(cursor)
    assert debug_stats().calls == calls
    # The same query with other filters, projection or page size may continue
    more = await p1.filter(Order.attr.total >= 0).project("total").page_size(2).page(cursor)
    assert ids(more.items) == ["o003", "o004", "o005"]


async def test_unsigned_cursors(orders: Manager[Order], signed: Manager[Order]) -> None:
    q = orders.query(Order.attr.partner_id == "p1").limit(4)
    page = await q.page()
    assert page.cursor is not None and "." not in page.cursor
    assert ids((await q.page(page.cursor)).items) == ["o004", "o005", "o006", "o007"]
    # An unsigned cursor still names its query: another partition is refused...
    with pytest.raises(InvalidCursor, match="another query"):
        await orders.query(Order.attr.partner_id == "p2").page(page.cursor)
    # ...and so is a key moved to another partition under the same fingerprint.
    moved = _payload(page.cursor)
    moved["k"]["partner_id"]["S"] = "p2"
    with pytest.raises(InvalidCursor, match="partition"):
        await q.page(_with_payload(page.cursor, moved))
    # An unsigned cursor where a secret is configured, and a signed one where none is.
    with pytest.raises(InvalidCursor, match="not signed"):
        await signed.query(Order.attr.partner_id == "p1").limit(4).page(page.cursor)
    signed_cursor = (await signed.query(Order.attr.partner_id == "p1").limit(4).page()).cursor
    assert signed_cursor is not None
    with pytest.raises(InvalidCursor, match="signed"):
        await q.page(signed_cursor)


async def test_cursor_secret_rotation(dynamodb_local: str, order_table: str) -> None:
    async with DB(region="us-east-1", endpoint_url=dynamodb_local, cursor_secret=OTHER_SECRET) as old:
        cursor = (await old.manager(Order).query(Order.attr.partner_id == "p1").limit(2).page()).cursor
    assert cursor is not None
    async with DB(
        region="us-east-1", endpoint_url=dynamodb_local, cursor_secret=[SECRET, OTHER_SECRET]
    ) as new:
        page = await new.manager(Order).query(Order.attr.partner_id == "p1").limit(2).page(cursor)
        assert ids(page.items) == ["o002", "o003"]
        assert page.cursor is not None
    async with DB(region="us-east-1", endpoint_url=dynamodb_local, cursor_secret=SECRET) as only_new:
        q = only_new.manager(Order).query(Order.attr.partner_id == "p1").limit(2)
        with pytest.raises(InvalidCursor, match="signature"):
            await q.page(cursor)
        assert ids((await q.page(page.cursor)).items) == ["o004", "o005"]
    with pytest.raises(InvalidInput, match="16 bytes"):
        DB(region="us-east-1", endpoint_url=dynamodb_local, cursor_secret="short")


# --------------------------------------------------------------------------- deadline and web use


async def test_a_passed_deadline_stops_pagination_before_the_next_request(orders: Manager[Order]) -> None:
    import anyio

    from dynamorm_async.deadline import Deadline, deadline_scope
    from dynamorm_async.errors import DeadlineExceeded

    query = orders.query(Order.attr.partner_id == "p1").page_size(5)
    calls = debug_stats().calls
    with deadline_scope(Deadline(anyio.current_time() - 1)), pytest.raises(DeadlineExceeded):
        await query.page()
    assert debug_stats().calls == calls
    items = aiter(query)
    got = [await anext(items) for _ in range(5)]  # the first page
    with deadline_scope(Deadline(anyio.current_time() - 1)), pytest.raises(DeadlineExceeded):
        await anext(items)  # the second page would start after the deadline
    assert ids(got) == P1_IDS[:5]
    assert debug_stats().calls == calls + 1


async def test_pages_and_cursors_in_a_fastapi_app(signed: Manager[Order]) -> None:
    import httpx
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    app = FastAPI()

    @app.exception_handler(InvalidCursor)
    async def bad_cursor(request: Request, exc: InvalidCursor) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.get("/partners/{partner}/orders", response_model=Page[Order])
    async def list_orders(partner: str, cursor: str | None = None) -> Page[Order]:
        return await signed.query(Order.attr.partner_id == partner).limit(10).page(cursor)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        seen: list[str] = []
        params: dict[str, str] = {}
        while True:
            response = await client.get("/partners/p1/orders", params=params)
            assert response.status_code == 200
            body = response.json()
            seen.extend(o["order_id"] for o in body["items"])
            if body["cursor"] is None:
                break
            params = {"cursor": body["cursor"]}
        assert seen == P1_IDS
        first = (await client.get("/partners/p1/orders")).json()["cursor"]
        foreign = await client.get("/partners/p2/orders", params={"cursor": first})
        assert foreign.status_code == 400
        assert "another query" in foreign.json()["detail"]
