"""The console's browser modules under node's own test runner (tests/js/*.test.mjs): the pure
parts (escaping, API requests, times and countdowns). ``./run test`` installs node (Debian's
``nodejs``); without it this test fails rather than skips."""

from __future__ import annotations

import os
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
