"""The expression compiler: table-driven cases from expression object to DynamoDB text."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import pickle
from typing import Annotated, Any

import pytest

from dynamorm_async import HashKey, InvalidInput, Model, RangeKey, UnknownAttribute
from dynamorm_async.expressions import Compare, Condition, Encoder, Update, Value


class Doc(Model, table="docs"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[int, RangeKey()]
    name: str = ""
    status: str = "new"
    size: int = 0
    tags: set[str] = set()
    items: list[Any] = []
    meta: dict[str, Any] = {}
    when: dt.datetime | None = None


A = Doc.attr

CONDITIONS: list[tuple[str, Condition, str, dict[str, str], dict[str, Any]]] = [
    ("eq", A.status == "new", "#n0 = :v0", {"#n0": "status"}, {":v0": {"S": "new"}}),
    ("ne", A.size != 3, "#n0 <> :v0", {"#n0": "size"}, {":v0": {"N": "3"}}),
    ("lt", A.size < 3, "#n0 < :v0", {"#n0": "size"}, {":v0": {"N": "3"}}),
    ("le method", A.size.le(3), "#n0 <= :v0", {"#n0": "size"}, {":v0": {"N": "3"}}),
    ("gt method", A.size.gt(3), "#n0 > :v0", {"#n0": "size"}, {":v0": {"N": "3"}}),
    ("ge", A.size >= 3, "#n0 >= :v0", {"#n0": "size"}, {":v0": {"N": "3"}}),
    (
        "between",
        A.size.between(1, 9),
        "#n0 BETWEEN :v0 AND :v1",
        {"#n0": "size"},
        {":v0": {"N": "1"}, ":v1": {"N": "9"}},
    ),
    (
        "in",
        A.status.is_in("a", "b"),
        "#n0 IN (:v0, :v1)",
        {"#n0": "status"},
        {":v0": {"S": "a"}, ":v1": {"S": "b"}},
    ),
    ("in iterable", A.status.is_in(["a"]), "#n0 IN (:v0)", {"#n0": "status"}, {":v0": {"S": "a"}}),
    ("begins_with", A.name.begins_with("ab"), "begins_with(#n0, :v0)", {"#n0": "name"}, {":v0": {"S": "ab"}}),
    ("contains", A.tags.contains("x"), "contains(#n0, :v0)", {"#n0": "tags"}, {":v0": {"S": "x"}}),
    ("exists", A.name.exists(), "attribute_exists(#n0)", {"#n0": "name"}, {}),
    ("not_exists", A.name.not_exists(), "attribute_not_exists(#n0)", {"#n0": "name"}, {}),
    (
        "attribute_type",
        A.meta.attribute_type("M"),
        "attribute_type(#n0, :v0)",
        {"#n0": "meta"},
        {":v0": {"S": "M"}},
    ),
    ("size", A.items.size() > 2, "size(#n0) > :v0", {"#n0": "items"}, {":v0": {"N": "2"}}),
    (
        "nested path",
        A.meta["b"][2]["c"] == 1,
        "#n0.#n1[2].#n2 = :v0",
        {"#n0": "meta", "#n1": "b", "#n2": "c"},
        {":v0": {"N": "1"}},
    ),
    (
        "and/or/not",
        (A.status == "a") & ~(A.size > 1) | A.name.exists(),
        "((#n0 = :v0) AND (NOT (#n1 > :v1))) OR (attribute_exists(#n2))",
        {"#n0": "status", "#n1": "size", "#n2": "name"},
        {":v0": {"S": "a"}, ":v1": {"N": "1"}},
    ),
    (
        "repeated name and value reuse placeholders",
        (A.size > 1) & (A.size < 1),
        "(#n0 > :v0) AND (#n0 < :v0)",
        {"#n0": "size"},
        {":v0": {"N": "1"}},
    ),
    (
        "datetime uses the field codec",
        A.when < dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "#n0 < :v0",
        {"#n0": "when"},
        {":v0": {"S": "2024-01-02T03:04:05+00:00"}},
    ),
    (
        "path compared with path",
        A.size > A.sk,
        "#n0 > #n1",
        {"#n0": "size", "#n1": "sk"},
        {},
    ),
]


@pytest.mark.parametrize(
    ("case", "cond", "text", "names", "values"), CONDITIONS, ids=[c[0] for c in CONDITIONS]
)
def test_condition_compiles(
    case: str, cond: Condition, text: str, names: dict[str, str], values: dict[str, Any]
) -> None:
    enc = Encoder()
    assert enc.condition(cond) == text
    assert enc.names == names
    assert enc.values == values


UPDATES: list[tuple[str, Update, str, dict[str, str], dict[str, Any]]] = [
    ("set", Update((A.status.set("x"),)), "SET #n0 = :v0", {"#n0": "status"}, {":v0": {"S": "x"}}),
    (
        "set arithmetic",
        Update((A.size.set(A.size + 2),)),
        "SET #n0 = #n0 + :v0",
        {"#n0": "size"},
        {":v0": {"N": "2"}},
    ),
    (
        "set minus",
        Update((A.size.set(A.size - 2),)),
        "SET #n0 = #n0 - :v0",
        {"#n0": "size"},
        {":v0": {"N": "2"}},
    ),
    (
        "if_not_exists",
        Update((A.name.set(A.name.if_not_exists("d")),)),
        "SET #n0 = if_not_exists(#n0, :v0)",
        {"#n0": "name"},
        {":v0": {"S": "d"}},
    ),
    (
        "list append",
        Update((A.items.append([1]),)),
        "SET #n0 = list_append(#n0, :v0)",
        {"#n0": "items"},
        {":v0": {"L": [{"N": "1"}]}},
    ),
    (
        "list prepend",
        Update((A.items.prepend([1]),)),
        "SET #n0 = list_append(:v0, #n0)",
        {"#n0": "items"},
        {":v0": {"L": [{"N": "1"}]}},
    ),
    ("add number", Update((A.size.add(5),)), "ADD #n0 :v0", {"#n0": "size"}, {":v0": {"N": "5"}}),
    ("add set", Update((A.tags.add({"a"}),)), "ADD #n0 :v0", {"#n0": "tags"}, {":v0": {"SS": ["a"]}}),
    ("remove", Update((A.name.remove(),)), "REMOVE #n0", {"#n0": "name"}, {}),
    (
        "delete from set",
        Update((A.tags.delete({"a"}),)),
        "DELETE #n0 :v0",
        {"#n0": "tags"},
        {":v0": {"SS": ["a"]}},
    ),
    (
        "several clauses combined with &",
        A.status.set("x") & A.size.add(1) & A.name.remove() & A.meta["k"].set(2),
        "SET #n0 = :v0, #n3.#n4 = :v2 ADD #n1 :v1 REMOVE #n2",
        {"#n0": "status", "#n1": "size", "#n2": "name", "#n3": "meta", "#n4": "k"},
        {":v0": {"S": "x"}, ":v1": {"N": "1"}, ":v2": {"N": "2"}},
    ),
]


@pytest.mark.parametrize(("case", "update", "text", "names", "values"), UPDATES, ids=[u[0] for u in UPDATES])
def test_update_compiles(
    case: str, update: Update, text: str, names: dict[str, str], values: dict[str, Any]
) -> None:
    enc = Encoder()
    assert enc.update(update) == text
    assert enc.names == names
    assert enc.values == values


def test_expressions_are_immutable_values() -> None:
    a = A.status == "a"
    b = a & (A.size > 1)
    same = Compare(a.op, a.left, a.right)
    assert same == a and hash(same) == hash(A.status == "a")
    assert a != Compare("<>", a.left, a.right) and a != Compare("=", a.left, Value("b"))
    assert Value("a") == Value("a") and Value("a") != Value("b")
    assert repr(a) == f"Compare(op='=', left={a.left!r}, right={a.right!r})"
    assert repr(Update(())) == "Update(actions=())"
    assert copy.copy(a) == a and pickle.loads(pickle.dumps(Update(()))) == Update(())
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.op = "<"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del a.op
    assert not hasattr(a, "__dict__")
    assert a.debug() == "status = 'a'"
    assert b.debug() == "(status = 'a') AND (size > 1)"
    u1 = A.status.set("x")
    u2 = u1 & A.size.add(1)
    assert isinstance(u2, Update) and len(u2.actions) == 2
    assert (u2 & A.name.remove()).actions[:2] == u2.actions  # u2 unchanged


def test_condition_has_no_truth_value() -> None:
    cond = A.status == "x"
    with pytest.raises(TypeError, match="no truth value"):
        bool(cond)
    with pytest.raises(TypeError):
        _ = cond and (A.size > 1)


def test_double_negation_and_flattening() -> None:
    c = A.status == "a"
    assert (~~c) is c
    three = (A.status == "a") & (A.size > 1) & A.name.exists()
    assert three.render(Encoder()).count("AND") == 2
    assert "((" not in three.render(Encoder())


def test_unknown_fields_fail_when_built() -> None:
    with pytest.raises(UnknownAttribute, match="no field 'nope'"):
        _ = Doc.attr.nope
    with pytest.raises(UnknownAttribute):
        Doc.attr.path("nope.x")
    assert Doc.attr.path("meta.b[2].c").name == "meta.b[2].c"


@pytest.mark.parametrize(
    "build",
    [
        lambda: A.status.is_in(),
        lambda: A.status.is_in(list(range(101))),
        lambda: A.meta.attribute_type("X"),
        lambda: A.items[-1],
        lambda: A.tags.delete("a"),
        lambda: Update(()).render(Encoder()),
    ],
)
def test_invalid_expressions_raise_typed_errors(build: Any) -> None:
    with pytest.raises(InvalidInput):
        build()


@pytest.mark.parametrize("hostile", [":v0", "#n0", ") OR (1=1", "status = :v0", "#n0.#n1"])
def test_values_never_become_expression_text(hostile: str) -> None:
    enc = Encoder()
    text = enc.condition((A.name == hostile) | A.status.begins_with(hostile))
    assert text == "(#n0 = :v0) OR (begins_with(#n1, :v0))"  # the same text whatever the value
    assert enc.values == {":v0": {"S": hostile}}
    assert enc.names == {"#n0": "name", "#n1": "status"}


def test_reserved_words_are_placeholders() -> None:
    enc = Encoder()
    text = enc.condition((A.name == "n") & (A.status == "s") & (A.size.size() > 0))
    for word in ("name", "status", "size("):
        assert word not in text.replace("size(#", "")
    assert set(enc.names.values()) == {"name", "status", "size"}


def test_params_omit_empty_maps() -> None:
    enc = Encoder()
    enc.condition(A.name.exists())
    assert enc.params() == {"ExpressionAttributeNames": {"#n0": "name"}}
