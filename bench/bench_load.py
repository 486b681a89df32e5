"""Time what a first and a second start cost: generate, cache, load into PostGIS, serve layers.

Run: ``./run bench bench_load [demo|city]``. Uses a scratch database on the local cluster (or
DATABASE_URL's server) and drops it afterwards; the console's own database is not touched.
Layer GeoJSON is built by PostGIS (``ST_AsGeoJSON``) and, as its peer, by geopandas from the
same rows, so the choice of builder is measured, not assumed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
from sqlalchemy import text

from demo.seed import cached_demo
from geo import db
from geo.loader import load_territory
from geo.queries import LAYER_SQL, TERRITORY_LAYERS, territory_layer
from geo.settings import Settings


def main(size: str = "demo") -> None:
    settings = Settings.from_env()
    name = f"fq_bench_{size}"
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        territory = cached_demo(Path(cache), size=size, say=lambda m: None)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        cached_demo(Path(cache), size=size, say=lambda m: None)
        t_cache = time.perf_counter() - t0
    url = db.create_database(settings, name, drop_first=True)
    t0 = time.perf_counter()
    db.migrate(url)
    t_migrate = time.perf_counter() - t0
    engine = db.make_engine(url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        counts = load_territory(conn, territory)
    t_load = time.perf_counter() - t0
    rows = sum(counts.values())
    print(f"== {size}: {rows} rows in {len(counts)} tables ==")
    print(f"generate (territory, units, history)  {t_gen:7.2f} s")
    print(f"read the cached pickle                 {t_cache:7.2f} s")
    print(f"migrate an empty database              {t_migrate:7.2f} s")
    print(f"COPY into PostGIS (one transaction)    {t_load:7.2f} s  ({rows / t_load:,.0f} rows/s)")
    print(f"{'layer':14s} {'features':>8s} {'PostGIS ms':>10s} {'geopandas ms':>12s} {'MB':>6s}")
    import json

    with engine.connect() as conn:
        for layer in TERRITORY_LAYERS:
            t0 = time.perf_counter()
            feats = territory_layer(conn, layer)
            body = json.dumps(feats, ensure_ascii=False, default=str)
            t_pg = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            frame = gpd.read_postgis(text(LAYER_SQL[layer]), conn, geom_col="geom")
            frame.to_json(drop_id=True)
            t_gp = (time.perf_counter() - t0) * 1000
            print(f"{layer:14s} {len(feats):8d} {t_pg:10.0f} {t_gp:12.0f} "
                  f"{len(body.encode()) / 1e6:6.2f}")
    engine.dispose()
    db.drop_database(settings, name)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo")
