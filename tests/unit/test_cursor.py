"""The cursor codec on its own: round trips, signatures, fingerprints and strict key checks."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from dynamorm_async.cursor import (
    MAX_CURSOR_LENGTH,
    decode_cursor,
    encode_cursor,
    fingerprint,
    signing_keys,
)
from dynamorm_async.errors import InvalidCursor, InvalidInput

KEY: dict[str, dict[str, Any]] = {
    "pk": {"S": "user#1"},
    "sk": {"N": "42"},
    "blob": {"B": b"\x00\xffbinary/+="},
}
TYPES = {"pk": "S", "sk": "N", "blob": "B"}
FP = fingerprint("Query", "table", None, True, "#n0 = :v0", {"#n0": "pk"}, {":v0": {"S": "user#1"}})
K1 = signing_keys("first-secret-0123456789")
K2 = signing_keys(b"second-secret-0123456789")
URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def payload_of(cursor: str) -> dict[str, Any]:
    body = cursor.split(".")[0]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return data


def with_payload(cursor: str, payload: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return ".".join([body, *cursor.split(".")[1:]])


@pytest.mark.parametrize("keys", [(), K1], ids=["unsigned", "signed"])
def test_round_trip_keeps_types_and_bytes(keys: tuple[bytes, ...]) -> None:
    cursor = encode_cursor(KEY, fingerprint=FP, keys=keys)
    assert set(cursor) <= URL_SAFE
    assert ("." in cursor) == bool(keys)
    assert decode_cursor(cursor, fingerprint=FP, key_types=TYPES, keys=keys) == KEY


def test_fingerprint_is_stable_and_sensitive() -> None:
    same = fingerprint("Query", "table", None, True, "#n0 = :v0", {"#n0": "pk"}, {":v0": {"S": "user#1"}})
    assert same == FP
    others = [
        fingerprint("Query", "table", None, True, "#n0 = :v0", {"#n0": "pk"}, {":v0": {"S": "user#2"}}),
        fingerprint("Query", "table", "by_x", True, "#n0 = :v0", {"#n0": "pk"}, {":v0": {"S": "user#1"}}),
        fingerprint("Query", "table2", None, True, "#n0 = :v0", {"#n0": "pk"}, {":v0": {"S": "user#1"}}),
        fingerprint("Query", "table", None, False, "#n0 = :v0", {"#n0": "pk"}, {":v0": {"S": "user#1"}}),
        fingerprint("Scan", "table", None, None),
        fingerprint("Query", "table", None, True, "#n0 = :v0", {"#n0": "pk"}, {":v0": {"B": b"user#1"}}),
    ]
    assert len({FP, *others}) == len(others) + 1


def test_foreign_cursor_is_refused_signed_or_not() -> None:
    other = fingerprint("Query", "table", None, True, "#n0 = :v0", {"#n0": "pk"}, {":v0": {"S": "user#2"}})
    for keys in ((), K1):
        cursor = encode_cursor(KEY, fingerprint=other, keys=keys)
        with pytest.raises(InvalidCursor, match="another query"):
            decode_cursor(cursor, fingerprint=FP, key_types=TYPES, keys=keys)


def test_signature_checks() -> None:
    cursor = encode_cursor(KEY, fingerprint=FP, keys=K1)
    body, tag = cursor.split(".")
    edited = payload_of(cursor)
    edited["k"]["sk"]["N"] = "43"
    cases = {
        "unsigned where signing is configured": body,
        "flipped payload character": ("B" if body[5] != "B" else "C").join([body[:5], body[6:]]) + "." + tag,
        "flipped signature character": body + "." + ("B" if tag[0] != "B" else "C") + tag[1:],
        "key edited, old signature kept": with_payload(cursor, edited),
        "signed with another key": encode_cursor(KEY, fingerprint=FP, keys=K2),
        "truncated signature": body + "." + tag[:-4],
        "empty signature": body + ".",
        "signature with junk": body + "." + tag + "!",
        "two signatures": cursor + "." + tag,
    }
    for label, bad in cases.items():
        with pytest.raises(InvalidCursor):
            decode_cursor(bad, fingerprint=FP, key_types=TYPES, keys=K1)
        assert label


def test_rotation_verifies_with_any_key_and_signs_with_the_first() -> None:
    old = encode_cursor(KEY, fingerprint=FP, keys=K2)
    rotated = K1 + K2
    assert decode_cursor(old, fingerprint=FP, key_types=TYPES, keys=rotated) == KEY
    new = encode_cursor(KEY, fingerprint=FP, keys=rotated)
    assert decode_cursor(new, fingerprint=FP, key_types=TYPES, keys=K1) == KEY
    with pytest.raises(InvalidCursor):
        decode_cursor(new, fingerprint=FP, key_types=TYPES, keys=K2)


def test_signed_cursor_without_configured_keys_is_refused() -> None:
    cursor = encode_cursor(KEY, fingerprint=FP, keys=K1)
    with pytest.raises(InvalidCursor, match="no cursor secret"):
        decode_cursor(cursor, fingerprint=FP, key_types=TYPES)
    # stripping the signature does not turn it into an acceptable unsigned cursor
    with pytest.raises(InvalidCursor, match="signing state"):
        decode_cursor(cursor.split(".")[0], fingerprint=FP, key_types=TYPES)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "garbage",
        "%%%%",
        "ünïcode",
        "e30",  # "{}"
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b"not json").decode(),
        "A" * (MAX_CURSOR_LENGTH + 1),
    ],
)
def test_garbage_is_refused(bad: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(bad, fingerprint=FP, key_types=TYPES)


def _unsigned_with_key(key: Any) -> str:
    cursor = encode_cursor(KEY, fingerprint=FP)
    payload = payload_of(cursor)
    payload["k"] = key
    return with_payload(cursor, payload)


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ({"pk": {"S": "a"}, "sk": {"N": "1"}}, "key attributes"),  # one missing
        ({**payload_of(encode_cursor(KEY, fingerprint=FP))["k"], "extra": {"S": "x"}}, "key attributes"),
        ({"pk": {"N": "1"}, "sk": {"N": "1"}, "blob": {"B": "AA=="}}, "S value"),  # wrong type
        ({"pk": {"S": ""}, "sk": {"N": "1"}, "blob": {"B": "AA=="}}, "S value"),  # empty
        ({"pk": {"S": 5}, "sk": {"N": "1"}, "blob": {"B": "AA=="}}, "S value"),  # not a string
        ({"pk": {"S": "a", "N": "1"}, "sk": {"N": "1"}, "blob": {"B": "AA=="}}, "typed value"),
        ({"pk": "a", "sk": {"N": "1"}, "blob": {"B": "AA=="}}, "typed value"),
        ({"pk": {"S": "a"}, "sk": {"N": "one"}, "blob": {"B": "AA=="}}, "not a number"),
        ({"pk": {"S": "a"}, "sk": {"N": "NaN"}, "blob": {"B": "AA=="}}, "finite"),
        ({"pk": {"S": "a"}, "sk": {"N": "1"}, "blob": {"B": "!!not base64!!"}}, "base64"),
        ({"pk": {"S": "a"}, "sk": {"N": "1"}, "blob": {"SS": ["a"]}}, "B value"),
        ([], "no key"),
    ],
)
def test_start_key_must_be_exactly_the_key_attributes(key: Any, why: str) -> None:
    with pytest.raises(InvalidCursor, match=why):
        decode_cursor(_unsigned_with_key(key), fingerprint=FP, key_types=TYPES)


def test_signing_keys() -> None:
    assert signing_keys(None) == ()
    assert signing_keys([]) == ()
    assert signing_keys("x" * 16) == (b"x" * 16,)
    assert signing_keys(["a" * 16, b"b" * 20]) == (b"a" * 16, b"b" * 20)
    with pytest.raises(InvalidInput, match="16 bytes"):
        signing_keys("short")
    with pytest.raises(InvalidInput):
        signing_keys([123])  # type: ignore[list-item]


@pytest.mark.parametrize(("opening", "depth"), [("[", 3000), ('{"":', 1200)], ids=["arrays", "objects"])
def test_deeply_nested_json_is_an_invalid_cursor_not_a_recursion_error(opening: str, depth: int) -> None:
    closing = "]" if opening == "[" else "}"
    text = opening * depth + "1" + closing * depth
    bad = base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()
    assert len(bad) <= MAX_CURSOR_LENGTH  # it reaches the JSON decoder
    with pytest.raises(InvalidCursor, match="does not decode"):
        decode_cursor(bad, fingerprint=FP, key_types=TYPES)


@pytest.mark.parametrize("keys", [(), K1], ids=["unsigned", "signed"])
def test_a_cursor_is_taken_back_only_under_the_label_it_was_made_under(keys: tuple[bytes, ...]) -> None:
    made_by_a = encode_cursor(KEY, fingerprint=FP, keys=keys, label="tenant-a")
    made_by_none = encode_cursor(KEY, fingerprint=FP, keys=keys)
    assert decode_cursor(made_by_a, fingerprint=FP, key_types=TYPES, keys=keys, label="tenant-a") == KEY
    assert decode_cursor(made_by_none, fingerprint=FP, key_types=TYPES, keys=keys) == KEY
    refused = [(made_by_a, "tenant-b"), (made_by_a, None), (made_by_none, "tenant-a")]
    for cursor, label in refused:
        with pytest.raises(InvalidCursor, match="another account") as caught:
            decode_cursor(cursor, fingerprint=FP, key_types=TYPES, keys=keys, label=label)
        assert "tenant" not in str(caught.value)  # names neither side
    assert "tenant-a" not in json.dumps(payload_of(made_by_a))  # hashed, not spelled out
    assert payload_of(made_by_a)["a"] != payload_of(encode_cursor(KEY, fingerprint=FP, label="tenant-b"))["a"]


def test_a_signed_cursor_moved_to_another_label_breaks_its_signature() -> None:
    made_by_a = encode_cursor(KEY, fingerprint=FP, keys=K1, label="tenant-a")
    moved = payload_of(made_by_a)
    moved["a"] = payload_of(encode_cursor(KEY, fingerprint=FP, label="tenant-b"))["a"]
    with pytest.raises(InvalidCursor, match="signature"):
        decode_cursor(
            with_payload(made_by_a, moved), fingerprint=FP, key_types=TYPES, keys=K1, label="tenant-b"
        )
