"""``@frozen``: immutable slotted value classes without dataclass code generation at import.

``@dataclass(frozen=True, slots=True)`` compiles ``__init__``, ``__eq__``, ``__repr__`` and more
from generated source for every class (~0.4 ms each, ~30 classes on the cold path). ``@frozen``
gives the same behaviour for plain fields (positional or keyword construction with defaults,
value equality and hash, a dataclass-style repr, assignment refused with
:class:`dataclasses.FrozenInstanceError`, pickling and copying, a ``__post_init__`` called after
construction to check the values) with shared functions, so a class costs one ``type()`` call.
Type checkers read it as a frozen dataclass.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from typing import Any, TypeVar, dataclass_transform, overload

_C = TypeVar("_C", bound=type)
_setattr = object.__setattr__


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    fields: tuple[str, ...] = self._fields
    if not kwargs and len(args) == len(fields):
        for name, value in zip(fields, args, strict=True):
            _setattr(self, name, value)
        return
    cls = type(self).__qualname__
    if len(args) > len(fields):
        raise TypeError(f"{cls}() takes {len(fields)} arguments but {len(args)} were given")
    given = dict(zip(fields, args, strict=False))
    for name, value in kwargs.items():
        if name not in fields:
            raise TypeError(f"{cls}() got an unexpected keyword argument {name!r}")
        if name in given:
            raise TypeError(f"{cls}() got multiple values for argument {name!r}")
        given[name] = value
    defaults: dict[str, Any] = self._defaults
    for name in fields:
        if name in given:
            _setattr(self, name, given[name])
        elif name in defaults:
            _setattr(self, name, defaults[name])
        else:
            raise TypeError(f"{cls}() missing required argument {name!r}")


def _init_then_check(self: Any, *args: Any, **kwargs: Any) -> None:
    _init(self, *args, **kwargs)
    self.__post_init__()


def _values(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in self._fields)


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self))


def _repr(self: Any) -> str:
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
    return f"{type(self).__qualname__}({inner})"


def _refuse_set(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_del(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _reduce(self: Any) -> tuple[Any, tuple[Any, ...]]:
    return (type(self), _values(self))


def _build(cls: type, eq: bool) -> type:
    annotations = inspect.get_annotations(cls)
    own = tuple(name for name, kind in annotations.items() if not str(kind).startswith("ClassVar"))
    inherited: tuple[str, ...] = getattr(cls, "_fields", ())
    ns = dict(cls.__dict__)
    ns.pop("__dict__", None)
    ns.pop("__weakref__", None)
    defaults = dict(getattr(cls, "_defaults", {}))
    defaults.update({name: ns.pop(name) for name in own if name in ns})
    fields = inherited + tuple(name for name in own if name not in inherited)
    ns["_defaults"] = defaults
    ns["_fields"] = fields
    ns["__slots__"] = tuple(name for name in own if name not in inherited)
    ns["__match_args__"] = fields
    ns["__init__"] = _init_then_check if hasattr(cls, "__post_init__") else _init
    ns["__repr__"] = _repr
    ns["__setattr__"] = _refuse_set
    ns["__delattr__"] = _refuse_del
    ns["__reduce__"] = _reduce
    if eq:
        ns["__eq__"] = _eq
        ns.setdefault("__hash__", _hash)
    return type(cls)(cls.__name__, cls.__bases__, ns)


@overload
def frozen(cls: _C, /) -> _C: ...
@overload
def frozen(*, eq: bool = True) -> Callable[[_C], _C]: ...


@dataclass_transform(frozen_default=True)
def frozen(cls: Any = None, /, *, eq: bool = True) -> Any:
    """Make ``cls`` an immutable slotted value class of its annotated fields (see the module).

    A subclass of a ``@frozen`` class keeps its parent's fields (and their defaults) first.
    """
    if cls is None:
        return lambda c: _build(c, eq)
    return _build(cls, eq)
