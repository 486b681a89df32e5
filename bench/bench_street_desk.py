"""A street desk's own hub at scale: its full read and a one-case patch, read-only.

Run: ``./run bench bench_street_desk fq_province [--rounds 40]``. The database must already hold
a territory (the province: ``FQ_DB_NAME=fq_province ./run generate --size province``); every
transaction is read-only (``default_transaction_read_only``), so the shared province is safe.
For the street with the most cases on the desk, as a duty officer (its streets) and as a
dispatcher (its streets and the cases it registered, none here), the part hub
(console.live.desk_hub with ``part``, console.live.desk_route) is timed:

- the part read ``GET /api/v1/desk/snapshot`` makes when no desk of the street is open
  (console.live.desk_part: queue, units, areas and features; an open desk's hub answers it
  from its snapshot instead);
- full read: what the hub does on its first desk, on the clock and after a reconnect (the
  same, with the triage rows and the features' signatures), p50 / p95 / max over ``--rounds``;
- patch: one of its cases re-read by id and put into the snapshot (a case event), p50 / p95;
- and, beside them, the whole territory's hub read once (what every desk read before).

Beside the wall times, the CPU each read costs (this process's thread and the database's
backends, summed over the rounds): the wall times follow the machine's load, the CPU does not.

Target (issue 16): a street desk's snapshot read ≤ 50 ms at province scale. The load average
is printed with the figures: other jobs on the machine move every one.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from sqlalchemy import make_url, text

from geo.settings import Settings


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def timed(fn: Any, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def cpu_per_call(engine: Any, fn: Any, rounds: int) -> tuple[float, float]:
    """Mean CPU ms per call of ``fn``: this thread's (the console's side) and the database
    backends' of this engine's database (``/proc``; clock ticks, so summed over ``rounds``):
    what the call costs whatever the machine's load, where wall times follow the load."""
    from harness import cpu_s

    with engine.connect() as conn:
        pids = [int(p) for p in conn.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))]
    db0, py0 = sum(cpu_s(p) for p in pids), time.thread_time()
    for _ in range(rounds):
        fn()
    return ((time.thread_time() - py0) * 1000 / rounds,
            (sum(cpu_s(p) for p in pids) - db0) * 1000 / rounds)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("database")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--whole", action="store_true", help="also time the whole territory's read once")
    args = ap.parse_args()
    from console.bootstrap import bootstrap
    from console.live.desk_hub import DeskHub
    from console.live.desk_part import DeskParts

    settings = Settings.from_env()
    base = make_url(os.environ["DATABASE_URL"])  # the server; the database is named here
    url = base.set(database=args.database, query={
        **base.query, "options": "-c default_transaction_read_only=on"})
    app = bootstrap(settings, url=url.render_as_string(hide_password=False))
    with app.engine.connect() as conn:
        street_id, n = conn.execute(text(
            "SELECT street_id, count(*) FROM incidents WHERE state IN ('registered','located',"
            "'assigned','acknowledged','on_scene','mediating','escalated','resolved') AND "
            "street_id IS NOT NULL GROUP BY street_id ORDER BY count(*) DESC, street_id "
            "LIMIT 1")).one()
        cases = conn.scalar(text("SELECT count(*) FROM incidents"))
    street = int(str(street_id))
    print(f"== {args.database}: {cases:,} cases; street {street} has {n} on the desk; "
          f"load average {os.getloadavg()[0]:.1f} ==", flush=True)
    for who, part in (("duty officer", (frozenset({street}), None)),
                      ("dispatcher", (frozenset({street}), "bench-dispatcher"))):
        hub = DeskHub(app, part=part)
        snap = hub.compute()
        full = timed(hub.compute, args.rounds)
        some = iter([r["id"] for r in snap["queue"]] * args.rounds or [0] * args.rounds)
        patch = timed(lambda h=hub, ids=some: h.patch({next(ids)}, set()), args.rounds)
        parts = DeskParts(app)
        api = timed(lambda p=part, d=parts: d.read(p, version=0), args.rounds)
        api_cpu = cpu_per_call(app.engine, lambda p=part, d=parts: d.read(p, version=0),
                               args.rounds)
        full_cpu = cpu_per_call(app.engine, hub.compute, args.rounds)
        print(f"street desk ({who}): GET /api/v1/desk/snapshot's part read (no desk open) p50 "
              f"{pct(api, 0.5):.1f} ms, p95 {pct(api, 0.95):.1f} ms; CPU per read: console "
              f"{api_cpu[0]:.1f} ms + PostgreSQL {api_cpu[1]:.1f} ms")
        print(f"street desk ({who}): hub's full read CPU: console {full_cpu[0]:.1f} ms + "
              f"PostgreSQL {full_cpu[1]:.1f} ms")
        print(f"street desk ({who}): hub's full read p50 {pct(full, 0.5):.1f} ms, p95 "
              f"{pct(full, 0.95):.1f} ms, max {max(full):.1f} ms; one-case patch p50 "
              f"{pct(patch, 0.5):.1f} ms, p95 {pct(patch, 0.95):.1f} ms ({len(snap['queue'])} "
              f"cases, {len(snap['units'])} units; target full read ≤ 50 ms); load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    if args.whole:
        t = time.perf_counter()
        snap = DeskHub(app).compute()
        print(f"whole territory's hub read: {(time.perf_counter() - t) * 1000:.0f} ms "
              f"({len(snap['queue'])} cases, {len(snap['units'])} units)", flush=True)
    app.engine.dispose()


if __name__ == "__main__":
    main()
