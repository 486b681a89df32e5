"""The weekly 研判 report at city scale: assembling its figures, the PDF and the Excel workbook.

Run: ``./run bench bench_report [--size city|demo] [--runs 2]``. Loads the generated territory
(city: 7,708 micro-grids, 100,000 cases over a year; from the cache under .state/cache) into a
database of its own, ``fq_bench_report_<size>``, kept between runs (``--fresh`` reloads it), then
makes the whole territory's report for the last whole week of the cases ``runs`` times in one
process, as the console's :func:`console.exports.report_job.make_report` does (the reduced CJK
font from the console's cache, built first if missing): the first run is cold — a fresh
process, as the scheduler's Monday report is for the code it has not run since it started: the
font's character map, the contiguity weights and map shapes built —, the next ones warm. The
imports (the report's modules with PySAL, fpdf and openpyxl) are timed apart: a console loads
them when it starts (``console.api.reports`` imports ``report_job``), before any report.
Printed per run: assembling (the SQL, Gi*, repeats, ranking) and the tables both files share
(made once), the PDF's rendering, the workbook's, and the totals the issue's targets speak
of (PDF = assemble + tables + render ≤ 20 s, Excel = assemble + tables + render ≤ 10 s), the
sizes and the load average (the machine is shared: read a figure with its load).
"""

from __future__ import annotations

import argparse
import os
import time

from sqlalchemy import text

from demo.seed import cached_demo
from dispatch.model import BEIJING
from dispatch.stats_scope import Scope
from geo import db
from geo.loader import load_territory
from geo.settings import Settings


def ready(settings: Settings, size: str, fresh: bool) -> str:
    """The bench database's URL, loaded with the territory unless it already is."""
    name = f"fq_bench_report_{size}"
    url = db.server_url(settings, name)
    if not fresh:
        try:
            engine = db.make_engine(url)
            with engine.connect() as conn:
                n = conn.scalar(text("SELECT count(*) FROM incidents"))
                has = conn.scalar(text("SELECT to_regclass('reports') IS NOT NULL"))
            engine.dispose()
            if n and has:
                return url
        except Exception:  # no such database yet
            pass
    t0 = time.perf_counter()
    url = db.create_database(settings, name, drop_first=True)
    db.migrate(url)
    engine = db.make_engine(url)
    with engine.begin() as conn:
        load_territory(conn, cached_demo(settings.state_dir / "cache", size=size,
                                         seed=settings.seed, say=lambda m: None))
    engine.dispose()
    print(f"loaded {size} into {name} in {time.perf_counter() - t0:.0f} s", flush=True)
    return url


def main() -> None:
    t_imp = time.perf_counter()  # what a server pays once, at its start (console.api.reports
    # imports report_job): the report's modules, PySAL, fpdf, openpyxl
    from analysis.report import assemble, week_before
    from analysis.report_tables import tables
    from console.exports.agreement_pdf import REDUCED, _build
    from console.exports.report_pdf import render_report
    from console.exports.report_xlsx import render_report_xlsx
    t_imp = time.perf_counter() - t_imp
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", choices=("demo", "city"), default="city")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--fresh", action="store_true", help="reload the territory")
    args = ap.parse_args()
    settings = Settings.from_env()
    fonts = settings.state_dir / "cache" / "fonts"
    if not (fonts / REDUCED).exists():
        t0 = time.perf_counter()
        _build(fonts / REDUCED)
        print(f"reduced font built in {time.perf_counter() - t0:.1f} s")
    url = ready(settings, args.size, args.fresh)
    engine = db.make_engine(url)
    with engine.connect() as conn:
        last = conn.scalar(text("SELECT max(reported_at) FROM incidents"))
        counts = conn.execute(text("SELECT (SELECT count(*) FROM incidents), "
                                   "(SELECT count(*) FROM micro_grids)")).one()
    start, end = week_before(last.astimezone(BEIJING).date())
    print(f"== {args.size}: {counts[0]:,} cases, {counts[1]:,} micro-grids; week {start} to "
          f"{end}; load average before {' '.join(f'{v:.1f}' for v in os.getloadavg())}; "
          f"imports {t_imp:.2f} s (a server's, at its start: not in the runs) ==")
    for run in range(args.runs):
        t0 = time.perf_counter()
        with engine.connect() as conn:
            rep = assemble(conn, Scope(), start, end, key=b"bench-report-key-0123456789abcdef")
        t1 = time.perf_counter()
        tabs = tables(rep.figures)
        t2 = time.perf_counter()
        pdf = render_report(rep.figures, rep.shapes, cache_dir=fonts, tabs=tabs)
        t3 = time.perf_counter()
        xlsx = render_report_xlsx(rep.figures, tabs)
        t4 = time.perf_counter()
        a, p, x = t2 - t0, t3 - t2, t4 - t3
        f = rep.figures
        print(f"run {run + 1} ({'cold' if run == 0 else 'warm'}): assemble {t1 - t0:.2f} s + "
              f"tables {t2 - t1:.2f} s, PDF render {p:.2f} s, Excel render {x:.2f} s -> "
              f"PDF {a + p:.2f} s (target 20), Excel {a + x:.2f} s (target 10); "
              f"PDF {len(pdf) / 1024:.0f} KB, "
              f"{len(rep.shapes):,} micro-grids drawn; Excel {len(xlsx) / 1024:.0f} KB; "
              f"{f['summary']['prev']['current']['received']:,} cases in the week; "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
