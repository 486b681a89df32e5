"""Locate points at city scale in process, beside PostGIS ST_Covers doing the same.

Run: ``./run bench bench_locate [demo|city] [--points N]``. Loads the generated territory into a
scratch database (dropped afterwards), builds the Locator from it, and prints single-point
p50/p99 (full chain, and micro-grid only), batch throughput over N points given in GCJ-02
(so the exact inverse conversion is included), and the PostGIS peer: ``ST_Covers`` per point
(GiST index, prepared, unix socket) and set-based over the batch, with the agreement count.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import text

from demo.seed import cached_demo
from geo import db
from geo.coords import from_wgs84
from geo.loader import load_territory
from geo.locate import Locator
from geo.settings import Settings

PER_POINT = text("SELECT id FROM micro_grids WHERE ST_Covers(geom, "
                 "ST_SetSRID(ST_MakePoint(:x, :y), 4326)) ORDER BY id LIMIT 1")
SET_BASED = text("""
    SELECT p.i, (SELECT m.id FROM micro_grids m
                 WHERE ST_Covers(m.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
                 ORDER BY m.id LIMIT 1)
    FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, i)
    ORDER BY p.i""")


def pct(samples: list[float]) -> str:
    a = np.array(samples) * 1e3
    return f"p50 {np.percentile(a, 50):7.3f} ms  p99 {np.percentile(a, 99):7.3f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("size", nargs="?", default="city")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--peer-points", type=int, default=100_000)
    args = ap.parse_args()
    settings = Settings.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        cache = settings.state_dir / "cache" if settings.state_dir.exists() else Path(tmp)
        territory = cached_demo(cache, size=args.size, say=lambda m: None)
    name = f"fq_bench_locate_{args.size}"
    url = db.create_database(settings, name, drop_first=True)
    db.migrate(url)
    engine = db.make_engine(url)
    with engine.begin() as conn:
        load_territory(conn, territory)
    t0 = time.perf_counter()
    with engine.connect() as conn:
        locator = Locator.from_db(conn)
    t_build = time.perf_counter() - t0
    cells = len(locator.layers["micro_grid"].frame)
    print(f"== {args.size}: {cells} micro-grids; Locator built from PostGIS in {t_build:.2f} s ==")

    rng = np.random.default_rng(11)
    x0, y0, x1, y1 = shapely.total_bounds(locator.layers["micro_grid"].geoms)
    lons, lats = rng.uniform(x0, x1, args.points), rng.uniform(y0, y1, args.points)

    single, chain = [], []
    for x, y in zip(lons[:5000], lats[:5000], strict=True):
        t = time.perf_counter()
        locator.ids([x], [y])
        single.append(time.perf_counter() - t)
        t = time.perf_counter()
        locator.locate(float(x), float(y))
        chain.append(time.perf_counter() - t)
    print(f"ours, one point, micro-grid id      {pct(single)}")
    print(f"ours, one point, full chain          {pct(chain)}")

    glon, glat = from_wgs84(lons, lats, "gcj02")
    t = time.perf_counter()
    ours = locator.ids(glon, glat, crs="gcj02")
    dt = time.perf_counter() - t
    print(f"ours, batch of {args.points:,} GCJ-02 points   {dt:6.2f} s  "
          f"({args.points / dt:,.0f} points/s, conversion included)")

    peer = []
    with engine.connect() as conn:
        for x, y in zip(lons[:5000], lats[:5000], strict=True):
            t = time.perf_counter()
            conn.execute(PER_POINT, {"x": float(x), "y": float(y)}).scalar()
            peer.append(time.perf_counter() - t)
        print(f"PostGIS ST_Covers, one point         {pct(peer)}")
        n = args.peer_points
        t = time.perf_counter()
        rows = conn.execute(SET_BASED, {"xs": lons[:n].tolist(), "ys": lats[:n].tolist()}).all()
        dt = time.perf_counter() - t
        theirs = np.array([r[1] or 0 for r in rows])
    print(f"PostGIS set-based, {n:,} points      {dt:6.2f} s  ({n / dt:,.0f} points/s)")
    ours_wgs = locator.ids(lons[:n], lats[:n])
    agree = int((theirs == ours_wgs).sum())
    print(f"agreement on {n:,} points: {agree:,} ({100 * agree / n:.3f}%); "
          f"inside {int((ours_wgs > 0).sum()):,}; GCJ-02 round trip changed "
          f"{int((ours[:n] != ours_wgs).sum())} cells")
    engine.dispose()
    db.drop_database(settings, name)


if __name__ == "__main__":
    main()
