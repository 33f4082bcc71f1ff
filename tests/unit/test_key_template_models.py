"""Key templates on models: definition errors, key texts, encoding, keys, key conditions, updates.

Request shapes come from the compiled plans and request values (no I/O); the same models run
against DynamoDB Local in ``tests/integration/test_single_table_templates.py``.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

import pytest

from dynamorm_async import (
    DB,
    GSI,
    LSI,
    TTL,
    HashKey,
    InvalidInput,
    InvalidKey,
    Key,
    KeyText,
    KeyUpdateError,
    Model,
    ModelError,
    Query,
    RangeKey,
)
from dynamorm_async.keytemplates import UPPER_SENTINEL
from dynamorm_async.requests import get_item, key_item, put_item, update_item
from dynamorm_async.testing import MockTransport

T1 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2024, 1, 31, tzinfo=dt.UTC)
T1_TEXT = "2024-01-01T00:00:00.000000Z"
T2_TEXT = "2024-01-31T00:00:00.000000Z"
_TABLE = "unit-templates"


class Customer(
    Model,
    table=_TABLE,
    discriminator="CUSTOMER",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),
    range_key=Key("sk", "PROFILE"),
):
    customer_id: str
    email: str


class Order(
    Model,
    table=_TABLE,
    discriminator="ORDER",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),
    range_key=Key("sk", "ORDER#{created_at}#{order_id}"),
    indexes=[GSI("gsi1", hash=Key("gsi1pk", "STATUS#{status}"), range=Key("gsi1sk", "{created_at}"))],
):
    customer_id: str
    order_id: str
    created_at: dt.datetime
    status: str = "new"


class Line(
    Model,
    table=_TABLE,
    discriminator="LINE",
    hash_key=Key("pk", "CUSTOMER#{customer_id}"),
    range_key=Key("sk", "LINE#{order_id}#{line_no}"),
    indexes=[GSI("gsi2", hash=Key("gsi2pk", "SKU#{sku}#{warehouse}"), range=Key("gsi2sk", "{sku}"))],
):
    customer_id: str
    order_id: str
    line_no: Annotated[int, KeyText(width=4)]
    sku: str
    warehouse: str | None = None


def manager(model: type[Model]) -> Any:
    return DB(transport=cast(Any, MockTransport(lambda op, params: {}))).manager(model)


def key_condition(query: Query[Any]) -> tuple[str | None, str]:
    """The plan's index and key condition with names and values written in (for reading)."""
    params = query.plan().params
    text = str(params["KeyConditionExpression"])
    text = re.sub(r"#n\d+", lambda m: str(params["ExpressionAttributeNames"][m.group()]), text)
    text = re.sub(r":v\d+", lambda m: "'" + params["ExpressionAttributeValues"][m.group()]["S"] + "'", text)
    return params.get("IndexName"), text


# --------------------------------------------------------------------------- definition


def define(*, fields: dict[str, Any], defaults: dict[str, Any] | None = None, **keywords: Any) -> type[Model]:
    namespace: dict[str, Any] = {"__annotations__": dict(fields), "__module__": __name__, **(defaults or {})}
    return type("Bad", (Model,), namespace, table="unit-bad", **keywords)


@pytest.mark.parametrize(
    ("fields", "keywords", "message"),
    [
        ({"a": str}, {"hash_key": Key("pk", "A#{b}")}, "names 'b', which is not a field"),
        ({"a": float}, {"hash_key": Key("pk", "A#{a}")}, "float field cannot be part of a key template"),
        ({"a": Decimal}, {"hash_key": Key("pk", "A#{a}")}, "Decimal field cannot"),
        ({"a": bool}, {"hash_key": Key("pk", "A#{a}")}, "bool field cannot"),
        ({"a": bytes}, {"hash_key": Key("pk", "A#{a}")}, "bytes are not text"),
        ({"a": list[str]}, {"hash_key": Key("pk", "A#{a}")}, "has no key text"),
        (
            {"a": str, "n": int},
            {"hash_key": Key("pk", "{a}"), "range_key": Key("sk", "N#{n}")},
            "fixed width",
        ),
        ({"a": Annotated[str, KeyText(width=3)]}, {"hash_key": Key("pk", "{a}")}, "int fields only"),
        ({"a": str | None}, {"hash_key": Key("pk", "A#{a}")}, "cannot be optional"),
        ({"a": str, "b": str}, {"hash_key": Key("pk", "{a}{b}")}, "no literal between them"),
        ({"a": str}, {"hash_key": Key("pk", "A#{a")}, "unbalanced"),
        ({"a": str}, {"hash_key": Key("a", "A#{a}")}, "also the attribute of field 'a'"),
        ({"a": Annotated[str, HashKey()]}, {"hash_key": Key("pk", "A#{a}")}, "not both"),
        ({"a": str}, {"range_key": Key("sk", "A#{a}")}, "range_key= but no hash_key="),
        ({"a": str}, {"hash_key": "A#{a}"}, "takes Key(attribute, template)"),
        (
            {"a": str, "b": str},
            {"hash_key": Key("pk", "{a}"), "indexes": [GSI("gsi", hash=Key("pk", "B#{b}"))]},
            "has two templates",
        ),
        ({"a": str, "b": float}, {"indexes": [GSI("gsi", hash=Key("g", "{b}"))]}, "float field cannot"),
    ],
)
def test_definition_errors(fields: dict[str, Any], keywords: dict[str, Any], message: str) -> None:
    if "hash_key" not in keywords and "range_key" not in keywords:
        fields = {"id": Annotated[str, HashKey()], **fields}
    with pytest.raises(ModelError, match=re.escape(message)):
        define(fields=fields, **keywords)


def test_int_keys_need_a_width_only_in_sort_templates_and_optional_index_fields_are_fine() -> None:
    model = define(
        fields={"n": int, "m": Annotated[int, KeyText(width=6)], "tag": str | None},
        defaults={"tag": None},
        hash_key=Key("pk", "N#{n}"),
        range_key=Key("sk", "M#{m}"),
        indexes=[GSI("by_tag", hash=Key("tagpk", "TAG#{tag}"))],
    )
    schema = model.__dynamorm_schema__
    item = schema.encode(model(n=-5, m=-42))
    assert item["pk"] == {"S": "N#-5"} and item["sk"] == {"S": "M#-999958"}
    assert "tagpk" not in item  # sparse: no tag, not in the index
    assert schema.encode(model(n=1, m=7, tag="x"))["tagpk"] == {"S": "TAG#x"}
    assert [i.hash.codec.kind for i in schema.indexes.values()] == ["S"]


def test_int_key_text_sorts_as_numbers_and_is_bounded() -> None:
    model = define(
        fields={"a": str, "n": Annotated[int, KeyText(width=3)]},
        hash_key=Key("pk", "{a}"),
        range_key=Key("sk", "N#{n}"),
    )
    schema = model.__dynamorm_schema__
    numbers = [-999, -100, -12, -1, 0, 1, 9, 10, 99, 100, 999]
    texts = [schema.encode(model(a="x", n=n))["sk"]["S"] for n in numbers]
    assert sorted(texts, key=lambda t: t.encode()) == texts
    assert [schema.key_texts["n"].read(t[2:]) for t in texts] == numbers
    with pytest.raises(InvalidKey, match="width 3"):
        schema.encode(model(a="x", n=1000))


def test_key_texts_of_each_type() -> None:
    class Color(enum.Enum):
        RED = "red"

    model = define(
        fields={"d": dt.date, "u": uuid.UUID, "c": Color, "t": dt.datetime},
        hash_key=Key("pk", "{d}|{u}|{c}"),
        range_key=Key("sk", "{t}"),
    )
    schema = model.__dynamorm_schema__
    u = uuid.UUID("12345678-1234-5678-1234-56781234ABCD")
    paris = dt.timezone(dt.timedelta(hours=1))
    item = schema.encode(
        model(d=dt.date(2024, 2, 3), u=u, c=Color.RED, t=dt.datetime(2024, 1, 1, 1, tzinfo=paris))
    )
    assert item["pk"] == {"S": f"2024-02-03|{str(u).lower()}|red"}
    assert item["sk"] == {"S": "2024-01-01T00:00:00.000000Z"}
    assert schema.key_texts["t"].read(item["sk"]["S"]) == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidKey, match="timezone-aware"):
        schema.encode(model(d=dt.date(2024, 2, 3), u=u, c=Color.RED, t=dt.datetime(2024, 1, 1)))


def test_models_whose_keys_could_overlap_or_whose_ttl_differs_are_refused() -> None:
    class Event(
        Model,
        table="unit-overlap",
        discriminator="EVENT",
        hash_key=Key("pk", "U#{user}"),
        range_key=Key("sk", "EVENT#{event_id}"),
    ):
        user: str
        event_id: str
        expires: Annotated[int | None, TTL()] = None

    with pytest.raises(ModelError, match="could write the same keys"):

        class DayEvent(
            Model,
            table="unit-overlap",
            discriminator="DAY",
            hash_key=Key("pk", "U#{user}"),
            range_key=Key("sk", "EVENT#{day}#{event_id}"),
        ):
            user: str
            day: str
            event_id: str

    with pytest.raises(ModelError, match="TTL attribute"):

        class Session(
            Model,
            table="unit-overlap",
            discriminator="SESSION",
            hash_key=Key("pk", "U#{user}"),
            range_key=Key("sk", "SESSION#{sid}"),
        ):
            user: str
            sid: str
            gone: Annotated[int | None, TTL()] = None

    with pytest.raises(ModelError, match="key attribute 'pk' is N here but S"):

        class Plain(Model, table="unit-overlap", discriminator="PLAIN"):
            pk: Annotated[int, HashKey()]
            sk: Annotated[str, RangeKey()]

    class Login(  # a distinct leading literal: no overlap, same TTL attribute
        Model,
        table="unit-overlap",
        discriminator="LOGIN",
        hash_key=Key("pk", "U#{user}"),
        range_key=Key("sk", "LOGIN#{at}"),
    ):
        user: str
        at: dt.datetime
        expires: Annotated[int | None, TTL()] = None

    assert Event.__dynamorm_schema__.table == Login.__dynamorm_schema__.table


def test_a_subclass_inherits_the_key_templates() -> None:
    class BigOrder(Order):
        note: str = ""

    schema = BigOrder.__dynamorm_schema__
    assert schema.templated and schema.range_key is not None and schema.range_key.template is not None
    assert schema.range_key.template.template == "ORDER#{created_at}#{order_id}"


def test_an_lsi_can_be_a_template() -> None:
    class Doc(
        Model,
        table="unit-lsi",
        hash_key=Key("pk", "D#{doc}"),
        range_key=Key("sk", "V#{version}"),
        indexes=[LSI("by_author", range=Key("lsi1sk", "A#{author}"))],
    ):
        doc: str
        version: Annotated[int, KeyText(width=5)]
        author: str

    item = Doc.__dynamorm_schema__.encode(Doc(doc="d", version=3, author="ann"))
    assert (item["pk"], item["sk"], item["lsi1sk"]) == ({"S": "D#d"}, {"S": "V#00003"}, {"S": "A#ann"})


# --------------------------------------------------------------------------- items and keys


def test_encode_writes_the_fields_and_every_template_attribute() -> None:
    item = Order.__dynamorm_schema__.encode(Order(customer_id="c1", order_id="o1", created_at=T1))
    assert item == {
        "customer_id": {"S": "c1"},
        "order_id": {"S": "o1"},
        "created_at": {"S": "2024-01-01T00:00:00+00:00"},
        "status": {"S": "new"},
        "pk": {"S": "CUSTOMER#c1"},
        "sk": {"S": f"ORDER#{T1_TEXT}#o1"},
        "gsi1pk": {"S": "STATUS#new"},
        "gsi1sk": {"S": T1_TEXT},
        "entity": {"S": "ORDER"},
    }
    assert Order.__dynamorm_schema__.decode(item) == Order(customer_id="c1", order_id="o1", created_at=T1)
    line = Line.__dynamorm_schema__.encode(Line(customer_id="c1", order_id="o1", line_no=2, sku="s"))
    assert line["sk"] == {"S": "LINE#o1#0002"} and "gsi2pk" not in line and line["gsi2sk"] == {"S": "s"}


def test_keys_from_a_mapping_an_instance_and_refused_forms() -> None:
    schema = Order.__dynamorm_schema__
    expected = {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": f"ORDER#{T1_TEXT}#o1"}}
    assert key_item(schema, {"customer_id": "c1", "created_at": T1, "order_id": "o1"}) == expected
    assert (
        key_item(schema, {"customer_id": "c1", "created_at": "2024-01-01T00:00:00Z", "order_id": "o1"})
        == expected
    )
    assert key_item(schema, Order(customer_id="c1", order_id="o1", created_at=T1)) == expected
    with pytest.raises(InvalidInput, match="as a mapping"):
        key_item(schema, "c1", "o1")
    with pytest.raises(InvalidInput, match="as a mapping"):
        key_item(schema, ("c1", "o1"))
    with pytest.raises(InvalidKey, match=r"given by \['created_at', 'customer_id', 'order_id'\]"):
        key_item(schema, {"customer_id": "c1", "order_id": "o1"})
    with pytest.raises(InvalidKey, match="not a valid value"):
        key_item(schema, {"customer_id": "c1", "created_at": "yesterday", "order_id": "o1"})
    with pytest.raises(InvalidKey, match="is empty"):
        key_item(schema, {"customer_id": "", "created_at": T1, "order_id": "o1"})
    assert get_item(schema, {"customer_id": "c1", "created_at": T1, "order_id": "o1"}).key == expected


def test_separator_injection_is_refused_on_every_path() -> None:
    schema = Line.__dynamorm_schema__
    bad = Line(customer_id="c1", order_id="o#1", line_no=1, sku="s")
    with pytest.raises(InvalidKey, match="separator"):
        schema.encode(bad)
    with pytest.raises(InvalidKey, match="separator"):
        key_item(schema, {"customer_id": "c1", "order_id": "o#1", "line_no": 1})
    with pytest.raises(InvalidKey, match="separator"):
        update_item(schema, bad, [Line.attr.sku.set("t")])
    with pytest.raises(InvalidKey, match="separator"):
        key_condition(manager(Line).query((Line.attr.customer_id == "c1") & (Line.attr.order_id == "o#1")))
    with pytest.raises(InvalidKey, match="separator"):
        schema.encode(Line(customer_id="c1", order_id="o1", line_no=1, sku="a#b", warehouse="w"))


def test_partition_key_takes_the_hash_template_fields() -> None:
    schema = Order.__dynamorm_schema__
    assert schema.partition_key({"customer_id": "c1"}) == {"pk": {"S": "CUSTOMER#c1"}}
    with pytest.raises(InvalidKey):
        schema.partition_key({"customer_id": "c1", "order_id": "o1"})
    with pytest.raises(InvalidKey, match="is empty"):
        schema.partition_key({"customer_id": ""})


# --------------------------------------------------------------------------- key conditions

A = Order.attr
SK = f"ORDER#{T1_TEXT}#"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (A.customer_id == "c1", "(pk = 'CUSTOMER#c1') AND (begins_with(sk, 'ORDER#'))"),
        (
            (A.customer_id == "c1") & A.created_at.between(T1, T2),
            f"(pk = 'CUSTOMER#c1') AND (sk BETWEEN '{SK}' AND 'ORDER#{T2_TEXT}#{UPPER_SENTINEL}')",
        ),
        (
            (A.customer_id == "c1") & A.created_at.begins_with("2024-01"),
            "(pk = 'CUSTOMER#c1') AND (begins_with(sk, 'ORDER#2024-01'))",
        ),
        (
            (A.customer_id == "c1") & (A.created_at == T1),
            f"(pk = 'CUSTOMER#c1') AND (begins_with(sk, '{SK}'))",
        ),
        (
            (A.customer_id == "c1") & (A.created_at == T1) & (A.order_id == "o1"),
            f"(pk = 'CUSTOMER#c1') AND (sk = '{SK}o1')",
        ),
        (
            (A.customer_id == "c1") & (A.created_at < T1),
            f"(pk = 'CUSTOMER#c1') AND (sk BETWEEN 'ORDER#' AND '{SK}')",
        ),
        (
            (A.customer_id == "c1") & (A.created_at <= T1),
            f"(pk = 'CUSTOMER#c1') AND (sk BETWEEN 'ORDER#' AND '{SK}{UPPER_SENTINEL}')",
        ),
        (
            (A.customer_id == "c1") & (A.created_at > T1),
            f"(pk = 'CUSTOMER#c1') AND (sk BETWEEN '{SK}{UPPER_SENTINEL}' AND 'ORDER#{UPPER_SENTINEL}')",
        ),
        (
            (A.customer_id == "c1") & (A.created_at >= T1),
            f"(pk = 'CUSTOMER#c1') AND (sk BETWEEN '{SK}' AND 'ORDER#{UPPER_SENTINEL}')",
        ),
        (
            (A.customer_id == "c1") & (A.created_at == T1) & (A.order_id < "o5"),
            f"(pk = 'CUSTOMER#c1') AND (sk BETWEEN '{SK}' AND '{SK}o4{UPPER_SENTINEL}')",
        ),
        (
            (A.customer_id == "c1") & (A.created_at == T1) & (A.order_id > "o5"),
            f"(pk = 'CUSTOMER#c1') AND (sk BETWEEN '{SK}o5\x00' AND '{SK}{UPPER_SENTINEL}')",
        ),
    ],
)
def test_key_conditions_on_fields_become_conditions_on_the_stored_keys(condition: Any, expected: str) -> None:
    assert key_condition(manager(Order).query(condition)) == (None, expected)


def test_a_constant_sort_key_and_an_index_with_templates() -> None:
    customers = manager(Customer)
    assert key_condition(customers.query(Customer.attr.customer_id == "c1")) == (
        None,
        "(pk = 'CUSTOMER#c1') AND (sk = 'PROFILE')",
    )
    orders = manager(Order)
    assert key_condition(orders.query(A.status == "new")) == ("gsi1", "gsi1pk = 'STATUS#new'")
    assert key_condition(orders.query(A.status == "new").index("gsi1")) == ("gsi1", "gsi1pk = 'STATUS#new'")
    assert key_condition(orders.query((A.status == "new") & (A.created_at > T1))) == (
        "gsi1",
        f"(gsi1pk = 'STATUS#new') AND (gsi1sk > '{T1_TEXT}')",
    )
    assert key_condition(orders.query((A.status == "new") & A.created_at.between(T1, T2))) == (
        "gsi1",
        f"(gsi1pk = 'STATUS#new') AND (gsi1sk BETWEEN '{T1_TEXT}' AND '{T2_TEXT}')",
    )


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ((A.customer_id == "c1") & (A.order_id == "o1"), "'order_id' is tested without 'created_at'"),
        (A.created_at == T1, "needs 'customer_id' compared with =="),
        ((A.customer_id == "c1") & A.created_at.between(T2, T1), "low bound sorts after the high bound"),
        ((A.customer_id == "c1") & A.created_at.begins_with(T1), "takes the beginning of its key text"),
        ((A.customer_id == "c1") & (A.created_at > T1) & (A.order_id > "o"), "not two"),
        ((A.customer_id > "c1"), "takes only =="),
        ((A.customer_id == "c1") & (A.created_at == dt.datetime(2024, 1, 1)), "timezone-aware"),
    ],
)
def test_key_conditions_that_do_not_fit_say_why(condition: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        manager(Order).query(condition).plan()


# --------------------------------------------------------------------------- updates


def _update_actions(request: Any) -> str:
    params = request.params
    text = str(params["UpdateExpression"])
    text = re.sub(r"#n\d+", lambda m: str(params["ExpressionAttributeNames"][m.group()]), text)
    return re.sub(r":v\d+", lambda m: repr(params["ExpressionAttributeValues"][m.group()]), text)


def test_updates_refuse_primary_key_fields_and_rewrite_index_keys() -> None:
    schema = Order.__dynamorm_schema__
    key = {"customer_id": "c1", "created_at": T1, "order_id": "o1"}
    for action in (A.customer_id.set("c2"), A.created_at.set(T2), A.order_id.remove()):
        with pytest.raises(KeyUpdateError, match="primary key template"):
            update_item(schema, key, [action])
    request = update_item(schema, key, [A.status.set("shipped")])
    assert request.key == {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": f"ORDER#{T1_TEXT}#o1"}}
    text = _update_actions(request)
    assert "gsi1pk = {'S': 'STATUS#shipped'}" in text
    assert f"gsi1sk = {{'S': '{T1_TEXT}'}}" in text
    assert "customer_id = {'S': 'c1'}" in text and "order_id = {'S': 'o1'}" in text


def test_an_update_of_an_index_template_field_needs_all_its_fields() -> None:
    schema = Line.__dynamorm_schema__
    key = {"customer_id": "c1", "order_id": "o1", "line_no": 1}
    with pytest.raises(InvalidInput, match="part of index key 'gsi2pk'"):
        update_item(schema, key, [Line.attr.warehouse.set("w2")])
    text = _update_actions(update_item(schema, key, [Line.attr.warehouse.set("w2"), Line.attr.sku.set("s2")]))
    assert "gsi2pk = {'S': 'SKU#s2#w2'}" in text and "gsi2sk = {'S': 's2'}" in text
    removed = _update_actions(update_item(schema, key, [Line.attr.warehouse.remove()]))
    assert "REMOVE" in removed and "gsi2pk" in removed and "gsi2sk" not in removed


def test_plain_models_keep_their_key_forms() -> None:
    class Plain(Model, table="unit-plain-keys"):
        a: Annotated[str, HashKey()]
        b: Annotated[int, RangeKey()]
        c: str = ""

    schema = Plain.__dynamorm_schema__
    assert not schema.templated and schema.template_keys == ()
    assert (
        key_item(schema, ("x", 1))
        == key_item(schema, {"a": "x", "b": 1})
        == {"a": {"S": "x"}, "b": {"N": "1"}}
    )
    with pytest.raises(InvalidInput, match="has 3 parts"):
        manager(Plain).query((Plain.attr.a == "x") & (Plain.attr.b > 1) & (Plain.attr.c == "z"))


def test_a_projected_read_takes_the_key_fields_from_the_stored_keys() -> None:
    schema = Order.__dynamorm_schema__
    item = {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": f"ORDER#{T1_TEXT}#o1"}, "gsi1pk": {"S": "STATUS#paid"}}
    got = schema.decode_partial(item)
    assert (got.customer_id, got.created_at, got.order_id, got.status) == ("c1", T1, "o1", "paid")
    line = Line.__dynamorm_schema__.decode_partial({"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "LINE#o1#0012"}})
    assert (line.order_id, line.line_no) == ("o1", 12)
    # A key that does not fit its template (another model's) fills nothing.
    assert "order_id" not in schema.decode_partial({"sk": {"S": "PROFILE"}}).model_fields_set


def test_a_plain_primary_key_with_a_template_index_and_an_insert_only_put() -> None:
    class Ticket(
        Model,
        table="unit-mixed",
        indexes=[GSI("by_state", hash=Key("gsi1pk", "STATE#{state}"), range="ticket_id")],
    ):
        ticket_id: Annotated[str, HashKey()]
        state: Literal["open", "closed"] = "open"

    schema = Ticket.__dynamorm_schema__
    assert not schema.templated
    assert schema.encode(Ticket(ticket_id="t1"))["gsi1pk"] == {"S": "STATE#open"}
    query = manager(Ticket).query((Ticket.attr.state == "closed") & (Ticket.attr.ticket_id > "t5"))
    assert query.plan().params["IndexName"] == "by_state"
    params = query.plan().params
    assert params["ExpressionAttributeValues"] == {":v0": {"S": "STATE#closed"}, ":v1": {"S": "t5"}}
    text = _update_actions(update_item(schema, "t1", [Ticket.attr.state.set("closed")]))
    assert "gsi1pk = {'S': 'STATE#closed'}" in text
    put = put_item(
        Order.__dynamorm_schema__, Order(customer_id="c1", order_id="o1", created_at=T1), overwrite=False
    )
    assert put.params["ConditionExpression"] == "attribute_not_exists(#n0)"
    assert put.params["ExpressionAttributeNames"] == {"#n0": "pk"}


def test_an_inverted_index_reuses_the_table_keys_and_their_order_rules() -> None:
    class Edge(
        Model,
        table="unit-inverted",
        hash_key=Key("pk", "N#{source}"),
        range_key=Key("sk", "E#{target}"),
        indexes=[GSI("inverted", hash=Key("sk", "E#{target}"), range=Key("pk", "N#{source}"))],
    ):
        source: str
        target: str

    index = Edge.__dynamorm_schema__.indexes["inverted"]
    assert (index.hash, index.range) == (
        Edge.__dynamorm_schema__.range_key,
        Edge.__dynamorm_schema__.hash_key,
    )
    with pytest.raises(ModelError, match="fixed width"):  # n is in a sort position of the index
        define(
            fields={"n": int, "m": Annotated[int, KeyText(width=3)]},
            hash_key=Key("pk", "N#{n}"),
            range_key=Key("sk", "M#{m}"),
            indexes=[GSI("inverted", hash=Key("sk", "M#{m}"), range=Key("pk", "N#{n}"))],
        )
