"""The one place that turns expression nodes into DynamoDB expression strings.

Every attribute name becomes a ``#nN`` placeholder and every value a ``:vN`` placeholder, so
reserved words (``name``, ``status``, ``size``) just work and no user text is ever parsed as
expression syntax. Identical names and identical values reuse one placeholder.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..marshal import AttributeValue

if TYPE_CHECKING:
    from .nodes import Condition, Path, Value
    from .updates import Update


def _freeze(av: Any) -> Any:
    """A hashable twin of an AttributeValue, to spot repeated values."""
    if isinstance(av, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in av.items()))
    if isinstance(av, list):
        return ("__list__", *(_freeze(v) for v in av))
    if isinstance(av, (bytes, bytearray)):
        return ("__bytes__", bytes(av))
    return av


class Encoder:
    """Allocates placeholders for one request; shared by all its expressions."""

    __slots__ = ("_name_ph", "_value_ph", "names", "values")

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValue] = {}
        self._name_ph: dict[str, str] = {}
        self._value_ph: dict[Any, str] = {}

    def name(self, name: str) -> str:
        ph = self._name_ph.get(name)
        if ph is None:
            ph = f"#n{len(self._name_ph)}"
            self._name_ph[name] = ph
            self.names[ph] = name
        return ph

    def path(self, path: Path[Any]) -> str:
        out = ""
        for e in path.elements:
            if isinstance(e, int):
                out += f"[{e}]"
            else:
                out += f".{self.name(e)}" if out else self.name(e)
        return out

    def value(self, value: Value) -> str:
        av = value.codec.encode(value.value)
        key = _freeze(av)
        ph = self._value_ph.get(key)
        if ph is None:
            ph = f":v{len(self._value_ph)}"
            self._value_ph[key] = ph
            self.values[ph] = av
        return ph

    def condition(self, condition: Condition) -> str:
        return condition.render(self)

    def update(self, update: Update) -> str:
        return update.render(self)

    def projection(self, paths: Iterable[Path[Any]]) -> str:
        return ", ".join(self.path(p) for p in paths)

    def params(self) -> dict[str, Any]:
        """``ExpressionAttributeNames``/``Values`` for the request, omitting empty ones."""
        out: dict[str, Any] = {}
        if self.names:
            out["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            out["ExpressionAttributeValues"] = dict(self.values)
        return out


class DebugEncoder(Encoder):
    """Renders real names and values instead of placeholders; for humans only, never sent."""

    def name(self, name: str) -> str:
        return name

    def value(self, value: Value) -> str:
        return repr(value.value)
