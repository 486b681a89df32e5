"""The house rules that code review forgets: dependency direction and module size."""

import ast
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
