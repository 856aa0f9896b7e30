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
