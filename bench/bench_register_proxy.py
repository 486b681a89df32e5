"""Registrations over HTTP as a 12345 platform pushes them: through nginx to N console workers
(``serve --workers``), beside one console process without the proxy, on the same database.

Run: ``./run bench bench_register_proxy [--duration 60] [--clients 8] [--workers 2]``. A scratch
database holding the demo (dropped afterwards); each setup served for ``--duration`` seconds by
``--clients`` threads, each on its own keep-alive connection, POSTing located cases
(``auto_dispatch`` off), each with its own caller and 12345 id (``external_id``: the
idempotent path). Printed: registrations/s, latency p50/p95/p99, errors, lost (a 201
whose case or its ``register`` audit row is not in the database), and each console process's
RSS after warm-up (a quarter of the run) and at the end. The clients run on the same machine
and take CPU from the servers: their share is printed too (this process's CPU time, or with
``--client wrk`` Debian's ``wrk`` driven by a Lua script that makes each body: a lean client,
as the platform would be another machine). The whole machine's CPU in the window is split
into the console workers, their PostgreSQL backends, nginx, the client and the rest (other
processes on the machine, PostgreSQL's shared ones among them). ``--compare PATH`` serves
another checkout of the project first (the code before a change), then this one, on the same
database: a before/after in one run.
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

from harness import ROOT, Served, TreeCpu, backends, pct, rss_mb, scratch_database, settle
from sqlalchemy import text

from geo import db
from geo.settings import Settings

TARGET = 200.0


def machine_busy_s() -> float:
    """The whole machine's busy CPU seconds so far (``/proc/stat``: all but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def meter(served: Served, engine: Any, name: str, client: Any) -> TreeCpu:
    """CPU per group while the load runs (``client``: the client's pids now)."""
    workers = served.pids()
    return TreeCpu({"workers": lambda: workers, "backends": lambda: backends(engine, name),
                    "nginx": lambda: sorted(served.nginx()), "client": client})


WRK_LUA = r"""
-- each request its own body: a caller and a 12345 id of its own, a point of the territory
local points = {%(points)s}
local tag = "%(tag)s"
local n, threads = 0, {}
ids, statuses = {}, {}  -- globals: the main thread reads them with thread:get
function setup(thread)
  thread:set("k", #threads)
  table.insert(threads, thread)
end
function init(args) math.randomseed(k * 7919 + 17) end
function request()
  n = n + 1
  local p = points[math.random(#points)]
  local body = string.format('{"category": "neighbour", "channel": "hotline", '
    .. '"priority": "normal", "description": "12345 推送 %%d-%%d", "lon": %%.7f, '
    .. '"lat": %%.7f, "external_source": "12345", "external_id": "%%s-%%d-%%d", '
    .. '"auto_dispatch": false, "parties": [{"name": "来电人%%d-%%d", '
    .. '"phone": "139%%02d%%06d"}]}', k, n, p[1], p[2], tag, k, n, k, n, k, n)
  return wrk.format("POST", "/api/v1/incidents", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(token)s"}, body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then ids[#ids + 1] = body:match('^{"id": ?(%%d+)') or "?" end
end
function done(summary, latency, requests)
  local out = {}
  for _, t in ipairs(threads) do
    for _, id in ipairs(t:get("ids")) do out[#out + 1] = id end
    for st, c in pairs(t:get("statuses")) do io.write("STATUS ", st, " ", c, "\n") end
  end
  io.write("IDS ", table.concat(out, ","), "\n")
  for _, q in ipairs({50, 95, 99}) do
    io.write("P", q, " ", latency:percentile(q) / 1e6, "\n")
  end
  io.write("ERRORS ", summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, "\n")
end
"""


def load_wrk(served: Served, engine: Any, name: str, token: str,
             points: list[tuple[float, float]], *, clients: int, duration: float
             ) -> dict[str, Any]:
    """``wrk`` (2 threads, ``clients`` connections) POSTs for ``duration`` s, each body made
    by :data:`WRK_LUA`; its CPU from the kernel's account of the child when it ends."""
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    script = served.state / "register.lua"
    script.write_text(WRK_LUA % {"points": ", ".join(f"{{{x:.7f}, {y:.7f}}}" for x, y in points),
                                 "tag": tag, "token": token})
    out_path = served.state / "wrk.out"
    pids = served.pids()
    busy0 = machine_busy_s()
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with out_path.open("wb") as out:
        proc = subprocess.Popen(["wrk", "-t", "2", "-c", str(clients), "-d", f"{duration:.0f}s",
                                 "--timeout", "60s", "-s", str(script),
                                 f"http://127.0.0.1:{served.port}/"], stdout=out,
                                stderr=subprocess.STDOUT)
        cpu = meter(served, engine, name, lambda: [])
        t0 = time.monotonic()
        rss: list[tuple[float, list[float]]] = []
        while proc.poll() is None:
            rss.append((time.monotonic() - t0, [rss_mb(p) for p in pids]))
            time.sleep(2.0)
    wall = time.monotonic() - t0
    used = cpu.close()
    busy = machine_busy_s() - busy0
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk's, once it was waited for
    text_out = out_path.read_text(errors="replace")
    ids: list[int] = []
    errors: dict[str, int] = {}
    pcts: dict[str, float] = {}
    for line in text_out.splitlines():
        key, _, rest = line.partition(" ")
        if key == "IDS":
            ids = [int(v) for v in rest.split(",") if v.isdigit()]
            if rest.count(",") + 1 != len(ids) and rest:
                errors["201 without an id"] = rest.count(",") + 1 - len(ids)
        elif key == "STATUS" and not rest.startswith("201 "):
            st, c = rest.split()
            errors[st] = errors.get(st, 0) + int(c)
        elif key in ("P50", "P95", "P99"):
            pcts[key] = float(rest)
        elif key == "ERRORS" and int(rest):
            errors["socket"] = int(rest)
    if not pcts:
        raise RuntimeError(f"wrk said: {text_out[-2000:]}")
    return {"ids": ids, "pcts": pcts, "errors": errors, "wall": wall, "rss": rss,
            "used": used, "busy": busy, "load": os.getloadavg(),
            "client_cpu": (child1.ru_utime - child0.ru_utime)
            + (child1.ru_stime - child0.ru_stime)}


def load(served: Served, engine: Any, name: str, token: str,
         points: list[tuple[float, float]], *, clients: int, duration: float) -> dict[str, Any]:
    """``clients`` threads POST for ``duration`` s; latencies, ids acknowledged, RSS samples."""
    port, pids = served.port, served.pids()
    busy0 = machine_busy_s()
    cpu = meter(served, engine, name, lambda: [])
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
        time.sleep(2.0)
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    used = cpu.close()
    busy = machine_busy_s() - busy0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    pcts = {f"P{q}": pct(lat, q / 100) for q in (50, 95, 99)}
    return {"pcts": pcts, "ids": ids, "errors": errors, "wall": wall, "rss": rss,
            "used": used, "busy": busy, "load": os.getloadavg(), "client_cpu": client_cpu}


def report(name: str, r: dict[str, Any], engine: Any) -> None:
    with engine.connect() as conn:
        found = conn.scalar(text(
            "SELECT count(*) FROM incidents i WHERE i.id = ANY(:ids) AND EXISTS (SELECT 1 FROM "
            "audit_log a WHERE a.entity = 'incident' AND a.entity_id = i.id AND a.action = 'register')"),
            {"ids": r["ids"]})
        # the transactions that wrote them (a row's xmin): group commit puts several in one
        commits = conn.scalar(text("SELECT count(DISTINCT xmin::text) FROM incidents "
                                   "WHERE id = ANY(:ids)"), {"ids": r["ids"]})
    n, p = len(r["ids"]), r["pcts"]
    warm = [s for t, s in r["rss"] if t >= r["wall"] / 4]
    first, last = (warm[0], warm[-1]) if warm else ([], [])
    drift = [(b - a) / a * 100 for a, b in zip(first, last, strict=False) if a == a and a > 0]
    print(f"{name:28s} {n / r['wall']:7.1f}/s  p50 {p['P50'] * 1000:6.1f} ms  "
          f"p95 {p['P95'] * 1000:6.1f}  p99 {p['P99'] * 1000:6.1f}  acknowledged {n}  "
          f"lost {n - int(found or 0)}  errors {r['errors'] or 0}")
    print(f"{'':28s} RSS MB after warm-up → end: "
          + ", ".join(f"{a:.0f} → {b:.0f} ({d:+.1f} %)" for a, b, d in zip(first, last, drift, strict=False))
          + f"; {commits} transactions ({n / max(1, commits or 0):.1f} registrations each)",
          flush=True)
    used, k = r["used"], max(1, n)
    server = used["workers"] + used["backends"] + used["nginx"]
    rest = r["busy"] - server - r["client_cpu"]
    print(f"{'':28s} CPU ms per registration: workers {used['workers'] / k * 1000:.1f} + "
          f"PostgreSQL backends {used['backends'] / k * 1000:.1f} + nginx "
          f"{used['nginx'] / k * 1000:.1f} = server {server / k * 1000:.1f} (2 idle cores would "
          f"allow ≈ {2 * k / server if server else float('nan'):.0f}/s); client "
          f"{r['client_cpu'] / k * 1000:.1f}; the rest of the machine {rest / k * 1000:.1f} "
          f"(machine busy {r['busy'] / r['wall'] * 100:.0f} % of one core, of 200); "
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


def head(root: Path) -> str:
    """The checkout's commit, short."""
    return subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--size", choices=("demo", "city"), default="demo")
    ap.add_argument("--no-single", action="store_true", help="skip the one-process comparison")
    ap.add_argument("--profile", action="store_true",
                    help="py-spy samples every worker during the proxied run")
    ap.add_argument("--reuse", metavar="DBNAME",
                    help="keep the scratch database under this name (and reuse it if there)")
    ap.add_argument("--gil", action="store_true",
                    help="with --profile: only samples holding the GIL (Python's own CPU)")
    ap.add_argument("--port", type=int, default=None,
                    help="nginx's port (the workers take the next ones); default by pid")
    ap.add_argument("--client", choices=("python", "wrk"), default="python",
                    help="the load's client: threads of this process, or Debian's wrk")
    ap.add_argument("--compare", type=Path, action="append", default=[],
                    help="also serve this checkout (before this one), on the same database")
    args = ap.parse_args()
    spy_bin = Path(sys.executable).with_name("py-spy")
    if args.profile and not spy_bin.exists():  # before any worker starts: none is left behind
        ap.error(f"--profile needs py-spy ({spy_bin}): ./run bench installs the dev extra")
    print("load average before: " + " ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    settings = Settings.from_env()
    # two runs at once keep apart; --reuse keeps one (its name) for the next run
    name = args.reuse or f"fq_bench_reg_{args.size}_{os.getpid()}"
    token = f"bench-{os.getpid()}-{random.getrandbits(64):x}"
    url, engine = scratch_database(settings, name, args.size, token, reuse=bool(args.reuse))
    try:
        with engine.begin() as conn:
            rows: Any = conn.execute(text(
                "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM micro_grids "
                "ORDER BY id LIMIT 500) s")).all()
            points = [(float(x), float(y)) for x, y in rows]
        print(f"== {args.size}: {args.clients} clients, {args.duration:.0f} s each ==", flush=True)
        port = args.port or 19000 + os.getpid() % 500 * 4
        setups: list[tuple[str, int | None, Path]] = [
            (f"{args.workers} workers behind nginx", args.workers, root)
            for root in [*args.compare, ROOT]]
        if not args.no_single:
            setups.append(("1 process, no proxy", None, ROOT))
        for label, workers, root in setups:
            if len(setups) > 1 and args.compare:
                label = f"{label} [{root.name} {head(root)}]"
            served = Served(url, name, port, workers, root=root)
            print(f"{label}: start-up weekly reports made in {settle(engine):.0f} s", flush=True)
            spies: list[tuple[subprocess.Popen[bytes], Path]] = []
            if args.profile and workers is not None:
                for pid in served.pids():
                    raw = served.state / f"profile-{pid}.txt"
                    spies.append((subprocess.Popen(
                        [str(spy_bin), "record", "--pid",
                         str(pid), "--duration", f"{args.duration:.0f}", "--rate", "50",
                         "--format", "raw", "--nonblocking", "--output", str(raw),
                         *(["--gil"] if args.gil else [])],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), raw))
            try:
                r = (load_wrk if args.client == "wrk" else load)(
                    served, engine, name, token, points, clients=args.clients,
                    duration=args.duration)
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
        if not args.reuse:
            db.drop_database(settings, name)


if __name__ == "__main__":
    main()
