"""Adopting a table whose items have no discriminator: the model an item is, told by the shape of
its stored keys; full reads of items that hold only their keys; collection routing and stream
routing of such items (a stored discriminator always wins over the keys)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pytest

from dynamorm_async import GSI, HashKey, InvalidInput, Key, KeyText, Model, RangeKey, model_by_keys
from dynamorm_async.adopt import schemas_by_keys
from dynamorm_async.query.routing import Router
from dynamorm_async.schema import schema_of
from dynamorm_async.streams import Change, StreamRouter, process_batch

_T = "unit-adopt"


class Customer(
    Model,
    table=_T,
    discriminator="CUSTOMER",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),
    range_key=Key("sk", "PROFILE"),
):
    customer_id: str
    email: str = ""


class Order(
    Model,
    table=_T,
    discriminator="ORDER",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),
    range_key=Key("sk", "ORDER#{created_at}#{order_id}"),
):
    customer_id: str
    order_id: str
    created_at: dt.datetime
    total: int = 0


class Line(
    Model,
    table=_T,
    discriminator="LINE",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),
    range_key=Key("sk", "LINE#{order_id}#{line_no}"),
):
    customer_id: str
    order_id: str
    line_no: Annotated[int, KeyText(width=3)]


class Note(Model, table=_T, discriminator="NOTE"):  # plain key fields: never told by its keys
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]


class User(
    Model,
    table="unit-adopt-2",
    discriminator="USER",
    hash_key=Key("pk", "USER#{user_id}"),
    range_key=Key("sk", "META"),
):
    user_id: str


class Tenant(
    Model,
    table="unit-adopt-2",
    discriminator="TENANT",
    hash_key=Key("pk", "{tenant}"),
    range_key=Key("sk", "META"),
):
    tenant: str


MODELS: list[type[Model]] = [Customer, Order, Line, Note]
T0 = dt.datetime(2024, 1, 5, 10, tzinfo=dt.UTC)
ORDER_SK = "ORDER#2024-01-05T10:00:00.000000Z#o1"


def key(pk: str, sk: str, **extra: Any) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **extra}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (key("CUSTOMER#c1", "PROFILE"), Customer),
        (key("CUSTOMER#c1", ORDER_SK, total={"N": "3"}), Order),
        (key("CUSTOMER#c1", "LINE#o1#002"), Line),
        (key("CUSTOMER#c1", "PROFILE#old"), None),  # a constant template fits its own text only
        (key("CUSTOMER#c1", "profile"), None),
        (key("ACCOUNT#c1", "PROFILE"), None),  # the hash template must fit too
        (key("CUSTOMER#", "PROFILE"), None),  # an empty field
        (key("CUSTOMER#c1", "ORDER#yesterday#o1"), None),  # the shape, but no datetime
        (key("CUSTOMER#c1", "LINE#o1#two"), None),  # no int
        (key("CUSTOMER#c1", "NOTE#1"), None),  # no template fits (Note has none)
        ({"pk": {"S": "CUSTOMER#c1"}}, None),  # no sort key
        ({"pk": {"S": "CUSTOMER#c1"}, "sk": {"N": "1"}}, None),  # a sort key of another type
    ],
)
def test_the_model_of_an_item_is_the_one_whose_templates_its_keys_fit(
    item: dict[str, Any], expected: type[Model] | None
) -> None:
    assert model_by_keys(MODELS, item) is expected


def test_keys_that_fit_several_models_name_none() -> None:
    both = key("USER#u1", "META")
    found = [s.model.__name__ for s in schemas_by_keys([schema_of(User), schema_of(Tenant)], both)]
    assert found == ["User", "Tenant"]
    assert model_by_keys([User, Tenant], both) is None
    assert model_by_keys([User, Tenant], key("acme", "META")) is Tenant
    assert model_by_keys([User], both) is User


def test_a_stored_discriminator_is_not_what_key_inference_reads() -> None:
    # the function answers from the keys; callers look at the discriminator first (below)
    assert model_by_keys(MODELS, key("CUSTOMER#c1", "PROFILE", entity={"S": "ORDER"})) is Customer


@pytest.mark.parametrize(
    ("models", "item"),
    [
        ([], key("a", "b")),
        (Customer, key("a", "b")),  # a class, not a list of them
        ("Customer", key("a", "b")),
        ([Customer, object], key("a", "b")),
        ([Customer, User], key("a", "b")),  # two tables
        ([Customer], "CUSTOMER#c1"),  # not a mapping
        ([Customer], {"pk": "CUSTOMER#c1", "sk": "PROFILE"}),  # not DynamoDB JSON
    ],
)
def test_bad_arguments_are_refused_with_invalid_input(models: Any, item: Any) -> None:
    with pytest.raises(InvalidInput):
        model_by_keys(models, item)


def test_a_full_read_of_an_item_holding_only_its_keys_parses_the_fields_from_them() -> None:
    order = schema_of(Order).decode(key("CUSTOMER#c1", ORDER_SK, total={"N": "3"}))
    assert order == Order(customer_id="c1", order_id="o1", created_at=T0, total=3)
    line = schema_of(Line).decode(key("CUSTOMER#c9", "LINE#o1#012"))
    assert (line.customer_id, line.order_id, line.line_no) == ("c9", "o1", 12)
    # fields stored as attributes win over the keys (an item the library wrote holds both)
    stored = schema_of(Customer).decode(
        key("CUSTOMER#c1", "PROFILE", customer_id={"S": "c1"}, email={"S": "e"})
    )
    assert stored == Customer(customer_id="c1", email="e")


def test_a_collection_routes_items_without_a_discriminator_by_their_keys() -> None:
    router = Router([schema_of(m) for m in MODELS], _T)
    raws = [
        key("CUSTOMER#c1", "PROFILE", email={"S": "a@example.com"}),  # legacy customer
        key("CUSTOMER#c1", ORDER_SK, total={"N": "3"}),  # legacy order
        key(
            "CUSTOMER#c1", "ORDER#2024-01-05T10:00:00.000000Z#o2", entity={"S": "RETURN"}
        ),  # stored value wins
        key("CUSTOMER#c1", "NOTE#1"),  # no discriminator, fits no template
        key("CUSTOMER#c1", "NOTE#2", entity={"S": "NOTE"}),
    ]
    models, unknown = router.split(raws)
    assert models == [
        Customer(customer_id="c1", email="a@example.com"),
        Order(customer_id="c1", order_id="o1", created_at=T0, total=3),
        Note(pk="CUSTOMER#c1", sk="NOTE#2"),
    ]
    assert unknown == [raws[2], raws[3]]


def _keys_only(seq: int, pk: str, sk: str, *, image: dict[str, Any] | None = None) -> dict[str, Any]:
    """A record as Lambda sends it; with ``image`` None, of a KEYS_ONLY stream."""
    body: dict[str, Any] = {
        "ApproximateCreationDateTime": 1764000000,
        "Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
        "SequenceNumber": f"{seq:021d}",
        "SizeBytes": 100,
        "StreamViewType": "KEYS_ONLY" if image is None else "NEW_IMAGE",
    }
    if image is not None:
        body["NewImage"] = image
    return {
        "eventID": f"e{seq}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{_T}/stream/2026-11-25T00:00:00",
        "dynamodb": body,
    }


@pytest.mark.anyio
async def test_stream_records_without_a_discriminator_are_routed_by_key_shape() -> None:
    seen: list[tuple[str, Any, Any]] = []

    async def changed(change: Change[Any]) -> None:
        seen.append((change.model.__name__, change.sequence_number[-1:], change.item))

    router = StreamRouter.for_models({Customer: changed, Order: changed})
    router.add(Line, changed)  # routes added later are told by their keys too
    legacy = key("CUSTOMER#c4", ORDER_SK, total={"N": "4"})
    event = {  # one partition each: a failed record holds back the later records of its partition
        "Records": [
            _keys_only(0, "CUSTOMER#c0", "PROFILE"),
            _keys_only(1, "CUSTOMER#c1", ORDER_SK),
            _keys_only(2, "CUSTOMER#c2", "LINE#o1#001"),
            _keys_only(3, "CUSTOMER#c3", "NOTE#1"),  # fits no routed model
            _keys_only(4, "CUSTOMER#c4", ORDER_SK, image=legacy),  # an old item's new image, no entity
            _keys_only(5, "CUSTOMER#c5", ORDER_SK, image={**legacy, "entity": {"S": "RETURN"}}),
        ]
    }
    result = await process_batch(event, router, concurrency=1)
    assert [(name, seq) for name, seq, _ in seen] == [
        ("Customer", "0"),
        ("Order", "1"),
        ("Line", "2"),
        ("Order", "4"),
    ]
    assert seen[0][2] is None and seen[3][2] == Order(customer_id="c4", order_id="o1", created_at=T0, total=4)
    assert [(f.sequence_number[-1:], f.reason) for f in result.failures] == [
        ("3", "unknown"),
        ("5", "unknown"),
    ]


@pytest.mark.anyio
async def test_stream_keys_fitting_several_models_are_unknown() -> None:
    async def changed(change: Change[Any]) -> None:
        raise AssertionError("no route should fire")

    router = StreamRouter.for_models({User: changed, Tenant: changed}, on_unknown="skip")
    result = await process_batch({"Records": [_keys_only(0, "USER#u1", "META")]}, router)
    assert result.skipped == [f"{0:021d}"] and not result.processed


class _Ticket(
    Model,
    table="unit-adopt-index",
    discriminator="TICKET",
    hash_key=Key("pk", "TICKET#{ticket_id}"),
    range_key=Key("sk", "META"),
    indexes=[GSI("gsi1", hash=Key("gsi1pk", "{status}#TICKETS"), range=Key("gsi1sk", "{ticket_id}"))],
):
    ticket_id: str
    status: str | None = None


def test_the_backfill_writes_the_index_keys_a_legacy_item_lacks() -> None:
    """A legacy item's index keys are written with its discriminator (as a put would write them);
    an index whose fields the item does not hold is left out (a sparse index), and a value that
    holds its template's separator makes the item invalid rather than half-tagged."""
    from dynamorm_async import InvalidStoredItem
    from dynamorm_async.query.backfill import tag_request

    schema = schema_of(_Ticket)
    raw: dict[str, Any] = {"pk": {"S": "TICKET#t1"}, "sk": {"S": "META"}, "status": {"S": "open"}}
    params = tag_request(schema, raw, "unit-adopt-index")
    names = params["ExpressionAttributeNames"]
    values = {v["S"] for v in params["ExpressionAttributeValues"].values() if "S" in v}
    assert {"gsi1pk", "gsi1sk", "entity", "ticket_id"} <= set(names.values())
    assert {"open#TICKETS", "t1", "TICKET"} <= values

    bare = tag_request(schema, {"pk": {"S": "TICKET#t2"}, "sk": {"S": "META"}}, "unit-adopt-index")
    assert "gsi1pk" not in bare["ExpressionAttributeNames"].values()

    with pytest.raises(InvalidStoredItem):
        tag_request(schema, {**raw, "status": {"S": "a#TICKETS#b"}}, "unit-adopt-index")
