"""DynamoDB Streams records as typed changes: :class:`Change` and :func:`parse_record`.

A record of a Lambda DynamoDB Streams event carries the item's keys and, according to the
stream's view type, its old and new images, all in DynamoDB JSON. Lambda writes binary values as
base64 strings (``{"B": "aGk="}``) where botocore gives ``bytes``; :func:`from_event_json` turns
them back, so the images decode through the model's own schema and codecs (renamed attributes,
nested models, TTL and timestamp fields) exactly as items read by the managers do.

Parsing is pure and synchronous; this module imports neither anyio nor an AWS SDK.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import BaseModel

from ..errors import DynamORMError, StreamRecordError
from ..marshal import AttributeValue, Item, decode_value, deserialize
from ..schema import Schema, schema_of

M = TypeVar("M", bound=BaseModel)

#: What a stream writes for each change (the table's ``StreamViewType``).
ViewType = Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]

#: The principal DynamoDB uses for deletions made by time to live.
TTL_PRINCIPAL = "dynamodb.amazonaws.com"


class EventName(enum.StrEnum):
    """The kind of change a record describes."""

    INSERT = "INSERT"
    MODIFY = "MODIFY"
    REMOVE = "REMOVE"


@dataclass(frozen=True, slots=True)
class Change(Generic[M]):
    """One stream record decoded into its model: what happened to which item, before and after.

    ``old`` and ``new`` are model instances when the stream's view type carries that image
    (``NEW_IMAGE``: ``new`` on inserts and modifications; ``OLD_IMAGE``: ``old`` on modifications
    and removals; ``NEW_AND_OLD_IMAGES``: both where they exist; ``KEYS_ONLY``: neither).
    ``keys`` maps the key fields' Python names to their decoded values.
    """

    model: type[M]
    event_name: EventName
    keys: Mapping[str, Any]
    old: M | None
    new: M | None
    sequence_number: str
    #: When the change was written to the stream (to the second, UTC); ``None`` if absent.
    approximate_creation_time: _dt.datetime | None
    view_type: ViewType | None
    #: Whether this removal was made by DynamoDB's time to live, not by a writer.
    by_ttl: bool = False
    event_id: str | None = None
    #: The table's name, read from the record's ``eventSourceARN`` (``None`` if absent).
    table: str | None = None
    #: The record as received (DynamoDB JSON), for what the typed fields do not cover.
    record: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def item(self) -> M | None:
        """The latest image known: ``new``, else ``old`` (``None`` for ``KEYS_ONLY`` streams)."""
        return self.new if self.new is not None else self.old


# --------------------------------------------------------------------------- DynamoDB JSON


def from_event_json(av: Mapping[str, Any]) -> AttributeValue:
    """An AttributeValue as Lambda writes it (binary as base64 text) in botocore's shape (``bytes``).

    Values already holding ``bytes`` (records read with boto3) are kept as they are; values with
    nothing to convert (strings, numbers, booleans, nulls and their sets) are returned as given.

    :raises StreamRecordError: the value is not one DynamoDB AttributeValue, or its binary is not base64.
    """
    if type(av) is not dict and not isinstance(av, Mapping):
        raise StreamRecordError(f"an AttributeValue is a map with one type tag, got {type(av).__name__}")
    if len(av) != 1:
        raise StreamRecordError(f"an AttributeValue has exactly one type tag, got {list(av)!r:.80}")
    for tag, raw in av.items():
        if tag in _AS_GIVEN:
            return av if type(av) is dict else dict(av)
        if tag == "M":
            if not isinstance(raw, Mapping):
                raise StreamRecordError(f"an M value must be a map, got {type(raw).__name__}")
            return {"M": {str(k): from_event_json(v) for k, v in raw.items()}}
        if tag == "L":
            return {"L": [from_event_json(v) for v in _list(raw, tag)]}
        if tag == "B":
            return {"B": _binary(raw)}
        if tag == "BS":
            return {"BS": [_binary(x) for x in _list(raw, tag)]}
        return {tag: raw}  # an unknown tag: the model's codec reports it
    raise AssertionError("unreachable: one tag was checked above")  # pragma: no cover


# DynamoDB JSON and botocore agree on these: nothing to convert.
_AS_GIVEN = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})


def item_from_event_json(item: Any) -> Item:
    """A whole image or key map from DynamoDB JSON (see :func:`from_event_json`)."""
    if type(item) is not dict and not isinstance(item, Mapping):
        raise StreamRecordError(f"an item must be a map of attributes, got {type(item).__name__}")
    return {str(name): from_event_json(av) for name, av in item.items()}


def _list(raw: Any, tag: str) -> list[Any]:
    if not isinstance(raw, list):
        raise StreamRecordError(f"a {tag} value must be a list, got {type(raw).__name__}")
    return raw


def _binary(raw: Any) -> bytes:
    if isinstance(raw, bytes | bytearray):
        return bytes(raw)
    if not isinstance(raw, str):
        raise StreamRecordError(f"binary must be base64 text, got {type(raw).__name__}")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StreamRecordError("binary value is not valid base64") from exc


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class RawRecord:
    """The parts of a record every step needs, read and checked once: sequence number and items."""

    sequence_number: str
    event_name: EventName
    keys: Item
    old_image: Item | None
    new_image: Item | None
    record: Mapping[str, Any]
    #: Why the record cannot be decoded although its sequence number and keys could be read;
    #: raised by :func:`decode_record`, while the keys still order it among its key's records.
    problem: StreamRecordError | None = None

    def merged(self) -> Item:
        """Keys and the latest image together: where a discriminator is looked up."""
        return {**self.keys, **(self.old_image or {}), **(self.new_image or {})}


def read_record(record: Any) -> RawRecord:
    """Check a record's envelope and convert its keys and images (no model involved yet).

    A record whose sequence number and keys can be read but whose images or event name cannot is
    returned with its :attr:`~RawRecord.problem` set, so it keeps its place among its key's records.

    :raises StreamRecordError: no sequence number, or unreadable keys (``sequence_number`` is set
        when readable).
    """
    if not isinstance(record, Mapping):
        raise StreamRecordError(f"a stream record must be a map, got {type(record).__name__}")
    body = record.get("dynamodb")
    if not isinstance(body, Mapping):
        raise StreamRecordError("a stream record needs its 'dynamodb' section")
    sequence = body.get("SequenceNumber")
    if not isinstance(sequence, str) or not sequence:
        raise StreamRecordError("a stream record needs its dynamodb.SequenceNumber")
    try:
        keys = item_from_event_json(body.get("Keys"))
    except StreamRecordError as exc:
        raise StreamRecordError(f"record {sequence}: keys: {exc}", sequence_number=sequence) from exc
    name, old, new = EventName.MODIFY, None, None
    try:
        name = _event_name(record.get("eventName"))
        old = item_from_event_json(body["OldImage"]) if "OldImage" in body else None
        new = item_from_event_json(body["NewImage"]) if "NewImage" in body else None
    except (StreamRecordError, RecursionError) as exc:  # DynamoDB nests 32 levels at most
        problem = StreamRecordError(f"record {sequence}: {exc}", sequence_number=sequence)
        problem.__cause__ = exc
        return RawRecord(sequence, name, keys, None, None, record, problem)
    return RawRecord(sequence, name, keys, old, new, record)


def _event_name(value: Any) -> EventName:
    try:
        return EventName(value)
    except ValueError:
        raise StreamRecordError(f"unknown eventName {value!r:.40}") from None


def parse_record(record: Any, model: type[M]) -> Change[M]:
    """Decode one stream record (Lambda's DynamoDB JSON, or boto3's) into a :class:`Change` of ``model``.

    :raises StreamRecordError: the record is malformed, or an image or key does not decode as
        ``model`` (the underlying error is on ``__cause__``).
    """
    return decode_record(read_record(record), model)


def decode_record(raw: RawRecord, model: type[M]) -> Change[M]:
    """Decode a record already read by :func:`read_record` with ``model``'s schema and codecs."""
    if raw.problem is not None:
        raise raw.problem
    schema = schema_of(model)
    seq = raw.sequence_number
    try:
        keys = _decode_keys(schema, raw.keys)
        old = _decode_image(schema, raw.old_image)
        new = _decode_image(schema, raw.new_image)
    except _DECODE_ERRORS as exc:
        where = _culprit(schema, raw)
        raise StreamRecordError(
            f"record {seq} does not decode as {model.__name__}{where}: {type(exc).__name__}: {exc}",
            sequence_number=seq,
        ) from exc
    body = raw.record["dynamodb"]
    view = body.get("StreamViewType")
    return Change(
        model=model,
        event_name=raw.event_name,
        keys=keys,
        old=old,
        new=new,
        sequence_number=seq,
        approximate_creation_time=_creation_time(body.get("ApproximateCreationDateTime"), seq),
        view_type=cast(ViewType, view) if view in _VIEW_TYPES else None,
        by_ttl=raw.event_name is EventName.REMOVE and is_ttl_identity(raw.record.get("userIdentity")),
        event_id=_str_or_none(raw.record.get("eventID")),
        table=table_of(raw.record.get("eventSourceARN")),
        record=raw.record,
    )


_VIEW_TYPES = frozenset({"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"})


# Codecs (through ``decode_value``) and ``Schema.decode`` raise only the library's own errors.
_DECODE_ERRORS = (DynamORMError,)


def _culprit(schema: Schema, raw: RawRecord) -> str:
    """`` (attribute 'x')`` naming the first attribute its codec refuses, found on the error path only."""
    for image in (raw.keys, raw.old_image or {}, raw.new_image or {}):
        for attr, av in image.items():
            spec = schema.by_attr.get(attr)
            if spec is None:
                continue
            try:
                decode_value(spec.codec, av)
            except _DECODE_ERRORS:
                return f" (attribute {attr!r}, field {spec.name!r})"
    return ""


def _decode_keys(schema: Schema, keys: Item) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr, av in keys.items():
        spec = schema.by_attr.get(attr)
        if spec is None:  # a key attribute the model does not name: keep it, decoded generically
            out[attr] = deserialize(av, numbers="natural")
        else:
            out[spec.name] = decode_value(spec.codec, av)
    return out


def _decode_image(schema: Schema, image: Item | None) -> Any:
    return None if image is None else schema.decode(image)


def _creation_time(value: Any, seq: str) -> _dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.astimezone(_dt.UTC) if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            return _dt.datetime.fromtimestamp(float(value), _dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise StreamRecordError(
                f"record {seq}: ApproximateCreationDateTime {value!r} is out of range", sequence_number=seq
            ) from exc
    raise StreamRecordError(
        f"record {seq}: ApproximateCreationDateTime must be epoch seconds, got {type(value).__name__}",
        sequence_number=seq,
    )


def is_ttl_identity(identity: Any) -> bool:
    """Whether a record's ``userIdentity`` is DynamoDB's own service principal (a TTL deletion)."""
    return (
        isinstance(identity, Mapping)
        and identity.get("type") == "Service"
        and identity.get("principalId") == TTL_PRINCIPAL
    )


def table_of(stream_arn: Any) -> str | None:
    """The table name in a stream ARN (``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<t>``)."""
    if not isinstance(stream_arn, str):
        return None
    _, found, rest = stream_arn.partition(":table/")
    return rest.split("/", 1)[0] or None if found else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


__all__ = [
    "TTL_PRINCIPAL",
    "Change",
    "EventName",
    "RawRecord",
    "StreamRecordError",
    "ViewType",
    "decode_record",
    "from_event_json",
    "is_ttl_identity",
    "item_from_event_json",
    "parse_record",
    "read_record",
    "table_of",
]
