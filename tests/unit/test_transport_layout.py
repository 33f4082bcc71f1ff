"""The transport seam's shape: only one module touches aiobotocore/botocore/aiohttp, and lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import dynamorm_async

PACKAGE = Path(dynamorm_async.__file__).resolve().parent
WIRE_LIBRARIES = frozenset({"aiobotocore", "botocore", "aiohttp"})


def _wire_imports(path: Path) -> list[str]:
    """Absolute imports of the wire libraries anywhere in ``path`` (inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in WIRE_LIBRARIES]
    return found


def test_only_the_aiobotocore_transport_imports_aiobotocore_botocore_or_aiohttp() -> None:
    importers = {
        str(path.relative_to(PACKAGE.parent)): names
        for path in sorted(PACKAGE.rglob("*.py"))
        if (names := _wire_imports(path))
    }
    assert set(importers) == {"dynamorm_async/transport/aiobotocore.py"}, importers


def test_making_a_db_imports_none_of_them() -> None:
    code = (
        "import sys\n"
        "from dynamorm_async import DB\n"
        "from dynamorm_async.transport import build_transport, debug_stats\n"
        "DB(region='us-east-1'); build_transport()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'aiobotocore', 'botocore', 'aiohttp'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
