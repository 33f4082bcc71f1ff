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


LEAN_GET_ITEM = """
import asyncio, json, sys
from typing import Annotated
from dynamorm_async import DB, HashKey, Model

class Item(Model, table="items"):
    pk: Annotated[str, HashKey()]

async def main():
    async with DB(region="us-east-1", endpoint_url=sys.argv[1], http="lean") as db:
        item = await db.manager(Item).get("threaded")
        return item.pk, db.transport.http

pk, http = asyncio.run(main())
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"aiobotocore", "botocore", "aiohttp", "anyio"})
print(json.dumps({"pk": pk, "http": http, "heavy": heavy}))
"""


def _run_against_a_scripted_server(script: str, **environment: str) -> dict[str, object]:
    """Run ``script`` in a fresh interpreter (this checkout's package first, ``environment`` added)
    with a loopback DynamoDB stand-in's URL as its argument; return the JSON it prints."""
    import json
    import os

    from tests.unit.lean.scripted_server import ThreadedServer

    server = ThreadedServer()
    try:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(PYTHONPATH=str(PACKAGE.parent), **environment)
        out = subprocess.run(
            [sys.executable, "-c", script, server.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        result: dict[str, object] = json.loads(out.stdout)
        return result
    finally:
        server.stop()


def test_a_get_item_through_db_on_the_lean_path_imports_none_of_them() -> None:
    result = _run_against_a_scripted_server(LEAN_GET_ITEM)
    assert result == {"pk": "threaded", "http": "lean", "heavy": []}


LAMBDA_GET_ITEM = """
import json, sys
from typing import Annotated
from dynamorm_async import HashKey, Model
from dynamorm_async.aws_lambda import LambdaDB

class Item(Model, table="items"):
    pk: Annotated[str, HashKey()]

db = LambdaDB(models=[Item], endpoint_url=sys.argv[1])

@db.handler
async def handler(event, context):
    return (await db.manager(Item).get("threaded")).pk

class Context:
    aws_request_id = "r-1"
    def get_remaining_time_in_millis(self):
        return 30_000

pk = handler({}, Context())
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"aiobotocore", "botocore", "aiohttp", "anyio"})
# not needed by a GetItem: loaded on first use
unused = {"cursor", "batch", "batch_writer", "query", "transactions", "requests.many", "requests.reads",
          "aws_lambda.lambda_tuning"}
ours = sorted(m for m in sys.modules if m.removeprefix("dynamorm_async.") in unused)
print(json.dumps({"pk": pk, "http": db.transport.http, "heavy": heavy + ours}))
"""


def test_a_lambda_invocation_on_the_auto_chosen_lean_path_imports_none_of_them_nor_anyio() -> None:
    """The cold path: ``auto`` picks lean in a Lambda environment, and the handler's deadline
    scope, the deadline checks and the transport use asyncio's own primitives, not anyio's."""
    result = _run_against_a_scripted_server(
        LAMBDA_GET_ITEM,
        AWS_LAMBDA_RUNTIME_API="127.0.0.1:9001",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="AKID",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_CONFIG_FILE=str(PACKAGE / "absent"),
        AWS_SHARED_CREDENTIALS_FILE=str(PACKAGE / "absent"),
    )
    assert result == {"pk": "threaded", "http": "lean", "heavy": []}
