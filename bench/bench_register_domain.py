"""Registrations through the domain alone (``Dispatch.handle`` from a few threads: group
commit, no HTTP): CPU per registration in this process and in its PostgreSQL backends.

Run: ``./run bench bench_register_domain [--n 400] [--threads 4] [--rounds 3]
[--compare PATH]``. A scratch demo database (dropped afterwards); each round registers ``--n``
located cases (each its own caller and 12345 id, as ``bench_register_proxy`` sends them) in a
fresh process per checkout: with ``--compare``, that checkout and this one alternate, so a
before/after shares the machine's moment and the database's growing history.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from harness import ROOT, backends, cpu_s, scratch_database, session_token

from geo import db
from geo.settings import Settings


def one_round(url: str, name: str, n: int, threads: int) -> str:
    """In this process: ``n`` registrations from ``threads`` threads; the printed figures."""
    from sqlalchemy import text

    from dispatch.bootstrap import bootstrap
    from dispatch.commands import Party, RegisterIncident

    engine = db.make_engine(url)
    meter = db.make_engine(url)  # its own connection: the backends it lists are the domain's
    d = bootstrap(engine)
    with engine.connect() as conn:
        points = [(float(x), float(y)) for x, y in conn.execute(text(  # type: ignore[arg-type]
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM micro_grids "
            "ORDER BY id LIMIT 500) s"))]
    tag = f"dom{os.getpid()}-{time.monotonic_ns()}"

    def run(k: int, first: int, last: int) -> None:
        rng = random.Random(k)
        for i in range(first, last):
            lon, lat = rng.choice(points)
            d.handle(RegisterIncident(
                category="neighbour", channel="hotline", actor="duty",
                description=f"12345 推送 {k}-{i}", lon=lon, lat=lat, external_source="12345",
                external_id=f"{tag}-{k}-{i}", auto_dispatch=False,
                parties=(Party(f"来电人{k}-{i}", f"139{k:02d}{i:06d}"),)))

    def all_threads(first: int, last: int) -> None:
        ts = [threading.Thread(target=run, args=(k, first, last)) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    all_threads(0, 10)  # warm-up: caches, prepared statements, the pool
    each = n // threads
    before = {p: cpu_s(p) for p in backends(meter, name)}
    py0, t0, b0 = time.process_time(), time.monotonic(), d.group.batches if d.group else 0
    all_threads(10, 10 + each)
    wall, py = time.monotonic() - t0, time.process_time() - py0
    back = sum(cpu_s(p) - before.get(p, 0.0) for p in set(before) | set(backends(meter, name)))
    done = each * threads
    batches = (d.group.batches if d.group else 0) - b0
    engine.dispose()
    meter.dispose()
    return (f"python {py / done * 1000:.2f} ms + backends {back / done * 1000:.2f} ms = "
            f"{(py + back) / done * 1000:.2f} ms CPU per registration; {done / wall:.0f}/s; "
            f"{done / max(1, batches):.1f} per commit; load {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--compare", type=Path, help="another checkout, alternated with this one")
    ap.add_argument("--round", nargs=2, metavar=("URL", "DBNAME"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.round:  # a child: one round in the checkout on its PYTHONPATH
        print(one_round(args.round[0], args.round[1], args.n, args.threads), flush=True)
        return
    print("load average before: " + " ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    settings = Settings.from_env()
    name = f"fq_bench_regdom_{os.getpid()}"
    url, engine = scratch_database(settings, name, "demo", session_token())
    engine.dispose()
    roots = [r for r in (args.compare, ROOT) if r is not None]
    try:
        for _ in range(args.rounds):
            for root in roots:
                out = subprocess.run(
                    [sys.executable, str(Path(__file__).resolve()), "--n", str(args.n),
                     "--threads", str(args.threads), "--round", url, name],
                    env={**os.environ, "PYTHONPATH": f"{root}:{Path(__file__).parent}"},
                    cwd=root, capture_output=True, text=True, check=True)
                print(f"{root.name:14s} {out.stdout.strip()}", flush=True)
    finally:
        db.drop_database(settings, name)


if __name__ == "__main__":
    main()
