"""Pagination cursors: opaque, URL-safe strings bound to the query that made them.

A cursor carries DynamoDB's ``LastEvaluatedKey`` (typed AttributeValues as JSON, binary values
base64'd) and a *fingerprint* of the query that produced it: a hash of the operation, table,
index and compiled key condition (names and values). :func:`decode_cursor` refuses, before
anything is sent, a cursor that is not well formed, that was made by another query (another
partition value, index or table), or whose key attributes are not exactly the expected ones.

Signing. With signing keys configured (``DB(cursor_secret=...)``), cursors end in an
HMAC-SHA256 tag, checked with :func:`hmac.compare_digest`, and only signed cursors are accepted:
a cursor edited in any way is refused. Unsigned cursors still carry the fingerprint, so a foreign
cursor is refused, but an edited key inside one cannot be detected; sign cursors whenever they
reach clients you do not trust. Several keys may be given to rotate secrets: the first signs,
any of them verifies.

Why one secret configured on ``DB`` rather than an argument of ``page()``: a web API hands
cursors out on one route and takes them back on the next, so signing must be on for every call
or for none; a per-call argument is easy to forget on one route, which silently turns signing
off there. Configured once (e.g. from the app's settings), every manager of that ``DB`` signs,
and refuses unsigned cursors, with no call-site change.

Cursors are not encrypted: the key values inside (e.g. a partition key) can be read by whoever
holds the cursor, signed or not.

Bound to a label. A cursor made through a labelled transport (a partner's: the label is the partner
id) carries a hash of the label, and is taken back only under the same label; a cursor made
without one only without one. So with partner accounts, a cursor made under partner ``a`` is
refused under ``b``, and under no partner, even though one secret signs for all of them. Signed,
that is a guarantee; unsigned cursors are checked just the same, which catches mix-ups, but a
client can edit an unsigned cursor to pass. The label is hashed so that it is not spelled out in
the cursor (a hash of a guessable id does not hide it from someone who guesses).

Format: ``<payload>`` or ``<payload>.<tag>``, each part unpadded base64url, where the payload is
compact JSON ``{"v": 1, "f": <fingerprint>, "s": <signed>, "k": <key>}``, plus ``"a": <label
hash>`` for a labelled transport (a cursor without ``"a"`` belongs to no label).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

from .errors import InvalidCursor, InvalidInput

#: What a cursor secret may be given as: one key, or several to rotate (the first one signs).
CursorSecret: TypeAlias = "str | bytes | Sequence[str | bytes]"

#: Longest cursor accepted; real ones are a few hundred characters (keys are at most 2 KB + 1 KB).
MAX_CURSOR_LENGTH = 8192
#: Shortest signing key accepted, in bytes (HMAC-SHA256 is meant for keys of 32 bytes).
MIN_SECRET_BYTES = 16

_VERSION = 1
_DOMAIN = b"dynamorm-cursor-v1."
_KEY_TYPES = frozenset({"S", "N", "B"})


# --------------------------------------------------------------------------- helpers


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("empty or non-ASCII")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def signing_keys(secret: CursorSecret | None) -> tuple[bytes, ...]:
    """The signing keys for a configured secret (``None`` or no keys: cursors are not signed).

    :raises InvalidInput: a key shorter than :data:`MIN_SECRET_BYTES` bytes, or not str/bytes.
    """
    if secret is None:
        return ()
    items: Iterable[Any] = (secret,) if isinstance(secret, (str, bytes)) else secret
    keys: list[bytes] = []
    for item in items:
        if isinstance(item, str):
            item = item.encode("utf-8")
        if not isinstance(item, bytes):
            raise InvalidInput(f"a cursor secret is str or bytes, not {type(item).__name__}")
        if len(item) < MIN_SECRET_BYTES:
            raise InvalidInput(
                f"a cursor secret needs at least {MIN_SECRET_BYTES} bytes (32 random bytes are best)"
            )
        keys.append(item)
    return tuple(keys)


def _tag(key: bytes, payload: str) -> bytes:
    import hashlib
    import hmac

    return hmac.new(key, _DOMAIN + payload.encode("ascii"), hashlib.sha256).digest()


def _json_value(av: Any) -> Any:
    """An AttributeValue as JSON-safe data: binary values (``B``, ``BS``, nested) base64'd."""
    if isinstance(av, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(av)).decode("ascii")
    if isinstance(av, dict):
        return {k: _json_value(v) for k, v in av.items()}
    if isinstance(av, (list, tuple)):
        return [_json_value(v) for v in av]
    return av


def fingerprint(*parts: Any) -> str:
    """A short, stable hash of what identifies a query (AttributeValues allowed among the parts)."""
    import hashlib
    import json

    text = json.dumps(_json_value(list(parts)), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return _b64encode(hashlib.sha256(text.encode("ascii")).digest()[:16])


# --------------------------------------------------------------------------- encode / decode


def _label_hash(label: str | None) -> str | None:
    """What a cursor carries for ``label``: a short hash, or ``None`` for no label."""
    return None if label is None else fingerprint("label", label)


def encode_cursor(
    key: Mapping[str, Mapping[str, Any]],
    *,
    fingerprint: str,
    keys: Sequence[bytes] = (),
    label: str | None = None,
) -> str:
    """A cursor for ``key`` (a ``LastEvaluatedKey``), signed with ``keys[0]`` when keys are given.

    ``label`` is the label of the transport that read it (a partner id), or ``None``.
    """
    import json

    payload: dict[str, Any] = {"v": _VERSION, "f": fingerprint, "s": bool(keys), "k": _json_value(dict(key))}
    if label is not None:
        payload["a"] = _label_hash(label)
    text = _b64encode(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    if keys:
        return f"{text}.{_b64encode(_tag(keys[0], text))}"
    return text


def decode_cursor(
    cursor: str,
    *,
    fingerprint: str,
    key_types: Mapping[str, str],
    keys: Sequence[bytes] = (),
    label: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The ``ExclusiveStartKey`` inside ``cursor``, after every check.

    ``key_types`` maps each key attribute the cursor must hold to its type (``S``, ``N`` or ``B``);
    with ``keys`` the cursor must be signed by one of them; it must have been made with the
    same ``label`` (the transport's label, a partner id, or ``None``).

    :raises InvalidCursor: malformed, tampered with, unsigned (or signed) against the
        configuration, made under another label or by another query, or holding other key
        attributes.
    """
    if not isinstance(cursor, str) or not cursor:
        raise InvalidCursor("a cursor is a non-empty string")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor(
            f"cursor is {len(cursor)} characters long; no valid cursor exceeds {MAX_CURSOR_LENGTH}"
        )
    body, dot, tag = cursor.partition(".")
    if keys:
        if not dot:
            raise InvalidCursor("cursor is not signed, but a cursor secret is configured: it must be")
        try:
            given = _b64decode(tag)
        except (ValueError, binascii.Error):
            raise InvalidCursor("cursor signature is malformed") from None
        import hmac

        if not any(hmac.compare_digest(given, _tag(k, body)) for k in keys):
            raise InvalidCursor(
                "cursor signature does not match: the cursor was altered or signed with another secret"
            )
    elif dot:
        raise InvalidCursor("cursor is signed, but no cursor secret is configured to verify it")
    import json

    try:
        payload = json.loads(_b64decode(body))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        # RecursionError: JSON nested deeper than the interpreter's recursion limit ("[[[[...").
        raise InvalidCursor("cursor is not a valid cursor (it does not decode)") from None
    if not isinstance(payload, dict) or payload.get("v") != _VERSION:
        raise InvalidCursor("cursor is not a valid cursor (unknown format or version)")
    if payload.get("s") is not bool(keys):
        raise InvalidCursor("cursor's signing state does not match the configuration")
    if payload.get("a") != _label_hash(label):
        # Says neither label: the message may reach a tenant, who must not learn about others.
        raise InvalidCursor("cursor was made under another account (partner) than this one")
    found = payload.get("f")
    if not isinstance(found, str):
        raise InvalidCursor("cursor is not a valid cursor (no query fingerprint)")
    import hmac

    if not hmac.compare_digest(found.encode("ascii", "replace"), fingerprint.encode("ascii")):
        raise InvalidCursor(
            "cursor belongs to another query (a different table, index, key condition or direction)"
        )
    return _start_key(payload.get("k"), key_types)


def _start_key(raw: Any, key_types: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise InvalidCursor("cursor holds no key")
    if set(raw) != set(key_types):
        raise InvalidCursor(
            f"cursor holds key attributes {sorted(raw)}; this query's keys are {sorted(key_types)}"
        )
    out: dict[str, dict[str, Any]] = {}
    for attr, av in raw.items():
        expected = key_types[attr]
        if not isinstance(av, dict) or len(av) != 1:
            raise InvalidCursor(f"cursor key attribute {attr!r} is not a typed value")
        ((tag, value),) = av.items()
        if tag != expected or tag not in _KEY_TYPES or not isinstance(value, str) or not value:
            raise InvalidCursor(f"cursor key attribute {attr!r} is not a non-empty {expected} value")
        if tag == "B":
            try:
                out[attr] = {"B": base64.b64decode(value, validate=True)}
            except (ValueError, binascii.Error):
                raise InvalidCursor(f"cursor key attribute {attr!r} is not valid base64") from None
            continue
        if tag == "N":
            try:
                number = Decimal(value)
            except (InvalidOperation, ValueError):
                raise InvalidCursor(f"cursor key attribute {attr!r} is not a number") from None
            if not number.is_finite():
                raise InvalidCursor(f"cursor key attribute {attr!r} is not a finite number")
        out[attr] = {tag: value}
    return out


__all__ = [
    "MAX_CURSOR_LENGTH",
    "MIN_SECRET_BYTES",
    "CursorSecret",
    "decode_cursor",
    "encode_cursor",
    "fingerprint",
    "signing_keys",
]
