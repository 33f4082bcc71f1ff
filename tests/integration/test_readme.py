"""The README's ```python blocks run, in order, against DynamoDB Local (```py blocks are not run)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.anyio

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def readme_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_has_runnable_examples() -> None:
    assert len(readme_blocks()) >= 2


async def test_readme_examples_run(dynamodb_local: str) -> None:
    namespace: dict[str, Any] = {"ENDPOINT": dynamodb_local, "__name__": "readme"}
    for number, source in enumerate(readme_blocks(), 1):
        code = compile(
            source,
            f"README.md block {number}",
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,
        )
        result = eval(code, namespace)
        if result is not None:
            await result
