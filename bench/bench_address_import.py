"""A centre's address library at scale: import seconds, then geocoding on that non-generator territory.

Run: ``./run bench bench_address_import [ROWS] [per-kind]`` (default 200,000 rows, 400 queries per
kind). In a scratch database: four street offices drawn by hand over the real Chengdu roads of
../shared/data (OpenStreetMap, ODbL), those roads, then an address library made from the roads'
names (doors both sides every 20 m; compounds of buildings and units behind doors, named as
Chengdu's 小区 are — a place, a developer, a wish or a work unit, then 花园/苑/家园…, 2 to 9
characters from thousands: ``tests.chengdu_files.compound_name``) written as CSV with 30% of
the rows in GCJ-02. Timed: ``import_addresses`` whole — read, check every row,
build the gazetteer, COPY, derive network roads, rebuild the search table, commit. Then the
geocoder over it with the same kinds of noise as ``bench_geocode`` (its ``run_sets``; the
province and city said are Sichuan/Chengdu's, 武侯 for 武侯区), top-1 micro-grid against each
address's imported point, beside the PostGIS-only peer (pg_trgm over ``full_address``).
Targets (issue 13): ≤ 60 s; clean ≥ 98%, noisy ≥ 95%.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench_geocode import _ROWS, CHENGDU, Row, run_sets  # same noise, same scoring
from sqlalchemy import text

from console.ops.importing import import_addresses, import_areas, import_roads
from geo import db
from geo.settings import Settings
from tests import chengdu_files as cd


def library(folder: Path, n_rows: int) -> list[dict[str, object]]:
    """Doors every 20 m, then compounds of 20 buildings × 5 units until ``n_rows``."""
    rows = cd.address_rows(folder, door_step_m=20.0, compounds=0)
    per = 20 * 5
    need = max(0, int((n_rows - len(rows)) / per * 1.05) + 1)  # a few buildings fall outside
    rows += [r for r in cd.address_rows(folder, door_step_m=20.0, compounds=need, buildings=20,
                                         units=5) if "compound" in r]
    return rows[:n_rows]


def main(n_rows: int = 200_000, per_kind: int = 400) -> None:
    settings = Settings.from_env()
    name = "fq_bench_address_import"
    url = db.create_database(settings, name, drop_first=True)
    db.migrate(url)
    engine = db.make_engine(url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            areas = cd.make_areas(folder)
            with engine.begin() as conn:
                import_areas(conn, areas, district=("510107", "武侯区"))
                import_roads(conn, cd.ROADS)
            t0 = time.perf_counter()
            rows = library(folder, n_rows)
            path = cd.write_addresses(rows, folder / "addresses.csv")
            print(f"made {len(rows)} address rows ({path.stat().st_size / 1e6:.1f} MB CSV) in "
                  f"{time.perf_counter() - t0:.1f} s (not timed below)")
            load = os.getloadavg()[0]
            t0, c0 = time.perf_counter(), time.process_time()
            with engine.begin() as conn:
                counts = import_addresses(conn, path)
                server = conn.scalar(text(  # this backend's CPU is not ours: ask for its clock
                    "SELECT extract(epoch FROM clock_timestamp() - xact_start) "
                    "FROM pg_stat_activity WHERE pid = pg_backend_pid()"))
            took, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"import_addresses, {len(rows)} rows, gazetteer and search rebuilt, committed: "
                  f"{took:.1f} s wall (target ≤ 60 s); this process's CPU {cpu:.1f} s; "
                  f"transaction open {float(server or 0):.1f} s; load average before "
                  f"{load:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
                  f"\n  {counts}")
        with engine.connect() as conn:
            library_rows = [Row(r) for r in conn.execute(_ROWS)
                            if r[2] != "road"]  # roads come from the network too; score addresses
            levels = {lv: sum(r.level == lv for r in library_rows)
                      for lv in ("building", "door", "compound", "place")}
            print(f"== geocoding on the imported Chengdu territory: {len(library_rows)} standard "
                  f"addresses {levels}; micro-grids "
                  f"{conn.scalar(text('SELECT count(*) FROM micro_grids'))} ==")
            run_sets(conn, library_rows, per_kind, seed=20261207, peer_n=min(per_kind, 60),
                     region=CHENGDU)
    finally:
        engine.dispose()
        db.drop_database(settings, name)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 200_000, int(args[1]) if len(args) > 1 else 400)
