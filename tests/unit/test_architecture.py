"""The package's shape: no import cycle, no module over ~500 lines, no private reach-ins between layers.

Imports are read with ``ast``, at module level and inside functions alike (an import inside a
function is still an edge: hiding a cycle there only postpones it). Imports under
``if TYPE_CHECKING:`` are not edges: they never run, and naming a higher layer's type in an
annotation (a query holds its manager) does not make the layers depend on each other at run time.
An import of a parent package is implied by every import of its submodules and is not an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import dynamorm_async

PACKAGE = Path(dynamorm_async.__file__).parent
ROOT = PACKAGE.name

#: Runtime import edges that are known and accepted while other work lands; each names its reason.
ALLOWED_EDGES: frozenset[tuple[str, str]] = frozenset()

#: The size rule: a module over this many lines must own less (or be listed below with a reason).
MAX_LINES = 500
#: Modules allowed over the limit, and why.
OVERSIZED: dict[str, str] = {
    # Test tooling shipped with the package, not loaded by the library itself: a local Lambda
    # Runtime API server and a DynamoDB Local launcher. Split when they next change.
    f"{ROOT}.testing.lambda_runtime": "test tooling: a local Lambda Runtime API for awslambdaric",
    f"{ROOT}.testing.dynamodb_local": "test tooling: the DynamoDB Local installer and launcher",
}


def _modules() -> dict[str, tuple[Path, bool]]:
    out: dict[str, tuple[Path, bool]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: module level and in functions, not under TYPE_CHECKING."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                pending.extend(child.orelse)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            else:
                pending.append(child)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports at run time."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in modules)
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{a.name}" for a in node.names} & modules.keys()
            edges.update(submodules)
            if target in modules and len(submodules) < len(node.names):
                edges.add(target)  # names taken from the module itself, not only its submodules
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if (node, nxt) in ALLOWED_EDGES:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_the_graph_sees_function_level_imports() -> None:
    graph = import_graph()
    # manager imports its query builders inside a method (cold start), which is still an edge
    assert f"{ROOT}.query" in graph[f"{ROOT}.manager"]
    assert f"{ROOT}.requests" in graph[f"{ROOT}.manager"]


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_allowed_edges_still_exist() -> None:
    graph = import_graph()
    stale = {edge for edge in ALLOWED_EDGES if edge[1] not in graph.get(edge[0], set())}
    assert not stale, f"remove these from ALLOWED_EDGES, they are gone: {sorted(stale)}"


def test_requests_do_no_io_and_sit_below_the_managers() -> None:
    graph = import_graph()
    above = {
        f"{ROOT}.{m}" for m in ("manager", "batch", "transactions", "query", "db", "transport", "tables")
    }
    for name, edges in graph.items():
        if name.startswith(f"{ROOT}.requests"):
            bad = {e for e in edges if e in above or e.startswith(f"{ROOT}.query.")}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_no_module_over_the_size_limit() -> None:
    over = {}
    for name, (path, _) in _modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and name not in OVERSIZED:
            over[name] = lines
    assert not over, f"modules over {MAX_LINES} lines: {over}"
    for name in OVERSIZED:
        assert name in _modules(), f"{name} is listed in OVERSIZED but no longer exists"


def _private_reach_ins(path: Path) -> list[str]:
    """``from x import _name`` and ``obj._name`` (other than ``self``/``cls``) in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if _private(a.name)]
        elif (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_managers_batches_transactions_and_queries_use_only_public_names_of_other_modules() -> None:
    layer = (
        "manager",
        "batch",
        "transactions",
        "db",
        "query",
        "requests",
        "schema",
        "marshal",
        "expressions",
    )
    reach_ins = {}
    for name, (path, _) in _modules().items():
        if name.removeprefix(f"{ROOT}.").split(".")[0] in layer and (found := _private_reach_ins(path)):
            reach_ins[name] = found
    assert not reach_ins, f"private names used across modules: {reach_ins}"
