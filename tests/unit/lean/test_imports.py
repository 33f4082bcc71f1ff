"""Using the lean transport loads none of aiobotocore, botocore, aiohttp or anyio."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .scripted_server import ThreadedServer

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import asyncio, json, sys
from dynamorm_async.transport.lean import LeanTransport, lean_completeness

async def main():
    lean = LeanTransport(endpoint_url=sys.argv[1], region="us-east-1")
    answer = await lean.call("GetItem", {"TableName": "t", "Key": {"pk": {"B": b"x"}}})
    await lean.close()
    return answer["Item"]

item = asyncio.run(main())
complete = bool(lean_completeness())
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("aiobotocore", "botocore", "aiohttp", "anyio"))
print(json.dumps({"item": item, "heavy": heavy, "complete": complete}))
"""


def test_lean_path_imports_no_heavy_package() -> None:
    server = ThreadedServer()
    try:
        env = {
            "PYTHONPATH": str(ROOT),
            "AWS_ACCESS_KEY_ID": "AKID",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(ROOT / "absent"),
            "AWS_SHARED_CREDENTIALS_FILE": str(ROOT / "absent"),
        }
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, server.url], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["item"] == {"pk": {"S": "threaded"}}  # it did talk HTTP
        assert result["complete"] is True
        assert result["heavy"] == []
    finally:
        server.stop()
