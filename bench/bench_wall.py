"""Map wall first paint at city scale, live update latency to the browser, memory per session.

Run: ``./run bench bench_wall [--size city|demo] [--moves 30] [--sessions 3 10] [--background
30]``. Builds a database with the generated territory (city: 7,708 micro-grids, 2,775 units),
starts the real console in its own process, and drives Debian's chromium (Playwright):

1. ``/wall`` at 1920×1080: time from navigation start to the first complete frame (roads,
   grids, communities and streets loaded and drawn — two animation frames later — figures
   filled), cold (first visit after start) and warm.
2. Live latency with N desk sessions open (``/desk``, whose map shows every unit): a unit's
   position is POSTed to the API; each session records the browser time at the first
   animation frame whose map has that unit at the new position; latency = that time minus the
   time just before the POST (same machine, same clock). p50 / p95 over sessions × moves.
   Meanwhile other units move: ``--background`` positions a second POSTed to the API from a
   thread (default 30, about 2,000 units pinging once a minute), and ``./run simulate`` plays
   cases through the API in its own process (``--simulate`` speed, default 60; ``--sim-rate``
   cases per simulated hour, default 30): registrations, assignments, sign-for, arrival, closure.
   Long tasks (Chromium's Long Tasks API) are recorded on every desk and on one wall beside them;
   the wall's longest are printed with the map messages and panel updates handled inside them.
3. Server memory: the console process's RSS before the sessions and with them open.
4. The wall live: an urgent case POSTed to the API (``--cases``, default 10) → the first frame
   whose wall map holds its point (the wall's hub refreshes at most once a second after a change).

Where the live time goes: the desk hub keeps when each move was heard from the listener, handed
to the sessions and applied by each session (``GET /api/v1/desk/hub?trace=1``); with the
browser's frame time the bench prints p50 / p95 of each stage: POST → NOTIFY heard (request,
command, commit), heard → handed to the sessions (the hub's patch), → applied by the last
session (each session's event loop), → the last browser's frame (websocket, Leaflet, paint).
``--kinds admin street`` (both by default): the desks are administrators' (all on the
territory's hub) or street dispatchers' and street duty officers' (``bench/wall_desks.py``: real
accounts of ``--streets`` streets, each street's desks on its own part hubs; a case or a move
is timed on the desks of its street). The stages are read from every worker's hubs
(``bench/wall_trace.py``).
The load average is printed before and after: other jobs on the machine move every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from harness import (
    Served,
    TreeCpu,
    backends,
    cmdline,
    cpu_line,
    descendants,
    pct,
    rss_mb,
    scratch_database,
    settle,
)
from sqlalchemy import text
from wall_desks import Seating, admin_desks, street_desks
from wall_trace import case_stages, slowest, stages

from geo import db
from geo.settings import Settings

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
FIND_MAP = """const findMap = (root) => { for (const el of root.querySelectorAll('*')) {
  if (el.classList && el.classList.contains('lm-root')) { return el }
  if (el.shadowRoot) { const f = findMap(el.shadowRoot); if (f) { return f } } } return null }"""
WALL_READY = "() => {" + FIND_MAP + """
  const map = findMap(document)
  if (!map || !map.dataset.layers) { return false }
  const st = JSON.parse(map.dataset.layers)
  const drawn = ['roads', 'grids', 'communities', 'streets'].every((n) => st[n] && st[n].status === 'loaded')
  const find = (root, sel) => { const hit = root.querySelector(sel); if (hit) { return hit }
    for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) {
      const f = find(el.shadowRoot, sel); if (f) { return f } } } return null }
  if (!drawn || !find(document, '.wb-top[data-updated]')) { return false }
  // loaded is not yet drawn: Leaflet paints its canvases in the next animation frame
  if (!window.__wallReady) {
    window.__wallReady = -1
    requestAnimationFrame(() => requestAnimationFrame(() => { window.__wallReady = performance.now() }))
  }
  return window.__wallReady > 0 ? window.__wallReady : false
}"""
DESK_READY = "() => {" + FIND_MAP + """
  const map = findMap(document)
  if (!map || !map.dataset.layers) { return false }
  const st = JSON.parse(map.dataset.layers)
  return Boolean(st.units && st.units.features > 0)
}"""
WATCH = "() => {" + FIND_MAP + """
  // Animation frames only while a move is awaited: a loop running all the time would keep ten
  // pages drawing 60 frames a second and load the machine the bench measures.
  const lm = findMap(document)._lm
  const tick = () => {
    const t = window.__fq.target
    if (!t || window.__fq.seen !== null) { return }
    const st = lm.states().get('units')
    const e = st && st.features.get(String(t.id))
    if (e) {
      const ll = e.layer.getLatLng()
      if (Math.abs(ll.lat - t.lat) < 1e-6 && Math.abs(ll.lng - t.lon) < 1e-6) {
        window.__fq.seen = Date.now()
        return
      }
    }
    requestAnimationFrame(tick)
  }
  window.__fq = { target: null, seen: null,
                  arm: (t) => { window.__fq.target = t; window.__fq.seen = null;
                                requestAnimationFrame(tick) } }
}"""


# Chromium's Long Tasks API: every main-thread task over 50 ms, from now on.
LONG_TASKS = """() => { window.__lt = []; window.__lmTiming = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries())
    window.__lt.push([e.startTime, e.duration]) }).observe({type: "longtask"}) }"""


def made_of(tasks: list[list[float]], handled: list[list[Any]], n: int = 3) -> list[str]:
    """The longest tasks, each with the map messages and panel updates handled inside it
    (leaflet_map.js / wall_board.js record them under ``window.__lmTiming``)."""
    out = []
    for start, took in sorted(tasks, key=lambda t: -t[1])[:n]:
        inside = [h for h in handled if start - 1 <= h[0] <= start + took]
        what = "; ".join(f"{h[2]} {h[3]} ×{h[4]} {h[1]:.0f} ms" for h in inside) or \
            "no map message or panel update (drawing, layout, GC or the websocket)"
        out.append(f"{took:.0f} ms: {what}")
    return out


def long_tasks(values: list[float]) -> str:
    over = sum(1 for v in values if v > 200)
    top = max(values) if values else 0.0
    return f"{len(values)} over 50 ms, {over} over 200 ms, longest {top:.0f} ms"


def get_json(url: str, token: str) -> Any:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def post(url: str, body: bytes, token: str) -> Any:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read() or b"null")


# On the wall: the first animation frame whose map holds the case's point (its id "c<id>").
WALL_WATCH = "() => {" + FIND_MAP + """
  const lm = findMap(document)._lm
  const tick = () => {
    const st = lm.states().get('cases')
    if (st && st.features.has('c' + window.__fw.id)) { window.__fw.seen = Date.now(); return }
    requestAnimationFrame(tick)
  }
  window.__fw = { id: null, seen: null,
                  arm: (id) => { window.__fw.id = id; window.__fw.seen = null; tick() } }
}"""


def wall_cases(wall: Any, base: str, token: str, spots: list[tuple[int, float, float]],
               n: int) -> tuple[list[float], int]:
    """A case registered through the API (an urgent one, so it is among the wall's shown
    points) → the frame in which the wall's map has it: ms for each, and how many never came."""
    wall.evaluate(WALL_WATCH)
    out, lost = [], 0
    rnd = random.Random(5)
    for _ in range(n):
        _, lon, lat = rnd.choice(spots)
        body = {"category": "neighbour", "channel": "hotline", "priority": "urgent",
                "title": "邻里纠纷（基准）", "description": "楼上漏水，双方争执", "lon": lon,
                "lat": lat, "crs": "wgs84", "auto_dispatch": False}
        t0 = time.time() * 1000
        try:
            reg = post(f"{base}/api/v1/incidents", json.dumps(body).encode(), token)
            wall.evaluate("(id) => window.__fw.arm(id)", reg["id"])
            seen = wall.wait_for_function("() => window.__fw.seen", polling=100,
                                          timeout=30_000).json_value()
            out.append(float(seen) - t0)
        except Exception as err:  # an overloaded machine: count it, keep measuring
            lost += 1
            print(f"  wall case: {type(err).__name__} (counted as lost)", flush=True)
        time.sleep(1.5)
    return out, lost


def first_paint(browser: Any, base: str, cookie: list[dict[str, Any]], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
        ctx.add_cookies(cookie)
        page = ctx.new_page()
        page.goto(f"{base}/wall", wait_until="commit")
        ms = page.wait_for_function(WALL_READY, timeout=120_000).json_value()
        out.append(float(ms) / 1000)
        ctx.close()
    return out


class Background:
    """Other units moving meanwhile: positions POSTed at ``rate`` a second from a thread (2,000
    units pinging once a minute is about 33 a second)."""

    def __init__(self, base: str, token: str, units: list[tuple[int, float, float]],
                 rate: float) -> None:
        self.base, self.token, self.units, self.rate = base, token, units, rate
        self.sent = self.failed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()
        if rate > 0 and units:
            self.thread.start()

    def _run(self) -> None:
        rnd = random.Random(11)
        gap, due = 1.0 / self.rate, time.monotonic()
        while not self.stop.is_set():
            uid, lon, lat = rnd.choice(self.units)
            body = (f'{{"lon": {lon + rnd.uniform(-0.003, 0.003):.6f}, '
                    f'"lat": {lat + rnd.uniform(-0.003, 0.003):.6f}, "crs": "wgs84"}}')
            try:
                post(f"{self.base}/api/v1/units/{uid}/position", body.encode(), self.token)
                self.sent += 1
            except Exception:  # an overloaded server: count it and go on
                self.failed += 1
            due += gap
            self.stop.wait(max(0.0, due - time.monotonic()))

    def close(self) -> str:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=60)
        took = max(1e-9, time.monotonic() - self.started)
        return (f"{self.sent / took:.1f} other positions/s POSTed meanwhile ({self.sent} sent, "
                f"{self.failed} failed; asked {self.rate:g}/s)")


class Simulation:
    """``./run simulate`` against the bench's console in its own process (cases registered,
    dispatched, signed, mediated and closed through the API) for as long as the moves run."""

    def __init__(self, base: str, speed: float, rate: float) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_wall_sim_{os.getpid()}.log"
        if speed > 0:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "console.ops.cli", "simulate", "--url", base, "--speed",
                 f"{speed:g}", "--rate", f"{rate:g}", "--seed", "11", "--quiet"],
                stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                env={**os.environ, "FQ_SIM_USER": "duty", "FQ_SIM_PASSWORD": "demo12345"})

    def close(self) -> str:
        if self.proc is None:
            return "no simulator"
        self.proc.send_signal(signal.SIGINT)  # it prints its summary and stops
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        text_out = self.log.read_text(errors="replace")
        try:
            out = json.loads(text_out[text_out.index("{"):])
        except ValueError:
            return f"simulator: no summary (see {self.log})"
        st = out.get("stats", {})
        steps = sum(v for k, v in st.items() if k not in ("registered", "skipped (max open)"))
        return (f"simulator meanwhile: {st.get('registered', 0)} cases registered, {steps} "
                f"case steps, {out.get('units_moved', 0)} units moved, "
                f"{out.get('server_errors', 0)} server errors")


# On every desk: each frame notes the first time it sees each new open case on the map (cases
# other clients register meanwhile too), so a case that arrives before the bench has its id
# is timed by the frame it was drawn in; armed before the POST, stopped when the id is seen.
DESK_CASE_WATCH = "() => {" + FIND_MAP + """
  const lm = findMap(document)._lm
  const ids = () => { const st = lm.states().get('incidents'); return st ? st.features.keys() : [] }
  const tick = () => {
    const w = window.__fc
    for (const k of ids()) { if (!w.known.has(k)) { w.known.add(k); w.first[k] = Date.now() } }
    if (w.id !== null && w.first[w.id]) { w.seen = w.first[w.id]; w.running = false; return }
    requestAnimationFrame(tick)
  }
  window.__fc = { known: new Set(), first: {}, id: null, seen: null, running: false,
    arm: () => { const w = window.__fc; w.known = new Set(ids()); w.first = {}; w.id = null;
                 w.seen = null; if (!w.running) { w.running = true; requestAnimationFrame(tick) } },
    want: (id) => { window.__fc.id = String(id) } }
}"""


def desk_cases(pages: list[Any], base: str, token: str,
               spots: list[tuple[list[int], float, float]],
               traced: list[dict[str, Any]] | None = None
               ) -> tuple[list[float], list[float], int]:
    """A case POSTed through the API (through the proxy: to any worker) at each of ``spots``
    (the desks, by index, that must show it, and a point) → the frame in which each of those
    desks' maps holds it: ms per desk and case, the slowest desk per case, and how many cases
    some desk never showed in 60 s. ``traced`` takes each case's id, POST and answer times and
    frames (for :func:`wall_trace.case_stages`)."""
    for page in pages:
        page.evaluate(DESK_CASE_WATCH)
    every: list[float] = []
    last: list[float] = []
    lost = 0
    rnd = random.Random(13)
    for k, (watch, lon, lat) in enumerate(spots):
        body = {"category": "neighbour", "channel": "hotline", "priority": "urgent",
                "title": "邻里纠纷（基准）", "description": f"楼上漏水，双方争执 {k}", "crs": "wgs84",
                "lon": round(lon + rnd.uniform(-0.0002, 0.0002), 6),
                "lat": round(lat + rnd.uniform(-0.0002, 0.0002), 6), "auto_dispatch": False}
        watching = [pages[i] for i in watch]
        for page in watching:
            page.evaluate("() => window.__fc.arm()")
        t0 = time.time() * 1000
        try:
            reg = post(f"{base}/api/v1/incidents", json.dumps(body).encode(), token)
            answered = time.time() * 1000
            seen = []
            for page in watching:
                page.evaluate("(id) => window.__fc.want(id)", reg["id"])
            for page in watching:
                seen.append(float(page.wait_for_function("() => window.__fc.seen", polling=100,
                                                         timeout=60_000).json_value()) - t0)
            every.extend(seen)
            last.append(max(seen))
            if traced is not None:
                traced.append({"id": int(reg["id"]), "t0": t0, "answered": answered,
                               "seen": [t0 + s for s in seen]})
        except Exception as err:  # an overloaded machine: count it, keep measuring
            lost += 1
            print(f"  desk case {k}: {type(err).__name__} (counted as lost)", flush=True)
        time.sleep(1.0)
    return every, last, lost


def hub_traces(ports: list[int], token: str, *, territory: bool
               ) -> tuple[list[dict[str, Any]], list[float]]:
    """Every worker's hubs' trace rows (asked of each worker's own port, not through nginx),
    and the CPU ms each session's event loop spent applying a delivery: the territory hub's
    sessions' (``territory``, administrators' desks) or the part hubs' (street desks; a hub
    keeps its figures after its desks left, so each kind counts only its own hubs)."""
    rows: list[dict[str, Any]] = []
    cpu: list[float] = []
    for w in ports:
        for r in get_json(f"http://127.0.0.1:{w}/api/v1/desk/hub?trace=1", token).get(
                "trace") or []:
            if "apply_cpu_ms" in r:
                if (r.get("hub") == "territory") == territory:
                    cpu.extend(float(v) for v in r["apply_cpu_ms"])
            else:
                rows.append(dict(r, hub=f"{w}:{r.get('hub', 'territory')}"))
    return rows, cpu


def live(browser: Any, base: str, cookie: list[dict[str, Any]], token: str, seating: Seating,
         moves: int, units: list[tuple[int, float, float]], console: Any, *,
         groups: dict[str, Any], others: list[tuple[int, float, float]], rate: float,
         simulate: tuple[float, float], cases: int, changes: int,
         ports: list[int]) -> dict[str, Any]:
    """``console`` gives the console's pids now (for RSS); ``groups`` the process groups whose
    CPU time is measured (:class:`harness.TreeCpu`; the simulator is added here); ``seating``
    who sits at the desks (each desk its own account's cookie); ``ports`` each worker's."""
    before = sum(rss_mb(p) for p in console())
    sessions = len(seating.desks)
    pages = []
    for desk in seating.desks:
        ctx = browser.new_context(viewport={"width": 1600, "height": 900})
        ctx.add_cookies([dict(cookie[0], value=desk.token)])
        page = ctx.new_page()
        page.goto(f"{base}/desk", wait_until="commit")
        pages.append((ctx, page))
    for _, page in pages:
        page.wait_for_function(DESK_READY, timeout=180_000)
        page.evaluate(WATCH)
    # One wall beside the desks: its long tasks too while the updates stream.
    wall_ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    wall_ctx.add_cookies(cookie)
    wall = wall_ctx.new_page()
    wall.goto(f"{base}/wall", wait_until="commit")
    wall.wait_for_function(WALL_READY, timeout=180_000)
    for page in [p for _, p in pages] + [wall]:
        page.evaluate(LONG_TASKS)
    print(f"  {sessions} {seating.kind} and a wall open; moves streaming", flush=True)
    time.sleep(2)
    after = sum(rss_mb(p) for p in console())
    lat: list[float] = []
    traced: list[dict[str, Any]] = []
    lost = 0
    rnd = random.Random(7 + sessions)  # each run moves the units somewhere new
    background = Background(base, token, others, rate)
    simulation = Simulation(base, *simulate)
    groups = {**groups, "simulator": lambda: descendants(
        [simulation.proc.pid] if simulation.proc else [])}
    cpu = TreeCpu(groups)
    for k, ((uid, lon, lat0), watch) in enumerate(seating.moves(moves, units)):
        new = (round(lon + rnd.uniform(-0.002, 0.002), 6), round(lat0 + rnd.uniform(-0.002, 0.002), 6))
        watching = [pages[i][1] for i in watch]
        for page in watching:
            page.evaluate("(t) => window.__fq.arm(t)", {"id": uid, "lon": new[0], "lat": new[1]})
        t0 = time.time() * 1000
        try:
            post(f"{base}/api/v1/units/{uid}/position",
                 f'{{"lon": {new[0]}, "lat": {new[1]}, "crs": "wgs84"}}'.encode(), token)
            traced.append({"uid": uid, "t0": t0, "seen": []})
            for page in watching:
                seen = page.wait_for_function("() => window.__fq.seen", polling=100,
                                              timeout=60_000).json_value()
                if float(seen) < t0:
                    raise RuntimeError("the marker was there before the move: a bench bug")
                lat.append(float(seen) - t0)
                traced[-1]["seen"].append(float(seen))
        except Exception as err:  # an overloaded machine: count it, keep measuring
            lost += 1
            print(f"  move {k}: {type(err).__name__} (counted as lost)", flush=True)
        time.sleep(0.3)
    used = cpu.close()
    cpu = TreeCpu(groups)
    traced_cases: list[dict[str, Any]] = []
    desk_every, desk_last, desk_lost = desk_cases(
        [p for _, p in pages], base, token, seating.cases(changes, units), traced_cases)
    desk_cpu = cpu.close()
    wall_lat, wall_lost = wall_cases(wall, base, token, units, cases)
    meanwhile = background.close() + "; " + simulation.close()
    trace, apply_cpu = hub_traces(ports, token,
                                  territory=all(d.street is None for d in seating.desks))
    desk_long = [float(v[1]) for _, page in pages for v in page.evaluate("() => window.__lt")]
    wall_tasks = wall.evaluate("() => window.__lt")
    wall_long = [float(v[1]) for v in wall_tasks]
    wall_made = made_of(wall_tasks, wall.evaluate("() => window.__lmTiming"))
    wall_ctx.close()
    for ctx, _ in pages:
        ctx.close()
    if not lat:
        lat = [float("nan")]
    return {"sessions": sessions, "p50": pct(lat, 0.5), "p95": pct(lat, 0.95),
            "max": max(lat), "n": len(lat), "lost": lost, "rss_before": before, "rss_after": after,
            "per_session": (after - before) / sessions, "stages": stages(traced, trace),
            "cpu": used, "desk_cpu": desk_cpu, "desk_every": desk_every,
            "case_stages": case_stages(traced_cases, trace),
            "desk_last": desk_last, "desk_lost": desk_lost,
            "slowest": slowest(traced, trace),
            "meanwhile": meanwhile, "long_desk": desk_long, "long_wall": wall_long,
            "wall_made": wall_made, "wall_lat": wall_lat or [float("nan")],
            "wall_lost": wall_lost, "apply_cpu": apply_cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=("demo", "city"), default="city")
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--sessions", type=int, nargs="+", default=[3, 10])
    ap.add_argument("--paint-runs", type=int, default=4)
    ap.add_argument("--background", type=float, default=30.0,
                    help="other units' positions POSTed per second while measuring (0: none)")
    ap.add_argument("--simulate", type=float, default=60.0,
                    help="run ./run simulate meanwhile at this speed (simulated s per s; 0: off)")
    ap.add_argument("--cases", type=int, default=10,
                    help="cases registered through the API, timed until the wall's map shows them")
    ap.add_argument("--sim-rate", type=float, default=30.0, help="the simulator's cases per hour")
    ap.add_argument("--workers", type=int, default=0,
                    help="serve --workers N: N console processes behind nginx (0: one process)")
    ap.add_argument("--desks", type=int, default=0,
                    help="one run with this many desks (instead of --sessions)")
    ap.add_argument("--changes", type=int, default=20,
                    help="cases POSTed, each timed until every open desk's map shows it")
    ap.add_argument("--kinds", nargs="+", choices=("admin", "street"), default=["admin", "street"],
                    help="who sits at the desks: administrators (the territory's hub) and/or "
                         "street dispatchers and duty officers (their streets' hubs)")
    ap.add_argument("--streets", type=int, default=0,
                    help="street desks spread over this many streets (0: half the desks)")
    ap.add_argument("--settle", type=float, default=300.0,
                    help="at most this many s waiting for the start-up weekly reports")
    ap.add_argument("--template", default=None,
                    help="copy this database (one holding a territory, e.g. a city bench's "
                         "left-over) instead of loading the generated --size")
    ap.add_argument("--admin-accounts", action="store_true",
                    help="--kinds admin: real administrator accounts (rows masked) instead of "
                         "the bench's own whole-territory duty officer")
    ap.add_argument("--port", type=int, default=0,
                    help="the public port (workers on the next ones; 0: one from the pid)")
    args = ap.parse_args()
    if args.desks:
        args.sessions = [args.desks]
    print("load average before: " + " ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    settings = Settings.from_env()
    name = f"fq_bench_wall_{args.size}_{os.getpid()}"  # two benches at once do not collide
    token = f"bench-{os.getpid()}-{random.getrandbits(64):x}"
    t0 = time.perf_counter()
    url, engine = scratch_database(settings, name, args.size, token, template=args.template)
    print(f"scratch database {name} " + (f"copied from {args.template}" if args.template else
          f"loaded with the generated {args.size}") + f" in {time.perf_counter() - t0:.0f} s",
          flush=True)
    served = None
    try:
        with engine.begin() as conn:
            counts = conn.execute(text(
                "SELECT (SELECT count(*) FROM micro_grids), (SELECT count(*) FROM units), "
                "(SELECT count(*) FROM incidents), (SELECT count(*) FROM incidents WHERE state "
                "NOT IN ('resolved', 'followed_up', 'closed'))")).one()
            units = [(int(r[0]), float(r[1]), float(r[2])) for r in conn.execute(text(
                "SELECT id, ST_X(last_geom), ST_Y(last_geom) FROM units WHERE last_geom IS NOT "
                "NULL ORDER BY id"))]
        print(f"== {args.size}: {counts[0]:,} micro-grids, {counts[1]:,} units "
              f"({len(units):,} with a position), {counts[2]:,} cases ({counts[3]:,} not yet resolved) ==")
        port = args.port or 18000 + os.getpid() % 500 * 2
        t0 = time.perf_counter()
        served = Served(url, name, port, args.workers or None)
        how = f"{args.workers} workers behind nginx" if args.workers else "one process"
        print(f"console up ({how}) in {time.perf_counter() - t0:.1f} s, RSS "
              + " + ".join(f"{rss_mb(p):.0f}" for p in served.pids()) + " MB", flush=True)
        print(f"start-up weekly reports: waited {settle(engine, timeout=args.settle):.0f} s "
              f"(at most {args.settle:.0f})", flush=True)
        me = os.getpid()
        srv = served
        groups = {
            "console": lambda: set(srv.pids()), "nginx": srv.nginx,
            "PostgreSQL backends": lambda: backends(engine, name),
            "browsers": lambda: {p for p in descendants([me]) if b"chrom" in cmdline(p)},
            "this bench": lambda: [me]}
        base = f"http://127.0.0.1:{port}"
        cookie = [{"name": "fq_session", "value": token, "domain": "127.0.0.1", "path": "/"}]
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            paints = first_paint(browser, base, cookie, args.paint_runs)
            if paints:
                print(f"wall first paint (navigation → roads, grids, communities, streets drawn and figures "
                      f"filled): cold {paints[0]:.2f} s, warm median "
                      f"{statistics.median(paints[1:] or paints):.2f} s (runs: "
                      + ", ".join(f"{p:.2f}" for p in paints) + ") — target ≤ 3 s")
            rnd = random.Random(3)
            picked = rnd.sample(units, min(len(units), args.moves))
            for kind, n in [(k, n) for k in args.kinds for n in args.sessions]:
                if kind == "street":
                    with engine.begin() as conn:
                        seating = street_desks(conn, n, args.streets or max(1, n // 2),
                                               run=f"{me}-{n}")
                elif args.admin_accounts:
                    with engine.begin() as conn:
                        seating = admin_desks(token, n, conn, run=f"{me}-{n}")
                else:
                    seating = admin_desks(token, n)
                chosen = {u[0] for u in picked}
                others = [u for u in units if u[0] not in chosen]
                r = live(browser, base, cookie, token, seating, args.moves, picked, srv.pids,
                         groups=groups, others=others, rate=args.background,
                         simulate=(args.simulate, args.sim_rate), cases=args.cases,
                         changes=args.changes, ports=srv.ports())
                target = 500 if n <= 3 else 1000
                print(f"== {seating.kind}: " + ", ".join(sorted({
                    f"{d.role} of street {d.street}" if d.street else d.role
                    for d in seating.desks})) + " ==")
                print(f"live, {n} desk sessions ({seating.kind}): unit position POST → map frame p50 "
                      f"{r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, max {r['max']:.0f} ms "
                      f"({r['n']} observations, {r['lost']} moves lost; target p95 ≤ {target} "
                      f"ms); load average {os.getloadavg()[0]:.1f}; server RSS "
                      f"{r['rss_before']:.0f} → {r['rss_after']:.0f} MB = "
                      f"{r['per_session']:.1f} MB per session; {r['meanwhile']}")
                print(f"    CPU while the moves streamed (the machine has {os.cpu_count()} "
                      f"cores): {cpu_line(r['cpu'])}")
                de, dl = r["desk_every"] or [float("nan")], r["desk_last"] or [float("nan")]
                print(f"  CHANGE → EVERY DESK ({how}, {n} {seating.kind}): case POSTed → its point on a "
                      f"desk's map p50 {pct(de, 0.5):.0f} ms, p95 {pct(de, 0.95):.0f} ms, max "
                      f"{max(de):.0f} ms ({len(r['desk_every'])} desk frames); the last desk per "
                      f"case p50 {pct(dl, 0.5):.0f} ms, p95 {pct(dl, 0.95):.0f} ms, max "
                      f"{max(dl):.0f} ms ({len(r['desk_last'])} cases, {r['desk_lost']} lost; "
                      f"target p95 ≤ 500 ms); load average "
                      + " ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
                print(f"    CPU meanwhile: {cpu_line(r['desk_cpu'])}", flush=True)
                print(f"    long tasks while updates stream (target: none over 200 ms): desks "
                      f"{long_tasks(r['long_desk'])}; wall {long_tasks(r['long_wall'])}")
                wl = r["wall_lat"]
                print(f"    wall: case POSTed → its point on the wall's map p50 {pct(wl, 0.5):.0f} ms, "
                      f"p95 {pct(wl, 0.95):.0f} ms, max {max(wl):.0f} ms ({len(wl)} cases, "
                      f"{r['wall_lost']} lost; target ≤ 1 s)")
                for line in r["wall_made"]:
                    print(f"    wall's longest: {line}")
                for line in r["slowest"]:
                    print(f"    slowest: {line}")
                if r["apply_cpu"]:
                    ac = r["apply_cpu"]
                    print(f"    a session applying a delivery, CPU on its event loop (diffs, "
                          f"Bokeh's events, the websocket message): p50 {pct(ac, 0.5):.1f} ms, "
                          f"p95 {pct(ac, 0.95):.1f} ms, {sum(ac) / 1000:.1f} s in all "
                          f"({len(ac)} deliveries)")
                for stage, values in [*r["stages"].items(), *r["case_stages"].items()]:
                    if values:
                        print(f"    {stage}: p50 {pct(values, 0.5):.0f} ms, "
                              f"p95 {pct(values, 0.95):.0f} ms")
            browser.close()
    finally:
        if served is not None:
            served.stop()
        engine.dispose()
        db.drop_database(settings, name)
        print("load average after: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
