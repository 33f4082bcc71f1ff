"""Key conditions: parsed, checked against the table and index keys, and matched to an index."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ..checks import MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES, check_key_value
from ..errors import InvalidInput, InvalidKey
from ..expressions import And, Between, Compare, Condition, Function, Not, Or, Path, Value
from ..keyspecs import key_text, render_key
from ..keytemplates import UPPER_SENTINEL
from ..marshal import Codec
from ..model import Model
from ..schema import FieldSpec, IndexSpec

if TYPE_CHECKING:
    from ..marshal import AttributeValue
    from ..schema import Schema

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
    """What a request reads: the table (``index=None``) or one index, with its keys.

    ``names`` maps attribute names to field names: key conditions on a key composed by a template
    are written on the template's fields, which the condition names by attribute.
    """

    __slots__ = ("hash", "index", "names", "range")

    def __init__(
        self,
        index: IndexSpec | None,
        hash: FieldSpec,
        range: FieldSpec | None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.index = index
        self.hash = hash
        self.range = range
        self.names: Mapping[str, str] = names or {}

    @property
    def templated(self) -> bool:
        """Whether a key of this target is composed by a template (conditions are on its fields)."""
        return self.hash.template is not None or (self.range is not None and self.range.template is not None)

    def _key_label(self, f: FieldSpec) -> str:
        return f.name if f.template is None else f"{f.attr} = {f.template.template!r}"

    @property
    def label(self) -> str:
        h = self._key_label(self.hash)
        keys = h if self.range is None else f"{h}, {self._key_label(self.range)}"
        what = "the table" if self.index is None else f"index {self.index.name!r}"
        return f"{what} ({keys})"


def _top_attr(operand: Any) -> str | None:
    if isinstance(operand, Path) and len(operand.elements) == 1 and isinstance(operand.elements[0], str):
        return operand.elements[0]
    return None


def parse_key_condition(condition: Condition, *, max_parts: int | None = 2) -> tuple[KeyPart, ...]:
    """Split a key condition into its parts, refusing anything DynamoDB would not take as one.

    ``max_parts=None`` when a key may be composed by a template (one part per template field).
    """
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
    if max_parts is not None and len(parts) > max_parts:
        raise InvalidInput(f"the key condition has {len(parts)} parts; {_KEY_CONDITION_HELP}")
    return tuple(parts)


def misfit(parts: Sequence[KeyPart], target: Target) -> str | None:
    """Why ``parts`` cannot be the key condition of ``target``, or ``None`` when they can."""
    if target.templated:
        fit = fit_template(parts, target)
        return fit if isinstance(fit, str) else None
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


class TemplateFit(NamedTuple):
    """How a key condition fits a target with a template key: the ``==`` parts of the partition
    key (by field name), the ``==`` parts on the sort template's leading fields (in order, with
    their names), and the one comparison after them (or the plain sort key's part) with its name."""

    hash: dict[str, KeyPart]
    equal: tuple[tuple[str, KeyPart], ...]
    last: tuple[str, KeyPart] | None


def fit_template(parts: Sequence[KeyPart], target: Target) -> TemplateFit | str:
    """How ``parts`` (on fields) make the key condition of a target with a template key, or why not."""
    by_name = {target.names.get(p.attr, p.attr): p for p in parts}
    h = target.hash
    hash_parts: dict[str, KeyPart] = {}
    for name in h.template.fields if h.template is not None else (h.name,):
        p = by_name.get(name)
        if p is None:
            return f"{target.label} needs {name!r} compared with == for its partition key"
        if p.op != "=":
            return f"{name!r} is part of the partition key of {target.label} and takes only == ({p.text})"
        hash_parts[name] = p
    rest = [n for n in by_name if n not in hash_parts]
    r = target.range
    if not rest:
        return TemplateFit(hash_parts, (), None)
    if r is None:
        return f"{target.label} has no sort key to test with {by_name[rest[0]].text}"
    if r.template is None:
        stray = [n for n in rest if n != r.name]
        if stray:
            return f"{by_name[stray[0]].text} does not test the sort key {r.name!r} of {target.label}"
        return TemplateFit(hash_parts, (), (r.name, by_name[r.name]))
    fields = r.template.fields
    for n in rest:
        if n not in fields:
            return f"{by_name[n].text} does not test a field of the sort key of {target.label}"
    equal: list[tuple[str, KeyPart]] = []
    while len(equal) < len(fields) and (p := by_name.get(fields[len(equal)])) is not None and p.op == "=":
        equal.append((fields[len(equal)], p))
    done = {n for n, _ in equal}
    left = sorted((n for n in rest if n not in done), key=fields.index)
    if not left:
        return TemplateFit(hash_parts, tuple(equal), None)
    at = fields.index(left[0])
    if at != len(equal):
        return (
            f"{left[0]!r} is tested without {fields[len(equal)]!r}: the sort key "
            f"{r.template.template!r} is compared from its first field on, so a test of {left[0]!r} "
            f"needs == on {', '.join(map(repr, fields[:at]))} first"
        )
    if len(left) > 1:
        return (
            f"after == on the leading fields of the sort key {r.template.template!r}, one more field "
            f"can take <, <=, >, >=, between or begins_with, not two ({by_name[left[1]].text})"
        )
    return TemplateFit(hash_parts, tuple(equal), (left[0], by_name[left[0]]))


#: The codec of key condition values already checked and encoded.
RAW = Codec(lambda av: av, lambda av: av)


def sort_condition(model: str, f: FieldSpec, part: KeyPart, codec: Codec) -> Condition:
    """The condition of a plain (one-field) sort key ``f``; ``codec`` is its checking codec."""
    if part.op == "begins_with" and f.codec.kind == "N":
        raise InvalidInput(f"begins_with needs a string or binary sort key; {model}.{f.name} is not")
    path: Path[Any] = Path((f.attr,), f.codec)
    vals = [Value(key_value(model, f, v, codec, MAX_SORT_KEY_BYTES), RAW) for v in part.values]
    if part.op == "between":
        return Between(path, vals[0], vals[1])
    if part.op == "begins_with":
        return Function("begins_with", (path, vals[0]))
    return Compare(part.op, path, vals[0])


def _before(text: str) -> str:
    """The highest key text below ``text`` (for an exclusive upper bound on a whole key)."""
    c = ord(text[-1])
    if c == 0:
        return text[:-1]
    c -= 1
    if 0xD800 <= c <= 0xDFFF:  # no surrogates in UTF-8: step below them
        c = 0xD7FF
    return text[:-1] + chr(c) + UPPER_SENTINEL


def _template_sort(schema: Schema, r: FieldSpec, fit: TemplateFit) -> Condition | None:
    """The sort key condition on template key ``r`` (see the single-table design note)."""
    template = r.template
    assert template is not None
    model = schema.model.__name__
    path: Path[Any] = Path((r.attr,), r.codec)

    def val(text: str) -> Value:
        av: AttributeValue = {"S": text}
        check_key_value(model, r, av, MAX_SORT_KEY_BYTES)
        return Value(av, RAW)

    eq = {n: key_text(schema, n, p.values[0], validate=True) for n, p in fit.equal}
    lead = template.prefix(eq)
    if fit.last is None:
        if len(eq) == len(template.fields):
            return Compare("=", path, val(template.format(eq)))
        return Function("begins_with", (path, val(lead))) if lead else None
    name, part = fit.last
    if part.op == "begins_with":
        start = part.values[0]
        if not isinstance(start, str):
            raise InvalidInput(
                f"{part.text}: begins_with on {name!r}, a field of a key template, takes the "
                "beginning of its key text (a str such as '2024-01')"
            )
        return Function("begins_with", (path, val(template.prefix({**eq, name: start}, open_end=True))))
    full = template.fields.index(name) == len(template.fields) - 1

    def at(value: Any) -> str:
        return template.prefix({**eq, name: key_text(schema, name, value, validate=True)})

    top = lead + UPPER_SENTINEL
    if part.op == "between":
        lo, hi = at(part.values[0]), at(part.values[1])
        hi = hi if full else hi + UPPER_SENTINEL
        if lo.encode("utf-8", "surrogatepass") > hi.encode("utf-8", "surrogatepass"):
            raise InvalidInput(f"{part.text}: the low bound sorts after the high bound")
        return Between(path, val(lo), val(hi))
    x = at(part.values[0])
    op = part.op
    if not lead:  # nothing to stay within: DynamoDB's own comparison is exact
        return Compare(op, path, val(x + UPPER_SENTINEL if op in ("<=", ">") and not full else x))
    if op == "<":
        return Between(path, val(lead), val(_before(x) if full else x))
    if op == "<=":
        return Between(path, val(lead), val(x if full else x + UPPER_SENTINEL))
    if op == ">":
        return Between(path, val(x + "\x00" if full else x + UPPER_SENTINEL), val(top))
    return Between(path, val(x), val(top))  # >=


def template_key_condition(
    schema: Schema, target: Target, parts: Sequence[KeyPart], checking: Callable[[FieldSpec], Codec]
) -> tuple[Condition, AttributeValue]:
    """The key condition (on stored attributes) of a target with a template key, and the
    partition key value; values are rendered through the fields' key texts and checked, so a
    separator injection or an empty value raises :class:`InvalidKey` before anything is sent."""
    fit = fit_template(parts, target)
    model = schema.model.__name__
    if isinstance(fit, str):
        raise InvalidInput(f"{model}: the key condition does not fit: {fit}")
    h = target.hash
    if h.template is not None:
        values = {n: p.values[0] for n, p in fit.hash.items()}
        hash_av: AttributeValue = {"S": render_key(schema, h, values, validate=True)}
        check_key_value(model, h, hash_av, MAX_PARTITION_KEY_BYTES)
    else:
        hash_av = key_value(model, h, fit.hash[h.name].values[0], checking(h), MAX_PARTITION_KEY_BYTES)
    condition: Condition = Compare("=", Path((h.attr,), h.codec), Value(hash_av, RAW))
    r = target.range
    if r is None:
        return condition, hash_av
    if r.template is None:
        sort = None if fit.last is None else sort_condition(model, r, fit.last[1], checking(r))
    else:
        sort = _template_sort(schema, r, fit)
    return (condition if sort is None else condition & sort), hash_av


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


__all__ = [
    "RAW",
    "KeyPart",
    "Target",
    "TemplateFit",
    "canonical",
    "fit_template",
    "key_value",
    "misfit",
    "parse_key_condition",
    "same_key_value",
    "sort_condition",
    "template_key_condition",
]
