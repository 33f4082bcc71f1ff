"""Several models on one table: discriminator declaration, writes, reads and definition-time checks."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from dynamorm_async import (
    GSI,
    HashKey,
    InvalidKey,
    InvalidStoredItem,
    Model,
    ModelError,
    RangeKey,
    WrongModel,
)
from dynamorm_async.requests.items import batch_put, put_item, update_item
from dynamorm_async.schema import schema_of


class Customer(Model, table="unit-app", discriminator="CUSTOMER"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    email: str = ""


class Order(Model, table="unit-app", discriminator="ORDER", indexes=[GSI("gsi1", hash="status")]):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    total: int = 0
    status: str = "new"


class Plain(Model, table="unit-plain"):
    pk: Annotated[str, HashKey()]
    total: int = 0


def test_every_write_that_creates_an_item_names_its_model() -> None:
    schema = Order.__dynamorm_schema__
    order = Order(pk="c1", sk="o1", total=3)
    assert schema.encode(order)["entity"] == {"S": "ORDER"}
    assert put_item(schema, order).params["Item"]["entity"] == {"S": "ORDER"}
    assert batch_put(schema, order).params["Item"]["entity"] == {"S": "ORDER"}
    upsert = update_item(schema, ("c1", "o1"), [Order.attr.total.set(1)], complete=True).params
    # SET entity = :ORDER, only where the item is absent, unlabelled or already an order
    assert upsert["UpdateExpression"].count("=") == 2
    assert "attribute_not_exists(" in upsert["ConditionExpression"]
    assert "entity" in upsert["ExpressionAttributeNames"].values()
    assert {"S": "ORDER"} in upsert["ExpressionAttributeValues"].values()


def test_a_model_without_a_discriminator_writes_none() -> None:
    schema = Plain.__dynamorm_schema__
    assert "entity" not in schema.encode(Plain(pk="a"))
    params = update_item(schema, "a", [Plain.attr.total.set(1)]).params
    assert "entity" not in params["ExpressionAttributeNames"].values()


def test_the_discriminator_attribute_name_is_configurable() -> None:
    class Thing(Model, table="unit-kinds", discriminator="THING", discriminator_attr="kind"):
        pk: Annotated[str, HashKey()]

    item = Thing.__dynamorm_schema__.encode(Thing(pk="x"))
    assert item["kind"] == {"S": "THING"} and "entity" not in item


def test_decoding_an_item_of_another_model_is_a_wrong_model_error() -> None:
    item = Customer.__dynamorm_schema__.encode(Customer(pk="c1", sk="PROFILE", email="e"))
    for decode in (Order.__dynamorm_schema__.decode, Order.__dynamorm_schema__.decode_partial):
        with pytest.raises(WrongModel) as caught:
            decode(item)
        err = caught.value
        assert (err.table, err.expected, err.found) == ("unit-app", "ORDER", "CUSTOMER")
        assert err.key == {"pk": {"S": "c1"}, "sk": {"S": "PROFILE"}}
    assert Customer.__dynamorm_schema__.decode(item) == Customer(pk="c1", sk="PROFILE", email="e")


def test_an_item_without_a_discriminator_reads_as_the_model() -> None:
    assert Order.__dynamorm_schema__.decode({"pk": {"S": "c"}, "sk": {"S": "o"}}) == Order(pk="c", sk="o")


def test_a_discriminator_of_another_type_is_a_wrong_model_error_not_a_crash() -> None:
    with pytest.raises(WrongModel):
        Order.__dynamorm_schema__.decode({"pk": {"S": "c"}, "sk": {"S": "o"}, "entity": {"N": "1"}})
    assert not issubclass(WrongModel, InvalidStoredItem)


def _model(name: str, **kwargs: Any) -> Any:
    """Define a model on the shared unit table (``ModelError`` is raised by the definition)."""
    ns: dict[str, Any] = {"__annotations__": kwargs.pop("fields")}
    return type(name, (Model,), ns, table="unit-app", **kwargs)


@pytest.mark.parametrize(
    ("fields", "kwargs", "why"),
    [
        (
            {"pk": Annotated[str, HashKey()], "sk": Annotated[str, RangeKey()]},
            {"discriminator": "ORDER"},
            "already Order's",
        ),
        (
            {"pk": Annotated[int, HashKey()], "sk": Annotated[str, RangeKey()]},
            {"discriminator": "BAD"},
            "key attribute 'pk' is N here but S",
        ),
        (
            {"id": Annotated[str, HashKey()], "sk": Annotated[str, RangeKey()]},
            {"discriminator": "BAD"},
            "key attributes",
        ),
        (
            {"pk": Annotated[str, HashKey()], "sk": Annotated[str, RangeKey()], "state": str},
            {"discriminator": "BAD", "indexes": [GSI("gsi1", hash="state")]},
            "index 'gsi1'",
        ),
        (
            {"pk": Annotated[str, HashKey()], "sk": Annotated[str, RangeKey()]},
            {"discriminator": "BAD", "discriminator_attr": "type"},
            "discriminator attribute is 'type'",
        ),
        (
            {"pk": Annotated[str, HashKey()], "sk": Annotated[str, RangeKey()], "entity": str},
            {"discriminator": "BAD"},
            "collides with field 'entity'",
        ),
        (
            {"pk": Annotated[str, HashKey()], "sk": Annotated[str, RangeKey()], "kind": str},
            {"discriminator": "BAD", "discriminator_attr": "kind"},
            "collides with field 'kind'",
        ),
    ],
)
def test_a_model_that_disagrees_with_the_table_fails_when_defined(
    fields: dict[str, Any], kwargs: dict[str, Any], why: str
) -> None:
    with pytest.raises(ModelError, match=why):
        _model("Line", fields=fields, **kwargs)


def test_a_model_that_agrees_joins_the_table_and_a_redefinition_replaces_itself() -> None:
    fields = {"pk": Annotated[str, HashKey()], "sk": Annotated[str, RangeKey()], "qty": int}
    _model("Line", fields=dict(fields), discriminator="LINE")
    _model("Line", fields=dict(fields), discriminator="LINE")  # the same class, defined again
    with pytest.raises(ModelError, match="already"):
        _model("OtherLine", fields=dict(fields), discriminator="LINE")


def test_a_discriminator_needs_a_table_and_a_value() -> None:
    with pytest.raises(ModelError, match="no table"):
        type("Loose", (Model,), {"__annotations__": {"x": str}}, discriminator="X")
    with pytest.raises(ModelError, match="non-empty"):
        _model("Empty", fields={"pk": Annotated[str, HashKey()]}, discriminator="")


def test_a_subclass_inherits_its_parents_discriminator() -> None:
    class BigOrder(Order):
        note: str = ""

    assert BigOrder.__dynamorm_schema__.encode(BigOrder(pk="c", sk="o"))["entity"] == {"S": "ORDER"}
    customer = Customer.__dynamorm_schema__.encode(Customer(pk="c", sk="PROFILE"))
    with pytest.raises(WrongModel):
        BigOrder.__dynamorm_schema__.decode(customer)


class _PkThing(Model, table="pkthings"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]


def test_partition_key_is_built_from_field_values_by_name() -> None:
    """A collection query names its partition by field values: unknown or bad values are typed errors."""
    schema = schema_of(_PkThing)
    assert schema.partition_key({"pk": "a"}) == {"pk": {"S": "a"}}
    with pytest.raises(InvalidKey):
        schema.partition_key({"sk": "a"})
    with pytest.raises(InvalidKey):
        schema.partition_key({"pk": ""})
