"""Update actions (``SET``, ``REMOVE``, ``ADD``, ``DELETE``) and :class:`Update`, their ordered collection.

Actions are made by paths (``Order.attr.total.add(1)``) and combined with ``&``; like every
expression node they are frozen and render themselves through an encoder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._frozen import frozen
from ..errors import InvalidInput
from .encoder import DebugEncoder, Encoder

if TYPE_CHECKING:
    from .nodes import Operand, Path, Value


class Action:
    """One update action; several combine with ``&`` into an :class:`Update`."""

    __slots__ = ()
    clause: str = ""
    path: Path[Any]

    def __and__(self, other: Action | Update) -> Update:
        return Update((self,)) & other

    def render(self, enc: Encoder) -> str:
        raise NotImplementedError


@frozen
class SetAction(Action):
    """``SET path = value``."""

    path: Path[Any]
    value: Operand
    clause = "SET"

    def render(self, enc: Encoder) -> str:
        return f"{enc.path(self.path)} = {self.value.render(enc)}"


@frozen
class RemoveAction(Action):
    """``REMOVE path``."""

    path: Path[Any]
    clause = "REMOVE"

    def render(self, enc: Encoder) -> str:
        return enc.path(self.path)


@frozen
class AddAction(Action):
    """``ADD path value``."""

    path: Path[Any]
    value: Value
    clause = "ADD"

    def render(self, enc: Encoder) -> str:
        return f"{enc.path(self.path)} {self.value.render(enc)}"


@frozen
class DeleteAction(Action):
    """``DELETE path values``."""

    path: Path[Any]
    value: Value
    clause = "DELETE"

    def render(self, enc: Encoder) -> str:
        return f"{enc.path(self.path)} {self.value.render(enc)}"


@frozen
class Update:
    """An ordered collection of update actions, rendered as one UpdateExpression."""

    actions: tuple[Action, ...]

    def __and__(self, other: Action | Update) -> Update:
        more = other.actions if isinstance(other, Update) else (other,)
        return Update((*self.actions, *more))

    def render(self, enc: Encoder) -> str:
        if not self.actions:
            raise InvalidInput("an update needs at least one action")
        clauses: dict[str, list[str]] = {}
        for action in self.actions:
            clauses.setdefault(action.clause, []).append(action.render(enc))
        return " ".join(f"{clause} {', '.join(parts)}" for clause, parts in clauses.items())

    def debug(self) -> str:
        """The update expression with real names and values, for logs and tests."""
        return self.render(DebugEncoder())
