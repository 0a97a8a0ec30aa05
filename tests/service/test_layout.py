"""The service package's layering (issue 10): no import cycles between its modules, none hidden in function
bodies, and no guard that treats one of the package's own modules as optional."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import commonground.service

SERVICE = Path(commonground.service.__file__).resolve().parent


def imports(path: Path) -> list[tuple[str, bool]]:
    """``(module, at_top_level)`` for every ``commonground.service.*`` module that ``path`` imports."""
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for n in names:
            parts = n.split(".")
            if parts[:2] == ["commonground", "service"] and len(parts) > 2 and (SERVICE / f"{parts[2]}.py").exists():
                out.append((parts[2], id(node) in top))
    return out


def modules() -> dict[str, Path]:
    return {p.stem: p for p in SERVICE.glob("*.py") if p.stem != "__init__"}


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for dep in graph.get(todo.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_no_import_cycles_in_service():
    graph = {name: {dep for dep, _ in imports(path) if dep != name} for name, path in modules().items()}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle
    # The web layers read top-down: app → api/pages → deps/views → store/auth → db.
    assert "api" in reachable(graph, "app") and "app" not in reachable(graph, "api")
    assert "pages" not in reachable(graph, "api") and "api" not in reachable(graph, "pages")


def test_no_function_level_imports_of_service_modules():
    hidden = [(name, dep) for name, path in modules().items() for dep, top in imports(path) if not top]
    assert hidden == []


def test_no_self_import_guards():
    """No ``try: import commonground... except ImportError`` in the service: a broken import must fail."""
    guarded = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Try) and any(
                    isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                    for h in node.handlers):
                guarded.append(name)
    assert guarded == []
    assert not (SERVICE / "templates" / "report_fallback.html").exists()
    assert not [name for name, path in modules().items() if "find_spec" in path.read_text()]


def test_runner_has_no_test_hooks():
    text = (SERVICE / "runner.py").read_text()
    assert "COMMONGROUND_TEST" not in text and "os.environ" not in text


def test_fixtures_install_nothing():
    conftest = (Path(__file__).parent / "conftest.py").read_text()
    assert "apt-get" not in conftest and "useradd" not in conftest
    setup = Path(__file__).resolve().parents[2] / ".ci" / "setup-system.sh"
    assert "apt-get install" in setup.read_text() and "useradd" in setup.read_text()
    makefile = (setup.parents[1] / "Makefile").read_text()
    test_target = makefile[makefile.index("\ntest:"):].split("\n\n")[0]
    assert "setup-system.sh" in test_target
