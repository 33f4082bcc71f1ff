"""Partners, each in its own AWS account (moto, STS + DynamoDB, keeps the accounts apart).

The example in multi-account mode over real HTTP (uvicorn, ``PARTNERS`` set, the partner in the
path), with what each partner's requests wrote checked without the library to be in that
partner's account only; then the partner named by a header, in-process.

No ``from __future__ import annotations``: FastAPI reads the annotations of the routes defined
inside functions here.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import httpx
import pytest
from fastapi import Depends, FastAPI

from dynamorm_async import DB, AccountConfig, HashKey, Manager, Model, MultiAccountDB, current_partner
from dynamorm_async.integrations.fastapi import DynamORM, install_exception_handlers

from .conftest import PartnerService, dynamodb_in_account

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(partner_service: PartnerService) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=partner_service.url, trust_env=False, timeout=30.0) as client:
        yield client


async def create(http: httpx.AsyncClient, partner: str, order_id: str, total: int) -> dict[str, Any]:
    response = await http.post(f"/partners/{partner}/orders", json={"order_id": order_id, "total": total})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_each_partner_sees_only_its_own_account(
    http: httpx.AsyncClient, partner_service: PartnerService
) -> None:
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    await create(http, "acme", order_id, total=1)
    await create(http, "globex", order_id, total=2)  # same key, other account: no conflict

    acme = (await http.get(f"/partners/acme/orders/{order_id}")).json()
    globex = (await http.get(f"/partners/globex/orders/{order_id}")).json()
    assert (acme["total"], globex["total"]) == (1, 2)

    only_acme = f"a-{uuid.uuid4().hex[:8]}"
    await create(http, "acme", only_acme, total=3)
    assert (await http.get(f"/partners/globex/orders/{only_acme}")).status_code == 404

    # Read back without the library, with each account's own assumed-role keys.
    for partner, expected in (("acme", {order_id: 1, only_acme: 3}), ("globex", {order_id: 2})):
        client = dynamodb_in_account(partner_service.moto_url, partner_service.accounts[partner])
        items = client.scan(TableName="fastapi_orders", ConsistentRead=True)["Items"]
        stored = {i["order_id"]["S"]: int(i["total"]["N"]) for i in items if i["order_id"]["S"] in expected}
        assert stored == expected, partner
        assert {i["partner_id"]["S"] for i in items} == {partner}


async def test_listing_and_cursors_stay_in_one_account(http: httpx.AsyncClient) -> None:
    prefix = f"l-{uuid.uuid4().hex[:6]}"
    for i in range(5):
        await create(http, "acme", f"{prefix}-{i}", total=i)
    await create(http, "globex", f"{prefix}-g", total=9)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await http.get("/partners/acme/orders", params=params)).json()
        seen.extend(item["order_id"] for item in page["items"] if item["order_id"].startswith(prefix))
        assert all(item["partner_id"] == "acme" for item in page["items"])
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == [f"{prefix}-{i}" for i in range(5)]

    first = (await http.get("/partners/acme/orders", params={"limit": 1})).json()
    response = await http.get("/partners/globex/orders", params={"cursor": first["cursor"]})
    assert response.status_code == 422  # acme's cursor does not open globex's listing


async def test_conflicts_are_per_account(http: httpx.AsyncClient) -> None:
    order_id = f"c-{uuid.uuid4().hex[:8]}"
    await create(http, "acme", order_id, total=1)
    await create(http, "globex", order_id, total=1)
    url = f"/partners/acme/orders/{order_id}"
    assert (await http.patch(url, json={"status": "paid", "version": 1})).status_code == 200
    assert (await http.patch(url, json={"status": "void", "version": 1})).status_code == 409
    # globex's order of the same key is untouched and still at version 1.
    other = await http.patch(f"/partners/globex/orders/{order_id}", json={"status": "paid", "version": 1})
    assert other.status_code == 200


async def test_unknown_partner_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/partners/initech/orders/o-1")
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown partner", "error": "UnknownPartner"}
    response = await http.post("/partners/initech/orders", json={"order_id": "o-1"})
    assert response.status_code == 404


# --------------------------------------------------------------------------- the partner from a header


class Note(Model, table="fastapi_partner_notes"):
    note_id: Annotated[str, HashKey()]
    text: str = ""
    partner: str = ""  # who wrote it, as the route saw it


def notes_app(orm: DynamORM[MultiAccountDB]) -> FastAPI:
    app = FastAPI(lifespan=orm.lifespan)
    install_exception_handlers(app)
    Notes = Annotated[Manager[Note], Depends(orm.manager(Note))]

    @app.put("/notes/{note_id}")
    async def put_note(note_id: str, text: str, notes: Notes) -> Note:
        await anyio.sleep(0.01)  # let concurrent requests of other partners interleave
        return await notes.put(Note(note_id=note_id, text=text, partner=current_partner() or ""))

    @app.get("/notes/{note_id}")
    async def get_note(note_id: str, notes: Notes) -> Note:
        return await notes.get(note_id, consistent=True)

    return app


@pytest.fixture
async def notes(partner_service: PartnerService) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process app on the same partner accounts, the partner named by ``X-Partner-Id``."""
    partners = {
        name: AccountConfig(role_arn=f["role_arn"], external_id=f["external_id"], region=f["region"])
        for name, f in partner_service.accounts.items()
    }
    mdb = MultiAccountDB(
        partners, endpoint_url=partner_service.moto_url, sts_endpoint_url=partner_service.moto_url
    )
    orm = DynamORM(mdb, models=[Note], ensure_tables=True, partner_header="X-Partner-Id")
    app = notes_app(orm)
    transport = httpx.ASGITransport(app=app)
    async with orm.lifespan(app), httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_partner_from_a_header(notes: httpx.AsyncClient) -> None:
    note_id = f"n-{uuid.uuid4().hex[:8]}"
    acme, globex = {"X-Partner-Id": "acme"}, {"X-Partner-Id": "globex"}
    put = await notes.put(f"/notes/{note_id}", params={"text": "hello"}, headers=acme)
    assert put.status_code == 200, put.text
    assert put.json()["partner"] == "acme"  # the partner is active inside the route
    assert (await notes.get(f"/notes/{note_id}", headers=acme)).json()["text"] == "hello"
    assert (await notes.get(f"/notes/{note_id}", headers=globex)).status_code == 404

    assert (await notes.get(f"/notes/{note_id}")).status_code == 422  # no header
    unknown = await notes.get(f"/notes/{note_id}", headers={"X-Partner-Id": "initech"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "UnknownPartner")


async def test_concurrent_requests_of_different_partners_stay_apart(notes: httpx.AsyncClient) -> None:
    run = uuid.uuid4().hex[:8]
    answers: dict[tuple[str, int], dict[str, Any]] = {}

    async def write(partner: str, n: int) -> None:
        response = await notes.put(
            f"/notes/{run}-{n}", params={"text": f"{partner}-{n}"}, headers={"X-Partner-Id": partner}
        )
        assert response.status_code == 200, response.text
        answers[partner, n] = response.json()

    async with anyio.create_task_group() as tg:
        for n in range(10):
            for partner in ("acme", "globex"):
                tg.start_soon(write, partner, n)

    for (partner, n), body in answers.items():
        assert (body["partner"], body["text"]) == (partner, f"{partner}-{n}")
    for n in range(10):  # the same key in both accounts, each with its own partner's text
        for partner in ("acme", "globex"):
            got = await notes.get(f"/notes/{run}-{n}", headers={"X-Partner-Id": partner})
            assert (got.json()["partner"], got.json()["text"]) == (partner, f"{partner}-{n}")


def test_partner_options_are_checked() -> None:
    with pytest.raises(TypeError, match="MultiAccountDB"):
        DynamORM(DB(), partner_header="X-Partner-Id")
    mdb = MultiAccountDB()
    with pytest.raises(TypeError, match="not both"):
        DynamORM(mdb, partner_header="X-Partner-Id", partner_path_param="partner_id")
    with pytest.raises(ValueError, match="header"):
        DynamORM(mdb, partner_header="X Partner")
    with pytest.raises(ValueError, match="identifier"):
        DynamORM(mdb, partner_path_param="partner-id")
