"""Every import of every shipped module, held against the import table of docs/architecture.md
(DESIGN.md §2): the table is read from the doc, so the doc and the check cannot drift."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"


def import_table() -> dict[str, tuple[set[str], set[str]]]:
    """package → (first-party packages it may import, libraries it may import)."""
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- import-table: start -->")[1].split("<!-- import-table: end -->")[0]

    def names(cell: str) -> set[str]:
        return {n.strip(" `") for n in cell.split(",") if n.strip(" `—")}

    table = {}
    for line in block.strip().splitlines()[2:]:
        package, _holds, packages, libraries = (c.strip() for c in line.strip("|").split("|"))
        table[package.strip("`")] = (names(packages), names(libraries))
    return table


TABLE = import_table()


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level name) of every absolute import in the file, wherever it sits."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name.split(".")[0]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def test_the_table_names_every_shipped_package() -> None:
    shipped = re.search(r"include = \[(.*?)\]", (ROOT / "pyproject.toml").read_text()).group(1)
    assert {n.strip(' "*') for n in shipped.split(",")} == set(TABLE)
    assert all(packages <= set(TABLE) for packages, _ in TABLE.values())


@pytest.mark.parametrize("package", sorted(TABLE))
def test_every_import_is_in_the_table(package: str) -> None:
    packages, libraries = TABLE[package]
    allowed = packages | libraries | {package, "__future__"} | set(sys.stdlib_module_names)
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}"
             for path in sorted((ROOT / package).rglob("*.py"))
             for line, name in imports(path) if name not in allowed]
    assert not wrong, f"{package} may import {sorted(packages | libraries)} (docs/architecture.md):\n" + "\n".join(wrong)


def test_the_command_and_the_hall_load_no_test_libraries() -> None:
    """`onetrip …` and a demo hall with a display run without httpx, Playwright or pytest."""
    code = ("import sys, onetrip.cli, onetrip.demo, hallrig.hall, center.main, daemon.main, drivers.sim.main\n"
            "print(sorted({'httpx', 'playwright', 'pytest', 'hypothesis'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def module_graph() -> dict[str, set[str]]:
    """module → the shipped modules it imports (module level, in functions, for type checking)."""
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
               for package in TABLE for p in (ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected parts of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = set()
            while (w := stack.pop()) != v:
                part.add(w)
            if part:
                found.append(part | {v})

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_round_a_circle() -> None:
    assert circles(module_graph()) == []


def test_the_screens_use_only_what_the_kiosk_host_declares() -> None:
    """kiosk/host.py's Protocol is what keeps the screens from importing the app: each `app.…`
    a screen uses is declared there, and the app has each member it declares."""
    def tree(name: str) -> ast.Module:
        return ast.parse((ROOT / "kiosk" / name).read_text(encoding="utf-8"))

    host = next(n for n in ast.walk(tree("host.py")) if isinstance(n, ast.ClassDef) and n.name == "KioskHost")
    declared = {n.target.id for n in host.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    declared |= {n.name for n in host.body if isinstance(n, ast.FunctionDef)}
    used = {n.attr for path in (ROOT / "kiosk").glob("screen*.py") for n in ast.walk(tree(path.name))
            if isinstance(n, ast.Attribute) and (
                (isinstance(n.value, ast.Name) and n.value.id == "app")
                or (isinstance(n.value, ast.Attribute) and n.value.attr == "app"))}
    assert used - declared == set(), "screens use members kiosk/host.py does not declare"
    app = next(n for n in ast.walk(tree("app.py")) if isinstance(n, ast.ClassDef) and n.name == "KioskApp")
    has = {n.name for n in app.body if isinstance(n, ast.FunctionDef)}
    has |= {t.attr for n in ast.walk(app) if isinstance(n, (ast.Assign, ast.AnnAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}
    assert declared - has == set(), "kiosk/host.py declares members KioskApp does not have"
