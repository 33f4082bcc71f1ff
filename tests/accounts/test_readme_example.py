"""The multi-account section's example (docs/multi-account.md) runs, unchanged, against moto.

The example has no endpoint in it: like any botocore client, ours honour ``AWS_ENDPOINT_URL``,
which the test points at the recording proxy in front of moto (STS and DynamoDB alike). Its
blocks are fenced ```py so the README test that runs ```python blocks against DynamoDB Local
(which has no STS and one account) leaves them to this test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from .recording_proxy import RecordingProxy

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
SECTION = ROOT / "docs" / "multi-account.md"
BLOCK = re.compile(r"^```py\n(.*?)^```", re.S | re.M)
HEADING = "## Many partners, each in its own AWS account"


def blocks(text: str) -> list[str]:
    return BLOCK.findall(text)


def test_the_readme_carries_the_same_example_when_it_has_the_section() -> None:
    readme = ROOT / "README.md"
    section = SECTION.read_text(encoding="utf-8")
    assert blocks(section)
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if HEADING in text:
        pasted = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
        assert blocks(pasted) == blocks(section)


async def test_the_example_runs_against_moto(proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    before = len(proxy.assume_role_calls())
    namespace: dict[str, Any] = {"__name__": "multi_account_example"}
    for number, source in enumerate(blocks(SECTION.read_text(encoding="utf-8")), 1):
        code = compile(
            source,
            f"docs/multi-account.md block {number}",
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,
        )
        result = eval(code, namespace)
        if result is not None:
            await result
    assert namespace["totals"] == {"acme": 4, "globex": 6}
    calls = proxy.assume_role_calls()[before:]
    assert sorted(c["RoleArn"] for c in calls) == [
        "arn:aws:iam::111111111111:role/invoices-access",
        "arn:aws:iam::222222222222:role/invoices-access",
    ]
    assert {c["RoleSessionName"] for c in calls} == {"dynamorm-async", "invoices-fn"}
