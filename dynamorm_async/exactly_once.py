"""Writes that happen once although answers get lost: idempotency tokens and recognising one's own write.

A write whose answer is lost is retried by the transport. Puts, deletes and plain ``SET``
updates are idempotent, but ``ADD``, arithmetic (``total + 1``) and list appends are not: a
resend applies them twice. Two remedies, both used by :class:`~dynamorm_async.manager.Manager`:

* ``exactly_once=True`` (:func:`send_once`) sends the write as a one-item TransactWriteItems
  with a ``ClientRequestToken`` kept across every retry; DynamoDB applies a token once (for 10
  minutes) and answers the resend with success. It costs twice the write capacity of a plain
  write, and ``ReturnValues`` is not available.
* A versioned write (a ``Version()`` field checked by the request) whose retry meets its own
  condition failure, after an earlier attempt was lost, compares the current item DynamoDB
  returned with what this call wrote (:func:`is_own_write`): when it is exactly that, the lost
  attempt was applied and the call succeeds.

What is decidable: a put is ours when the current item equals the item sent, byte for byte.
An update is ours when the version is ``expected + 1`` and every value the update sets to a
plain value (and ``updated_at``, a timestamp unique to the call) is there; an update made only
of ``ADD``/arithmetic with no ``updated_at`` field leaves nothing to compare, so it is not
recognised (it still raises :class:`~dynamorm_async.errors.ConditionCheckFailed`). A delete is
taken as done when the item is gone: the item the caller meant to delete no longer exists,
though another writer may have deleted it first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import ConditionCheckFailed, TransactionCanceled, WrongModel
from .expressions import Action, SetAction, Update, Value
from .requests import ItemRequest, decode_current

if TYPE_CHECKING:
    from .schema import Schema
    from .transport import Transport


def is_own_write(
    schema: Schema, request: ItemRequest, raw: Any, actions: Sequence[Action | Update] = ()
) -> bool:
    """Whether ``raw`` (the current item a failed version condition returned) is this request's write.

    Only meaningful after an earlier attempt of the same request was lost; see the module docstring.
    """
    expected = request.expected_version
    if expected is None or schema.version is None:
        return False
    if request.operation == "DeleteItem":
        return not raw
    if not isinstance(raw, dict) or not raw:
        return False
    if request.operation == "PutItem":
        return bool(raw == request.params.get("Item"))
    if request.operation != "UpdateItem":
        return False
    current = decode_current(schema, raw)
    if current is None or getattr(current, schema.version.name, None) != expected + 1:
        return False
    compared = 0
    for name, value in request.changes.items():
        if schema.version is not None and name == schema.version.name:
            continue
        if getattr(current, name, None) != value:
            return False
        compared += 1
    for action in _flatten(actions):
        if isinstance(action, SetAction) and isinstance(action.value, Value):
            if _at(raw, action.path.elements) != action.value.codec.encode(action.value.value):
                return False
            compared += 1
    return compared > 0


def _flatten(actions: Sequence[Action | Update]) -> list[Action]:
    flat: list[Action] = []
    for a in actions:
        flat.extend(a.actions if isinstance(a, Update) else (a,))
    return flat


def _at(raw: dict[str, Any], elements: Sequence[str | int]) -> Any:
    """The attribute value at a path of a raw item, or ``None``."""
    node: Any = {"M": raw}
    for e in elements:
        if isinstance(e, int):
            items = node.get("L") if isinstance(node, dict) else None
            node = items[e] if isinstance(items, list) and e < len(items) else None
        else:
            members = node.get("M") if isinstance(node, dict) else None
            node = members.get(e) if isinstance(members, dict) else None
        if node is None:
            return None
    return node


async def send_once(
    transport: Transport, schema: Schema, request: ItemRequest, *, token: str | None = None
) -> None:
    """Send one put, update or delete as a one-item TransactWriteItems with an idempotency token.

    The token is the same for every retry (the transport's and conflict retries), so DynamoDB
    applies the write once. A failed condition raises :class:`ConditionCheckFailed` with the
    current item, as the plain write would; on another model's item, a :class:`WrongModel`.
    """
    from .transactions import commit_requests

    try:
        await commit_requests(transport, [(schema, request)], token or str(uuid.uuid4()))
    except TransactionCanceled as exc:
        if isinstance(exc, WrongModel):  # the item is another model's: said as a plain write says it
            raise
        reasons = getattr(exc, "reasons", [])
        if reasons and reasons[0].code == "ConditionalCheckFailed":
            failed = ConditionCheckFailed(
                reasons[0].message or "The conditional request failed",
                code="ConditionalCheckFailedException",
                operation=request.operation,
                table=request.table,
                request_id=exc.request_id,
                partner=exc.partner,
                status=exc.status,
            )
            failed.item = reasons[0].item
            failed.attempts, failed.in_doubt = exc.attempts, exc.in_doubt
            raise failed from exc
        raise


__all__ = ["is_own_write", "send_once"]
