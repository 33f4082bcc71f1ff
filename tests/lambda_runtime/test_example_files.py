"""The example's files: template, routes, table and requirements agree with the code; the demo runs."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from dynamorm_async.schema import schema_of
from dynamorm_async.tables import table_definition
from tests.lambda_runtime.conftest import EXAMPLE_DIR, load_example_module

TEMPLATE = EXAMPLE_DIR / "template.yaml"


def template() -> dict[str, Any]:
    from cfnlint.decode import decode_str

    data, problems = decode_str(TEMPLATE.read_text())
    assert not problems
    result: dict[str, Any] = data
    return result


def test_the_template_passes_cfn_lint_with_the_sam_transform() -> None:
    from cfnlint.api import ManualArgs, lint_file

    assert lint_file(Path(TEMPLATE), ManualArgs()) == []


def test_template_routes_handler_and_table_match_the_code() -> None:
    handler = load_example_module("handler")
    resources = template()["Resources"]
    function = resources["OrdersFunction"]["Properties"]
    module, name = function["Handler"].split(".")
    assert (EXAMPLE_DIR / f"{module}.py").is_file() and name == "handler"
    events = function["Events"].values()
    assert {f"{e['Properties']['Method']} {e['Properties']['Path']}" for e in events} == set(handler.ROUTES)
    assert function["Environment"]["Variables"]["ENABLE_XRAY"] == "1"

    table = resources["OrdersTable"]["Properties"]
    expected = table_definition(schema_of(handler.Order))
    assert table["KeySchema"] == expected["KeySchema"]
    assert table["AttributeDefinitions"] == expected["AttributeDefinitions"]
    assert table["BillingMode"] == expected["BillingMode"]


def test_requirements_bring_the_extras_the_template_uses() -> None:
    lines = [
        line.strip()
        for line in (EXAMPLE_DIR / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == ["dynamorm_async[xray,snapstart]"]


def test_run_local_the_demo_machinery_checks_every_answer(dynamodb_local: str, events: ModuleType) -> None:
    lines: list[str] = []
    assert events.run(dynamodb_local, warm=8, memory_mb=128, out=lines.append) is True
    text = "\n".join(lines)
    assert "cold invocation  POST /partners/acme/orders" in text
    assert "warm: 8 invocations" in text
    assert "one environment: 9 invocations (1 cold), 1 event loop, 1 DynamoDB client" in text
    assert "FAILED" not in text
