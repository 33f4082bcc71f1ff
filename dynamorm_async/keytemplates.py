"""Key templates: stored keys composed from model fields, e.g. ``"ORDER#{created_at}#{order_id}"``.

Single-table designs store several models in one table and compose each key attribute from
fields: the partition key ``CUSTOMER#{customer_id}``, the sort key ``ORDER#{created_at}#{order_id}``.
A :class:`KeyTemplate` is that composition as an immutable value: parsed and checked once, when a
model class is defined (bad templates raise :class:`~dynamorm_async.errors.ModelError`), then used
on every write (:meth:`~KeyTemplate.format`), read (:meth:`~KeyTemplate.parse`) and key condition
(:meth:`~KeyTemplate.prefix`, :meth:`~KeyTemplate.range_bounds`).

The syntax is a literal text with ``{field}`` slots:

- a field name is a Python identifier; no format specs (``{n:04d}``) or conversions (``{n!r}``);
- a field appears once; two fields need a non-empty literal between them (else the stored text
  cannot be split back into values);
- braces are not allowed in the literals (there is no escape);
- a template with no field is a *constant* (``"PROFILE"``): its text is the key, for the one item
  of its kind in a partition. The empty template is refused (DynamoDB refuses empty keys).

How a field's value becomes text is not this module's concern: the schema's codecs render each
value to a string first, and this module only composes and splits strings. For key conditions to
mean what they say, the rendering must sort as the values do: numbers zero-padded to a fixed width
(and offset so negatives sort first), datetimes in UTC at one fixed precision
(``2024-01-05T10:00:00.000000Z``), so that text order equals time order. Fixed width matters
beyond the field itself: when one value is a proper prefix of another (``"2024"``, ``"2024-01"``),
the composed keys compare the separator against the longer value's next character, so the key
order is the field order only if every rendering of a sort field has one length.

Separator injection: every value is checked against the literal that follows it. A value in which
that literal would be found earlier than at the value's end (``"a#b"`` before ``"#"``, or ``"a#"``
before ``"##"``) would be split differently when read back, so :meth:`~KeyTemplate.format` refuses
it with :class:`~dynamorm_async.errors.InvalidKey`, before anything is sent. Empty values are
refused too: a key part that is empty is a missing value, not a value.

Parsing is left to right with ``str.find`` on literals known at definition time: no regular
expression is built or run per call. Stdlib only, cheap to import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from .errors import InvalidKey, ModelError

__all__ = ["UPPER_SENTINEL", "KeyTemplate", "TemplateMismatch", "field_names"]

#: Appended to an upper bound so ``between`` includes every key that begins with it. U+10FFFF is
#: the highest code point (UTF-8 ``F4 8F BF BF``, DynamoDB compares strings as UTF-8 bytes); only a
#: key continuing with that non-character itself would sort past the bound.
UPPER_SENTINEL = "\U0010ffff"


class TemplateMismatch(InvalidKey):
    """A stored key does not have the shape of the template (often: an item of another model).

    ``template`` is the template text and ``key`` the stored text that did not fit.
    """

    def __init__(self, message: str, *, template: str, key: str) -> None:
        super().__init__(message)
        self.template = template
        self.key = key


def _split(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split a template into its literals (one more than fields) and field names; ModelError if bad."""

    def bad(why: str) -> NoReturn:
        raise ModelError(f"key template {template!r}: {why}")

    if not isinstance(template, str):
        raise ModelError(f"key template must be a str, got {type(template).__name__}")
    if not template:
        bad("empty; DynamoDB keys cannot be empty")
    literals: list[str] = []
    fields: list[str] = []
    pos = 0
    while True:
        opening = template.find("{", pos)
        closing = template.find("}", pos)
        if opening < 0:
            if closing >= 0:
                bad(f"unbalanced '}}' at position {closing} (braces cannot appear in the literal text)")
            literals.append(template[pos:])
            break
        if 0 <= closing < opening:
            bad(f"unbalanced '}}' at position {closing} (braces cannot appear in the literal text)")
        if closing < 0:
            bad(f"unbalanced '{{' at position {opening}: the field is never closed")
        name = template[opening + 1 : closing]
        if "{" in name:
            bad(f"unbalanced '{{' at position {opening}: a field cannot contain '{{'")
        if not name:
            bad(f"empty field name at position {opening}")
        if not name.isidentifier():
            hint = " (format specs are the field codec's job)" if name[:1].isidentifier() else ""
            bad(f"field name {name!r} is not a Python identifier{hint}")
        if name in fields:
            bad(f"field {name!r} appears twice")
        literal = template[pos:opening]
        if fields and not literal:
            bad(f"fields {fields[-1]!r} and {name!r} have no literal between them: keys cannot be split")
        literals.append(literal)
        fields.append(name)
        pos = closing + 1
    return tuple(literals), tuple(fields)


class KeyTemplate:
    """One key attribute's template, parsed once: ``KeyTemplate("ORDER#{created_at}#{order_id}")``.

    Immutable and hashable (equal when the template text is equal). ``fields`` are the field names
    in order; ``literals`` the literal texts around them (``len(fields) + 1`` items: the leading
    text, the separators, the trailing text; any may be empty except a separator).

    :raises ModelError: the template is invalid (see the module docstring for the rules).
    """

    __slots__ = ("_follow", "fields", "literals", "template")

    template: str
    fields: tuple[str, ...]
    literals: tuple[str, ...]
    _follow: tuple[tuple[str, str], ...]

    def __init__(self, template: str) -> None:
        literals, fields = _split(template)
        set_ = object.__setattr__
        set_(self, "template", template)
        set_(self, "fields", fields)
        set_(self, "literals", literals)
        # Each field with the literal that ends it: what format checks and parse searches for.
        set_(self, "_follow", tuple(zip(fields, literals[1:], strict=True)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return f"KeyTemplate({self.template!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyTemplate) and other.template == self.template

    def __hash__(self) -> int:
        return hash((KeyTemplate, self.template))

    def __reduce__(self) -> tuple[type[KeyTemplate], tuple[str]]:
        return (KeyTemplate, (self.template,))

    @property
    def is_constant(self) -> bool:
        """True when the template has no field: its text is the key itself (``"PROFILE"``)."""
        return not self.fields

    @property
    def leading(self) -> str:
        """The literal text before the first field: what every key of this template begins with."""
        return self.literals[0]

    def may_overlap(self, other: KeyTemplate) -> bool:
        """Whether some key could be written by both templates (conservative: ``True`` when unsure).

        Two models sharing a partition must not write the same sort key, or one would overwrite
        the other's item. Keys of a template all begin with its leading literal and end with its
        trailing one, so templates whose leading literals are not prefixes of one another (or whose
        trailing literals are not suffixes of one another) are disjoint; a constant is compared
        exactly. Distinct leading literals per model (``"ORDER#"``, ``"LINE#"``) are the safe design.
        """
        if self.is_constant or other.is_constant:
            if self.is_constant and other.is_constant:
                return self.template == other.template
            constant, template = (self, other) if self.is_constant else (other, self)
            return template.matches(constant.template)
        a, b = self.literals[0], other.literals[0]
        if not (a.startswith(b) or b.startswith(a)):
            return False
        a, b = self.literals[-1], other.literals[-1]
        return a.endswith(b) or b.endswith(a)

    # ------------------------------------------------------------------ writing

    def _checked(self, name: str, value: object, follow: str) -> str:
        """The value if it can be written before ``follow`` and read back unchanged; InvalidKey if not."""
        if type(value) is not str:
            if not isinstance(value, str):
                raise InvalidKey(
                    f"key template {self.template!r}: field {name!r} must be rendered to str first, "
                    f"got {type(value).__name__}"
                )
            value = str(value)
        if not value:
            raise InvalidKey(f"key template {self.template!r}: field {name!r} is empty")
        if follow and (value + follow).find(follow) != len(value):
            raise InvalidKey(
                f"key template {self.template!r}: the value of field {name!r} contains the separator "
                f"{follow!r} (in whole or across its end), so the key could not be read back"
            )
        return value

    def format(self, values: Mapping[str, str]) -> str:
        """The stored key for these rendered field values; names not in the template are ignored.

        :raises InvalidKey: a field is missing, not a str, empty, or would inject its separator.
        """
        parts = [self.literals[0]]
        for name, follow in self._follow:
            try:
                value = values[name]
            except KeyError:
                raise InvalidKey(f"key template {self.template!r}: field {name!r} is missing") from None
            parts.append(self._checked(name, value, follow))
            parts.append(follow)
        return "".join(parts)

    # ------------------------------------------------------------------ reading

    def _mismatch(self, text: str, why: str) -> TemplateMismatch:
        return TemplateMismatch(
            f"stored key {text!r} does not match key template {self.template!r}: {why}",
            template=self.template,
            key=text,
        )

    def _split_key(self, text: str) -> dict[str, str] | str:
        """The values of a stored key, or why it does not fit (a str) — one loop for parse and matches."""
        leading = self.literals[0]
        if not text.startswith(leading):
            return f"it does not begin with {leading!r}"
        pos = len(leading)
        out: dict[str, str] = {}
        end = len(text)
        for name, follow in self._follow:
            if follow:
                found = text.find(follow, pos)
                if found < 0:
                    return f"no {follow!r} after field {name!r}"
            else:
                found = end
            if found == pos:
                return f"field {name!r} is empty"
            out[name] = text[pos:found]
            pos = found + len(follow)
        if pos != end:
            return f"unexpected text {text[pos:]!r} at the end"
        return out

    def parse(self, text: str) -> dict[str, str]:
        """The field values (as stored text) of a key this template wrote: the inverse of :meth:`format`.

        :raises TemplateMismatch: the text does not have this template's shape.
        """
        if not isinstance(text, str):
            raise TemplateMismatch(
                f"stored key of type {type(text).__name__} does not match key template {self.template!r}",
                template=self.template,
                key=repr(text),
            )
        result = self._split_key(text)
        if isinstance(result, str):
            raise self._mismatch(text, result)
        return result

    def matches(self, text: object) -> bool:
        """Whether a stored key has this template's shape (no exception: for routing and decoding)."""
        return isinstance(text, str) and not isinstance(self._split_key(text), str)

    # ------------------------------------------------------------------ key conditions

    def prefix(self, values: Mapping[str, str], *, open_end: bool = False) -> str:
        """The longest key text fixed by the leading fields given, for a ``begins_with`` condition.

        Each given field is followed by its separator, so the match on it is exact:
        ``prefix({"created_at": "2024-01-05"})`` is ``"ORDER#2024-01-05#"``. With ``open_end=True``
        the last given value is itself a prefix of the field (``{"created_at": "2024-01"}`` gives
        ``"ORDER#2024-01"``: every order in January). No field gives the leading literal (every key
        of this template); all fields give the full key (an equality is then the better condition).

        :raises InvalidKey: a name not in the template, a field given without the ones before it,
            or a value that is empty or would inject its separator.
        """
        unknown = [name for name in values if name not in self.fields]
        if unknown:
            raise InvalidKey(f"key template {self.template!r} has no field {unknown[0]!r}")
        given = len(values)
        missing = [name for name in self.fields[:given] if name not in values]
        if missing:
            late = [name for name in self.fields[given:] if name in values]
            raise InvalidKey(
                f"key template {self.template!r}: a prefix needs the leading fields in order; "
                f"{late[0]!r} is given without {missing[0]!r}"
            )
        parts = [self.literals[0]]
        for i, (name, follow) in enumerate(self._follow[:given]):
            last_open = open_end and i == given - 1
            parts.append(self._checked(name, values[name], follow))
            if not last_open:
                parts.append(follow)
        return "".join(parts)

    def range_bounds(
        self, low: Mapping[str, str], high: Mapping[str, str], *, open_end: bool = False
    ) -> tuple[str, str]:
        """Inclusive bounds for ``between`` covering every key from ``low``'s prefix to ``high``'s.

        ``range_bounds({"created_at": "2024-01-01"}, {"created_at": "2024-01-31"})`` gives every
        order created on those days: the upper bound is ``high``'s prefix plus
        :data:`UPPER_SENTINEL`, so keys that continue after it are included.

        :raises InvalidKey: as :meth:`prefix`, or when ``low`` sorts after ``high``.
        """
        lo = self.prefix(low, open_end=open_end)
        hi = self.prefix(high, open_end=open_end) + UPPER_SENTINEL
        if lo.encode() > hi.encode():
            raise InvalidKey(f"key template {self.template!r}: {lo!r} sorts after {hi!r}")
        return lo, hi


def field_names(templates: Iterable[KeyTemplate]) -> frozenset[str]:
    """Every field named by these templates: the fields a model must declare for its keys."""
    return frozenset(name for t in templates for name in t.fields)
