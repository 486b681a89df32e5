"""The benches' common set-up: a scratch database with a generated territory, the console served
(one process or ``serve --workers N`` behind nginx) and CPU time per process tree from /proc."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from demo.seed import cached_demo
from geo import db
from geo.loader import load_territory
from geo.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_s(pid: int) -> float:
    """The process's user + system CPU seconds so far (``/proc/<pid>/stat``), 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def copy_database(settings: Settings, name: str, template: str) -> str:
    """``name`` made afresh as a copy of the database ``template`` (PostgreSQL's ``CREATE
    DATABASE … TEMPLATE``: refused while anyone is connected to it); its URL."""
    for n in (name, template):
        if not db.NAME_PATTERN.match(n):
            raise ValueError(f"bad database name {n!r}")
    admin = db.make_engine(db.server_url(settings, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()
    return db.server_url(settings, name)


def scratch_database(settings: Settings, name: str, size: str, token: str, *,
                     template: str | None = None, reuse: bool = False) -> tuple[str, Any]:
    """A fresh database ``name`` (dropped first) holding the generated territory ``size`` (or a
    copy of the database ``template`` already holding one, migrated to the head), the demo
    accounts and an API session ``token`` of the duty account: (its URL, an engine). With
    ``reuse``, a database ``name`` left by an earlier run that holds units is kept as it is
    (only the accounts and the session are added)."""
    from demo.accounts import ensure_demo_accounts
    from dispatch.adapters.accounts import open_session

    kept = reuse and holds_units(settings, name)
    if kept:
        url = db.server_url(settings, name)
    elif template:
        url = copy_database(settings, name, template)
    else:
        url = db.create_database(settings, name, drop_first=True)
    engine = db.make_engine(url)
    if not kept:
        db.migrate(url)
    with engine.begin() as conn:
        if not kept and not template:
            load_territory(conn, cached_demo(settings.state_dir / "cache", size=size,
                                             seed=settings.seed, say=lambda m: None))
        ensure_demo_accounts(conn)
        duty = conn.scalar(text("SELECT id FROM accounts WHERE username = 'duty'"))
        open_session(conn, duty, token=token)
    return url, engine


def holds_units(settings: Settings, name: str) -> bool:
    """Whether the database ``name`` exists and holds a territory's units."""
    admin = db.make_engine(db.server_url(settings, "postgres"))
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                return False
    finally:
        admin.dispose()
    engine = db.make_engine(db.server_url(settings, name))
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(text("SELECT to_regclass('units') IS NOT NULL"))
                        and conn.scalar(text("SELECT count(*) FROM units")))
    finally:
        engine.dispose()


def session_token() -> str:
    """A fresh API session token for a bench run (:func:`scratch_database` stores it)."""
    import random

    return f"bench-{os.getpid()}-{random.getrandbits(64):x}"


def backends(engine: Any, dbname: str) -> list[int]:
    """The PostgreSQL backends serving ``dbname`` (this connection's own left out)."""
    with engine.connect() as conn:
        return [int(p) for p in conn.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
            {"d": dbname})]


class CpuMeter:
    """CPU seconds the console workers and the database's backends for ``dbname`` spent
    between :meth:`start` and the last :meth:`sample` (backends listed from
    ``pg_stat_activity`` at each sample: one that ends between two samples loses at most
    that gap; PostgreSQL's shared processes, the WAL writer among them, are not counted)."""

    def __init__(self, engine: Any, dbname: str, workers: list[int]) -> None:
        self.engine, self.dbname, self.workers = engine, dbname, workers
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def sample(self) -> None:
        for pid in [*self.workers, *(-p for p in backends(self.engine, self.dbname))]:
            used = cpu_s(abs(pid))
            if used:
                self.first.setdefault(pid, used)
                self.last[pid] = used

    def spent(self) -> tuple[float, float]:
        """(workers' CPU s, backends' CPU s) since the first sample."""
        d = {p: self.last[p] - self.first[p] for p in self.last}
        return (sum(v for p, v in d.items() if p > 0), sum(v for p, v in d.items() if p < 0))


def descendants(roots: Iterable[int]) -> set[int]:
    """``roots`` and every process below them (by the parent pid in /proc)."""
    children: dict[int, list[int]] = {}
    for name in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            ppid = int(Path(f"/proc/{name}/stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out: set[int] = set()
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid not in out:
            out.add(pid)
            todo.extend(children.get(pid, ()))
    return out


class TreeCpu:
    """CPU time per group of processes while it runs, sampled every 2 s from /proc: each group
    is a function giving its pids now (process trees, or the database's backends), so other
    engineers' processes on the shared machine are not counted. A process already running at
    the start counts from its CPU time then, one born later from zero."""

    def __init__(self, groups: dict[str, Any]) -> None:
        self.groups = groups
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.started = time.monotonic()
        self._sample(initial=True)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _sample(self, *, initial: bool = False) -> None:
        for name, pids in self.groups.items():
            for pid in pids():
                used = cpu_s(pid)
                if not used:
                    continue
                self.first.setdefault((name, pid), used if initial else 0.0)
                self.last[(name, pid)] = used

    def _run(self) -> None:
        while not self.stop.wait(2.0):
            self._sample()

    def close(self) -> dict[str, float]:
        """CPU seconds per group, and ``"window s"``: the wall time measured."""
        self.stop.set()
        self.thread.join(timeout=10)
        self._sample()
        out = {name: 0.0 for name in self.groups}
        for (name, pid), used in self.last.items():
            out[name] += used - self.first[(name, pid)]
        out["window s"] = time.monotonic() - self.started
        return out


def cpu_line(used: dict[str, float]) -> str:
    took = max(1e-9, used["window s"])
    return ", ".join(f"{k} {v:.1f} s ({100 * v / took:.0f}% of one core)"
                     for k, v in used.items() if k != "window s") + f" in {took:.0f} s"


class Served:
    """The console as ``./run serve`` starts it, in a state directory of its own: one process
    (``workers`` None) or ``serve --workers N`` (N processes, nginx in front on ``port``)."""

    def __init__(self, url: str, dbname: str, port: int, workers: int | None, *,
                 root: Path = ROOT) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="fq_bench_serve_"))
        self.port = port
        self.root = root  # the checkout served (another one: a before/after in one run)
        env = {**os.environ, "DATABASE_URL": url, "FQ_DB_NAME": dbname,
               "FQ_STATE_DIR": str(self.state), "PYTHONPATH": str(root)}
        for k in ("FQ_TLS_CERT", "FQ_TLS_KEY", "FQ_HTTP_REDIRECT_PORT"):
            env.pop(k, None)
        self.env = env
        # the reduced CJK face the PDFs use is built once per state directory (minutes of one
        # core): a deployment keeps it; a fresh bench directory takes it from the project's
        fonts = Settings.from_env().state_dir / "cache" / "fonts"
        if fonts.is_dir():
            shutil.copytree(fonts, self.state / "cache" / "fonts")
        args = ["serve", "--port", str(port)] + ([] if workers is None else ["--workers", str(workers)])
        self.log = (self.state / "serve.log").open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "console.ops.cli", *args], cwd=root,
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600
        while "console ready" not in (self.state / "serve.log").read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"did not start: {(self.state / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.5)

    def pids(self) -> list[int]:
        """The console processes (each worker's pid file; the one process's own pid)."""
        found = [int(p.read_text()) for p in sorted(self.state.glob("console-*.pid"))]
        return found or [self.proc.pid]

    def ports(self) -> list[int]:
        """Each worker's own port (``console-PORT.pid``); the one process's port without."""
        found = [int(p.stem.rsplit("-", 1)[1]) for p in sorted(self.state.glob("console-*.pid"))]
        return found or [self.port]

    def nginx(self) -> set[int]:
        """nginx's master and workers (none without ``--workers``)."""
        return {p for p in descendants([self.proc.pid]) if b"nginx" in cmdline(p)}

    def stop(self) -> None:
        subprocess.run([sys.executable, "-m", "console.ops.cli", "stop"], cwd=self.root, env=self.env,
                       check=False, capture_output=True, timeout=120)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def settle(engine: Any, *, timeout: float = 900.0) -> float:
    """Wait for the scheduler's start-up duty on a fresh database (last week's weekly 研判
    reports, one for the territory and one per street: a PDF each) to end, so its CPU is not
    counted against what is measured; the seconds waited."""
    t0 = time.monotonic()
    with engine.connect() as conn:
        want = 1 + int(conn.scalar(text("SELECT count(*) FROM streets")) or 0)
    while time.monotonic() - t0 < timeout:
        with engine.connect() as conn:
            made = int(conn.scalar(text("SELECT count(*) FROM reports WHERE kind = 'weekly'")) or 0)
        if made >= want:
            break
        time.sleep(1.0)
    return time.monotonic() - t0
