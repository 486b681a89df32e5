"""How each cost grows with the territory: demo → city → province, one line per figure.

Run: ``./run bench bench_scale demo:fq_scale_demo city:fq_scale_city province:fq_province
[--n 200] [--seconds 10]``. Each ``LABEL:DATABASE`` names a database on DATABASE_URL's server
that already holds a generated territory (``FQ_DB_NAME=fq_province ./run generate --size
province``: the province is generated once and reused). Sizes run one after another in their
own process (memory is per size), in the order given; the machine's load average is printed
with each. Per size, in one process built as a console process is (console.bootstrap):

- locate: one point to its micro-grid chain (geo.locate), p50/p99 over ``--n`` points;
- geocode: a standard address's text to candidates (geo.geocoder), p50/p99;
- recommendation: ranked units and pairs with road ETAs for an open case, p50/p99;
- desk-hub snapshot: the whole territory's read (what the hub computes) and a street desk's
  as it was (console.api.auth_scope.filter_snapshot of the whole read) and as it is now
  (the street's part read by console.live.desk_part, then the same filter);
- wall refresh: the wall's figures (dispatch.stats_live.wall_snapshot + live) for one
  district and for the whole territory, and the live tier alone (what one change moves: the
  counts and the open cases, dispatch.stats_live.live) for the district;
- memory: the process's RSS after the locator, road graphs, unit cache and one hub snapshot;
- registration through the domain path (RegisterIncident, located, checked, audited;
  ``auto_dispatch`` off), one process for ``--seconds`` (it adds cases to the database).

``--wall-only``: the wall lines alone; nothing is written, so it may run on a read-only
territory such as the shared province. ``--before``: the wall also as in session 10 (each
case's evidence tested per row instead of read from its kept flags; the trend and the mix
reading the rows again), alternating with the new read round by round. Each wall line also
gives its CPU (database backend + process). The database must be at migration 0024 or later.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_dispatch import NOW, rss_mb
from sqlalchemy import text

from geo import db
from geo.settings import Settings

Timed = list[float]


def pct(values: Timed, q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def timings(fn: Callable[[Any], Any], args: list[Any], warm: int = 2) -> Timed:
    for a in args[:warm]:
        fn(a)
    out = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        out.append((time.perf_counter() - t) * 1000)
    return out


def street_principal(street_id: int) -> Any:
    from dispatch.access import Principal

    return Principal(name="bench-street", role="dispatcher", street_id=street_id)


def backend_cpu_s(pid: int) -> float:
    """A PostgreSQL backend's user + system CPU seconds so far (same machine: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wall_figures(app: Any, district: int, rounds: int, before: bool = False) -> dict[str, Any]:
    """The wall's refresh for one district and the whole territory, and the district's live tier.

    Each refresh is timed and its CPU taken: the database backend's (/proc, 10 ms ticks; a
    parallel worker's share is not in it) plus this process's. ``before``: every round also
    refreshes as in session 10 (the evidence tested per row: ``stats_rows.EVIDENCE_KEPT`` off;
    overview with ranking, trend and mix each reading the rows), alternating with the new
    read, so both stand at the same load (``*_before``)."""
    from dispatch import stats, stats_board, stats_live, stats_rows
    from dispatch.stats import Scope

    def old_snapshot(conn: Any, scope: Scope) -> dict[str, Any]:
        """stats_live.wall_snapshot as of session 10 (before 0024 and the one read)."""
        stats_rows.tune(conn)
        board, ranked = stats_board.overview_and_ranking(conn, scope, days=30)
        return {"scope": stats.area(conn, scope), "overview": board,
                "trend": stats.trend(conn, scope, days=30),
                "categories": stats.categories(conn, scope, days=30), "ranking": ranked,
                "window_days": 30, "cases": stats.open_cases(conn, scope, limit=12)}

    variants = [("", True)] + ([("_before", False)] if before else [])
    out: dict[str, Any] = {}
    for key, scope in (("wall_district", Scope(district=district)), ("wall_all", Scope())):
        for r in range(rounds + 1):  # the first round warms up
            for suffix, kept in variants:
                stats_rows.EVIDENCE_KEPT = kept
                snapshot = stats_live.wall_snapshot if kept else old_snapshot
                with app.engine.connect() as conn:
                    pid = int(conn.scalar(text("SELECT pg_backend_pid()")))
                    conn.rollback()
                    c0, p0, t0 = backend_cpu_s(pid), time.process_time(), time.perf_counter()
                    stats_live.with_live(snapshot(conn, scope), stats_live.live(conn, scope))
                    conn.rollback()
                    ms = (time.perf_counter() - t0) * 1000
                    cpu = (backend_cpu_s(pid) - c0 + time.process_time() - p0) * 1000
                if r:
                    out.setdefault(key + suffix, []).append(ms)
                    out.setdefault(key + "_cpu" + suffix, []).append(cpu)
    stats_rows.EVIDENCE_KEPT = True

    def live(_: Any) -> Any:
        with app.engine.connect() as conn:
            return stats_live.live(conn, Scope(district=district))
    out["wall_live"] = timings(live, list(range(rounds)), warm=1)
    return out


def measure(url: str, n: int, seconds: float, wall_only: bool = False,
            before: bool = False) -> dict[str, Any]:
    """Every figure of one size, in this (fresh) process (``wall_only``: the wall's alone)."""
    from console.api.auth_scope import filter_snapshot
    from console.bootstrap import bootstrap
    from console.live.desk_hub import DeskHub
    from console.live.desk_part import DeskParts, part_of
    from dispatch.commands import Party, RegisterIncident
    from dispatch.eta import StraightLineEta
    from geo.geocoder import geocode

    out: dict[str, Any] = {"load": [os.getloadavg()[0]]}
    settings = Settings.from_env()
    app = bootstrap(settings, url=url)
    app.dispatch.clock = lambda: NOW
    rng = random.Random(7)
    with app.engine.connect() as conn:
        counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in
                  ("districts", "streets", "micro_grids", "units", "incidents")}
        open_ids = [int(i) for i in conn.scalars(text(
            "SELECT id FROM incidents WHERE state IN ('located', 'assigned', 'acknowledged', "
            "'on_scene') AND geom IS NOT NULL ORDER BY random() LIMIT :n"), {"n": n})]
        addresses = [str(a) for a in conn.scalars(text(
            "SELECT full_address FROM addresses WHERE level = 'door' ORDER BY random() "
            "LIMIT :n"), {"n": n})] or [str(a) for a in conn.scalars(text(
                "SELECT full_address FROM addresses ORDER BY random() LIMIT :n"), {"n": n})]
        street = conn.execute(text(
            "SELECT s.id, s.district_id FROM streets s JOIN incidents i ON i.street_id = s.id "
            "WHERE i.state IN ('located', 'assigned', 'acknowledged', 'on_scene') "
            "GROUP BY s.id ORDER BY count(*) DESC, s.id LIMIT 1")).one()
    out["counts"] = counts
    if wall_only:
        out.update(wall_figures(app, int(street[1]), max(5, n // 20), before))
        out["load"].append(os.getloadavg()[0])
        app.engine.dispose()
        return out
    with app.engine.connect() as conn:
        t0 = time.perf_counter()
        locator = app.locators.get(conn)
        for cache in app.graphs.values():
            cache.get(conn)
        out["build_s"] = time.perf_counter() - t0
        bounds = conn.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) AS e FROM micro_grids) x")).one()
    points = [(rng.uniform(bounds[0], bounds[2]), rng.uniform(bounds[1], bounds[3]))
              for _ in range(n)]
    out["locate"] = timings(lambda p: locator.locate(*p), points)
    with app.engine.connect() as conn:
        out["geocode"] = timings(lambda q: geocode(conn, q), addresses)
    out["recommend"] = timings(app.dispatch.recommend, open_ids)

    hub = DeskHub(app)
    rounds = max(5, n // 20)
    out["hub_all"] = timings(lambda _: hub.compute(), list(range(rounds)), warm=1)
    who = street_principal(int(street[0]))
    snap = hub.compute()
    out["hub_street"] = timings(lambda _: filter_snapshot(who, hub.compute()),
                                list(range(rounds)), warm=1)
    out["street_rows"] = len(filter_snapshot(who, snap)["queue"])
    key = part_of(who)
    assert key is not None
    parts = DeskParts(app)
    out["part_street"] = timings(lambda _: filter_snapshot(who, parts.read(key, version=0)),
                                 list(range(rounds)), warm=1)
    out["part_rows"] = len(filter_snapshot(who, parts.read(key, version=0))["queue"])
    out["all_rows"] = len(snap["queue"])
    out["rss_mb"] = rss_mb()

    out.update(wall_figures(app, int(street[1]), rounds, before))

    from dispatch.bootstrap import bootstrap as domain_bootstrap
    # the process's locator (built above): a domain of its own would build the province's
    # again inside its first registration (seconds, counted as registration time)
    domain = domain_bootstrap(app.engine, clock=lambda: NOW, eta=StraightLineEta(),
                              locators=app.locators)
    done, end = 0, time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < end:
        lon, lat = rng.choice(points)
        k = rng.randrange(10**7)
        domain.handle(RegisterIncident(
            category="neighbour", channel="hotline", actor="bench-scale", lon=lon, lat=lat,
            address=f"压测路{k % 5000}号", description="邻居装修噪音扰民", auto_dispatch=False,
            parties=(Party(f"甲{k}", f"138{k:08d}"), Party(f"乙{k}"))))
        done += 1
    out["register_per_s"] = done / (time.perf_counter() - t0)
    out["load"].append(os.getloadavg()[0])
    app.engine.dispose()
    return out


def _child(url: str, n: int, seconds: float, wall_only: bool, before: bool, q: Any) -> None:
    q.put(measure(url, n, seconds, wall_only, before))


def line(label: str, results: dict[str, dict[str, Any]], fmt: Callable[[dict[str, Any]], str]
         ) -> str:
    def cell(r: dict[str, Any]) -> str:
        try:
            return fmt(r)
        except KeyError:  # not measured (--wall-only)
            return "—"
    return f"{label:<38}" + "".join(f"{cell(r):>26}" for r in results.values())


def p50_99(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda r: f"{statistics.median(r[key]):.1f} / {pct(r[key], 0.99):.1f} ms"


def report(results: dict[str, dict[str, Any]]) -> None:
    print(line("", results, lambda r: ""), "\n" + f"{'':<38}" +
          "".join(f"{k:>26}" for k in results))
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("micro-grids / units / cases", lambda r: "{micro_grids:,} / {units:,} / {incidents:,}"
         .format(**r["counts"])),
        ("districts / streets", lambda r: "{districts} / {streets}".format(**r["counts"])),
        ("locate p50 / p99", p50_99("locate")),
        ("geocode p50 / p99", p50_99("geocode")),
        ("recommendation p50 / p99", p50_99("recommend")),
        ("desk hub, whole territory p50 / p99", p50_99("hub_all")),
        ("desk hub, one street desk p50 / p99", p50_99("hub_street")),
        ("  queue rows: territory / street's cut", lambda r: f"{r['all_rows']:,} / "
         f"{r['street_rows']:,}"),
        ("street desk, its part read p50 / p99", p50_99("part_street")),
        ("  queue rows of the street's part", lambda r: f"{r['part_rows']:,}"),
        ("wall refresh, one district p50 / p99", p50_99("wall_district")),
        ("  its CPU, database + process p50/p99", p50_99("wall_district_cpu")),
        ("  before (evidence tested) p50 / p99", p50_99("wall_district_before")),
        ("  before: CPU p50 / p99", p50_99("wall_district_cpu_before")),
        ("wall refresh, whole territory p50/p99", p50_99("wall_all")),
        ("  its CPU, database + process p50/p99", p50_99("wall_all_cpu")),
        ("  before (evidence tested) p50 / p99", p50_99("wall_all_before")),
        ("  before: CPU p50 / p99", p50_99("wall_all_cpu_before")),
        ("wall live tier, one district p50/p99", p50_99("wall_live")),
        ("locator + graphs built", lambda r: f"{r['build_s']:.1f} s"),
        ("console process RSS after loading", lambda r: f"{r['rss_mb']:,.0f} MB"),
        ("registration, domain path, 1 process", lambda r: f"{r['register_per_s']:.0f}/s"),
        ("load average (1 min) before / after", lambda r: " / ".join(f"{v:.2f}" for v in r["load"])),
    ]
    for label, fmt in rows:
        print(line(label, results, fmt))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="+", help="LABEL:DATABASE, e.g. city:fq_scale_city")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--json", help="also write the raw figures here")
    ap.add_argument("--wall-only", action="store_true",
                    help="the wall's lines alone (writes nothing: fit for read-only territories)")
    ap.add_argument("--before", action="store_true",
                    help="also the wall as before migration 0024 (evidence tested per row), "
                         "alternating with the new read in the same rounds")
    args = ap.parse_args()
    settings = Settings.from_env()
    results: dict[str, dict[str, Any]] = {}
    ctx = mp.get_context("spawn")  # a fresh process per size: its memory is its own
    for spec in args.sizes:
        label, _, name = spec.partition(":")
        url = db.server_url(settings, name or label)
        print(f"[{time.strftime('%H:%M:%S')}] {label}: load average "
              + " ".join(f"{v:.2f}" for v in os.getloadavg()), flush=True)
        q = ctx.Queue()
        proc = ctx.Process(target=_child, args=(url, args.n, args.seconds, args.wall_only,
                                                 args.before, q))
        proc.start()
        results[label] = q.get()
        proc.join()
        if proc.exitcode:
            sys.exit(f"{label}: exit {proc.exitcode}")
    report(results)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh)


if __name__ == "__main__":
    main()
