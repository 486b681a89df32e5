"""Dispatch at demo or city scale: registrations/s, racing dispatchers, recommendation vs pgRouting.

Run: ``./run bench bench_dispatch [--size demo|city] [--seconds S] [--workers W]
[--dispatchers D] [--recommendations N] [--moves K]``. Loads the generated territory (city:
2,766 units and the whole road graph) into a scratch database (dropped afterwards), then

1. registration: W processes register incidents (located, duplicates and risk checked,
   clocks started, audited) for S seconds; prints registrations/s sustained, lost (acknowledged
   but not in the database) and duplicate codes;
2. assignment: D processes race to assign random units to the registered incidents (every unit
   cut to capacity 1, so most attempts fight for the last place); prints wins/s, conflicts and
   double assignments (units with more active assignments than capacity; must be 0);
3. recommendation p50/p99 with road ETAs over the whole graph, in a freshly spawned server
   process (``console.bootstrap``, as ``./run demo`` builds it), side by side with the
   pgRouting way of the same one-to-many ETA step (SQL KNN snapping + ``pgr_withPointsCost``
   on the reversed graph) in the same process on the same incidents; once more with K units
   moved (their rows updated, untimed) before each recommendation, as live position pings do;
   and that process's memory (RSS after imports, after building the locator and graphs, after
   N recommendations).
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing as mp
import os
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, text

from demo.seed import cached_demo
from dispatch.bootstrap import bootstrap
from dispatch.commands import AssignUnits, Party, RegisterIncident
from dispatch.errors import DispatchError
from dispatch.eta import Eta, StraightLineEta
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


def _procs(target, argsets, *, context: str = "fork"):  # type: ignore[no-untyped-def]
    ctx = mp.get_context(context)
    q = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, q)) for a in argsets]
    for p in procs:
        p.start()
    results = [q.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return results


# -- 3. recommendation in a fresh server process: ours against pgRouting ------------------------
DRIVE_CLASSES = "road_class NOT IN ('footway', 'path', 'pedestrian')"
WALK_CLASSES = "road_class NOT IN ('motorway', 'trunk')"
# units → incident: one-to-many from the incident on the reversed costs (as ours runs)
PGR_EDGES = {
    "drive": ("SELECT id, source, target, reverse_cost_s AS cost, cost_s AS reverse_cost "
              f"FROM road_edges WHERE {DRIVE_CLASSES}"),
    "walk": ("SELECT id, source, target, length_m / 1.3 AS cost, length_m / 1.3 AS reverse_cost "
             f"FROM road_edges WHERE {WALK_CLASSES}"),
}
PGR = "SELECT end_pid, agg_cost FROM pgr_withPointsCost(:e, :p, :s, :ends, true, 'b')"


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class PgRoutingEta:
    """The pgRouting way of the same ETA step: every point snapped in SQL (KNN on the GiST
    index + ST_LineLocatePoint), then ``pgr_withPointsCost`` from the incident on the reversed
    costs, one query per profile. Road seconds only (no access legs): in pgRouting's favour."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        out = [Eta(math.inf, math.inf, "unreachable")] * len(origins)
        with self.engine.connect() as conn:
            for profile, where in (("drive", DRIVE_CLASSES), ("walk", WALK_CLASSES)):
                rows = [k for k, foot in enumerate(on_foot) if foot == (profile == "walk")]
                if not rows:
                    continue
                pts = [(k + 1, *origins[k]) for k in rows] + [(0, *destination)]
                values = ",".join(f"({pid},{float(x)!r},{float(y)!r})" for pid, x, y in pts)
                points_sql = (
                    "SELECT o.pid + 1 AS pid, e.id AS edge_id, ST_LineLocatePoint(e.geom, o.g) "
                    "AS fraction, 'b'::char AS side FROM (SELECT pid, ST_SetSRID(ST_MakePoint("
                    f"x, y), 4326) AS g FROM (VALUES {values}) v(pid, x, y)) o CROSS JOIN "
                    f"LATERAL (SELECT id, geom FROM road_edges WHERE {where} "
                    "ORDER BY geom <-> o.g LIMIT 1) e")
                got = dict(conn.execute(text(PGR), {
                    "e": PGR_EDGES[profile], "p": points_sql, "s": -1,
                    "ends": [-(k + 2) for k in rows]}).all())
                for k in rows:
                    sec = got.get(-(k + 2))
                    if sec is not None:
                        out[k] = Eta(float(sec), math.nan, "road")
        return out


def _timed(fn, ids, before=None):  # type: ignore[no-untyped-def]
    """Milliseconds per call, and what each call chose (a Recommendation's best units only:
    keeping whole results would weigh on the memory figure); ``before()`` runs untimed."""
    times, picks = [], []
    for iid in ids:
        if before is not None:
            before()
        t0 = time.perf_counter()
        got = fn(iid)
        times.append(time.perf_counter() - t0)
        picks.append(getattr(got, "best_unit_ids", None))
    return np.array(times) * 1e3, picks


def _mover(engine: Engine, k: int):  # type: ignore[no-untyped-def]
    """Move ``k`` random placed units a few metres (as position pings do): their rows change,
    so the unit cache re-reads them and their snaps are new."""
    rng = random.Random(7)
    with engine.connect() as conn:
        placed = list(conn.execute(text(
            "SELECT id FROM units WHERE last_geom IS NOT NULL ORDER BY id")).scalars())

    def move() -> None:
        with engine.begin() as conn:
            conn.execute(text(
                "UPDATE units SET last_geom = ST_Translate(last_geom, :dx, :dy), "
                "last_seen_at = :at WHERE id = ANY(:ids)"),
                {"dx": rng.uniform(-3e-4, 3e-4), "dy": rng.uniform(-3e-4, 3e-4), "at": NOW,
                 "ids": rng.sample(placed, k)})
    return move


def _recommend(url: str, ids: list[int], moves: int,
               out: mp.Queue) -> None:  # type: ignore[type-arg]
    """A server process as ``./run demo`` builds it (console.bootstrap), measured from its
    start: memory after the graphs and locator, then after N recommendations; then the same
    recommendations with the pgRouting ETA step in the same process."""
    from console.bootstrap import bootstrap as server_bootstrap

    settings = Settings.from_env()
    res: dict[str, Any] = {"rss_start": rss_mb()}
    app = server_bootstrap(settings, url=url)
    app.dispatch.clock = lambda: NOW
    t0 = time.perf_counter()
    with app.engine.connect() as conn:
        app.locators.get(conn)
        for cache in app.graphs.values():  # the /route face's graphs
            cache.get(conn)
    app.dispatch.recommend(ids[0])  # the recommender shares those graphs: loads the units
    res["build_s"] = time.perf_counter() - t0
    res["rss_built"] = rss_mb()
    with app.engine.connect() as conn:
        res["graph_mb"] = sum(c.get(conn).nbytes() for c in app.graphs.values()) / 1e6
        res["candidates"] = conn.scalar(text(
            "SELECT count(*) FROM units WHERE status <> 'off_duty' AND active_load < capacity "
            "AND last_geom IS NOT NULL"))
        inc = conn.execute(text("SELECT id, ST_X(geom), ST_Y(geom) FROM incidents "
                                "WHERE id = ANY(:i)"), {"i": ids}).all()
        units = conn.execute(text(
            "SELECT ST_X(last_geom), ST_Y(last_geom), on_foot FROM units WHERE status <> "
            "'off_duty' AND active_load < capacity AND last_geom IS NOT NULL ORDER BY id")).all()
    full: list[float] = []  # full garbage collections during our recommendations, ms

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            full.append(time.perf_counter() * 1e3 * (1 if phase == "stop" else -1))
    gc.callbacks.append(on_gc)
    res["load"] = [os.getloadavg()[0]]  # the machine's, not ours: 2 cores shared
    res["ours"], ours = _timed(app.dispatch.recommend, ids)
    gc.callbacks.remove(on_gc)
    res["full_gc_ms"] = [full[k] + full[k + 1] for k in range(0, len(full) - 1, 2)]
    res["tracked"] = len(gc.get_objects())
    res["rss_after"] = rss_mb()
    res["rss_peak"] = rss_mb("VmHWM")
    origins = [(float(x), float(y)) for x, y, _ in units]
    foot = [bool(f) for _, _, f in units]
    dest = {int(i): (float(x), float(y)) for i, x, y in inc}
    eta = app.dispatch.eta
    res["ours_eta"], _ = _timed(lambda i: eta.etas_to(origins, foot, dest[i]), ids)

    def load_units(_: int) -> int:
        with app.dispatch.uow() as uow:
            return len(uow.candidate_units())

    def load_units_sql(_: int) -> int:
        with app.dispatch.uow() as uow:
            return len(uow.units.candidates())
    res["units_load"], _ = _timed(load_units, ids)
    res["units_load_sql"], _ = _timed(load_units_sql, ids)
    # full collections walk every object of the process (locator, graphs …): frozen after
    # start-up, they walk only the request's own (./run demo freezes them after start)
    gc.collect()
    gc.freeze()
    res["ours_frozen"], _ = _timed(app.dispatch.recommend, ids)
    gc.unfreeze()
    res["load"].append(os.getloadavg()[0])
    pg_eta = PgRoutingEta(app.engine)
    pg_app = bootstrap(app.engine, clock=lambda: NOW, eta=pg_eta)
    pg_app.recommend(ids[0])
    res["pg"], theirs = _timed(pg_app.recommend, ids)
    res["pg_eta"], _ = _timed(lambda i: pg_eta.etas_to(origins, foot, dest[i]), ids)
    res["same_top"] = sum(a == b for a, b in zip(ours, theirs, strict=True))
    res["moves"] = moves  # last: moving units changes what the runs above compared
    if moves:
        gc.freeze()
        reads = app.dispatch.unit_cache.reads if app.dispatch.unit_cache else 0
        res["ours_moving"], _ = _timed(app.dispatch.recommend, ids, _mover(app.engine, moves))
        res["reread"] = (app.dispatch.unit_cache.reads - reads) / len(ids) \
            if app.dispatch.unit_cache else float("nan")
        gc.unfreeze()
    res["n"] = len(ids)
    first = app.dispatch.recommend(ids[0]).candidates
    res["method"] = first[0].eta_method if first else "-"
    app.engine.dispose()
    out.put(res)


def report_recommendation(r: dict[str, Any]) -> None:
    def line(label: str, ms: np.ndarray) -> str:
        return (f"{label:54s} p50 {np.percentile(ms, 50):6.1f} ms  p99 "
                f"{np.percentile(ms, 99):6.1f} ms  max {ms.max():6.1f} ms")
    print(f"recommendation over {r['n']} incidents, {r['candidates']:,} candidate units with a "
          f"position (road ETA method: {r['method']}; machine load average "
          f"{r['load'][0]:.1f} → {r['load'][1]:.1f} on {os.cpu_count()} cores):")
    print(line("  ours: whole recommendation (SQL + ETAs + ranking)", r["ours"]))
    print(line("    of which the ETA step (snap + 2 Dijkstra runs)", r["ours_eta"]))
    print(line("    of which the units (cache: digest + changed rows)", r["units_load"]))
    print(line("    (the units read whole: SQL + UnitFacts, no cache)", r["units_load_sql"]))
    gcs = r["full_gc_ms"]
    print(f"    full garbage collections during ours: {len(gcs)}, "
          f"{np.median(gcs) if gcs else 0:.0f} ms each ({r['tracked']:,} objects tracked)")
    print(line("  ours, objects of start-up frozen (gc.freeze())", r["ours_frozen"]))
    if r["moves"]:
        print(line(f"  ours, frozen, {r['moves']} units moved before each (untimed)",
                   r["ours_moving"]) + f"  ({r['reread']:.0f} rows re-read each)")
    print(line("  pgRouting way: whole recommendation", r["pg"]))
    print(line("    of which the ETA step (KNN snap + withPointsCost)", r["pg_eta"]))
    p99, pg50 = np.percentile(r["ours"], 99), np.percentile(r["pg"], 50)
    print(f"  same best unit/pair as the pgRouting way: {r['same_top']}/{r['n']}; speed-up at "
          f"p50 {pg50 / np.percentile(r['ours'], 50):.1f}×; target p99 ≤ 50 ms and faster than "
          f"pgRouting: {'met' if p99 <= 50 and p99 < np.percentile(r['pg'], 99) else 'MISSED'}")
    print(f"server process RSS: {r['rss_start']:.0f} MB after imports, {r['rss_built']:.0f} MB "
          f"after locator + graphs ({r['build_s']:.1f} s; graphs {r['graph_mb']:.1f} MB of "
          f"arrays, one copy shared by /route and the recommender), {r['rss_after']:.0f} MB after "
          f"{r['n']} recommendations (peak {r['rss_peak']:.0f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--dispatchers", type=int, default=10)
    ap.add_argument("--size", choices=("demo", "city"), default="demo")
    ap.add_argument("--recommendations", type=int, default=200)
    ap.add_argument("--moves", type=int, default=10,
                    help="units moved between recommendations in the last 'ours' run")
    args = ap.parse_args()
    settings = Settings.from_env()
    name = f"fq_bench_dispatch_{args.size}"
    url = db.create_database(settings, name, drop_first=True)
    try:
        db.migrate(url)
        engine: Engine = db.make_engine(url)
        with engine.begin() as conn:
            load_territory(conn, cached_demo(settings.state_dir / "cache", size=args.size,
                                             seed=settings.seed, say=lambda m: None))
            n_units = conn.scalar(text("SELECT count(*) FROM units"))
            n_edges = conn.scalar(text("SELECT count(*) FROM road_edges"))
        print(f"== {args.size}: {n_units:,} units, {n_edges:,} road edges ==")
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

        engine.dispose()
        rec = _procs(_recommend, [(url, ids[:args.recommendations], args.moves)],
                     context="spawn")[0]
        report_recommendation(rec)
    finally:
        db.drop_database(settings, name)


if __name__ == "__main__":
    main()
