"""The console's browser modules under node's own test runner (tests/js/*.test.mjs): the pure
parts (escaping, API requests, times and countdowns). ``./run test`` installs node (Debian's
``nodejs``); without it this test fails rather than skips."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = sorted((ROOT / "tests" / "js").glob("*.test.mjs"))


def test_the_browser_modules_pass_their_node_tests() -> None:
    node = shutil.which("node")
    assert node, "node is missing: apt-get install nodejs (./run test installs it)"
    assert len(JS_TESTS) >= 3
    # another zone than Beijing's: the modules must format Beijing time wherever they run
    env = {**os.environ, "TZ": "America/New_York", "NODE_OPTIONS": ""}
    proc = subprocess.run([node, "--test", *map(str, JS_TESTS)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout, proc.stdout[-2000:]


STATIC = ROOT / "console" / "static"
OWN_JS = sorted(p for p in STATIC.rglob("*.js") if "vendor" not in p.parts)


def test_each_browser_helper_is_written_once() -> None:
    """Escaping, the API request and the countdown live in console/static/lib; a page imports
    them (through the import map, ``fq/lib/...``) instead of carrying a copy."""
    owners = {
        r"""replace\(/\[&<>"']/g""": "lib/escape.js",  # an HTML escaper
        r"function (countdown|span|ago|fmtFull)\(": "lib/time.js",
    }
    assert len(OWN_JS) >= 20
    for pattern, owner in owners.items():
        found = [str(p.relative_to(STATIC)) for p in OWN_JS
                 if re.search(pattern, p.read_text(encoding="utf-8"))]
        assert found == [owner], (pattern, found)
    # API answers are read by lib/http.js; the map reads its GeoJSON itself (its parse is timed
    # on its own for the benchmarks, and it streams large layers in slices)
    readers = [str(p.relative_to(STATIC)) for p in OWN_JS
               if ".json()" in p.read_text(encoding="utf-8")]
    assert readers == ["lib/http.js", "map/layer_load.js"], readers


def test_pages_import_only_same_origin_modules_through_the_import_map() -> None:
    """Every static import names a module of ours: ``fq/...`` (console.map.IMPORTMAP) or a
    relative path inside console/static (nothing from a CDN), and the file exists."""
    from console.map import IMPORTMAP

    assert IMPORTMAP == {"imports": {"fq/": "/assets/"}}
    spec = re.compile(r'^import [^\n]*? from "([^"]+)"', re.M)
    for path in OWN_JS:
        for name in spec.findall(path.read_text(encoding="utf-8")):
            if name.startswith("fq/"):
                target = STATIC / name.removeprefix("fq/")
            else:
                assert name.startswith("."), (path.name, name)
                target = (path.parent / name).resolve()
            assert target.is_file() and STATIC in target.parents, (path.name, name)
