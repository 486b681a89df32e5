"""Time ./run demo from nothing to an answering /api/v1/health, then a second start.

Run on a fresh machine (``../shared/tools/fresh-debian .venv/bin/python bench/first_start.py``
after ``./run test``, or ``python3 bench/first_start.py`` on a clean clone): the first start
includes Debian packages, the virtual environment, the cluster, migrations, generating and
loading the demo; the second reuses all of them. Ends with a plain 'N passed, N failed' line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("BENCH_PORT", "5091"))
LIMITS = {"first": 600.0, "second": 60.0}  # issue 2: 10 minutes, then under a minute


def start_and_wait(label: str) -> tuple[float, dict]:
    t0 = time.perf_counter()
    log = open(ROOT / f".state/first_start_{label}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([str(ROOT / "run"), "demo", "--port", str(PORT)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    body: dict = {}
    while time.perf_counter() - t0 < 1200:
        if proc.poll() is not None:
            raise SystemExit(f"./run demo exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/health", timeout=5) as r:
                body = json.loads(r.read())
                break
        except OSError:
            time.sleep(0.5)
    elapsed = time.perf_counter() - t0
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=30) as r:
        page_ok = r.status == 200
    proc.terminate()
    proc.wait(timeout=30)
    body["page_ok"] = page_ok
    return elapsed, body


def main() -> int:
    (ROOT / ".state").mkdir(exist_ok=True)
    results = {}
    for label in ("first", "second"):
        elapsed, body = start_and_wait(label)
        results[label] = elapsed
        print(f"{label} start: {elapsed:6.1f} s to a health answer "
              f"(limit {LIMITS[label]:.0f} s); territory {body.get('territory')}")
    subprocess.run([str(ROOT / "run"), "stop"], cwd=ROOT, check=False)
    passed = sum(results[k] <= LIMITS[k] for k in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
