"""Request/answer bodies: the lean encoder and decoder against botocore's serializer and parser."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore import parsers, serialize
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamorm_async.transport.lean import LeanConfigurationError
from dynamorm_async.transport.lean.wire import decode_response, encode_request, error_fields

_names = st.sampled_from(["B", "BS", "S", "M", "L", "a", "Item", "é"])
_scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=10)),
    st.builds(lambda n: {"N": str(n)}, st.integers()),
    st.builds(lambda b: {"B": b}, st.binary(max_size=10)),
    st.builds(lambda bs: {"BS": bs}, st.lists(st.binary(min_size=1, max_size=5), min_size=1, max_size=3)),
    st.builds(lambda ss: {"SS": ss}, st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3)),
    st.just({"NULL": True}),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
)
attribute_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(_names, inner, max_size=3)),
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3)),
    ),
    max_leaves=12,
)
items = st.dictionaries(_names, attribute_values, min_size=1, max_size=4)


@pytest.fixture(scope="module")
def model() -> Any:
    return botocore.session.get_session().get_service_model("dynamodb")


@settings(max_examples=200, deadline=None)
@given(item=items)
def test_request_body_matches_botocore_serializer(model: Any, item: dict[str, Any]) -> None:
    operation = model.operation_model("PutItem")
    params = {"TableName": "t", "Item": item}
    expected = serialize.create_serializer("json").serialize_to_request(params, operation)["body"]
    assert json.loads(encode_request(params)) == json.loads(expected)


@settings(max_examples=200, deadline=None)
@given(item=items)
def test_answer_decodes_like_botocore_parser(model: Any, item: dict[str, Any]) -> None:
    body = encode_request({"Item": item, "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}})
    expected = parsers.create_parser("json").parse(
        {"body": body, "headers": {}, "status_code": 200}, model.operation_model("GetItem").output_shape
    )
    expected.pop("ResponseMetadata", None)
    assert decode_response(body) == expected
    assert decode_response(body)["Item"] == item


def test_no_binary_takes_the_fast_path_and_binary_the_walk() -> None:
    assert decode_response(b'{"Item":{"a":{"S":"B"}}}') == {"Item": {"a": {"S": "B"}}}
    # A map member named "B" holds an AttributeValue, never a string: left alone.
    body = b'{"Item":{"m":{"M":{"B":{"B":"AAE="},"BS":{"S":"x"}}}}}'
    assert decode_response(body) == {"Item": {"m": {"M": {"B": {"B": b"\x00\x01"}, "BS": {"S": "x"}}}}}
    # Spaces after the colon (some servers pretty-print) still find the binary.
    assert decode_response(b'{"x": {"B" : "AAE="}}') == {"x": {"B": b"\x00\x01"}}


def test_bytes_like_values_encode_as_base64() -> None:
    params = {"Key": {"k": {"B": bytearray(b"\x01")}, "m": {"B": memoryview(b"\x02")}}}
    assert json.loads(encode_request(params)) == {"Key": {"k": {"B": "AQ=="}, "m": {"B": "Ag=="}}}


@pytest.mark.parametrize("bad", [{"x": object()}, {"x": float("nan")}, {"x": {1, 2}}])
def test_values_json_cannot_carry_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(LeanConfigurationError):
        encode_request(bad)


def test_a_request_that_refers_to_itself_is_refused() -> None:
    # The encoder keeps no table of the containers it entered; a cycle still ends in a typed error.
    looped: dict[str, Any] = {"L": []}
    looped["L"].append(looped)
    with pytest.raises(LeanConfigurationError, match="refers to itself"):
        encode_request({"Item": {"a": looped}})


def test_empty_and_non_object_answers() -> None:
    assert decode_response(b"") == {}
    with pytest.raises(ValueError, match="not an object"):
        decode_response(b"[1]")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "m"}),
        (400, {"__type": "com.amazon.coral.validate#ValidationException", "Message": "M"}),
        (400, {"__type": "ThrottlingException", "message": "a", "Message": "b"}),
        (400, {"__type": "ns#SerializationException:http://internal.amazon.com/", "message": "x"}),
        (500, {}),
        (503, {"message": "no type"}),
    ],
)
def test_error_fields_match_botocore(status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    parser: Any = parsers.create_parser("json")  # an error answer is parsed without an output shape
    parsed = parser.parse({"body": raw, "headers": {}, "status_code": status}, None)
    assert error_fields(status, decode_response(raw)) == (parsed["Error"]["Code"], parsed["Error"]["Message"])
