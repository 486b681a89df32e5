"""Time the recommendation's ETA step at city scale: 1 incident vs 2,000 units, ours vs pgRouting.

Run: ``./run bench bench_route [city|demo] [incidents]``. Loads the generated territory into a
scratch database (dropped afterwards). Per incident, ours = snap the 2,000 unit positions and
the incident onto the roads + one Dijkstra run from the incident on the reversed graph (+ the
metres of each way). pgRouting does the same one-to-many with ``pgr_withPointsCost`` on the
reversed costs, (a) on our snapped points and (b) snapping in SQL (KNN + ST_LineLocatePoint),
which is what "the pgRouting way" costs in production. Both run in the same process, one after
the other, on the same incidents; (a) is also checked for agreement.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, text

from demo.seed import cached_demo
from geo import db
from geo.loader import load_territory
from geo.routing import RoadGraph, Snaps, travel_times_to
from geo.settings import Settings

UNITS = 2000
REVERSED_SQL = ("SELECT id, source, target, reverse_cost_s AS cost, cost_s AS reverse_cost "
                "FROM road_edges WHERE road_class NOT IN ('footway', 'path', 'pedestrian')")
UNITS_SQL = (f"SELECT id, ST_X(last_geom), ST_Y(last_geom), on_foot FROM units "
             f"WHERE last_geom IS NOT NULL ORDER BY id LIMIT {UNITS}")
# the pgRouting way end to end: each unit snapped to its nearest edge by the GiST index
SQL_POINTS = ("SELECT u.id AS pid, e.id AS edge_id, ST_LineLocatePoint(e.geom, u.last_geom) "
              "AS fraction, 'b'::char AS side FROM (SELECT id, last_geom FROM units "
              f"WHERE last_geom IS NOT NULL ORDER BY id LIMIT {UNITS}) u CROSS JOIN LATERAL "
              "(SELECT id, geom FROM road_edges ORDER BY geom <-> u.last_geom LIMIT 1) e "
              "UNION ALL SELECT 999999, e.id, ST_LineLocatePoint(e.geom, p.g), 'b'::char FROM "
              "(SELECT ST_SetSRID(ST_MakePoint({lon!r}, {lat!r}), 4326) AS g) p CROSS JOIN LATERAL "
              "(SELECT id, geom FROM road_edges ORDER BY geom <-> p.g LIMIT 1) e")
PGR = "SELECT end_pid, agg_cost FROM pgr_withPointsCost(:e, :p, :s, :ends, true, 'b')"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pgr_points(graph: RoadGraph, snaps: Snaps, *, first_pid: int = 1
               ) -> tuple[list[str], list[int]]:
    """Points rows and pgRouting ids (a point at fraction 0 or 1 is its vertex there)."""
    rows, ids = [], []
    for i, (e, f) in enumerate(zip(snaps.edge, snaps.fraction, strict=True)):
        if 0.0 < f < 1.0:
            rows.append(f"({first_pid + i},{int(graph.edge_ids[e])},{float(f)!r}::float8,"
                        "'b'::char)")
            ids.append(-(first_pid + i))
        else:
            ids.append(int(graph.node_ids[graph.source[e] if f <= 0 else graph.target[e]]))
    return rows, ids


def values_sql(rows: list[str]) -> str:
    return f"SELECT * FROM (VALUES {','.join(rows)}) AS p(pid, edge_id, fraction, side)"


def pct(xs: list[float]) -> str:
    a = np.array(xs) * 1000
    return f"{np.percentile(a, 50):8.2f} {np.percentile(a, 99):8.2f} {a.max():8.2f}"


def build(conn: Connection, profile: str, *, trace: bool = False
          ) -> tuple[RoadGraph, float, float, float]:
    """The graph, build seconds, Python+numpy peak MB (when traced), RSS growth MB."""
    gc.collect()
    before = rss_mb()
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    graph = RoadGraph.from_db(conn, profile=profile)  # type: ignore[arg-type]
    took = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if trace else float("nan")
    if trace:
        tracemalloc.stop()
    return graph, took, peak, rss_mb() - before


def main(size: str = "city", n_incidents: int = 100) -> None:
    settings = Settings.from_env()
    name = f"fq_bench_route_{size}"
    territory = cached_demo(settings.state_dir / "cache", size=size, say=lambda m: None)
    url = db.create_database(settings, name, drop_first=True)
    try:
        db.migrate(url)
        engine = db.make_engine(url)
        with engine.begin() as conn:
            load_territory(conn, territory)
        with engine.connect() as conn:
            run(conn, n_incidents)
        engine.dispose()
    finally:
        db.drop_database(settings, name)


def run(conn: Connection, n_incidents: int) -> None:
    conn.execute(text("SELECT 1 FROM pgr_version()"))
    rss0 = rss_mb()
    drive, _, _, rss_drive = build(conn, "drive")
    t_drive = min(build(conn, "drive")[1] for _ in range(3))
    walk, t_walk, _, rss_walk = build(conn, "walk")
    py_mb = build(conn, "drive", trace=True)[2]
    units = np.array(conn.execute(text(UNITS_SQL)).all(), dtype=float)
    xy, on_foot = units[:, 1:3], units[:, 3].astype(bool)
    rng = np.random.default_rng(20261121)
    addr = np.array(conn.execute(text(
        "SELECT ST_X(geom), ST_Y(geom) FROM addresses ORDER BY id")).all(), dtype=float)
    incidents = addr[rng.choice(len(addr), n_incidents, replace=False)]
    n_arcs = drive.forward.matrix.nnz - 2
    print(f"== routing, {len(drive.edge_ids):,} edges / {drive.n_nodes:,} nodes / {n_arcs:,} "
          f"directed arcs; {len(xy):,} units ({on_foot.sum()} on foot); {n_incidents} incidents ==")
    print(f"graph build from PostGIS, drive      {t_drive * 1000:8.1f} ms  (best of 3)")
    print(f"graph build from PostGIS, walk       {t_walk * 1000:8.1f} ms")
    print(f"graph memory, drive: arrays {drive.nbytes() / 1e6:.1f} MB, Python+numpy peak while "
          f"building {py_mb:.1f} MB, RSS +{rss_drive:.1f} MB (walk +{rss_walk:.1f} MB; "
          f"process RSS {rss_mb():.0f} MB, {rss_mb() - rss0:+.0f} MB after 6 builds)")

    ours, cached, both, snap_only = [], [], [], []
    unit_snaps = drive.snap(xy[:, 0], xy[:, 1])
    for lon, lat in incidents:  # warm-up and the cached variant
        travel_times_to(drive, unit_snaps, (lon, lat))
    for lon, lat in incidents:
        t0 = time.perf_counter()
        drive.snap(xy[:, 0], xy[:, 1])
        snap_only.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        travel_times_to(drive, xy, (lon, lat))
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        travel_times_to(drive, unit_snaps, (lon, lat))
        cached.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        travel_times_to(walk, xy[on_foot], (lon, lat))
        travel_times_to(drive, xy[~on_foot], (lon, lat))
        both.append(time.perf_counter() - t0)

    unit_rows, ids = pgr_points(drive, unit_snaps)
    ends = sorted(set(ids))
    same, in_sql, gaps, reach = [], [], [], 0
    for lon, lat in incidents:
        inc = drive.snap(lon, lat)
        inc_rows, (start,) = pgr_points(drive, inc, first_pid=999999)
        mine = travel_times_to(drive, unit_snaps, inc).road_s
        pts = values_sql(unit_rows + inc_rows)
        t0 = time.perf_counter()
        rows = conn.execute(text(PGR), {"e": REVERSED_SQL, "p": pts, "s": start,
                                        "ends": ends}).all()
        same.append(time.perf_counter() - t0)
        got = {int(k): float(v) for k, v in rows}
        got[start] = 0.0
        theirs = np.array([got.get(i, np.inf) for i in ids])
        fin = np.isfinite(theirs) & np.isfinite(mine)
        reach += int(np.array_equal(np.isfinite(theirs), np.isfinite(mine)))
        gaps.append(float(np.max(np.abs(mine[fin] - theirs[fin]) / np.maximum(theirs[fin], 1))))
        t0 = time.perf_counter()
        conn.execute(text(PGR), {"e": REVERSED_SQL, "p": SQL_POINTS.format(lon=float(lon), lat=float(lat)),
                                 "s": -999999, "ends": [-int(i) for i in units[:, 0]]}).all()
        in_sql.append(time.perf_counter() - t0)

    print(f"{'1 incident vs ' + format(len(xy), ',') + ' units':58s} {'p50 ms':>8s} {'p99 ms':>8s} "
          f"{'max ms':>8s}")
    print(f"{'ours: snap units + incident, reversed Dijkstra, metres':58s} {pct(ours)}")
    print(f"{'  of which snapping the ' + format(len(xy), ',') + ' unit positions':58s} "
          f"{pct(snap_only)}")
    print(f"{'ours: units snapped beforehand (cached Snaps)':58s} {pct(cached)}")
    print(f"{'ours: walk graph for on-foot units + drive for the rest':58s} {pct(both)}")
    print(f"{'pgRouting: withPointsCost, reversed, on our snapped points':58s} {pct(same)}")
    print(f"{'pgRouting: KNN snap in SQL + withPointsCost, reversed':58s} {pct(in_sql)}")
    print(f"agreement on the same snapped points: worst relative gap {max(gaps):.1e}, "
          f"reachability identical for {reach}/{len(incidents)} incidents")
    print(f"speed-up at p50: {np.median(same) / np.median(ours):.1f}× (same points), "
          f"{np.median(in_sql) / np.median(ours):.1f}× (SQL snapping); target p99 ≤ 50 ms: "
          f"{'met' if np.percentile(ours, 99) * 1000 <= 50 else 'MISSED'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "city",
         int(sys.argv[2]) if len(sys.argv) > 2 else 100)
