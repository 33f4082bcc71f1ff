"""The key identity a batch write follows its writes by (``batch_keys.call_key_id``): text keys by
their texts, other keys by ``key_id`` (numbers by value), the two never confused."""

from __future__ import annotations

from dynamorm_async.batch_keys import call_key_id
from dynamorm_async.requests import key_id


def test_text_keys_are_their_texts_in_key_order() -> None:
    attrs = ("pk", "sk")
    a = {"pk": {"S": "p"}, "sk": {"S": "s"}}
    b = {"sk": {"S": "s"}, "pk": {"S": "p"}}  # another order of the same key
    assert call_key_id(attrs, a) == call_key_id(attrs, b) == ("p", "s")
    assert call_key_id(attrs, {"pk": {"S": "s"}, "sk": {"S": "p"}}) != call_key_id(attrs, a)


def test_other_keys_are_their_key_id() -> None:
    attrs = ("pk", "n")
    one, one_point_zero = {"pk": {"S": "p"}, "n": {"N": "1"}}, {"pk": {"S": "p"}, "n": {"N": "1.0"}}
    assert call_key_id(attrs, one) == call_key_id(attrs, one_point_zero) == key_id(one)
    binary = {"pk": {"B": b"p"}}
    assert call_key_id(("pk",), binary) == key_id(binary)
    assert call_key_id(("pk",), {"pk": {"B": bytearray(b"p")}}) == key_id(binary)


def test_a_text_key_never_equals_a_key_id() -> None:
    text = {"pk": {"S": "p"}}
    assert call_key_id(("pk",), text) != key_id(text)
    assert call_key_id(("pk",), {"pk": {"S": "p"}, "extra": {"S": "x"}}) == key_id(
        {"pk": {"S": "p"}, "extra": {"S": "x"}}
    )
