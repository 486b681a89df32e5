"""Gi* hotspots at demo and city scale: PySAL in process beside the same Gi* in PostGIS SQL.

Run: ``./run bench bench_hotspots [demo city] [--permutations 999]``. For each generated
territory (from the cache under .state/cache), the micro-grids' counts are the generated cases
of the last 365 days. Printed: the queen weights' build (libpysal), one Gi* with analytical
inference (esda.G_Local, star, permutations=0: what the API runs per request on cached
weights), esda's permutation inference (the peer a permutation p-value costs), 250 m cells
(build + Gi*), and the same Gi* as one PostGIS SQL query over a scratch database holding only
the micro-grids (neighbours by ST_Intersects on a GiST index, z by ArcGIS's formula), with the
largest difference in z between the two.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from esda import G_Local
from sqlalchemy import text

from analysis.gistar import gi_star
from analysis.hotspots import Cells, MicroGrids
from demo.seed import cached_demo
from geo import db
from geo.settings import Settings

SQL_GI = text("""
    WITH nb AS (SELECT a.id AS i, b.y FROM bench_mg a JOIN bench_mg b
                ON ST_Intersects(a.geom, b.geom)),
         st AS (SELECT count(*)::float8 AS n, avg(y) AS xbar,
                       sqrt(avg(y * y) - avg(y) ^ 2) AS s FROM bench_mg),
         agg AS (SELECT i, sum(y) AS sy, count(*)::float8 AS w FROM nb GROUP BY i)
    SELECT agg.i, (sy - xbar * w) / (s * sqrt((n * w - w * w) / (n - 1)))
    FROM agg, st ORDER BY agg.i""")


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds over ``repeat`` runs, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def run(size: str, settings: Settings, permutations: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cache = settings.state_dir / "cache" if settings.state_dir.exists() else Path(tmp)
        territory = cached_demo(cache, size=size, say=lambda m: None)
    mg = territory["micro_grids"].sort_values("id")
    inc = territory["incidents"]
    recent = inc[inc.reported_at > inc.reported_at.max() - np.timedelta64(365, "D")]
    counts = recent.micro_grid_id.dropna().astype(int).value_counts().to_dict()
    ids, polys = mg.id.astype(int).tolist(), list(mg.geom)
    print(f"== {size}: {len(ids)} micro-grids, {len(recent)} cases in 365 days ==")

    t_w, micro = timed(lambda: MicroGrids.build(ids, polys), 3)
    print(f"queen weights (libpysal)            {t_w * 1e3:9.1f} ms  "
          f"({micro.w.mean_neighbors:.2f} neighbours on average, {len(micro.w.islands)} islands)")
    t_g, ours = timed(lambda: gi_star(counts, micro.g), 7)
    t_gw, _ = timed(lambda: gi_star(counts, micro.w), 3)
    print(f"Gi* analytical from the W each time {t_gw * 1e3:9.1f} ms")
    print(f"Gi* analytical (esda, cached graph) {t_g * 1e3:9.1f} ms  "
          f"(hot 99%: {(ours.classes == 3).sum()}, cold 99%: {(ours.classes == -3).sum()})")
    t_p, _ = timed(lambda: G_Local(ours.counts, micro.w, transform="B", star=True,
                                   permutations=permutations, n_jobs=1, seed=1), 1)
    print(f"Gi* {permutations} permutations (esda, 1 job) {t_p * 1e3:9.1f} ms")
    area = shapely.union_all(list(territory["streets"].geom))
    pts = recent.geom.dropna()
    t_c, cells = timed(lambda: Cells.build(area, size_m=250), 3)
    t_cg, _ = timed(lambda: gi_star(cells.counts(pts.x.values, pts.y.values), cells.g), 3)
    print(f"250 m cells: build {t_c * 1e3:.1f} ms, count + Gi* {t_cg * 1e3:.1f} ms "
          f"({cells.w.n} cells)")

    name = f"fq_bench_hotspots_{size}"
    url = db.create_database(settings, name, drop_first=True)
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.execute(text("CREATE TABLE bench_mg (id int PRIMARY KEY, "
                              "geom geometry(MultiPolygon, 4326) NOT NULL, y float8 NOT NULL)"))
            conn.execute(text("INSERT INTO bench_mg VALUES (:i, ST_Multi(ST_GeomFromWKB(:g, 4326)), :y)"),
                         [{"i": i, "g": shapely.to_wkb(p), "y": float(counts.get(i, 0))}
                          for i, p in zip(ids, polys, strict=True)])
            conn.execute(text("CREATE INDEX ON bench_mg USING gist (geom)"))
            conn.execute(text("ANALYZE bench_mg"))
        with engine.connect() as conn:
            t_sql, rows = timed(lambda: conn.execute(SQL_GI).all(), 3)
        z_sql = np.array([float(r[1]) for r in rows])
        diff = float(np.max(np.abs(z_sql - ours.z))) if len(z_sql) == len(ours.z) else float("nan")
        print(f"Gi* in PostGIS SQL (neighbours + z) {t_sql * 1e3:9.1f} ms  "
              f"(max |z_sql - z_esda| = {diff:.2e})")
        print(f"in process, weights built every time: {(t_w + t_g) * 1e3:.1f} ms; "
              f"PostGIS / esda with cached weights: {t_sql / t_g:.0f}×")
    finally:
        engine.dispose()
        db.drop_database(settings, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("sizes", nargs="*", default=["demo", "city"])
    ap.add_argument("--permutations", type=int, default=999)
    args = ap.parse_args()
    settings = Settings.from_env()
    for size in args.sizes:
        run(size, settings, args.permutations)


if __name__ == "__main__":
    main()
