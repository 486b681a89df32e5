"""A whole-territory desk hub's deliveries and its desks' cost per delivery, without browsers.

Run: ``./run bench bench_desk_frames DBNAME [--seconds 30 --moves 30 --cases 4] [--rounds 60]``
on a database holding a territory (a copy of ``fq_scale_city``: the hub only reads it). Prints:

1. ``frames``: a real DeskHub thread fed a fixed random stream of events (``--moves`` unit moves
   and ``--cases`` case changes a second, Poisson arrivals, seeded) for ``--seconds``, five
   subscribers counting: deliveries per desk per second, and a case's wait from its NOTIFY to
   its hand-over (p50 / p95). Every delivery costs each desk an apply on its event loop, a
   websocket message and a browser frame.
2. ``sessions``: five DeskSessions (the real Panel page, a Bokeh document with no websocket)
   of a duty officer and of an administrator (rows masked) taking the same ``--rounds`` batches
   of 8 moves and a case patch every third: CPU per apply (p50 / p95) and in all.

Run it on two checkouts (``--src``) for a before/after; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def frames(app: Any, seconds: float, moves: float, cases: float) -> str:
    from console.live.desk_hub import DeskHub

    hub = DeskHub(app, refresh_s=600)
    snap = hub.compute()
    units = [u for u in snap["units"] if u.get("lon") is not None]
    open_ids = [r["id"] for r in snap["queue"]]
    counts, waits, pending = [0] * 5, [], {}

    def sub(k: int) -> Any:
        def deliver(p: dict[str, Any]) -> None:
            counts[k] += 1
            if k == 0:
                for e in p.get("events") or []:
                    t = pending.pop(int(e["incident_id"]), None)
                    if t is not None:
                        waits.append((time.monotonic() - t) * 1000)
        return deliver

    for k in range(5):
        hub.subscribe(sub(k))
    rnd = random.Random(3)
    end = time.monotonic() + seconds
    next_m = next_c = time.monotonic()
    while time.monotonic() < end:
        if time.monotonic() >= next_m:
            u = rnd.choice(units)
            hub.poke({"type": "unit_moved", "unit_id": u["id"], "lat": u["lat"],
                      "lon": u["lon"] + rnd.uniform(-1e-3, 1e-3),
                      "at": datetime.now(UTC).isoformat()})
            next_m += rnd.expovariate(moves)
        if time.monotonic() >= next_c:
            c = rnd.choice(open_ids)
            pending[c] = time.monotonic()
            hub.poke({"type": "state_changed", "incident_id": c})
            next_c += rnd.expovariate(cases)
        time.sleep(max(0.0, min(next_m, next_c) - time.monotonic()))
    time.sleep(1)
    hub.stop()
    return (f"frames: {moves:g} moves/s and {cases:g} case events/s for {seconds:g} s: "
            f"{statistics.mean(counts) / seconds:.2f} deliveries per desk per s; a case heard "
            f"→ handed p50 {pct(waits, 0.5):.0f} ms, p95 {pct(waits, 0.95):.0f} ms "
            f"(n={len(waits)})")


def sessions(app: Any, role: str, rounds: int) -> str:
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    from console.live.desk_hub import DeskHub
    from console.pages.desk import DeskSession
    from dispatch.access import Principal

    hub = DeskHub(app)
    snap = hub.compute()
    desks = []
    for _ in range(5):
        doc = Document()
        with set_curdoc(doc):
            s = DeskSession(app, hub)
            s.principal = Principal(name=role, role=role)
            s.__panel__().get_root(doc)
            s.loaded, s.doc, s.resync_at = True, doc, time.monotonic() + 1e6
            s.push_map(full=True)
        desks.append((doc, s))
    out: list[dict[str, Any]] = []
    hub._send = out.append  # type: ignore[method-assign]
    rnd = random.Random(1)
    units = [u for u in snap["units"] if u.get("lon") is not None]
    open_ids = [r["id"] for r in snap["queue"]]
    cpu: list[float] = []
    for k in range(rounds):
        out.clear()
        hub._send_moves([{"id": u["id"], "lon": u["lon"] + rnd.uniform(-1e-3, 1e-3),
                          "lat": u["lat"], "position_ms": None, "heard_ms": time.time() * 1000}
                         for u in (rnd.choice(units) for _ in range(8))])
        if k % 3 == 0:
            c = rnd.choice(open_ids)
            out.append({"snapshot": hub.patch({c}, set()), "events": [{"incident_id": c}]})
        for payload in out:
            for doc, s in desks:
                t = time.thread_time()
                s._inbox = [payload]
                with set_curdoc(doc):
                    s._apply_inbox()
                cpu.append((time.thread_time() - t) * 1000)
    return (f"sessions ({role}, {len(snap['queue'])} queue rows, {len(snap['units'])} units): "
            f"{len(cpu)} applies, CPU p50 {pct(cpu, 0.5):.2f} ms, p95 {pct(cpu, 0.95):.2f} ms, "
            f"{sum(cpu) / 1000:.2f} s in all")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", help="a database holding a territory (read only)")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--moves", type=float, default=30.0)
    ap.add_argument("--cases", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--src", default=str(ROOT), help="the checkout whose code runs")
    args = ap.parse_args()
    sys.path.insert(0, args.src)
    os.chdir(args.src)
    from sqlalchemy.engine import make_url

    from console.bootstrap import bootstrap

    print("load average before: " + " ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    app = bootstrap(url=str(make_url(os.environ["DATABASE_URL"]).set(database=args.db)))
    try:
        print(frames(app, args.seconds, args.moves, args.cases), flush=True)
        for role in ("duty", "admin"):
            print(sessions(app, role, args.rounds), flush=True)
    finally:
        app.engine.dispose()
    print("load average after: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
