"""Fault drills of issue 16, each asserting that nothing acknowledged is lost.

(a) kill -9 of a console process under registration load: every 201 is in the database with its
audit row; (b) PostgreSQL stopped with ``-m immediate`` under load: 503 + Retry-After during the
outage, full recovery, the scheduler and the LISTEN listener back without leaked connections, and
an open event stream (what a desk listens to) gets the next change without reconnecting.
Drill (c), the replica falling behind, is in test_replica.py.

The consoles are real ``./run demo`` server processes (scheduler included) on a cluster of this
module's own (tests/private_cluster.py); the shared cluster is never touched. ~1 min in all."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from console.api.faults import RETRY_AFTER_S
from geo import db
from geo.cluster import PG_BIN
from tests.conftest import TOKENS, add_test_accounts, free_port
from tests.private_cluster import ground_only, private_cluster

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
DB = "fq_drills"
CLIENTS = 4


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory, demo_territory: Any
          ) -> Iterator[dict[str, Any]]:
    from geo.loader import load_territory

    folder = tmp_path_factory.mktemp("drills")
    with private_cluster(folder / "pg") as (cluster, settings):
        url = db.ready_database(settings, DB)
        engine = db.make_engine(url)
        with engine.begin() as conn:
            load_territory(conn, ground_only(demo_territory))
            add_test_accounts(conn)
            lon, lat = conn.execute(text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                "ORDER BY id LIMIT 1) g")).one()
        try:
            yield {"cluster": cluster, "url": url, "engine": engine, "folder": folder,
                   "case": {"category": "neighbour", "channel": "hotline", "address": "演练路1号",
                            "auto_dispatch": False, "lon": lon, "lat": lat}}
        finally:
            engine.dispose()


@contextmanager
def console_process(d: dict[str, Any], name: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``python -m console.ops.cli serve`` (what ./run demo execs) on the drill's database."""
    port = free_port()
    state = d["folder"] / name
    state.mkdir(exist_ok=True)
    env = {**os.environ, "DATABASE_URL": d["url"], "FQ_DB_NAME": DB, "FQ_STATE_DIR": str(state),
           "PYTHONPATH": str(ROOT), "PORT": str(port)}
    env.pop("FQ_READ_DATABASE_URL", None)
    log = (state / "console.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "console.ops.cli", "serve"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (state / "console.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=5).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the console did not start"
                time.sleep(0.3)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def post(base: str, body: dict[str, Any], timeout: float = 10) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(f"{base}/api/v1/incidents", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read() or b"null")


class Load:
    """``CLIENTS`` threads registering cases as fast as the console answers; what each got."""

    def __init__(self, base: str, case: dict[str, Any], title: str) -> None:
        self.base, self.case, self.title = base, case, title
        self.acked: list[int] = []
        self.statuses: dict[int | str, int] = {}
        self.retry_after: set[str | None] = set()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(CLIENTS)]

    def run(self, client: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                status, headers, body = post(self.base, {**self.case,
                                                         "title": f"{self.title}{client}-{n}"})
            except OSError:  # refused or reset: the process is gone
                status, headers, body = -1, {}, None
                time.sleep(0.05)
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 201:
                    self.acked.append(int(body["id"]))
                elif status == 503:
                    self.retry_after.add(headers.get("Retry-After"))
            if status == 503:
                time.sleep(0.05)

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)


def recorded(d: dict[str, Any], ids: list[int]) -> tuple[int, int]:
    """How many of ``ids`` are cases, and how many have their ``register`` audit row."""
    with d["engine"].connect() as conn:
        cases = conn.scalar(text("SELECT count(*) FROM incidents WHERE id = ANY(:ids)"),
                            {"ids": ids})
        audited = conn.scalar(text(
            "SELECT count(DISTINCT entity_id) FROM audit_log WHERE entity = 'incident' "
            "AND action = 'register' AND entity_id = ANY(:ids)"), {"ids": ids})
    return int(cases or 0), int(audited or 0)


def test_kill_9_under_registration_load_loses_no_acknowledged_case(drill):
    """Drill (a): SIGKILL mid-load; every 201 is in the database with its audit row."""
    started = time.monotonic()
    with console_process(drill, "kill9") as (base, proc), \
            Load(base, drill["case"], "kill-9 演练") as load:
        time.sleep(4.0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        time.sleep(0.5)  # the clients meet the dead port
    acked = list(load.acked)
    assert len(acked) >= 20, load.statuses  # it was under load when killed
    assert set(load.statuses) <= {201, -1}, load.statuses
    assert recorded(drill, acked) == (len(acked), len(acked)), load.statuses
    # a case committed but not acknowledged (the answer lost with the process) may exist: it is
    # in the database whole (case + audit), never half
    with drill["engine"].connect() as conn:
        orphans = conn.scalar(text(
            "SELECT count(*) FROM incidents i WHERE i.title LIKE 'kill-9 演练%' AND NOT EXISTS "
            "(SELECT 1 FROM audit_log a WHERE a.entity = 'incident' AND a.entity_id = i.id "
            "AND a.action = 'register')"))
    assert orphans == 0
    # a new process takes registrations again at once
    with console_process(drill, "kill9-after") as (base, _):
        status, _, body = post(base, {**drill["case"], "title": "kill-9 之后"})
        assert status == 201, body
    print(f"\n[drill a] {len(acked)} acknowledged, all recorded and audited; "
          f"statuses {load.statuses}; {time.monotonic() - started:.1f} s")


def connections(d: dict[str, Any]) -> dict[str, int]:
    """The console's connections to the drill's database, by what they are doing."""
    with d["engine"].connect() as conn:
        rows = conn.execute(text(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid "
            "AND l.locktype = 'advisory' AND l.granted) THEN 'scheduler' "
            "WHEN a.query ILIKE 'LISTEN%' THEN 'listen' ELSE 'other' END, count(*) "
            "FROM pg_stat_activity a WHERE a.datname = :d AND a.pid <> pg_backend_pid() "
            "GROUP BY 1"), {"d": DB}).all()
    return {k: int(v) for k, v in rows}


def stop_immediate(cluster: Any) -> None:
    cluster.as_server([str(PG_BIN / "pg_ctl"), "stop", "-D", str(cluster.data_dir),
                       "-m", "immediate", "-w", "-t", "30"])


class Stream:
    """An open ``/api/v1/events`` stream (the desk's live feed): the events it has received."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.conn.request("GET", "/api/v1/events",
                          headers={"Authorization": f"Bearer {TOKENS['duty']}"})
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        self.events: list[dict[str, Any]] = []
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self) -> None:
        try:
            for raw in self.resp:
                line = raw.decode().strip()
                if line.startswith("data: "):
                    self.events.append(json.loads(line[6:]))
                if line.startswith("event: end"):
                    break
        except (OSError, ValueError, AttributeError):  # closed by close(), or by the server
            pass
        self.ended.set()

    def close(self) -> None:
        self.conn.close()


def test_postgres_stopped_immediately_under_load_503_then_full_recovery(drill):
    """Drill (b): ``pg_ctl stop -m immediate`` while cases stream in."""
    started = time.monotonic()
    cluster = drill["cluster"]
    with console_process(drill, "immediate") as (base, _proc):
        stream = Stream(base)
        try:
            # the desk's feed hears a change before the outage (its listener is up)
            status, _, first = post(base, {**drill["case"], "title": "停库前"})
            assert status == 201
            deadline = time.monotonic() + 15
            while not any(e.get("incident_id") == first["id"] for e in stream.events):
                assert time.monotonic() < deadline, stream.events
                time.sleep(0.1)
            time.sleep(6)  # the scheduler has ticked (every 5 s) and holds its lock
            before = connections(drill)
            assert before.get("listen") == 1 and before.get("scheduler") == 1, before
            with Load(base, drill["case"], "停库演练") as load:
                time.sleep(2.0)
                loaded = connections(drill)  # the pool grown to the load, before the outage
                stop_immediate(cluster)
                down = time.monotonic()
                time.sleep(4.0)
                during = dict(load.statuses)
                cluster.start()
                up = time.monotonic()
                deadline = up + 30
                while load.statuses.get(201, 0) <= during.get(201, 0):
                    assert time.monotonic() < deadline, load.statuses
                    time.sleep(0.2)
                recovered = time.monotonic() - up
                time.sleep(1.0)
            assert during.get(503, 0) >= 1, during
            assert load.retry_after == {str(RETRY_AFTER_S)}, load.retry_after
            assert set(load.statuses) <= {201, 503}, load.statuses  # no 500, no lost socket
            acked = list(load.acked)
            assert recorded(drill, acked) == (len(acked), len(acked))
            # the next change reaches the same open stream: no reload, no reconnect
            assert not stream.ended.is_set(), stream.events[-3:]
            status, _, after = post(base, {**drill["case"], "title": "恢复后"})
            assert status == 201
            deadline = time.monotonic() + 20
            while not any(e.get("incident_id") == after["id"] for e in stream.events):
                assert time.monotonic() < deadline, ("the open stream missed the change",
                                                     stream.events[-3:])
                time.sleep(0.1)
            heard = time.monotonic()
            # the scheduler leads again and the listener listens again, each on one connection
            deadline = time.monotonic() + 20
            while (now := connections(drill)).get("scheduler") != 1 or now.get("listen") != 1:
                assert time.monotonic() < deadline, (before, now)
                time.sleep(0.5)
            # nothing outside the pool (5 + 5, the scheduler's lock among them) but the listener,
            # and no more than under the same load before the outage
            assert now.get("other", 0) + now["scheduler"] <= 10, (before, loaded, now)
            assert sum(now.values()) <= max(sum(loaded.values()), sum(before.values())) + 1, \
                (before, loaded, now)
        finally:
            stream.close()
    print(f"\n[drill b] outage {up - down:.1f} s: {during.get(503, 0)} × 503 (Retry-After "
          f"{RETRY_AFTER_S}), recovered {recovered:.1f} s after the restart; {len(acked)} "
          f"acknowledged, all recorded; stream heard the next change {heard - up:.1f} s after; "
          f"connections idle {before}, under load {loaded}, after {now}; "
          f"{time.monotonic() - started:.1f} s")
