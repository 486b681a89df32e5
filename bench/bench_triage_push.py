"""Issue 17's "the case on a desk within a second": a resident's report POSTed → visible on a duty
desk that is already open (pushed: NOTIFY → the desk hub → the session → the browser).

Run: ``./run bench bench_triage_push [--size demo|city] [--samples 25] [--no-photo] [--reuse]``.
Builds (or with ``--reuse`` keeps) a database with the generated territory, starts the real
console in its own process, opens one desk (``duty``) in Debian's chromium and waits until it is
live; then, one at a time: a proof-of-work challenge is fetched and solved (not timed: the
resident's phone does that before sending), the clock starts just before the report's POST, and
stops at the first animation frame after the report's card entered the desk's triage panel
(a MutationObserver in the page; both clocks are this machine's wall clock). Each report is
rejected after it was seen, so the panel stays short. Prints p50 / p95 / max of POST → visible
and of the POST's own answer, and the load average before and after (other jobs on the machine
move every figure).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import requests
from harness import pct, scratch_database, session_token

from geo.settings import Settings
from tests.resident_client import R, photo_parts, solved_form

WATCH = """() => {
  const find = (root) => { for (const el of root.querySelectorAll('*')) {
    if (el.classList && el.classList.contains('dk-tr-list')) { return el }
    if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) { return f } } } return null }
  const list = find(document)
  if (!list) { return false }
  window.__seen = window.__seen || {}
  if (!window.__watching) {
    window.__watching = true
    new MutationObserver((records) => { for (const r of records) { for (const n of r.addedNodes) {
      const code = n.dataset && n.dataset.code
      if (code && !(code in window.__seen)) {
        window.__seen[code] = null
        requestAnimationFrame(() => { window.__seen[code] = Date.now() })
      } } } }).observe(list, { childList: true })
  }
  return true }"""


def line(label: str, values: list[float]) -> str:
    return (f"{label}: p50 {statistics.median(values):6.0f} ms, p95 {pct(values, 0.95):6.0f} ms, "
            f"max {max(values):6.0f} ms (n={len(values)})")


def a_point(base: str, token: str) -> tuple[float, float]:
    req = urllib.request.Request(f"{base}/api/v1/units",
                                 headers={"Authorization": f"Bearer {token}"})
    units = json.loads(urllib.request.urlopen(req, timeout=60).read())["items"]
    u = next(u for u in units if u.get("lon") is not None)
    return float(u["lon"]), float(u["lat"])


def one(base: str, i: int, lon: float, lat: float, photo: bool) -> tuple[str, float, float]:
    """One report from a fresh phone (its own device cookie and address): (code, POST started
    in epoch ms, the POST's own duration in ms)."""
    s = requests.Session()
    s.headers["X-Forwarded-For"] = f"10.{i // 250 % 250}.{i % 250}.{7 + i % 200}"
    form = solved_form(base, s, description=f"测试第{i}号：楼上每晚敲打地板{i}次，沟通无果",
                       lon=str(lon + 0.0004 * (i % 7)), lat=str(lat))
    files = photo_parts(1 if photo else 0)
    t0 = time.time() * 1000
    resp = s.post(f"{base}{R}/reports", data=form, files=files, timeout=60)
    took = time.time() * 1000 - t0
    if resp.status_code != 201:
        raise RuntimeError(f"report {i}: {resp.status_code} {resp.text}")
    return resp.json()["tracking_code"], t0, took


def measure(url: str, token: str, samples: int, photo: bool) -> None:
    port = 19000 + os.getpid() % 1000
    code = ("from console.bootstrap import bootstrap; from console.server import make_server; "
            f"s = make_server(bootstrap(url={url!r}), port={port}, address='127.0.0.1'); "
            "s.start(); s.io_loop.start()")
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_triage_server_{port}.log"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "FQ_TRUSTED_PROXIES": "127.0.0.1"}  # each sample its own phone's address
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the console did not start: see {log}") from None
                time.sleep(0.3)
        lon, lat = a_point(base, token)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--no-sandbox", "--disable-gpu"])
            ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
            ctx.add_cookies([{"name": "fq_session", "value": token, "domain": "127.0.0.1",
                              "path": "/"}])
            page = ctx.new_page()
            page.goto(f"{base}/desk", wait_until="commit")
            page.wait_for_function(WATCH, timeout=180_000, polling=500)
            time.sleep(3)  # the desk's first pushes settle
            seen, posts = [], []
            for i in range(samples):
                tracking, t0, took = one(base, i, lon, lat, photo)
                page.wait_for_function("(c) => window.__seen && window.__seen[c]",
                                       arg=tracking, timeout=30_000, polling="raf")
                shown = float(page.evaluate("(c) => window.__seen[c]", tracking))
                seen.append(shown - t0)
                posts.append(took)
                rid = requests.get(f"{base}/api/v1/triage/reports", headers=auth,
                                   timeout=30).json()["items"]
                for r in rid:
                    requests.post(f"{base}/api/v1/triage/reports/{r['id']}/reject",
                                  json={"reason": "基准测试"}, headers=auth, timeout=30)
                time.sleep(0.7)
            browser.close()
        print(line("report POST → visible on the open desk", seen))
        print(line("the POST's own answer (201)          ", posts))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=("demo", "city"), default="demo")
    ap.add_argument("--samples", type=int, default=25)
    ap.add_argument("--no-photo", dest="photo", action="store_false",
                    help="reports without their small photo")
    ap.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    args = ap.parse_args()
    print("load average before: " + " ".join(f"{v:.2f}" for v in os.getloadavg()), flush=True)
    token = session_token()
    url, engine = scratch_database(Settings.from_env(), f"fq_bench_triage_{args.size}",
                                   args.size, token, reuse=args.reuse)
    engine.dispose()
    measure(url, token, args.samples, args.photo)
    print("load average after: " + " ".join(f"{v:.2f}" for v in os.getloadavg()), flush=True)


if __name__ == "__main__":
    main()
