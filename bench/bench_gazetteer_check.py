"""The in-memory gazetteer's change check and rebuild at a generated territory's scale, with its
peers: the check before migration 0026 (row counts and largest ids, blind to an edit in place),
a full ``geo.cache.table_signature`` (sees edits, reads every row) and the 0026 change counters
(one row per table, bumped by trigger); then a ``MemoryGazetteer`` build, and how long readers
wait for the cache while one thread rebuilds it (single flight: the previous value at once).

Run: ``./run bench bench_gazetteer_check [TEMPLATE]`` (default ``fq_province``; a few minutes).
Copies TEMPLATE into a scratch database (dropped afterwards), migrates the copy to head.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable

from sqlalchemy import text

from geo import db
from geo import geocode_memory as gm
from geo.cache import table_signature
from geo.settings import Settings

SCRATCH = "bench_gazetteer_check"
_COUNTS = text(" UNION ALL ".join(f"SELECT '{t}', count(*), coalesce(max(id), 0) FROM {t}"
                                  for t in gm._TABLES))


def timed(f: Callable[[], object], n: int) -> list[float]:
    f()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        out.append((time.perf_counter() - t) * 1000)
    return out


def copy(settings: Settings, template: str, *, tries: int = 60) -> str:
    """The scratch copy of ``template`` (refused while anyone is connected to it: retried)."""
    admin = db.make_engine(db.server_url(settings, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
            for k in range(tries):
                try:
                    conn.execute(text(f'CREATE DATABASE "{SCRATCH}" TEMPLATE "{template}" '
                                      "STRATEGY FILE_COPY"))
                    break
                except Exception:
                    if k == tries - 1:
                        raise
                    time.sleep(5)
    finally:
        admin.dispose()
    return db.server_url(settings, SCRATCH)


def main(template: str) -> None:
    settings = Settings.from_env()
    url = copy(settings, template)
    engine = db.make_engine(url)
    try:
        db.migrate(url)
        full = table_signature(*gm._TABLES)
        with engine.connect() as conn:
            rows = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in gm._TABLES}
            print(f"{template}: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
            got: dict[str, list[float]] = {"counts": [], "full": [], "counters": []}
            for _ in range(2):  # alternated, so a drift in load hits each alike
                got["counts"] += timed(lambda: list(conn.execute(_COUNTS)), 10)
                got["full"] += timed(lambda: full(conn), 3)
                got["counters"] += timed(lambda: gm._signature(conn), 50)
            for name, label in (("counts", "row counts + largest ids (before; misses edits)"),
                                ("full", "table_signature (every row)"),
                                ("counters", "0026 change counters")):
                xs = got[name]
                print(f"  check, {label}: median {statistics.median(xs):.2f} ms, "
                      f"min {min(xs):.2f} ms (n={len(xs)})")
        cache = gm.gazetteer_cache(check_s=0.0)
        with engine.connect() as conn:
            t = time.perf_counter()
            cache.get(conn)
            print(f"  MemoryGazetteer build: {time.perf_counter() - t:.2f} s")
            conn.execute(text("UPDATE addr_roads SET name = name WHERE id = "
                              "(SELECT min(id) FROM addr_roads)"))
            conn.commit()
        waits: list[float] = []
        rebuilding = threading.Thread(target=lambda: _get(engine, cache))
        rebuilding.start()
        while rebuilding.is_alive():
            t = time.perf_counter()
            _get(engine, cache)
            waits.append((time.perf_counter() - t) * 1000)
            time.sleep(0.05)
        print(f"  a reader's get() while another thread rebuilds: median "
              f"{statistics.median(waits):.2f} ms, max {max(waits):.2f} ms (n={len(waits)}; "
              f"before single flight each waited for the whole rebuild)")
    finally:
        engine.dispose()
        db.drop_database(settings, SCRATCH)


def _get(engine: object, cache: object) -> None:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        cache.get(conn)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fq_province")
