"""Lazy exports: a package names what it offers without importing it until first use.

::

    _EXPORTS = {".batch": ("BatchGetResult", "BatchWriteResult"), ...}
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

``_EXPORTS`` is the one hand-kept list. The package's ``if TYPE_CHECKING:`` imports mirror it for
type checkers, and ``tests/unit/test_package.py`` holds the two equal (and ``__all__`` complete),
so nothing drifts. No parsing happens at run time: cold start pays only for the dict.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str,
    namespace: dict[str, Any],
    exports: Mapping[str, Iterable[str]],
    *,
    deprecated: Mapping[str, str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import ``exports`` (``{module: names}``) on first access.

    Module names are relative to ``package`` (``".batch"``). A loaded name is stored in
    ``namespace`` so the module-level lookup finds it directly the next time. ``deprecated``
    maps old names to the names that replace them: using one warns (``DeprecationWarning``)
    every time, and it is listed neither in ``__dir__`` nor in ``__all__``.
    """
    where = {name: module for module, names in exports.items() for name in names}
    renamed = dict(deprecated or {})

    def __getattr__(name: str) -> Any:
        new = renamed.get(name)
        if new is not None:
            import warnings

            warnings.warn(f"{package}.{name} is deprecated; use {new}", DeprecationWarning, stacklevel=2)
            return namespace[new] if new in namespace else __getattr__(new)
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    return __getattr__, __dir__


__all__ = ["lazy_exports"]
