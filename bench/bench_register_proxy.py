"""Registrations over HTTP as a 12345 platform pushes them: through nginx to N console workers
(``serve --workers``), beside one console process without the proxy, on the same database.

Run: ``./run bench bench_register_proxy [--duration 60] [--clients 8] [--workers 2]``. A scratch
database holding the demo (dropped afterwards); each setup served for ``--duration`` seconds by
``--clients`` threads, each on its own keep-alive connection, POSTing located cases
(``auto_dispatch`` off), each with its own caller and 12345 id (``external_id``: the
idempotent path). Printed: registrations/s, latency p50/p95/p99, errors, lost (a 201
whose case or its ``register`` audit row is not in the database), and each console process's
RSS after warm-up (a quarter of the run) and at the end. The clients run on the same machine
and take CPU from the servers: their share is printed too (this process's CPU time).
Target (issue 16): ≥ 200/s sustained with 2 workers, 0 lost, memory flat (± 10 %).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from harness import CpuMeter, Served, pct, rss_mb, scratch_database, settle
from sqlalchemy import text

from geo import db
from geo.settings import Settings

TARGET = 200.0


def load(port: int, token: str, points: list[tuple[float, float]], *, clients: int,
         duration: float, pids: list[int], meter: CpuMeter) -> dict[str, Any]:
    """``clients`` threads POST for ``duration`` s; latencies, ids acknowledged, RSS samples."""
    stop = time.monotonic() + duration
    lat: list[float] = []
    ids: list[int] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    tag = f"{os.getpid()}-{time.monotonic_ns()}"

    def client(k: int) -> None:
        rng = random.Random(k)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = 0
        while time.monotonic() < stop:
            lon, lat_ = rng.choice(points)
            # each push its own caller and the platform's own id, as a 12345 exchange sends
            body = json.dumps({
                "category": "neighbour", "channel": "hotline", "priority": "normal",
                "description": f"12345 推送 {k}-{n}", "lon": lon, "lat": lat_,
                "external_source": "12345", "external_id": f"{tag}-{k}-{n}",
                "auto_dispatch": False,
                "parties": [{"name": f"来电人{k}-{n}", "phone": f"139{k:02d}{n:06d}"}]})
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/incidents", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            dt = time.perf_counter() - t0
            with lock:
                if status == 201:
                    lat.append(dt)
                    ids.append(int(json.loads(data)["id"]))
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1
            n += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    for t in threads:
        t.start()
    rss: list[tuple[float, list[float]]] = []
    while any(t.is_alive() for t in threads):
        rss.append((time.monotonic() - t0, [rss_mb(p) for p in pids]))
        meter.sample()
        time.sleep(2.0)
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    meter.sample()
    return {"lat": lat, "ids": ids, "errors": errors, "wall": wall, "rss": rss,
            "cpu": meter.spent(), "load": os.getloadavg(),
            "client_cpu_share": client_cpu / wall}


def report(name: str, r: dict[str, Any], engine: Any) -> None:
    with engine.connect() as conn:
        found = conn.scalar(text(
            "SELECT count(*) FROM incidents i WHERE i.id = ANY(:ids) AND EXISTS (SELECT 1 FROM "
            "audit_log a WHERE a.entity = 'incident' AND a.entity_id = i.id AND a.action = 'register')"),
            {"ids": r["ids"]})
        # the transactions that wrote them (a row's xmin): group commit puts several in one
        commits = conn.scalar(text("SELECT count(DISTINCT xmin::text) FROM incidents "
                                   "WHERE id = ANY(:ids)"), {"ids": r["ids"]})
    n, lat = len(r["ids"]), r["lat"]
    warm = [s for t, s in r["rss"] if t >= r["wall"] / 4]
    first, last = (warm[0], warm[-1]) if warm else ([], [])
    drift = [(b - a) / a * 100 for a, b in zip(first, last, strict=False) if a == a and a > 0]
    print(f"{name:28s} {n / r['wall']:7.1f}/s  p50 {pct(lat, .5) * 1000:6.1f} ms  "
          f"p95 {pct(lat, .95) * 1000:6.1f}  p99 {pct(lat, .99) * 1000:6.1f}  acknowledged {n}  "
          f"lost {n - int(found or 0)}  errors {r['errors'] or 0}")
    print(f"{'':28s} RSS MB after warm-up → end: "
          + ", ".join(f"{a:.0f} → {b:.0f} ({d:+.1f} %)" for a, b, d in zip(first, last, drift, strict=False))
          + f"; clients' CPU {r['client_cpu_share'] * 100:.0f} % of one core; "
          f"{commits} transactions ({n / max(1, commits or 0):.1f} registrations each)", flush=True)
    console, backends = r["cpu"]
    per = (console + backends) / max(1, n) * 1000
    print(f"{'':28s} CPU per registration: console {console / max(1, n) * 1000:.1f} ms + "
          f"PostgreSQL backends {backends / max(1, n) * 1000:.1f} ms = {per:.1f} ms "
          f"(2 idle cores would allow ≈ {2000 / per if per else float('nan'):.0f}/s); "
          "load average after: " + " ".join(f"{v:.1f}" for v in r["load"]), flush=True)


PACKAGES = ("tornado", "sqlalchemy", "psycopg", "pydantic", "bokeh", "panel", "prometheus_client",
            "json", "logging", "asyncio", "threading", "concurrent", "shapely", "console/",
            "dispatch/", "geo/", "layers/")


# A registration's steps, each named by a frame in its stack (checked from the innermost frame
# outwards, so a SQL wait lands in the step that sent it); the rest of a worker's samples by
# the thread they ran in.
STEPS = (("commit (fsync)", "SqlUnitOfWork.commit (dispatch/adapters/uow.py:150)"),
         ("NOTIFY", "SqlUnitOfWork.commit (dispatch/adapters/uow.py:148)"),
         ("stage outbox notices", "stage (dispatch/notices.py"),
         ("case written with its code, clocks, audit (counter lock)", "IncidentRepository.create"),
         ("code + audit rows (counter lock)", "IncidentRepository.number"),  # before 0026
         ("code + audit rows (counter lock)", "IncidentRepository.next_code"),  # before 0024
         ("audit rows", "IncidentRepository.audit"),
         ("insert incident", "IncidentRepository.insert"), ("timers", "add_timers"),
         ("duplicate links", "add_link"), ("priors (duplicates/risk read)", "priors ("),
         ("risk rules", "(dispatch/risk.py"), ("external id check", "find_external"),
         ("locate", "Locator.locate"), ("policy", "PolicyCache.get"),
         ("reverse geocode (point without address)", "address_by_point"),
         ("body parse + validation", "DispatchHandler.body"),
         ("other register_in", "register_in ("), ("unit of work open/close", "Dispatch.handle"),
         ("response JSON", "send_json"), ("auth", "(console/auth.py"),
         ("request, other", "IncidentsHandler.post"),
         ("outbox worker (other thread)", "OutboxWorker"),
         ("listener / live hubs (other thread)", "console/live/"),
         ("reports / PDF fonts (start-up duty)", "(console/exports/"),
         ("tornado / asyncio loop", "tornado/"), ("threads' pool", "concurrent/futures"))


def steps_summary(lines: list[str]) -> str:
    """Samples by :data:`STEPS` (a frame's text containing the marker), innermost first."""
    counts: dict[str, int] = {}
    total = 0
    for line in lines:
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        frames = stack.split(";")[::-1]
        step = next((name for f in frames for name, mark in STEPS if mark in f), "other")
        counts[step] = counts.get(step, 0) + int(n)
    return "by step: " + "; ".join(f"{k} {100 * v / max(1, total):.0f}%" for k, v in
                                    sorted(counts.items(), key=lambda kv: -kv[1]))


def profile_summary(raws: list[Path]) -> str:
    """py-spy's folded stacks of every worker together: where the samples' leaves are (by
    package), and the project's functions with the most samples under them (inclusive)."""
    leaf: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    lines = [ln for raw in raws for ln in raw.read_text(errors="replace").splitlines()]
    for line in lines:
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = stack.split(";")
        last = frames[-1]
        pkg = next((p for p in PACKAGES if f"/{p}" in last or f"({p}" in last), "other")
        leaf[pkg.rstrip("/")] = leaf.get(pkg.rstrip("/"), 0) + count
        for f in set(frames):
            if any(f"({p}" in f for p in ("console/", "dispatch/", "geo/")):
                inclusive[f] = inclusive.get(f, 0) + count
    top = sorted(inclusive.items(), key=lambda kv: -kv[1])[:25]
    return (steps_summary(lines) + "\nleaves: " + "; ".join(f"{k} {100 * v / max(1, total):.0f}%" for k, v in
                                   sorted(leaf.items(), key=lambda kv: -kv[1]))
            + "\n" + "\n".join(f"  {100 * v / max(1, total):4.0f}%  {k}" for k, v in top))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--size", choices=("demo", "city"), default="demo")
    ap.add_argument("--no-single", action="store_true", help="skip the one-process comparison")
    ap.add_argument("--profile", action="store_true",
                    help="py-spy samples every worker during the proxied run")
    args = ap.parse_args()
    spy_bin = Path(sys.executable).with_name("py-spy")
    if args.profile and not spy_bin.exists():  # before any worker starts: none is left behind
        ap.error(f"--profile needs py-spy ({spy_bin}): ./run bench installs the dev extra")
    print("load average before: " + " ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    settings = Settings.from_env()
    name = f"fq_bench_reg_{args.size}_{os.getpid()}"  # two runs at once keep apart
    token = f"bench-{os.getpid()}-{random.getrandbits(64):x}"
    url, engine = scratch_database(settings, name, args.size, token)
    try:
        with engine.begin() as conn:
            rows: Any = conn.execute(text(
                "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM micro_grids "
                "ORDER BY id LIMIT 500) s")).all()
            points = [(float(x), float(y)) for x, y in rows]
        print(f"== {args.size}: {args.clients} clients, {args.duration:.0f} s each ==", flush=True)
        port = 19000 + os.getpid() % 500 * 4
        setups: list[tuple[str, int | None]] = [(f"{args.workers} workers behind nginx", args.workers)]
        if not args.no_single:
            setups.append(("1 process, no proxy", None))
        for label, workers in setups:
            served = Served(url, name, port, workers)
            print(f"{label}: start-up weekly reports made in {settle(engine):.0f} s", flush=True)
            spies: list[tuple[subprocess.Popen[bytes], Path]] = []
            if args.profile and workers is not None:
                for pid in served.pids():
                    raw = served.state / f"profile-{pid}.txt"
                    spies.append((subprocess.Popen(
                        [str(spy_bin), "record", "--pid",
                         str(pid), "--duration", f"{args.duration:.0f}", "--rate", "50",
                         "--format", "raw", "--nonblocking", "--output", str(raw)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), raw))
            try:
                r = load(port, token, points, clients=args.clients, duration=args.duration,
                         pids=served.pids(), meter=CpuMeter(engine, name, served.pids()))
                for spy, _ in spies:
                    spy.wait(timeout=120)
            finally:
                served.stop()
            report(label, r, engine)
            raws = [raw for _, raw in spies if raw.exists()]
            if raws:
                print(f"py-spy on every worker ({len(raws)} of {len(spies)}, {served.state}):\n"
                      f"{profile_summary(raws)}", flush=True)
        print(f"target: ≥ {TARGET:.0f}/s sustained through the proxy, 0 lost, memory ± 10 %")
    finally:
        engine.dispose()
        db.drop_database(settings, name)


if __name__ == "__main__":
    main()
