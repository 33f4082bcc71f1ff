"""Immutable expression nodes: paths, operands, conditions and update actions.

Every node is frozen (``@frozen``, a slotted value class); ``&``, ``|`` and ``~`` build new nodes
and never mutate.
Nodes know how to render themselves through an :class:`~dynamorm_async.expressions.encoder.Encoder`,
which alone decides placeholder names, so user values only ever reach DynamoDB as ``:v`` values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from .._frozen import frozen
from ..errors import InvalidInput
from ..marshal import GENERIC, Codec
from .encoder import DebugEncoder, Encoder
from .updates import AddAction, DeleteAction, RemoveAction, SetAction

T = TypeVar("T")

_ATTRIBUTE_TYPES = frozenset({"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"})


# --------------------------------------------------------------------------- operands


@frozen
class Value:
    """A user value; always sent as a ``:v`` placeholder, encoded with ``codec``."""

    value: Any
    codec: Codec = GENERIC

    def render(self, enc: Encoder) -> str:
        return enc.value(self)


class _Comparable:
    """Comparison operators shared by paths and ``size()``; each returns a :class:`Condition`."""

    __slots__ = ()

    def _operand(self, other: Any) -> Operand:
        return other if isinstance(other, _OPERANDS) else Value(other, self._value_codec())

    def _value_codec(self) -> Codec:
        return GENERIC

    def __eq__(self, other: Any) -> Compare:  # type: ignore[override]
        return Compare("=", self, self._operand(other))  # type: ignore[arg-type]

    def __ne__(self, other: Any) -> Compare:  # type: ignore[override]
        return Compare("<>", self, self._operand(other))  # type: ignore[arg-type]

    def __lt__(self, other: Any) -> Compare:
        return Compare("<", self, self._operand(other))  # type: ignore[arg-type]

    def __le__(self, other: Any) -> Compare:
        return Compare("<=", self, self._operand(other))  # type: ignore[arg-type]

    def __gt__(self, other: Any) -> Compare:
        return Compare(">", self, self._operand(other))  # type: ignore[arg-type]

    def __ge__(self, other: Any) -> Compare:
        return Compare(">=", self, self._operand(other))  # type: ignore[arg-type]

    def eq(self, other: Any) -> Compare:
        """``self = other``."""
        return self.__eq__(other)

    def ne(self, other: Any) -> Compare:
        """``self <> other``."""
        return self.__ne__(other)

    def lt(self, other: Any) -> Compare:
        """``self < other``."""
        return self.__lt__(other)

    def le(self, other: Any) -> Compare:
        """``self <= other``."""
        return self.__le__(other)

    def gt(self, other: Any) -> Compare:
        """``self > other``."""
        return self.__gt__(other)

    def ge(self, other: Any) -> Compare:
        """``self >= other``."""
        return self.__ge__(other)

    def between(self, low: Any, high: Any) -> Between:
        """``self BETWEEN low AND high`` (inclusive)."""
        return Between(self, self._operand(low), self._operand(high))  # type: ignore[arg-type]

    def is_in(self, *values: Any) -> In:
        """``self IN (v1, v2, ...)``; accepts values or one iterable of values (1 to 100 of them)."""
        if len(values) == 1 and isinstance(values[0], (list, tuple, set, frozenset)):
            values = tuple(values[0])
        if not 1 <= len(values) <= 100:
            raise InvalidInput("is_in() takes 1 to 100 values (DynamoDB's IN limit)")
        return In(self, tuple(self._operand(v) for v in values))  # type: ignore[arg-type]

    __hash__ = object.__hash__


@frozen(eq=False)
class Path(_Comparable, Generic[T]):
    """A document path: attribute names and list indexes, e.g. ``a.b[2].c``.

    Comparisons build conditions; ``set``/``add``/``remove``/``delete``/``append`` build update
    actions. Values compared with or assigned to a top-level field path use that field's codec,
    so a ``datetime`` field compares with ``datetime`` values.
    """

    elements: tuple[str | int, ...]
    codec: Codec = GENERIC

    def _value_codec(self) -> Codec:
        return self.codec

    def __getitem__(self, key: str | int) -> Path[Any]:
        """A nested path: ``path["b"]`` for a map key, ``path[2]`` for a list element."""
        if isinstance(key, bool) or not isinstance(key, (str, int)):
            raise InvalidInput(f"path elements are map keys (str) or list indexes (int), not {key!r}")
        if isinstance(key, int) and key < 0:
            raise InvalidInput("list indexes in a path cannot be negative")
        return Path((*self.elements, key))

    def __hash__(self) -> int:
        return hash(self.elements)

    @property
    def name(self) -> str:
        """The path as text, e.g. ``a.b[2].c`` (for messages, never sent to DynamoDB)."""
        out = ""
        for e in self.elements:
            out += f"[{e}]" if isinstance(e, int) else (f".{e}" if out else e)
        return out

    def render(self, enc: Encoder) -> str:
        return enc.path(self)

    # conditions --------------------------------------------------------------
    def begins_with(self, prefix: Any) -> Function:
        """``begins_with(self, prefix)`` for strings and binary."""
        return Function("begins_with", (self, self._operand(prefix)))

    def contains(self, value: Any) -> Function:
        """``contains(self, value)``: substring of a string, or element of a set or list."""
        return Function("contains", (self, Value(value)))

    def exists(self) -> Function:
        """``attribute_exists(self)``."""
        return Function("attribute_exists", (self,))

    def not_exists(self) -> Function:
        """``attribute_not_exists(self)``."""
        return Function("attribute_not_exists", (self,))

    def attribute_type(self, type_: str) -> Function:
        """``attribute_type(self, type_)`` where ``type_`` is one of S, SS, N, NS, B, BS, BOOL, NULL, L, M."""
        if type_ not in _ATTRIBUTE_TYPES:
            raise InvalidInput(f"attribute_type must be one of {sorted(_ATTRIBUTE_TYPES)}, not {type_!r}")
        return Function("attribute_type", (self, Value(type_)))

    def size(self) -> Size:
        """``size(self)``, to compare: ``path.size() > 3``."""
        return Size(self)

    # update operands and actions --------------------------------------------
    def __add__(self, other: Any) -> Arith:
        return Arith("+", self, self._operand(other))

    def __sub__(self, other: Any) -> Arith:
        return Arith("-", self, self._operand(other))

    def __radd__(self, other: Any) -> Arith:
        return Arith("+", self._operand(other), self)

    def __rsub__(self, other: Any) -> Arith:
        return Arith("-", self._operand(other), self)

    def if_not_exists(self, default: Any) -> IfNotExists:
        """``if_not_exists(self, default)``, an operand for ``set``."""
        return IfNotExists(self, self._operand(default))

    def set(self, value: Any) -> SetAction:
        """``SET self = value``; value may be a plain value or an operand (``path + 1``, ...)."""
        return SetAction(self, self._operand(value))

    def append(self, values: Iterable[Any]) -> SetAction:
        """``SET self = list_append(self, values)``: add to the end of a list."""
        return SetAction(self, ListAppend(self, Value(list(values))))

    def prepend(self, values: Iterable[Any]) -> SetAction:
        """``SET self = list_append(values, self)``: add to the front of a list."""
        return SetAction(self, ListAppend(Value(list(values)), self))

    def add(self, value: Any) -> AddAction:
        """``ADD self value``: add to a number, or add elements to a set."""
        codec = GENERIC if isinstance(value, (set, frozenset)) else self.codec
        return AddAction(self, Value(value, codec))

    def remove(self) -> RemoveAction:
        """``REMOVE self``."""
        return RemoveAction(self)

    def delete(self, values: Any) -> DeleteAction:
        """``DELETE self values``: remove elements from a set."""
        if not isinstance(values, (set, frozenset)):
            raise InvalidInput("delete() takes a set of elements to remove from a set attribute")
        return DeleteAction(self, Value(values))


@frozen(eq=False)
class Size(_Comparable):
    """``size(path)`` as an operand of a comparison."""

    path: Path[Any]

    def render(self, enc: Encoder) -> str:
        return f"size({enc.path(self.path)})"


@frozen
class IfNotExists:
    """``if_not_exists(path, default)``."""

    path: Path[Any]
    default: Operand

    def render(self, enc: Encoder) -> str:
        return f"if_not_exists({enc.path(self.path)}, {self.default.render(enc)})"

    def __add__(self, other: Any) -> Arith:
        return Arith("+", self, other if isinstance(other, _OPERANDS) else Value(other, self.path.codec))

    def __sub__(self, other: Any) -> Arith:
        return Arith("-", self, other if isinstance(other, _OPERANDS) else Value(other, self.path.codec))


@frozen
class ListAppend:
    """``list_append(first, second)``."""

    first: Operand
    second: Operand

    def render(self, enc: Encoder) -> str:
        return f"list_append({self.first.render(enc)}, {self.second.render(enc)})"


@frozen
class Arith:
    """``left + right`` or ``left - right`` in a SET action."""

    op: str
    left: Operand
    right: Operand

    def render(self, enc: Encoder) -> str:
        return f"{self.left.render(enc)} {self.op} {self.right.render(enc)}"


Operand = Path[Any] | Value | Size | IfNotExists | ListAppend | Arith
_OPERANDS = (Path, Value, Size, IfNotExists, ListAppend, Arith)


# --------------------------------------------------------------------------- conditions


class Condition:
    """A condition, filter or key condition. Combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def __and__(self, other: Condition) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return And((*_flatten(self, And), *_flatten(other, And)))

    def __or__(self, other: Condition) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return Or((*_flatten(self, Or), *_flatten(other, Or)))

    def __invert__(self) -> Condition:
        return self.operand if isinstance(self, Not) else Not(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "a condition has no truth value: combine conditions with &, | and ~ (not and/or/not), "
            "and compare expressions with .debug() rather than =="
        )

    def render(self, enc: Encoder) -> str:
        raise NotImplementedError

    def paths(self) -> Iterable[Path[Any]]:
        """Every path this condition reads (used to validate key conditions)."""
        return ()

    def debug(self) -> str:
        """The expression with real names and values in place of placeholders, for logs and tests."""
        return self.render(DebugEncoder())


def _flatten(c: Condition, kind: type[And] | type[Or]) -> tuple[Condition, ...]:
    return c.operands if isinstance(c, kind) else (c,)


def _operand_paths(*ops: Operand) -> Iterable[Path[Any]]:
    for op in ops:
        if isinstance(op, Path):
            yield op
        elif isinstance(op, Size):
            yield op.path


@frozen
class Compare(Condition):
    """``left <op> right`` with op one of ``= <> < <= > >=``."""

    op: str
    left: Operand
    right: Operand

    def render(self, enc: Encoder) -> str:
        return f"{self.left.render(enc)} {self.op} {self.right.render(enc)}"

    def paths(self) -> Iterable[Path[Any]]:
        return _operand_paths(self.left, self.right)


@frozen
class Between(Condition):
    """``operand BETWEEN low AND high``."""

    operand: Operand
    low: Operand
    high: Operand

    def render(self, enc: Encoder) -> str:
        return f"{self.operand.render(enc)} BETWEEN {self.low.render(enc)} AND {self.high.render(enc)}"

    def paths(self) -> Iterable[Path[Any]]:
        return _operand_paths(self.operand)


@frozen
class In(Condition):
    """``operand IN (v1, v2, ...)``."""

    operand: Operand
    values: tuple[Operand, ...]

    def render(self, enc: Encoder) -> str:
        return f"{self.operand.render(enc)} IN ({', '.join(v.render(enc) for v in self.values)})"

    def paths(self) -> Iterable[Path[Any]]:
        return _operand_paths(self.operand)


@frozen
class Function(Condition):
    """A condition function: ``attribute_exists``, ``begins_with``, ``contains``, ..."""

    name: str
    args: tuple[Operand, ...]

    def render(self, enc: Encoder) -> str:
        return f"{self.name}({', '.join(a.render(enc) for a in self.args)})"

    def paths(self) -> Iterable[Path[Any]]:
        return _operand_paths(*self.args)


@frozen
class And(Condition):
    """All of the operands."""

    operands: tuple[Condition, ...]

    def render(self, enc: Encoder) -> str:
        return " AND ".join(f"({c.render(enc)})" for c in self.operands)

    def paths(self) -> Iterable[Path[Any]]:
        for c in self.operands:
            yield from c.paths()


@frozen
class Or(Condition):
    """Any of the operands."""

    operands: tuple[Condition, ...]

    def render(self, enc: Encoder) -> str:
        return " OR ".join(f"({c.render(enc)})" for c in self.operands)

    def paths(self) -> Iterable[Path[Any]]:
        for c in self.operands:
            yield from c.paths()


@frozen
class Not(Condition):
    """The negation of the operand."""

    operand: Condition

    def render(self, enc: Encoder) -> str:
        return f"NOT ({self.operand.render(enc)})"

    def paths(self) -> Iterable[Path[Any]]:
        return self.operand.paths()
