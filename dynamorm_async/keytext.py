"""Key text codecs: how a field's value is written into a key template, and read back.

A key template (:mod:`~dynamorm_async.keytemplates`) composes strings; this module decides the
string of each field type, chosen once when a model class is defined. Sort keys compare as text
(UTF-8 bytes), so a rendering is accepted in a range template only if its text order is the
values' order:

- ``str`` (and a ``Literal`` of strings) as is; a ``str``-valued ``Enum`` by its value; ``UUID``
  in its canonical lower-hex form;
- ``date`` as ISO ``YYYY-MM-DD``; ``datetime`` must be timezone-aware and is written in UTC at one
  fixed precision, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (a naive one is refused: which instant?);
- ``int`` zero-padded to a declared width (``Annotated[int, KeyText(width=10)]``), negatives as
  ``-`` and their complement to ``10**width`` so they sort first; in a hash template, where no
  order matters, ``str(int)`` is allowed without a width;
- ``float``, ``Decimal``, ``bool``, ``bytes`` and anything else are refused (text order is not
  number order; bytes are not text).
"""

from __future__ import annotations

import datetime as _dt
import enum
import typing
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ._frozen import frozen
from .errors import InvalidKey, ModelError
from .markers import KeyText


@frozen
class KeyTextCodec:
    """A field's key text: ``render`` a value to its text, ``read`` the text back to a value."""

    render: Callable[[Any], str]
    read: Callable[[str], Any]


def _render_str(v: Any) -> str:
    if not isinstance(v, str):
        raise InvalidKey(f"expected a str, got {type(v).__name__}")
    return str(v)


def _render_datetime(v: Any) -> str:
    if not isinstance(v, _dt.datetime):
        raise InvalidKey(f"expected a datetime, got {type(v).__name__}")
    if v.tzinfo is None or v.utcoffset() is None:
        raise InvalidKey(f"a datetime in a key must be timezone-aware, got naive {v.isoformat()}")
    u = v.astimezone(_dt.UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond:06d}Z"
    )


def _read_datetime(text: str) -> _dt.datetime:
    return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=_dt.UTC)


def _render_date(v: Any) -> str:
    if not isinstance(v, _dt.date) or isinstance(v, _dt.datetime):
        raise InvalidKey(f"expected a date, got {type(v).__name__}")
    return v.isoformat()


def _render_uuid(v: Any) -> str:
    if not isinstance(v, uuid.UUID):
        raise InvalidKey(f"expected a UUID, got {type(v).__name__}")
    return str(v)


def _render_plain_int(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int):
        raise InvalidKey(f"expected an int, got {type(v).__name__}")
    return str(int(v))


def _int_codec(width: int) -> KeyTextCodec:
    top = 10**width

    def render(v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidKey(f"expected an int, got {type(v).__name__}")
        if not -top < v < top:
            raise InvalidKey(f"{v} does not fit in a key text of width {width}")
        return f"{v:0{width}d}" if v >= 0 else f"-{top + v:0{width}d}"

    def read(text: str) -> int:
        return int(text) if not text.startswith("-") else int(text[1:]) - top

    return KeyTextCodec(render, read)


def _enum_codec(tp: type[enum.Enum]) -> KeyTextCodec:
    def render(v: Any) -> str:
        if not isinstance(v, tp):
            raise InvalidKey(f"expected a {tp.__name__}, got {type(v).__name__}")
        return str(v.value)

    return KeyTextCodec(render, tp)


_STR = KeyTextCodec(_render_str, str)
_BY_TYPE: dict[Any, KeyTextCodec] = {
    str: _STR,
    _dt.datetime: KeyTextCodec(_render_datetime, _read_datetime),
    _dt.date: KeyTextCodec(_render_date, _dt.date.fromisoformat),
    uuid.UUID: KeyTextCodec(_render_uuid, uuid.UUID),
}


def key_text_codec(tp: Any, metadata: Sequence[Any], *, where: str, sort: bool) -> KeyTextCodec:
    """The key text codec of a field of type ``tp`` (``Annotated`` and ``Optional`` stripped),
    with its ``Annotated`` metadata (a :class:`KeyText` width); ``sort`` when the field is in a
    sort (range) template, where text order must be value order.

    :raises ModelError: the type has no key text (``float``, ``bytes``, ...), or is an ``int``
        in a sort template without ``KeyText(width=...)``.
    """
    widths = [m.width for m in metadata if isinstance(m, KeyText)]
    width = widths[0] if widths else None
    if tp is int:
        if width is not None:
            if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 38:
                raise ModelError(f"{where}: KeyText(width=...) must be an int from 1 to 38, got {width!r}")
            return _int_codec(width)
        if sort:
            raise ModelError(
                f"{where}: an int in a sort key template needs a fixed width, so text order is number "
                "order: Annotated[int, KeyText(width=10)]"
            )
        return KeyTextCodec(_render_plain_int, int)
    if width is not None:
        raise ModelError(f"{where}: KeyText(width=...) applies to int fields only")
    codec = _BY_TYPE.get(tp)
    if codec is not None:
        return codec
    if typing.get_origin(tp) is typing.Literal and all(isinstance(a, str) for a in typing.get_args(tp)):
        return _STR
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if all(isinstance(m.value, str) for m in tp):
            return _enum_codec(tp)
        raise ModelError(f"{where}: only an Enum whose values are all str can be part of a key template")
    if tp in (float, bool, bytes, Decimal):
        why = "bytes are not text" if tp is bytes else "their text order is not their value order"
        raise ModelError(f"{where}: a {tp.__name__} field cannot be part of a key template ({why})")
    raise ModelError(
        f"{where}: {tp!r} has no key text; key templates take str, int, datetime, date, UUID "
        "and str-valued Enum fields"
    )


__all__ = ["KeyTextCodec", "key_text_codec"]
