"""Recommendation time per territory size, with the ETA cut-off and beside the full computation.

Run: ``./run bench bench_recommend demo:fq_scale_demo city:fq_scale_city province:fq_province
[--n 200]``. Each ``LABEL:DATABASE`` names a generated territory on DATABASE_URL's server (read
only: nothing is written). Per size, in a fresh process built as a console process is
(console.bootstrap, its road graphs and unit cache), over ``--n`` sampled cases with a position:

- ``recommend``: what the console answers (``Dispatch.recommend``: ETAs first only up to the
  policy's horizon, a second full pass when a unit past it would be shown), p50/p99;
- ``full``: the same with every ETA computed (``Dispatch.recommend(..., full=True)``: the
  answer before the cut-off), p50/p99, timed alternately with the first so both see the same
  load; for both also the CPU time of this process alone (PostgreSQL's share and waiting for
  a core on a loaded machine left out);
- how many answers differ between the two (must be 0) and how many needed the second pass;
- the unit cache's per-request check alone (an index probe for rows written since its last
  snapshot; before migration 0025 a signature over every unit, O(units) in PostgreSQL);
- the process's RSS after loading and after the runs; the load average before and after.

``--only-recommend`` times ``Dispatch.recommend`` alone: run it on an older checkout
(``PYTHONPATH=that/checkout``) for the figures before the change. ``--answers FILE`` keeps every
answer (``as_dict(50)`` per case) in FILE when it does not exist yet, else counts the answers
that differ from those kept: run it first on the older checkout, then on this one, to show that
a change gives the same answers (the comparison above only holds the cut-off to the full
computation of the same code).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench_dispatch import NOW, rss_mb
from bench_scale import pct
from sqlalchemy import text

from geo import db
from geo.settings import Settings


def measure(url: str, n: int, only: bool, any_state: bool = False) -> dict[str, Any]:
    from console.bootstrap import bootstrap

    out: dict[str, Any] = {"load": [os.getloadavg()[0]]}
    app = bootstrap(Settings.from_env(), url=url)
    app.dispatch.clock = lambda: NOW
    with app.engine.connect() as conn:
        conn.execute(text("SELECT setseed(0.16)"))
        states = "" if any_state else ("state IN ('located', 'assigned', 'acknowledged', "
                                       "'on_scene') AND ")
        ids = [int(i) for i in conn.scalars(text(
            f"SELECT id FROM incidents WHERE {states}geom IS NOT NULL ORDER BY random() "
            "LIMIT :n"), {"n": n})]
        for cache in app.graphs.values():
            cache.get(conn)
        out["units"] = conn.scalar(text("SELECT count(*) FROM units"))
    out["rss_loaded"] = rss_mb()
    rec = app.dispatch.recommend
    for i in ids[:3]:
        rec(i)
    new: list[float] = []
    full: list[float] = []
    cpu_new: list[float] = []
    cpu_full: list[float] = []
    differ = second = 0
    answers: dict[str, Any] = {}

    def timed(i: int, wall: list[float], cpu: list[float], **kw: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        got = rec(i, **kw)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        return got

    for i in ids:
        got = timed(i, new, cpu_new)
        answers[str(i)] = got.as_dict(50)
        if only:
            continue
        want = timed(i, full, cpu_full, full=True)
        differ += int(got.as_dict(50) != want.as_dict(50))
        with app.dispatch.uow() as uow:
            second += int(_second(uow, i))
    out.update(new=new, full=full, cpu_new=cpu_new, cpu_full=cpu_full, differ=differ,
               second=second, n=len(ids), answers=answers)
    sig: list[float] = []
    with app.engine.connect() as conn:
        check = _check(conn)
        for _ in range(50):
            t = time.perf_counter()
            check()
            sig.append((time.perf_counter() - t) * 1000)
            conn.rollback()
    out["signature"] = sig
    out["rss_after"] = rss_mb()
    out["load"].append(os.getloadavg()[0])
    app.engine.dispose()
    return out


def _check(conn: Any) -> Any:
    """The unit cache's per-request check: the change marker's index probe (migration 0025)
    where this checkout has it, else the signature over every unit's row version."""
    import dispatch.adapters.unit_cache as uc

    if hasattr(uc, "CHECK_SQL"):
        seen = uc.Seen.of(conn.scalar(text("SELECT pg_current_snapshot()::text")))
        return lambda: conn.execute(uc.CHECK_SQL, seen.params()).one()
    return lambda: conn.execute(uc.SIGNATURE_SQL).one()  # type: ignore[attr-defined]


def _second(uow: Any, incident_id: int) -> bool:
    """Whether the cut-off answer needed its second, full pass (a unit past it shown)."""
    import numpy as np

    import dispatch.handlers_assign as handlers
    from dispatch.eta import eta_columns

    row = uow.incidents.get(incident_id)
    rec = handlers.recommend_for(incident_id, uow, full=True)  # shown rows are the same
    table = uow.candidate_table()
    placed = np.flatnonzero(table.placed & table.takes_cases)
    cols = eta_columns(uow.eta, np.column_stack((table.lon[placed], table.lat[placed])),
                       table.on_foot[placed], (row["lon"], row["lat"]),
                       within_s=uow.policy.weights.eta_horizon_s)
    beyond = table.id[placed][cols.method == "beyond"]
    return bool(np.isin(rec.shown_unit_ids, beyond).any())


def _child(url: str, n: int, only: bool, any_state: bool, q: Any) -> None:
    q.put(measure(url, n, only, any_state))


def p50_99(v: list[float]) -> str:
    return f"{statistics.median(v):.1f} / {pct(v, 0.99):.1f} ms" if v else "-"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="+", help="LABEL:DATABASE, e.g. city:fq_scale_city")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--only-recommend", action="store_true")
    ap.add_argument("--any-state", action="store_true",
                    help="sample cases in any state with a position (the demo and city "
                    "territories hold few open ones: 3 and 24)")
    ap.add_argument("--answers", type=Path, help="keep the answers in this file, or compare "
                    "them with those kept there")
    args = ap.parse_args()
    kept = json.loads(args.answers.read_text()) if args.answers and args.answers.exists() \
        else None
    settings = Settings.from_env()
    results: dict[str, dict[str, Any]] = {}
    ctx = mp.get_context("spawn")
    for spec in args.sizes:
        label, _, name = spec.partition(":")
        print(f"[{time.strftime('%H:%M:%S')}] {label}: load average "
              + " ".join(f"{v:.2f}" for v in os.getloadavg()), flush=True)
        q = ctx.Queue()
        proc = ctx.Process(target=_child, args=(db.server_url(settings, name or label), args.n,
                                                args.only_recommend, args.any_state, q))
        proc.start()
        results[label] = {**q.get(), "db": name or label}
        proc.join()
        if proc.exitcode:
            sys.exit(f"{label}: exit {proc.exitcode}")
    rows = [("units", lambda r: f"{r['units']:,}"),
            ("cases sampled", lambda r: f"{r['n']}"),
            ("recommendation p50 / p99", lambda r: p50_99(r["new"])),
            ("full computation p50 / p99", lambda r: p50_99(r["full"])),
            ("  this process's CPU: recommendation", lambda r: p50_99(r["cpu_new"])),
            ("  this process's CPU: full", lambda r: p50_99(r["cpu_full"])),
            ("answers differing (of 50 shown)", lambda r: "-" if not r["full"] else
             f"{r['differ']}"),
            ("needed the second pass", lambda r: "-" if not r["full"] else f"{r['second']}"),
            ("unit cache check p50 / p99", lambda r: p50_99(r["signature"])),
            ("RSS loaded / after runs", lambda r: f"{r['rss_loaded']:.0f} / "
             f"{r['rss_after']:.0f} MB"),
            ("load average before / after", lambda r: " / ".join(f"{v:.2f}" for v in r["load"]))]
    if kept is not None:
        rows.append(("answers differing from --answers", lambda r: _differing(r, kept)))
    print(f"{'':<34}" + "".join(f"{k:>24}" for k in results))
    for label, fmt in rows:
        print(f"{label:<34}" + "".join(f"{fmt(r):>24}" for r in results.values()))
    if args.answers and kept is None:
        args.answers.write_text(json.dumps({r["db"]: r["answers"] for r in results.values()},
                                           ensure_ascii=False))


def _differing(result: dict[str, Any], kept: dict[str, Any]) -> str:
    """How many of the sampled cases' answers differ from those kept for the same database
    (the same cases are sampled: the seed is fixed), of how many compared."""
    old = kept.get(result["db"], {})
    same = [i for i in result["answers"] if i in old]
    return f"{sum(result['answers'][i] != old[i] for i in same)} of {len(same)}"


if __name__ == "__main__":
    main()
