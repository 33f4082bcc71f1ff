"""The README's FastAPI section (docs/fastapi.md) quotes the example's code, all of it, unchanged.

Its code blocks are ``py`` blocks (the README test runs only ``python`` blocks): what runs is the
example itself, which the other tests in this folder serve over HTTP and invoke through Mangum.
Each block starts with a ``# examples/fastapi/<file>`` line; the blocks of one file, in order,
must be that file after its module docstring (blank lines between blocks aside). Once the section
is in README.md, the same holds there.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = ROOT / "docs" / "fastapi.md"
README = ROOT / "README.md"
BLOCK = re.compile(r"^```py\n(.*?)^```", re.S | re.M)
HEADER = re.compile(r"# (examples/fastapi/[\w.]+\.py)\n")
QUOTED = ("examples/fastapi/app.py", "examples/fastapi/lambda_app.py")


def documents() -> list[Path]:
    found = [SECTION]
    if README.exists() and "\n## FastAPI\n" in README.read_text(encoding="utf-8"):
        found.append(README)
    return found


def quoted_blocks(doc: Path) -> dict[str, list[str]]:
    """The example code quoted by ``doc``, by file; in the section every py block must quote."""
    by_file: dict[str, list[str]] = {}
    for block in BLOCK.findall(doc.read_text(encoding="utf-8")):
        header = HEADER.match(block)
        if header is None:
            assert doc != SECTION, f"a py block in {doc.name} names no example file it quotes:\n{block}"
            continue
        by_file.setdefault(header.group(1), []).append(block[header.end() :])
    return by_file


def without_docstring(path: Path) -> str:
    source = path.read_text(encoding="utf-8")
    first = ast.parse(source).body[0]
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant), f"{path} has no docstring"
    assert first.end_lineno is not None
    return "\n".join(source.splitlines()[first.end_lineno :])


def code_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("doc", documents(), ids=lambda p: p.name)
def test_doc_quotes_the_examples(doc: Path) -> None:
    assert sorted(quoted_blocks(doc)) == sorted(QUOTED)


@pytest.mark.parametrize("doc", documents(), ids=lambda p: p.name)
@pytest.mark.parametrize("name", QUOTED)
def test_doc_code_is_the_example_code(doc: Path, name: str) -> None:
    blocks = quoted_blocks(doc)[name]
    assert code_lines("\n".join(blocks)) == code_lines(without_docstring(ROOT / name))
