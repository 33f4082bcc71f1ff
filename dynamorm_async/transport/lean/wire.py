"""DynamoDB JSON 1.0 bodies <-> the botocore-shaped dicts the library passes and receives.

botocore hands out binary attribute values (``B``, ``BS``) as ``bytes``; on the wire they are
base64 strings. Requests are encoded by ``json.dumps`` with a ``default`` hook, so a request
without binary pays nothing extra. Answers are searched for a ``"B"``/``"BS"`` key first; only
bodies that have one are walked to decode them.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from .errors import LeanConfigurationError

_BINARY_KEY = re.compile(rb'"BS?"\s*:')


def _encode_default(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    raise LeanConfigurationError(f"cannot send a value of type {type(value).__name__} to DynamoDB")


# ``check_circular=False``: the encoder keeps no table of every dict and list it enters (a quarter
# of the dump's time for a batch of items). The library builds request parameters from encoded
# values, which hold no cycles; a cycle passed in anyway ends in RecursionError, refused below.
_encoder = json.JSONEncoder(
    separators=(",", ":"),
    ensure_ascii=False,
    allow_nan=False,
    check_circular=False,
    default=_encode_default,
)


def encode_request(params: Any) -> bytes:
    """The JSON body for ``params``; ``bytes`` values (``B``, ``BS`` members) become base64."""
    try:
        return _encoder.encode(params).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        if isinstance(exc, LeanConfigurationError):
            raise
        if isinstance(exc, RecursionError):  # a cycle, or nesting deeper than the interpreter allows
            raise LeanConfigurationError(
                "cannot encode the request: it refers to itself or is nested too deeply"
            ) from None
        raise LeanConfigurationError(f"cannot encode the request: {exc}") from None


def decode_response(body: bytes) -> dict[str, Any]:
    """The parsed answer, ``B`` / ``BS`` attribute values decoded to ``bytes`` (as botocore does)."""
    if not body:
        return {}
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("DynamoDB answered with JSON that is not an object")
    if _BINARY_KEY.search(body) is not None:
        _decode_binary(data)
    return data


def _decode_binary(node: Any) -> None:
    """Decode every ``{"B": str}`` and ``{"BS": [str, ...]}`` AttributeValue in place.

    An AttributeValue is a one-key object; a map attribute whose member is named ``B`` holds an
    AttributeValue object, never a string, so the two cannot be confused.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if len(current) == 1:
                if isinstance(b := current.get("B"), str):
                    current["B"] = base64.b64decode(b)
                    continue
                bs = current.get("BS")
                if isinstance(bs, list) and all(isinstance(v, str) for v in bs):
                    current["BS"] = [base64.b64decode(v) for v in bs]
                    continue
            stack.extend(v for v in current.values() if isinstance(v, dict | list))
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, dict | list))


def error_fields(status: int, body: dict[str, Any]) -> tuple[str, str]:
    """The AWS error code and message of an error answer, read as botocore reads them: the code is
    ``__type`` without its ``namespace#`` prefix or ``:suffix`` (the HTTP status without one), the
    message ``message`` or ``Message``."""
    raw_type = body.get("__type")
    code = raw_type.split(":", 1)[0].rpartition("#")[2] if isinstance(raw_type, str) else str(status)
    return code, str(body.get("message", body.get("Message", "")))
