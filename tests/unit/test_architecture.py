"""The house rules that code review forgets: dependency direction and module size."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {
    "geo": set(),
    "dispatch": {"geo"},
    "analysis": {"dispatch", "geo"},
    "layers": {"analysis", "dispatch", "geo"},
    "console": {"layers", "analysis", "dispatch", "geo"},
    "demo": {"dispatch", "geo"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_dependencies_point_one_way(package):
    others = set(ALLOWED) - {package}
    for path in (ROOT / package).rglob("*.py"):
        wrong = (_imports(path) & others) - ALLOWED[package]
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_nothing_but_tests_and_benchmarks_imports_the_demo():
    """The demo's room is a leaf on the other side: the product runs without it (``./run demo``
    calls ``python -m demo load`` before it starts the console)."""
    importers = []
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "node_modules"
                   and not (here == ROOT and d in {"demo", "tests", "bench"})]
        for path in (here / f for f in files if f.endswith(".py")):
            if "demo" in _imports(path):
                importers.append(str(path.relative_to(ROOT)))
    assert not importers, f"import the demo: {sorted(importers)}"


def test_domain_vocabulary_and_rules_import_no_framework():
    for name in ("vocab.py",):
        imported = _imports(ROOT / "dispatch" / name)
        assert not imported & {"sqlalchemy", "panel", "folium", "geoalchemy2", "psycopg"}


def test_modules_stay_small():
    big = []
    for package in ALLOWED:
        for path in (ROOT / package).rglob("*.py"):
            n = sum(1 for _ in path.open(encoding="utf-8"))
            if n > 400:
                big.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert not big, big


def test_every_module_opens_with_a_docstring():
    missing = [str(p.relative_to(ROOT)) for pkg in ALLOWED for p in (ROOT / pkg).rglob("*.py")
               if p.stat().st_size and ast.get_docstring(ast.parse(p.read_text("utf-8"))) is None]
    assert not missing, missing


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:]


# --- No SQL in console: it reads through named query functions and writes by commands. ---------
# The console may hold a database handle and catch its errors (the names below), never build or
# send a statement: the read models live in dispatch/views_*.py and geo/queries.py, the writes in
# dispatch handlers and dispatch/adapters/.
SQLALCHEMY_HANDLES = {"Engine", "Connection", "make_url"}
# A statement's shape, not a lone keyword: UI text is Chinese and prose says "select a case".
SQL_SHAPES = re.compile(
    r"\bselect\b[\s\S]*?\bfrom\b|\binsert\s+into\b|\bupdate\s+\w+(\s+\w+)?\s+set\b|\bdelete\s+from\b"
    r"|\b(create|drop|alter|truncate)\s+(temp\s+|temporary\s+)?(table|index|database|schema|view)\b"
    r"|\bselect\s+(\d|\*|count\s*\(|exists\s*\(|now\s*\(|\w+\s*\()|\blisten\s+\w+|\bnotify\s+\w+\s*,"
    r"|\bset\s+transaction\b|\bon\s+conflict\b|\bwhere\s+\w+(\.\w+)?\s*(=|<>|\bin\b|\bis\b)",
    re.IGNORECASE)
DB_CALLS = {"execute", "exec_driver_sql", "scalar", "scalars", "mappings"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _sql_findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    where = str(path.relative_to(ROOT))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{where}:{node.lineno} imports {a.name}" for a in node.names
                      if a.name.split(".")[0] in {"sqlalchemy", "psycopg", "geoalchemy2"}]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top in {"psycopg", "geoalchemy2"} or (top == "sqlalchemy" and (
                    node.module != "sqlalchemy"
                    or any(a.name not in SQLALCHEMY_HANDLES for a in node.names))):
                found.append(f"{where}:{node.lineno} imports from {node.module}")
        elif isinstance(node, ast.JoinedStr):
            # an f-string's literal parts joined: "SELECT {cols} FROM t" is still a statement
            text = "".join(v.value if isinstance(v, ast.Constant) else " x "
                           for v in node.values)
            if SQL_SHAPES.search(text):
                found.append(f"{where}:{node.lineno} SQL in an f-string: {text[:60]!r}")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docs and SQL_SHAPES.search(node.value)):
            found.append(f"{where}:{node.lineno} SQL text: {node.value[:60]!r}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in DB_CALLS):
            found.append(f"{where}:{node.lineno} calls .{node.func.attr}() on a database handle")
    return found


def test_console_holds_no_sql():
    found = [f for path in sorted((ROOT / "console").rglob("*.py")) for f in _sql_findings(path)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("sample", [
    'q = "SELECT id FROM incidents WHERE id = :i"',
    'q = f"select {cols} from {table}"',
    'q = ("UPDATE units u " "SET status = :s")',
    'q = "DELETE FROM search_names"',
    'q = "SELECT 1"',
    'q = "select now()"',
    'from sqlalchemy import text',
    'import sqlalchemy',
    'from sqlalchemy.orm import Session',
    'conn.execute(q)',
    'x = conn.scalar(q)',
    'q = "CREATE TEMP TABLE t AS x"',
])
def test_the_sql_check_catches(sample, tmp_path):
    path = ROOT / "console" / "_probe_sql.py"
    try:
        path.write_text(f'"""probe."""\n{sample}\n', encoding="utf-8")
        assert _sql_findings(path), sample
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.parametrize("sample", [
    'msg = "请选择一个案件"',
    'msg = "select a case on the map, then assign a unit"',
    'msg = "更新失败：该单位已不在岗"',
    'from sqlalchemy import Engine',
    'self.state.select(3)',
    'label = "Updates are set by the server"',
])
def test_the_sql_check_spares(sample):
    path = ROOT / "console" / "_probe_ok.py"
    try:
        path.write_text(f'"""probe."""\n{sample}\n', encoding="utf-8")
        assert not _sql_findings(path), sample
    finally:
        path.unlink(missing_ok=True)


# --- Private names stay private: a ``_name`` is never imported from another module. --------------
def test_no_private_name_is_imported_across_modules():
    found = []
    for package in ALLOWED:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    dotted = [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    dotted = [a.name for a in node.names]
                else:
                    continue
                found += [f"{path.relative_to(ROOT)}:{node.lineno} {d}" for d in dotted
                          if any(p.startswith("_") and not p.startswith("__")
                                 for p in d.split("."))]
    assert not found, "\n".join(found)


# --- The console's rooms point one way (docs/architecture.md). The top modules (settings,
# bootstrap, auth, map, wire, tls, logs) are the base every room may use; server.py wires
# every room together and only ./run's serving verbs (console/ops) import it.
ROOMS = {
    "desk": set(),
    "exports": set(),
    "live": {"desk"},
    "ops": {"server"},
    "api": {"desk", "live", "exports", "ops"},
    "pages": {"desk", "live", "api"},
}


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_console_rooms_point_one_way(room):
    wrong = []
    for path in (ROOT / "console" / room).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module == "console":
                names = [f"console.{a.name}" for a in node.names]  # from console import api
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] != "console" or len(parts) < 2 or parts[1] == room:
                    continue
                other = parts[1]
                if (other in ROOMS or other == "server") and other not in ROOMS[room]:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert not wrong, "\n".join(wrong)
