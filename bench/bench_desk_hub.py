"""The desk hub's cost per case or unit event at city scale, and the console's CPU meanwhile.

Run: ``./run bench bench_desk_hub [--size city|demo] [--rounds 20] [--cpu 120 --sessions 3]
[--src DIR]``. Builds (or with ``--reuse`` keeps) a database with the generated territory, then:

1. In this process: the hub's full read (what every non-move event cost before the hub patched
   rows) against a patch after a real change: a unit's status flipped (the board re-sorts), a
   case supervised (the queue re-sorts), a case with its units re-read; p50 / p95 in ms. Then
   what one session does with each kind of delivery (DeskState.apply_snapshot + map_updates,
   no Bokeh) and how many bytes the rows it re-sends to its browser weigh.
2. With ``--cpu S``: the real console in its own process (``--src``: another checkout's code,
   e.g. a worktree of the commit before, for a before/after), ``--sessions`` desks open in
   Debian's chromium, ``./run simulate`` for S seconds; prints the console's CPU (user+system
   seconds over wall seconds) and the hub's counters; with ``--profile`` py-spy samples the
   console meanwhile and the bench prints where its busy samples went (``WHERE``).
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
import time
import urllib.request
from pathlib import Path
from typing import Any

from harness import scratch_database, session_token
from sqlalchemy import text

from geo.settings import Settings

WHERE = [  # (label, function or "", a fragment of its file); the first label matching any frame
    ("desk hub: full read", "compute", "console/live/desk_hub.py"),
    ("desk hub: row patch", "patch", "console/live/desk_hub.py"),
    ("desk hub: move diff", "_send_moves", "console/live/desk_hub.py"),
    ("desk sessions: apply moves", "apply_moves", "console/pages/desk.py"),
    ("desk sessions: apply", "apply", "console/pages/desk.py"),
    ("routing", "", "geo/rout"),
    ("HTTP API", "", "console/api/"),
    ("Bokeh", "", "bokeh/"),
    ("Tornado / asyncio", "", "tornado/"),
]
DESK_READY = """() => { const find = (root) => { for (const el of root.querySelectorAll('*')) {
  if (el.classList && el.classList.contains('dk-u-row')) { return true }
  if (el.shadowRoot && find(el.shadowRoot)) { return true } } return false }
  return find(document) }"""


def ms(values: list[float]) -> str:
    s = sorted(values)
    return (f"p50 {statistics.median(s):7.1f} ms, p95 {s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]:7.1f}"
            f" ms (n={len(s)})")


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t) * 1000, out


def hub_costs(url: str, rounds: int) -> None:
    from console.bootstrap import bootstrap
    from console.desk.state import DeskState
    from console.live.desk_hub import DeskHub
    from dispatch.commands import SetUnitStatus, Supervise

    app = bootstrap(url=url)
    hub, rnd = DeskHub(app), random.Random(5)
    try:
        full = [timed(hub.compute)[0] for _ in range(rounds)]
        snap = hub.compute()
        print(f"== {len(snap['queue']):,} cases in the queue, {len(snap['units']):,} units ==")
        print(f"full read (before: every non-move event):     {ms(full)}")
        state = DeskState()
        state.apply_snapshot(snap)
        state.map_updates()

        def session(new: dict[str, Any]) -> float:
            t = time.perf_counter()
            state.apply_snapshot(new)
            state.map_updates()
            return (time.perf_counter() - t) * 1000

        with app.engine.connect() as conn:
            idle = [int(i) for i in conn.scalars(text(
                "SELECT id FROM units WHERE active_load = 0 AND status IN ('available', "
                "'off_duty') ORDER BY id"))]
            busy = [int(i) for i in conn.scalars(text(
                "SELECT DISTINCT incident_id FROM assignments WHERE state = 'active'"))]
            open_ids = [r["id"] for r in snap["queue"] if r["group"] == "open"
                        and not r["supervision"]]
        out: dict[str, list[float]] = {"unit": [], "case": [], "busy": [], "s_full": [],
                                       "s_unit": [], "s_case": []}
        for k in range(rounds):
            uid = rnd.choice(idle)
            status = next(u["status"] for u in hub._snap["units"] if u["id"] == uid)  # type: ignore[index]
            app.dispatch.handle(SetUnitStatus(unit_id=uid, actor="bench", reason="bench",
                                              status="off_duty" if status == "available"
                                              else "available"))
            took, new = timed(hub.patch, set(), {uid})
            out["unit"].append(took)
            out["s_unit"].append(session(new))
            if k < len(open_ids):
                app.dispatch.handle(Supervise(incident_id=open_ids[k], level="yellow",
                                              reason="bench", actor="bench"))
                took, new = timed(hub.patch, {open_ids[k]}, set())
                out["case"].append(took)
                out["s_case"].append(session(new))
            if busy:
                out["busy"].append(timed(hub.patch, {rnd.choice(busy)}, set())[0])
            out["s_full"].append(session(hub.compute()))
        print(f"patch, a unit's status flipped:               {ms(out['unit'])}")
        if out["case"]:
            print(f"patch, a case supervised:                     {ms(out['case'])}")
        if out["busy"]:
            print(f"patch, a case with its units re-read:         {ms(out['busy'])}")
        print(f"one session takes a full read (no Bokeh):     {ms(out['s_full'])}")
        print(f"one session takes a unit patch (no Bokeh):    {ms(out['s_unit'])}")
        if out["s_case"]:
            print(f"one session takes a case patch (no Bokeh):    {ms(out['s_case'])}")
        snap = hub._snap or snap
        q, u = (len(json.dumps(snap[k], ensure_ascii=False).encode()) for k in ("queue", "units"))
        print(f"re-sent whole to each browser when it changes: queue {q / 1024:,.0f} KiB (any "
              f"case change), board {u / 1024:,.0f} KiB (a unit's status: the order changes)")
    finally:
        app.engine.dispose()


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def where(raw: Path) -> str:
    """py-spy's raw (folded) stacks summed by :data:`WHERE`."""
    spent: dict[str, int] = {}
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        frames = stack.split(";")
        names = [(f.split(" (", 1)[0].rsplit(".", 1)[-1], f) for f in frames]
        label = next((name for name, func, path in WHERE for fn, f in names
                      if path in f and (not func or fn == func)), "other")
        spent[label] = spent.get(label, 0) + int(n)
    return "; ".join(f"{k} {100 * v / max(1, total):.0f}%"
                     for k, v in sorted(spent.items(), key=lambda kv: -kv[1]))


def console_cpu(url: str, token: str, seconds: float, sessions: int, src: Path, speed: float,
                rate: float, profile: Path | None = None) -> None:
    port = 19000 + os.getpid() % 1000
    code = ("from console.bootstrap import bootstrap; from console.server import make_server; "
            f"s = make_server(bootstrap(url={url!r}), port={port}, address='127.0.0.1'); "
            "s.start(); s.io_loop.start()")
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_desk_hub_server_{port}.log"
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=src, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    sim = None
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
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--no-sandbox", "--disable-gpu"])
            pages = []
            for _ in range(sessions):
                ctx = browser.new_context(viewport={"width": 1600, "height": 900})
                ctx.add_cookies([{"name": "fq_session", "value": token, "domain": "127.0.0.1",
                                  "path": "/"}])
                pages.append(ctx.new_page())
                pages[-1].goto(f"{base}/desk", wait_until="commit")
            for page in pages:
                page.wait_for_function(DESK_READY, timeout=180_000)
            time.sleep(3)
            sim_log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_desk_hub_sim_{port}.log"
            sim = subprocess.Popen(
                [sys.executable, "-m", "console.ops.cli", "simulate", "--url", base, "--speed",
                 f"{speed:g}", "--rate", f"{rate:g}", "--seed", "11", "--quiet"],
                stdout=sim_log.open("wb"), stderr=subprocess.STDOUT,
                env={**os.environ, "FQ_SIM_USER": "duty", "FQ_SIM_PASSWORD": "demo12345"})
            spy = None if profile is None else subprocess.Popen(
                [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(proc.pid),
                 "--duration", f"{seconds:.0f}", "--rate", "50", "--format", "raw",
                 "--nonblocking", "--output", str(profile)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            c0, t0 = cpu_s(proc.pid), time.monotonic()
            time.sleep(seconds)
            used, wall = cpu_s(proc.pid) - c0, time.monotonic() - t0
            if spy is not None:
                spy.wait(timeout=120)
            req = urllib.request.Request(f"{base}/api/v1/desk/hub",
                                         headers={"Authorization": f"Bearer {token}"})
            hub = json.loads(urllib.request.urlopen(req, timeout=60).read())
            sim.send_signal(signal.SIGINT)
            sim.wait(timeout=60)
            browser.close()
        summary = sim_log.read_text(errors="replace")
        stats = json.loads(summary[summary.index("{"):]).get("stats", {}) if "{" in summary \
            else {}
        print(f"console CPU with {sessions} desks while ./run simulate ran {wall:.0f} s "
              f"(speed {speed:g}, {rate:g} cases/h): {used:.1f} s = {used / wall:.2f} cores")
        print(f"hub meanwhile: computations {hub.get('computations')}, patches "
              f"{hub.get('patches', '-')}, move diffs {hub.get('deltas')}; simulator: {stats}")
        if profile is not None and profile.exists():
            print(f"the console's busy samples (py-spy, {profile}): {where(profile)}")
    finally:
        if sim is not None and sim.poll() is None:
            sim.kill()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=("demo", "city"), default="city")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    ap.add_argument("--cpu", type=float, default=0.0, help="seconds of ./run simulate (0: off)")
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=30.0)
    ap.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1],
                    help="the checkout whose console is measured with --cpu")
    ap.add_argument("--no-hub", action="store_true", help="skip the in-process figures")
    ap.add_argument("--profile", type=Path, help="with --cpu: py-spy's raw stacks to this file")
    args = ap.parse_args()
    print("load average before: " + " ".join(f"{v:.2f}" for v in os.getloadavg()), flush=True)
    settings = Settings.from_env()
    token = session_token()
    url, engine = scratch_database(settings, f"fq_bench_desk_hub_{args.size}", args.size, token,
                                   reuse=args.reuse)
    engine.dispose()
    if not args.no_hub:
        hub_costs(url, args.rounds)
    if args.cpu > 0:
        console_cpu(url, token, args.cpu, args.sessions, args.src.resolve(), args.speed, args.rate,
                    args.profile)
    print("load average after: " + " ".join(f"{v:.2f}" for v in os.getloadavg()), flush=True)


if __name__ == "__main__":
    main()
