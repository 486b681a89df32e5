"""Dispatch throughput on the demo territory: registrations per second, racing dispatchers.

Run: ``./run bench bench_dispatch [--seconds S] [--workers W] [--dispatchers D]``. Loads the
demo territory into a scratch database (dropped afterwards), then

1. registration: W processes register incidents (located, duplicates and risk checked,
   clocks started, audited) for S seconds; prints registrations/s sustained, lost (acknowledged
   but not in the database) and duplicate codes;
2. assignment: D processes race to assign random units to the registered incidents (every unit
   cut to capacity 1, so most attempts fight for the last place); prints wins/s, conflicts and
   double assignments (units with more active assignments than capacity; must be 0);
3. recommendation p50/p99 with road ETAs over the whole graph.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import time
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine, text

from dispatch.bootstrap import bootstrap
from dispatch.commands import AssignUnits, Party, RegisterIncident
from dispatch.errors import DispatchError
from dispatch.eta import StraightLineEta
from dispatch.seed import cached_demo
from dispatch.vocab import CATEGORIES
from geo import db
from geo.loader import load_territory
from geo.settings import Settings

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 Beijing: day shifts on duty


def _register(url: str, seconds: float, seed: int, points: list[tuple[float, float]],
              out: mp.Queue) -> None:  # type: ignore[type-arg]
    engine = db.make_engine(url, pool_size=2)
    app = bootstrap(engine, clock=lambda: NOW, eta=StraightLineEta())
    rng = random.Random(seed)
    cats = list(CATEGORIES)
    ids, codes, errors = [], [], 0
    app.handle(RegisterIncident(category="other", channel="app", actor="warm", address="预热路1号",
                                lon=points[0][0], lat=points[0][1], auto_dispatch=False))
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        lon, lat = rng.choice(points)
        k = rng.randrange(10**7)
        try:
            reg = app.handle(RegisterIncident(
                category=rng.choice(cats), channel="hotline", actor=f"bench{seed}",
                lon=lon + rng.uniform(-2e-4, 2e-4), lat=lat + rng.uniform(-2e-4, 2e-4),
                address=f"压测路{k % 5000}号", description="邻居装修噪音扰民",
                auto_dispatch=False,
                parties=(Party(f"甲{k}", f"138{k:08d}"), Party(f"乙{k}"))))
            ids.append(reg.incident_id)
            codes.append(reg.code)
        except DispatchError:
            errors += 1
    out.put((ids, codes, errors))
    engine.dispose()


def _dispatch(url: str, name: str, jobs: list[tuple[int, int]], out: mp.Queue  # type: ignore[type-arg]
              ) -> None:
    engine = db.make_engine(url, pool_size=2)
    app = bootstrap(engine, clock=lambda: NOW, eta=StraightLineEta())
    wins = conflicts = 0
    t0 = time.perf_counter()
    for incident_id, unit_id in jobs:
        try:
            app.handle(AssignUnits(incident_id=incident_id, unit_ids=(unit_id,), actor=name,
                                   reason="压测"))
            wins += 1
        except DispatchError:
            conflicts += 1
    out.put((wins, conflicts, time.perf_counter() - t0))
    engine.dispose()


def _procs(target, argsets):  # type: ignore[no-untyped-def]
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, q)) for a in argsets]
    for p in procs:
        p.start()
    results = [q.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--dispatchers", type=int, default=10)
    args = ap.parse_args()
    settings = Settings.from_env()
    name = "fq_bench_dispatch"
    url = db.create_database(settings, name, drop_first=True)
    try:
        db.migrate(url)
        engine: Engine = db.make_engine(url)
        with engine.begin() as conn:
            load_territory(conn, cached_demo(settings.state_dir / "cache", size="demo",
                                             seed=settings.seed, say=lambda m: None))
        with engine.connect() as conn:
            points = [(float(x), float(y)) for x, y in conn.execute(text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM micro_grids) m"))]
            before = conn.scalar(text("SELECT count(*) FROM incidents"))
        engine.dispose()

        t0 = time.perf_counter()
        res = _procs(_register, [(url, args.seconds, s, points) for s in range(args.workers)])
        wall = time.perf_counter() - t0
        ids = [i for r in res for i in r[0]]
        codes = [c for r in res for c in r[1]]
        errors = sum(r[2] for r in res)
        with engine.connect() as conn:
            stored = conn.scalar(text("SELECT count(*) FROM incidents WHERE id = ANY(:i)"),
                                 {"i": ids})
            total = conn.scalar(text("SELECT count(*) FROM incidents"))
        print(f"registration: {len(ids)} in {args.seconds:.0f} s by {args.workers} processes = "
              f"{len(ids) / args.seconds:.0f}/s sustained (wall {wall:.1f} s incl. start-up); "
              f"lost {len(ids) - stored}, duplicate codes {len(codes) - len(set(codes))}, "
              f"refused {errors}, rows added {total - before - args.workers}")

        with engine.begin() as conn:
            units = list(conn.execute(text(
                "UPDATE units SET capacity = 1, active_load = 0, status = 'available' "
                "WHERE id IN (SELECT id FROM units ORDER BY id LIMIT 400) AND NOT EXISTS ("
                "SELECT 1 FROM assignments a WHERE a.unit_id = units.id AND a.state = 'active') "
                "RETURNING id")).scalars())
        rng = random.Random(1)
        rng.shuffle(ids)
        per = len(ids) // args.dispatchers
        plans = []
        for d in range(args.dispatchers):
            mine = ids[d * per:(d + 1) * per][:300]
            plans.append((url, f"调度员{d}", [(i, rng.choice(units)) for i in mine]))
        t0 = time.perf_counter()
        res = _procs(_dispatch, plans)
        wall = time.perf_counter() - t0
        wins, conflicts = sum(r[0] for r in res), sum(r[1] for r in res)
        with engine.connect() as conn:
            double = conn.scalar(text(
                "SELECT count(*) FROM (SELECT u.id FROM units u JOIN assignments a ON "
                "a.unit_id = u.id AND a.state = 'active' GROUP BY u.id, u.capacity, u.active_load "
                "HAVING count(*) > u.capacity OR count(*) <> u.active_load) x"))
        attempts = wins + conflicts
        print(f"assignment: {args.dispatchers} dispatchers, {attempts} attempts on {len(units)} "
              f"units of capacity 1 in {wall:.1f} s = {attempts / wall:.0f} attempts/s; "
              f"{wins} won, {conflicts} refused (unit taken / full), double assignments {double}")

        app = bootstrap(engine, clock=lambda: NOW)
        sample = ids[:200]
        app.recommend(sample[0])  # builds the road graphs once
        times = []
        for iid in sample:
            t = time.perf_counter()
            rec = app.recommend(iid)
            times.append(time.perf_counter() - t)
        ms = np.array(times) * 1e3
        method = rec.candidates[0].eta_method if rec.candidates else "-"
        print(f"recommendation (road ETA: {method}): p50 {np.percentile(ms, 50):.1f} ms, "
              f"p99 {np.percentile(ms, 99):.1f} ms over {len(sample)} incidents")
        engine.dispose()
    finally:
        db.drop_database(settings, name)


if __name__ == "__main__":
    main()
