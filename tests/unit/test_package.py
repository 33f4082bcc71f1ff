"""The package's public surface and its import cost."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import dynamorm_async


def test_all_is_complete_and_sorted() -> None:
    public = {n for n in dir(dynamorm_async) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(dynamorm_async.__all__) | {"TYPE_CHECKING"}
    names = [n for n in dynamorm_async.__all__ if n != "__version__"]
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in dynamorm_async.__all__:
        assert getattr(dynamorm_async, name) is not None


def test_import_does_not_load_aws_sdk_or_http_stack() -> None:
    code = (
        "import sys, dynamorm_async\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'aiobotocore', 'botocore', 'aiohttp', 'boto3', 'anyio', 'awslambdaric', 'aws_xray_sdk'})\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


LAZY_PACKAGES = (
    "dynamorm_async",
    "dynamorm_async.aws_lambda",
    "dynamorm_async.streams",
    "dynamorm_async.testing",
)


def _type_checking_imports(module: ModuleType) -> dict[str, set[str]]:
    """``{relative module: names}`` imported under the module's ``if TYPE_CHECKING:``."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text())
    found: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), ast.dump(stmt)
                key = "." * stmt.level + (stmt.module or "")
                found.setdefault(key, set()).update(a.name for a in stmt.names)
    return found


@pytest.mark.parametrize("name", [*LAZY_PACKAGES, "dynamorm_async.requests"])  # requests: internal
def test_lazy_exports_match_type_checking_imports_and_all(name: str) -> None:
    module = importlib.import_module(name)
    exports = {mod: set(names) for mod, names in module._EXPORTS.items()}
    assert _type_checking_imports(module) == exports
    lazy = {n for names in exports.values() for n in names}
    eager = {n for n in vars(module) if not n.startswith("_") and n not in lazy}
    eager -= {"annotations", "TYPE_CHECKING", "lazy_exports"}
    eager -= {n for n, v in vars(module).items() if isinstance(v, ModuleType)}
    assert set(module.__all__) - {"__version__"} == lazy | eager
    for n in module.__all__:
        assert getattr(module, n) is not None
    assert set(dir(module)) >= set(module.__all__)
    with pytest.raises(AttributeError):
        _ = module.no_such_name


def test_all_lists_no_internals() -> None:
    internals = {"STATS", "IN_FLIGHT", "map_error", "key_id", "RUNTIME_STATS", "RuntimeStats"}
    for name in LAZY_PACKAGES:
        assert not internals & set(importlib.import_module(name).__all__), name


def test_old_validation_error_name_warns_and_is_the_new_class() -> None:
    import dynamorm_async.errors as errors_module

    for module in (dynamorm_async, errors_module):
        with pytest.warns(DeprecationWarning, match="ServiceValidationError"):
            old = module.ValidationError
        assert old is dynamorm_async.ServiceValidationError
    assert "ValidationError" not in dynamorm_async.__all__


def test_every_error_of_the_tree_is_exported_from_the_package() -> None:
    import dynamorm_async.errors as errors_module

    assert set(errors_module.__all__) <= set(dynamorm_async.__all__)
    for name in errors_module.__all__:
        assert getattr(dynamorm_async, name) is getattr(errors_module, name)
