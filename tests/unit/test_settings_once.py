"""Settings are read once: only the two settings modules touch the environment, and the README
documents every variable they read."""

import ast
from pathlib import Path

from console.settings import VARIABLES

ROOT = Path(__file__).resolve().parents[2]
READERS = {"geo/settings.py", "console/settings.py"}


def _reads_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                a.name in ("environ", "getenv") for a in node.names):
            return True
    return False


def test_only_the_settings_modules_read_the_environment():
    rooms = ("geo", "layers", "dispatch", "analysis", "console", "demo")
    readers = {str(p.relative_to(ROOT)) for pkg in rooms
               for p in (ROOT / pkg).rglob("*.py") if _reads_environment(p)}
    assert readers == READERS, f"read the environment outside the settings: {sorted(readers - READERS)}"


def test_the_readme_tables_every_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in VARIABLES if f"`{name}`" not in readme]
    assert not missing, f"README.md's configuration table lacks {missing}"
