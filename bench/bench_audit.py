"""The administrators' audit search and CSV export over a large log.

Run: ``./run bench bench_audit [--rows N]`` (default 1,000,000). Fills a scratch database
(migrated to head, dropped afterwards) with N synthetic audit rows (a row every 30 s, eight
actors, rare login_failed / unmask / permission_denied among case changes, Chinese reasons),
then prints

1. one search page (100 rows and the capped count) p50 per filter: none, a rare action, two
   rare actions, one actor, an actor prefix, one case, common and rare free text, a 1–2
   character word that is absent (no trigram to use: the worst case);
2. the second page (keyset cursor) of the common free text;
3. the CSV export: rows/s and MB for the 100,000-row cap, unfiltered and with free text;
4. one audit insert p50/p99 with the search indexes of migration 0006.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid

from sqlalchemy import text

from console.exports import audit_csv
from dispatch.views_audit import fetch_page, parse_cursor, parse_query, search_audit, stream_batches
from geo import db
from geo.settings import Settings

FILL = """
INSERT INTO audit_log (at, actor, action, entity, entity_id, reason, detail)
SELECT now() - (g || ' seconds')::interval * 30,
  (ARRAY['duty','dispatcher1','dispatcher2','system','leader','field1','admin','hotline'])[1 + g % 8],
  CASE WHEN g % 1000 = 0 THEN 'login_failed' WHEN g % 997 = 0 THEN 'unmask'
       WHEN g % 499 = 0 THEN 'permission_denied' WHEN g % 50 = 0 THEN 'login'
       ELSE (ARRAY['register','locate','assign','transition','transition','transition',
                   'deadline_warn'])[1 + g % 7] END,
  CASE WHEN g % 50 = 0 THEN 'account' ELSE 'incident' END, g / 8,
  CASE WHEN g % 3 = 0 THEN '热线受理' WHEN g % 3 = 1 THEN '当事人已到场，调解中，编号' || g END,
  jsonb_build_object('code', '2026-' || lpad((g / 8)::text, 6, '0'), 'ip', '10.0.0.' || g % 250)
FROM generate_series(1, :n) g"""

FILTERS = {
    "none": {}, "action=login_failed": {"action": ["login_failed"]},
    "action=unmask,permission_denied": {"action": ["unmask,permission_denied"]},
    "actor=leader": {"actor": ["leader"]}, "actor=disp*": {"actor": ["disp*"]},
    "entity=incident&entity_id": {"entity": ["incident"], "entity_id": ["4242"]},
    "q=调解 (common)": {"q": ["调解"]}, "q=编号777778 (rare)": {"q": ["编号777778"]},
    "q=某某 (absent, 2 chars)": {"q": ["某某"]},
}


def p50(fn, runs: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    settings = Settings.from_env()
    name = f"fq_bench_audit_{uuid.uuid4().hex[:6]}"
    url = db.create_database(settings, name, drop_first=True)
    engine = None
    try:
        db.migrate(url)
        engine = db.make_engine(url)
        t = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text(FILL), {"n": args.rows})
            conn.execute(text("ANALYZE audit_log"))
        print(f"{args.rows:,} audit rows written in {time.perf_counter() - t:.1f} s")
        with engine.connect() as conn:
            for label, raw in FILTERS.items():
                query = parse_query(raw)
                result: dict = {}

                def page(q=query, out=result) -> None:  # type: ignore[no-untyped-def]
                    out.update(search_audit(conn, q, limit=100))
                    conn.rollback()
                ms = p50(page)
                print(f"search {label:34s} p50 {ms:8.1f} ms  total {result['total_label']}")
            query = parse_query(FILTERS["q=调解 (common)"])
            _, nxt = fetch_page(conn, query, limit=100)
            conn.rollback()
            ms = p50(lambda: (fetch_page(conn, query, limit=100, cursor=parse_cursor(nxt)),
                              conn.rollback()))
            print(f"second page of q=调解 (keyset)              p50 {ms:8.1f} ms")
        for label in ("none", "q=调解 (common)"):
            t = time.perf_counter()
            rows = size = 0
            for batch, _cut in stream_batches(engine.connect, parse_query(FILTERS[label]),
                                              cap=audit_csv.MAX_ROWS):
                rows += len(batch)
                size += len(audit_csv.rows_csv(batch).encode())
            dt = time.perf_counter() - t
            print(f"export {label:20s} {rows:,} rows, {size / 1e6:.1f} MB in {dt:.1f} s "
                  f"({rows / dt:,.0f} rows/s)")
        times = []
        with engine.connect() as conn:
            for i in range(1000):
                t = time.perf_counter()
                conn.execute(text(
                    "INSERT INTO audit_log (actor, action, entity, entity_id, reason, detail) "
                    "VALUES ('duty', 'transition', 'incident', :i, '到场调解', "
                    "CAST(:d AS jsonb))"), {"i": i, "d": json.dumps({"unit_id": i})})
                conn.commit()
                times.append(time.perf_counter() - t)
        times.sort()
        print(f"audit insert (committed) p50 {statistics.median(times) * 1000:.2f} ms, "
              f"p99 {times[int(len(times) * 0.99)] * 1000:.2f} ms")
    finally:
        if engine is not None:
            engine.dispose()
        db.drop_database(settings, name)


if __name__ == "__main__":
    main()
