"""Command line behind ./run: database, import, serving, stopping (the demo data: ``python -m demo``)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from geo import db
from geo.coords import CRS_NAMES
from geo.errors import DatabaseUnavailable, ImportRejected
from geo.settings import Settings

if TYPE_CHECKING:
    from console.settings import ConsoleSettings


def say(msg: str) -> None:
    print(f"[run] {msg}", flush=True)


def _pid_file(settings: Settings, port: int) -> Path:
    """One per serving process, named by its port: a second process no longer overwrites the
    first's (``./run serve --workers`` runs several)."""
    return db.state_path(settings, f"console-{port}.pid")


def _pid_files(settings: Settings) -> list[Path]:
    """Every console's pid file (``console.pid``: an older version's)."""
    return sorted(settings.state_dir.glob("console*.pid"))


def cmd_db_start(settings: Settings, args: argparse.Namespace) -> int:
    """Start the local cluster; with --mark, leave a note so db-stop --if-marked undoes it."""
    cluster = db.cluster_for(settings)
    if cluster is None:
        say("DATABASE_URL is set: using that server")
        return 0
    was = cluster.running()
    cluster.start()
    say(f"local PostgreSQL {'already running' if was else 'started'}: {cluster.socket_dir}")
    if args.mark and not was:
        db.state_path(settings, "pg-started-by-test").touch()
    return 0


def cmd_db_stop(settings: Settings, args: argparse.Namespace) -> int:
    mark = db.state_path(settings, "pg-started-by-test")
    if args.if_marked and not mark.exists():
        return 0
    mark.unlink(missing_ok=True)
    cluster = db.cluster_for(settings)
    if cluster is not None and cluster.running():
        from console.ops.replica import stop_replica

        stop_replica(settings)  # a replica outliving its primary would retry it for ever
    if cluster is not None and cluster.stop():
        say("local PostgreSQL stopped")
    return 0


def cmd_db_url(settings: Settings, args: argparse.Namespace) -> int:
    url = db.server_url(settings)
    if args.libpq:
        url = db.libpq_url(url)
    print(url)
    return 0


def cmd_serve(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    """Serve the console on the database as it is (``./run demo`` loads the demo first:
    ``python -m demo load``); ``--check`` only checks the arguments and settings."""
    from console.bootstrap import bootstrap
    from console.metrics import watch_scheduler
    from console.server import make_server, scheduler_jobs, stop_updates

    tiles, tls = settings.tiles, settings.tls  # checked in main(), before any database work
    if args.workers is not None and args.workers < 1:
        print("[run] error: --workers 须为正整数", file=sys.stderr)
        return 2
    if args.check:
        return 0
    if args.workers is not None:
        from console.ops.workers import serve_workers

        return serve_workers(settings, args)
    url = db.ready_database(settings)
    app = bootstrap(settings, url=url, tiles=tiles)
    # every server process starts one; the advisory lock lets exactly one of them tick
    scheduler = app.dispatch.scheduler(interval_s=5.0, jobs=scheduler_jobs(app))
    scheduler.start()
    watch_scheduler(scheduler)
    port = args.port or settings.http_port
    if args.behind_proxy:  # a worker of ./run serve --workers: loopback only, TLS at the proxy
        server = make_server(app, port=port, address="127.0.0.1", behind_proxy=True)
    else:
        server = make_server(app, port=port, tls=tls)
    pid_file = _pid_file(settings, port)
    pid_file.write_text(str(os.getpid()))
    # The start-up objects (modules, caches) live as long as the server: keeping them out of
    # the garbage collector's full passes took the city recommendation p99 from 171 to 85 ms.
    import gc

    gc.collect()
    gc.freeze()
    scheme = "https" if tls.enabled else "http"
    say(f"console ready: {scheme}://localhost:{port}/   "
        f"(API: {scheme}://localhost:{port}/api/v1/health)")
    if tls.redirect_port:
        say(f"plain HTTP on port {tls.redirect_port} only redirects to HTTPS")
    say("Ctrl-C stops the console; ./run stop also stops the database")
    def stop_on_term(_sig: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_term)  # ./run stop: leave no stale pid file
    try:
        server.start()
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
        stop_updates(app)
        pid_file.unlink(missing_ok=True)
    return 0


def cmd_stop(settings: ConsoleSettings, _: argparse.Namespace) -> int:
    """Every console process, the proxy and what watches them, then the local database."""
    from console.ops.workers import stop_all

    stop_all(settings, _pid_files(settings))
    return cmd_db_stop(settings, argparse.Namespace(if_marked=False))


def cmd_status(settings: Settings, _: argparse.Namespace) -> int:
    from geo.queries import territory_counts

    cluster = db.cluster_for(settings)
    if cluster is not None:
        say(f"local PostgreSQL: {'running' if cluster.running() else 'stopped'} "
            f"({cluster.home})")
    pid_files = _pid_files(settings)
    for pid_file in pid_files:
        say(f"console ({pid_file.stem}): running, pid {pid_file.read_text().strip()}")
    if not pid_files:
        say("console: stopped")
    engine = db.make_engine(db.ready_database(settings))
    with engine.connect() as conn:
        for k, v in territory_counts(conn).items():
            print(f"  {k:14s} {v}")
    engine.dispose()
    return 0


def cmd_locate(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from geo.coords import check_lon_lat
    from geo.errors import CoordinateError
    from geo.locate import Locator

    try:
        check_lon_lat(args.lon, args.lat)
        engine = db.make_engine(db.ready_database(settings))
        with engine.connect() as conn:
            location = Locator.from_db(conn).locate(args.lon, args.lat, crs=args.crs)
        engine.dispose()
    except (CoordinateError, LookupError) as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(location.as_dict(), ensure_ascii=False, indent=2))
    return 0


def cmd_geocode(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from geo.geocoder import geocode

    engine = db.make_engine(db.ready_database(settings))
    with engine.connect() as conn:
        result = geocode(conn, args.address, limit=args.limit)
    engine.dispose()
    print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
    return 0 if result.candidates else 1


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from console.ops.importing import run_import

    url = db.ready_database(settings)
    return run_import(url, args)


def cmd_simulate(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    """Play a day of field work through a running console's API (console.ops.simulate)."""
    import json
    import random
    from datetime import datetime

    from console.ops.simulate import BEIJING, Api, Simulator

    start = datetime.now(BEIJING).replace(second=0, microsecond=0)
    if args.start:
        hour, minute = (int(v) for v in args.start.split(":"))
        start = start.replace(hour=hour, minute=minute)
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    # Ctrl-C (or a SIGINT from whoever started it) ends the run with its summary, even when the
    # simulator was started in the background, where the shell hands it SIGINT ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    url = args.url or f"http://127.0.0.1:{settings.http_port}"
    token = _sim_token(url, settings.sim_user, settings.sim_password)
    if token is None:
        return 2
    sim = Simulator(Api(url, token=token), speed=args.speed,
                    rate=args.rate, seed=seed, start=start, late=args.late, quiet=args.quiet)
    sim.load()
    out = sim.run(args.duration)
    print(f"== 模拟小结 summary (seed {seed}) ==\n{json.dumps(out, ensure_ascii=False, indent=1)}",
          flush=True)
    return 1 if out["server_errors"] else 0


def _sim_token(url: str, user: str, password: str) -> str | None:
    """The simulator acts as the duty officer: FQ_SIM_USER / FQ_SIM_PASSWORD, by default the
    demo's ``duty`` account."""
    import json
    import urllib.error
    import urllib.request

    body = json.dumps({"username": user, "password": password}).encode()
    req = urllib.request.Request(f"{url.rstrip('/')}/api/v1/auth/token", data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return str(json.loads(resp.read())["access_token"])
    except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
        print(f"[run] error: the simulator could not log in ({exc}); set FQ_SIM_USER and "
              "FQ_SIM_PASSWORD to an account of the console", file=sys.stderr)
        return None


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    """The first (or another) administrator: the password from stdin or a prompt."""
    import getpass

    from dispatch import passwords
    from dispatch.adapters.accounts import create_account
    from dispatch.errors import DispatchError

    if sys.stdin.isatty():
        password = getpass.getpass(f"{args.username} 的密码: ")
        if getpass.getpass("再输入一次: ") != password:
            print("[run] error: 两次输入的密码不一致", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    url = db.ready_database(settings)
    engine = db.make_engine(url)
    try:
        passwords.check(password, username=args.username)  # the policy, as for everyone
        with engine.begin() as conn:
            create_account(conn, username=args.username, password=password, role="admin",
                           display_name=args.username, actor="cli")
    except DispatchError as exc:
        print(f"[run] error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    say(f"administrator {args.username} created")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="./run")
    sub = p.add_subparsers(dest="verb", required=True)
    start = sub.add_parser("db-start")
    start.add_argument("--mark", action="store_true")
    stop = sub.add_parser("db-stop")
    stop.add_argument("--if-marked", action="store_true")
    u = sub.add_parser("db-url")
    u.add_argument("--libpq", action="store_true")
    d = sub.add_parser("serve", prog="./run demo")  # after python -m demo load
    d.add_argument("--port", type=int, default=None)
    d.add_argument("--workers", type=int, default=None,
                   help="N console processes on ports PORT+1… behind nginx on PORT")
    d.add_argument("--behind-proxy", action="store_true", help=argparse.SUPPRESS)  # a worker
    d.add_argument("--check", action="store_true", help=argparse.SUPPRESS)  # args, settings; exit
    sub.add_parser("stop")
    geo_q = sub.add_parser("geocode", help="ranked candidates for an address")
    geo_q.add_argument("address")
    geo_q.add_argument("--limit", type=int, default=5)
    loc = sub.add_parser("locate", help="where a point falls: street › community › grid …")
    loc.add_argument("lon", type=float)
    loc.add_argument("lat", type=float)
    loc.add_argument("--crs", choices=CRS_NAMES, default="wgs84")
    sub.add_parser("status")
    adm = sub.add_parser("create-admin", help="an administrator account (password from stdin)")
    adm.add_argument("username")
    sim = sub.add_parser("simulate", help="units move along roads, a day of cases plays through the API")
    sim.add_argument("--url", default=None, help="a running console (default http://127.0.0.1:PORT)")
    sim.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    sim.add_argument("--duration", type=float, default=None, help="real seconds (default: until Ctrl-C)")
    sim.add_argument("--seed", type=int, default=None)
    sim.add_argument("--rate", type=float, default=12.0, help="cases per simulated hour (daily mean)")
    sim.add_argument("--start", default=None, help="simulated start time HH:MM Beijing (default: now)")
    sim.add_argument("--late", type=float, default=0.05, help="share of tasks left unsigned (督办)")
    sim.add_argument("--quiet", action="store_true", help="print the summary only")
    from console.ops.cli_ops import add_ops_parsers
    from console.ops.importing import add_import_parser

    add_import_parser(sub)
    add_ops_parsers(sub)
    return p


COMMANDS = {"db-start": cmd_db_start, "db-stop": cmd_db_stop, "db-url": cmd_db_url, "serve": cmd_serve,
            "stop": cmd_stop, "status": cmd_status,
            "import": cmd_import, "locate": cmd_locate, "geocode": cmd_geocode,
            "simulate": cmd_simulate, "create-admin": cmd_create_admin}


def main(argv: Sequence[str] | None = None) -> int:
    from console.ops.cli_ops import OPS_COMMANDS
    from console.settings import ConsoleSettings

    args = build_parser().parse_args(argv)
    try:  # every setting, read once here; a bad one stops the verb before any database work
        settings = ConsoleSettings.from_env()
    except ValueError as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        return 2
    try:
        return {**COMMANDS, **OPS_COMMANDS}[args.verb](settings, args)
    except DatabaseUnavailable as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        return 2
    except ImportRejected as exc:
        print(exc.report(), file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
