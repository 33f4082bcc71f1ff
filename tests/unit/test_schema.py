"""Model declarations compile into schemas; wrong ones fail when the class is defined."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from dynamorm_async import (
    GSI,
    LSI,
    TTL,
    Attribute,
    CreatedAt,
    HashKey,
    InvalidKey,
    ItemTooLarge,
    Model,
    ModelError,
    ModelValidationError,
    RangeKey,
    UpdatedAt,
    Version,
)
from dynamorm_async.schema import schema_of


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    city: str
    lines: list[str] = []
    zip_code: Annotated[str, Attribute("zip")] = ""


class Thing(
    Model,
    table="things",
    indexes=[
        GSI("by_color", hash="color", range="created_at", projection=["label"]),
        LSI("by_rank", range="rank", projection="KEYS_ONLY"),
    ],
):
    owner: Annotated[str, HashKey()]
    thing_id: Annotated[uuid.UUID, RangeKey(name="id")]
    label: Annotated[str, Attribute("lb")] = ""
    color: Color = Color.RED
    rank: int = 0
    price: Decimal = Decimal("0")
    ratio: float = 0.5
    flags: set[str] = set()
    address: Address | None = None
    blob: bytes | None = None
    version: Annotated[int, Version()] = 0
    expires: Annotated[dt.datetime | None, TTL()] = None
    created_at: Annotated[dt.datetime | None, CreatedAt()] = None
    updated_at: Annotated[dt.datetime | None, UpdatedAt()] = None


def test_schema_compiles_keys_indexes_and_roles() -> None:
    s = schema_of(Thing)
    assert s.table == "things"
    assert s.hash_key is not None and s.hash_key.attr == "owner"
    assert s.range_key is not None and (s.range_key.name, s.range_key.attr, s.range_key.codec.kind) == (
        "thing_id",
        "id",
        "S",
    )
    assert s.version and s.version.name == "version"
    assert s.ttl and s.ttl.codec.kind == "N"
    assert s.by_attr["lb"].name == "label"
    gsi, lsi = s.indexes["by_color"], s.indexes["by_rank"]
    assert (gsi.kind, gsi.hash.attr, gsi.range and gsi.range.attr, gsi.projection) == (
        "GSI",
        "color",
        "created_at",
        ("lb",),
    )
    assert (lsi.kind, lsi.hash.attr, lsi.range and lsi.range.attr) == ("LSI", "owner", "rank")


def test_round_trip_through_an_item() -> None:
    s = schema_of(Thing)
    t = Thing(
        owner="o",
        thing_id=uuid.UUID(int=7),
        label="x",
        color=Color.BLUE,
        price=Decimal("12.3456789012345678901234567890"),
        ratio=0.1,
        flags={"a"},
        address=Address(city="Oslo", lines=["1"], zip_code="0150"),
        blob=b"\x00\x01",
        expires=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    item = s.encode(t)
    assert item["id"] == {"S": str(uuid.UUID(int=7))}
    assert item["lb"] == {"S": "x"}
    assert item["color"] == {"S": "blue"}
    assert item["price"] == {"N": "12.3456789012345678901234567890"}
    assert item["ratio"] == {"N": "0.1"}
    assert item["address"] == {
        "M": {"city": {"S": "Oslo"}, "lines": {"L": [{"S": "1"}]}, "zip": {"S": "0150"}}
    }
    assert item["expires"] == {"N": str(int(dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp()))}
    assert "created_at" not in item  # None is left out
    back = s.decode(item)
    assert back == t


def test_empty_set_fields_are_left_out_and_read_back_empty() -> None:
    s = schema_of(Thing)
    item = s.encode(Thing(owner="o", thing_id=uuid.uuid4()))
    assert "flags" not in item
    assert s.decode(item).flags == set()


def test_decode_rejects_data_that_does_not_validate() -> None:
    s = schema_of(Thing)
    with pytest.raises(ModelValidationError):
        s.decode({"owner": {"S": "o"}, "id": {"S": "not-a-uuid"}})


@pytest.mark.parametrize(
    ("hash_value", "range_value"),
    [(None, uuid.uuid4()), ("", uuid.uuid4()), ("o", None), (5, uuid.uuid4())],
)
def test_bad_keys_raise_invalid_key(hash_value: Any, range_value: Any) -> None:
    with pytest.raises(InvalidKey):
        schema_of(Thing).key(hash_value, range_value)


def test_item_size_is_checked() -> None:
    t = Thing(owner="o", thing_id=uuid.uuid4(), label="x" * (400 * 1024))
    with pytest.raises(ItemTooLarge) as info:
        schema_of(Thing).encode_checked(t)
    assert info.value.size > info.value.limit


def _declare(**namespace: Any) -> Callable[[], type]:
    def build() -> type:
        table = namespace.pop("__table__", "t_table")
        indexes = namespace.pop("__indexes__", ())
        metaclass: Any = type(Model)
        made: type = metaclass(
            "Bad", (Model,), {"__module__": __name__, **namespace}, table=table, indexes=indexes
        )
        return made

    return build


BAD_DECLARATIONS: dict[str, dict[str, Any]] = {
    "no hash key": {"__annotations__": {"a": str}},
    "two hash keys": {"__annotations__": {"a": Annotated[str, HashKey()], "b": Annotated[str, HashKey()]}},
    "optional key": {"__annotations__": {"a": Annotated[str | None, HashKey()]}},
    "list key": {"__annotations__": {"a": Annotated[list[str], HashKey()]}},
    "version not int": {
        "__annotations__": {"a": Annotated[str, HashKey()], "v": Annotated[str, Version()]},
        "v": "",
    },
    "ttl not datetime": {
        "__annotations__": {"a": Annotated[str, HashKey()], "t": Annotated[str, TTL()]},
        "t": "",
    },
    "created_at not datetime": {
        "__annotations__": {"a": Annotated[str, HashKey()], "c": Annotated[int, CreatedAt()]},
        "c": 0,
    },
    "duplicate attribute names": {
        "__annotations__": {"a": Annotated[str, HashKey()], "b": Annotated[str, Attribute("a")]},
        "b": "",
    },
    "index on unknown field": {
        "__annotations__": {"a": Annotated[str, HashKey()]},
        "__indexes__": [GSI("idx", hash="zzz")],
    },
    "index on a list field": {
        "__annotations__": {"a": Annotated[str, HashKey()], "l": list[str]},
        "l": [],
        "__indexes__": [GSI("idx", hash="l")],
    },
    "lsi without range key": {
        "__annotations__": {"a": Annotated[str, HashKey()], "r": int},
        "r": 0,
        "__indexes__": [LSI("idx", range="r")],
    },
    "duplicate index": {
        "__annotations__": {"a": Annotated[str, HashKey()], "r": str},
        "r": "",
        "__indexes__": [GSI("idx", hash="r"), GSI("idx", hash="r")],
    },
    "short table name": {"__annotations__": {"a": Annotated[str, HashKey()]}, "__table__": "t"},
    "keys without table": {"__annotations__": {"a": Annotated[str, HashKey()]}, "__table__": None},
    "projection of unknown field": {
        "__annotations__": {"a": Annotated[str, HashKey()], "r": str},
        "r": "",
        "__indexes__": [GSI("idx", hash="r", projection=["q"])],
    },
}


@pytest.mark.parametrize("case", list(BAD_DECLARATIONS))
def test_bad_declarations_fail_at_class_definition(case: str) -> None:
    with pytest.raises(ModelError):
        _declare(**dict(BAD_DECLARATIONS[case]))()


def test_subclass_inherits_table_and_indexes() -> None:
    class Special(Thing):
        extra: str = ""

    s = schema_of(Special)
    assert s.table == "things" and set(s.indexes) == {"by_color", "by_rank"}
    assert Special.attr.extra.name == "extra"
