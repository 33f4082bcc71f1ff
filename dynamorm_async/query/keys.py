"""Key conditions: parsed, checked against the table and index keys, and matched to an index."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from ..checks import check_key_value
from ..errors import InvalidInput, InvalidKey
from ..expressions import And, Between, Compare, Condition, Function, Not, Or, Path, Value
from ..model import Model
from ..schema import FieldSpec, IndexSpec

if TYPE_CHECKING:
    from ..marshal import AttributeValue, Codec

M = TypeVar("M", bound=Model)

_SORT_OPS = frozenset({"=", "<", "<=", ">", ">="})
_KEY_CONDITION_HELP = (
    "a key condition is `partition_key == value`, optionally `& sort_key <op> value` with op one of "
    "==, <, <=, >, >=, .between(low, high) or .begins_with(prefix)"
)


# --------------------------------------------------------------------------- key conditions


class KeyPart:
    """One comparison of a key condition: attribute, operator and the raw Python value(s)."""

    __slots__ = ("attr", "op", "text", "values")

    def __init__(self, attr: str, op: str, values: tuple[Any, ...], text: str) -> None:
        self.attr = attr
        self.op = op  # one of _SORT_OPS, "between" or "begins_with"
        self.values = values
        self.text = text  # for messages


class Target:
    """What a request reads: the table (``index=None``) or one index, with its keys."""

    __slots__ = ("hash", "index", "range")

    def __init__(self, index: IndexSpec | None, hash: FieldSpec, range: FieldSpec | None) -> None:
        self.index = index
        self.hash = hash
        self.range = range

    @property
    def label(self) -> str:
        keys = self.hash.name if self.range is None else f"{self.hash.name}, {self.range.name}"
        what = "the table" if self.index is None else f"index {self.index.name!r}"
        return f"{what} ({keys})"


def _top_attr(operand: Any) -> str | None:
    if isinstance(operand, Path) and len(operand.elements) == 1 and isinstance(operand.elements[0], str):
        return operand.elements[0]
    return None


def parse_key_condition(condition: Condition) -> tuple[KeyPart, ...]:
    """Split a key condition into its parts, refusing anything DynamoDB would not take as one."""
    if not isinstance(condition, Condition):
        raise InvalidInput(f"query() takes a key condition, e.g. Model.attr.pk == 'x'; got {condition!r}")
    stack: list[Condition] = [condition]
    flat: list[Condition] = []
    while stack:
        c = stack.pop()
        if isinstance(c, And):
            stack.extend(reversed(c.operands))
        else:
            flat.append(c)
    parts: list[KeyPart] = []
    for c in flat:
        text = c.debug()
        if isinstance(c, (Or, Not)):
            raise InvalidInput(
                f"a key condition cannot use | (OR) or ~ (NOT): {text}; put such tests in .filter()"
            )
        part: KeyPart | None = None
        if isinstance(c, Compare) and isinstance(c.right, Value):
            attr = _top_attr(c.left)
            if attr is not None:
                if c.op not in _SORT_OPS:
                    raise InvalidInput(
                        f"{c.op} cannot be used in a key condition ({text}); {_KEY_CONDITION_HELP}"
                    )
                part = KeyPart(attr, c.op, (c.right.value,), text)
        elif isinstance(c, Between) and isinstance(c.low, Value) and isinstance(c.high, Value):
            attr = _top_attr(c.operand)
            if attr is not None:
                part = KeyPart(attr, "between", (c.low.value, c.high.value), text)
        elif isinstance(c, Function) and c.name == "begins_with" and len(c.args) == 2:
            attr, prefix = _top_attr(c.args[0]), c.args[1]
            if attr is not None and isinstance(prefix, Value):
                part = KeyPart(attr, "begins_with", (prefix.value,), text)
        if part is None:
            raise InvalidInput(f"{text} cannot be used in a key condition; {_KEY_CONDITION_HELP}")
        parts.append(part)
    seen: set[str] = set()
    for p in parts:
        if p.attr in seen:
            raise InvalidInput(f"the key condition tests {p.attr!r} twice; {_KEY_CONDITION_HELP}")
        seen.add(p.attr)
    if len(parts) > 2:
        raise InvalidInput(f"the key condition has {len(parts)} parts; {_KEY_CONDITION_HELP}")
    return tuple(parts)


def misfit(parts: Sequence[KeyPart], target: Target) -> str | None:
    """Why ``parts`` cannot be the key condition of ``target``, or ``None`` when they can."""
    by_attr = {p.attr: p for p in parts}
    h = by_attr.get(target.hash.attr)
    if h is None:
        return f"{target.label} needs its partition key {target.hash.name!r} compared with =="
    if h.op != "=":
        return f"the partition key {target.hash.name!r} of {target.label} takes only == ({h.text})"
    for p in parts:
        if p is h:
            continue
        if target.range is None:
            return f"{target.label} has no sort key to test with {p.text}"
        if p.attr != target.range.attr:
            return f"{p.text} does not test the sort key {target.range.name!r} of {target.label}"
    return None


def key_value(model: str, f: FieldSpec, value: Any, codec: Codec, limit: int) -> AttributeValue:
    """A key condition value checked as a write's key would be, before anything is sent.

    ``codec`` is the field's checking codec (``Model.attr``'s), so the value is first validated
    as the field's type (``int_sort_key == "abc"`` is refused, as in any condition); the encoded
    value must then be of the key's type, not empty and at most ``limit`` bytes (DynamoDB's
    2,048 for a partition key, 1,024 for a sort key).
    """
    try:
        av: AttributeValue = codec.encode(value)
    except InvalidInput as exc:
        raise InvalidKey(f"{model}.{f.name} in a key condition: {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidKey(f"{model}.{f.name}: {value!r:.80} is not a valid key value") from exc
    ((tag, _),) = av.items()
    if tag != f.codec.kind:
        raise InvalidKey(
            f"{model}.{f.name} is a key of type {f.codec.kind}; {value!r:.80} is stored as {tag}"
        )
    check_key_value(model, f, av, limit)
    return av


def canonical(av: Any) -> Any:
    """Numbers written alike (``5``, ``5.0``) fingerprint alike."""
    if isinstance(av, dict) and set(av) == {"N"}:
        try:
            return {"N": format(Decimal(av["N"]).normalize(), "f")}
        except (InvalidOperation, ValueError):
            return av
    return av


def same_key_value(a: AttributeValue, b: AttributeValue) -> bool:
    """Whether two key values are one key (numbers compare by value)."""
    if "N" in a and "N" in b:
        try:
            return Decimal(a["N"]) == Decimal(b["N"])
        except (InvalidOperation, ValueError):
            return False
    return a == b


__all__ = ["KeyPart", "Target", "canonical", "key_value", "misfit", "parse_key_condition", "same_key_value"]
