"""Every third-party module the code imports is declared, and the lock files pin what pyproject asks."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("geo", "layers", "dispatch", "analysis", "console", "demo")
OWN = {*PRODUCT, "tests", "bench", "migrations"}
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCKS = {"runtime": "requirements.txt", "wall": "requirements-wall.txt", "dev": "requirements-dev.txt"}
OPTIONAL = {"playwright": ("wall", {"console/exports/wall_render.py"})}
"""Imported by the product yet not a runtime dependency: the extra that brings it, and the only
modules that may import it (lazily, degrading with a clear answer when it is absent)."""
NOT_IMPORTED = {"openpyxl": "pandas.read_excel(engine='openpyxl') loads it by name"}
"""Runtime dependencies the product needs without an import statement, and why."""


def _requirements(group: str | None) -> dict[str, Requirement]:
    raw = (PYPROJECT["project"]["dependencies"] if group is None
           else PYPROJECT["project"]["optional-dependencies"][group])
    reqs = [Requirement(r) for r in raw]
    return {canonicalize_name(r.name): r for r in reqs}


@functools.cache
def _third_party_imports(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Top-level module name -> the files importing it (absolute imports, any depth in the file)."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        local = {p.stem for p in (ROOT / folder).rglob("*.py")}  # e.g. one benchmark importing another
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module.split(".")[0]]
                else:
                    continue
                for name in names:
                    if name not in sys.stdlib_module_names and name not in OWN | local | {"__future__"}:
                        found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


@functools.cache
def _installed() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distribution(module: str) -> str:
    dists = _installed().get(module)
    assert dists, f"no installed distribution provides the module {module!r}: declare and install it"
    return canonicalize_name(dists[0])


def test_every_product_import_is_a_declared_runtime_dependency():
    runtime = _requirements(None)
    undeclared = []
    for module, files in sorted(_third_party_imports(PRODUCT).items()):
        dist = _distribution(module)
        if dist in runtime:
            continue
        extra, allowed = OPTIONAL.get(dist, ("", set()))
        if extra and dist in _requirements(extra) and files <= allowed:
            continue
        undeclared.append(f"{module} ({dist}) in {sorted(files)}")
    assert not undeclared, "imported but not declared in [project] dependencies: " + "; ".join(undeclared)


def test_every_runtime_dependency_is_used():
    imported = {_distribution(m) for m in _third_party_imports(PRODUCT)}
    unused = set(_requirements(None)) - imported - set(NOT_IMPORTED)
    assert not unused, f"declared but never imported by the product: {sorted(unused)}"


def test_tests_and_benchmarks_import_only_declared_packages():
    declared = set(_requirements(None)) | set(_requirements("dev")) | set(_requirements("wall"))
    missing = [f"{m} in {sorted(f)[:2]}" for m, f in sorted(_third_party_imports(("tests", "bench")).items())
               if _distribution(m) not in declared]
    assert not missing, "imported by tests or benchmarks but not declared: " + "; ".join(missing)


def _pins(lock: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) for every package of an exported lock file."""
    text = (ROOT / lock).read_text(encoding="utf-8")
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 3)[3] if text.startswith("#") else text):
        first = block.split(";")[0].split("\\")[0].strip()
        if "==" not in first:
            continue
        name, version = first.split("==")
        hashes = re.findall(r"--hash=sha256:[0-9a-f]{64}", block)
        pins[canonicalize_name(name.split("[")[0])] = (version, hashes)
    return pins


def test_each_lock_pins_what_pyproject_asks_with_hashes():
    wants = {"runtime": dict(_requirements(None)),
             "wall": {**_requirements(None), **_requirements("wall")},
             "dev": {**_requirements(None), **_requirements("wall"), **_requirements("dev")}}
    for kind, lock in LOCKS.items():
        assert (ROOT / lock).read_text(encoding="utf-8").startswith("#"), f"{lock}: no header"
        pins = _pins(lock)
        assert len(pins) > len(wants[kind]), lock
        for name, req in wants[kind].items():
            if name == "fengqiao-console":  # dev's own [wall]
                continue
            assert name in pins, f"{lock} does not pin {name}: run ./run lock"
            assert pins[name][0] in req.specifier, f"{lock}: {name}=={pins[name][0]} not in {req}: ./run lock"
        assert all(hashes for _, hashes in pins.values()), f"{lock}: a package without hashes"


def test_the_locks_grow_one_from_another_with_the_same_versions():
    runtime, wall, dev = (_pins(lock) for lock in LOCKS.values())
    for small, big in ((runtime, wall), (wall, dev)):
        assert small.items() <= big.items()
    assert "playwright" in wall and "playwright" not in runtime
    assert "setuptools" in runtime  # ./run installs the project with --no-build-isolation
