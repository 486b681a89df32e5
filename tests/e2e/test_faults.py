"""The database goes away and comes back: the API says 503 with Retry-After, the scheduler lets go.

Everything runs on a PostgreSQL cluster of this module's own (tests/private_cluster.py), which the
tests kill and stop for real; the shared cluster is never touched."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from console.api.faults import MESSAGE, RETRY_AFTER_S
from dispatch.commands import RunClocks
from dispatch.results import TickReport
from dispatch.scheduler import Scheduler
from geo import db
from tests.conftest import add_test_accounts, as_user, serve_console
from tests.private_cluster import private_cluster

pytestmark = pytest.mark.e2e
CASE = {"category": "neighbour", "channel": "walk_in", "title": "停库期间提交的纠纷",
        "address": "停库路1号", "auto_dispatch": False}
PATHS = ("/api/v1/incidents", "/api/v1/units", "/api/v1/layers/grids.geojson")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, demo_territory: Any
            ) -> Iterator[tuple[Any, Any, str]]:
    from geo.loader import load_territory

    with private_cluster(tmp_path_factory.mktemp("faults")) as (cluster, settings):
        url = db.ready_database(settings, "fq_faults")
        engine = db.make_engine(url)
        with engine.begin() as conn:
            load_territory(conn, demo_territory)
            add_test_accounts(conn)
        engine.dispose()
        yield cluster, settings, url


def get(url: str, body: dict[str, Any] | None = None, *, user: str = "duty"
        ) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **as_user(user)})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read() or b"null")


def kill_backends(cluster: Any, dbname: str) -> int:
    admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        n = conn.scalar(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": dbname})
    admin.dispose()
    return int(n or 0)


def test_the_api_answers_503_while_the_database_is_down_and_recovers(cluster):
    cl, settings, url = cluster
    engine = db.make_engine(url)
    with engine.connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) "
                                     "p FROM grids ORDER BY id LIMIT 1) g")).one()
    engine.dispose()
    CASE.update(lon=lon, lat=lat)
    with serve_console(settings, url) as base:
        for path in PATHS:
            assert get(base + path)[0] == 200, path
        # connections killed under the console: the next requests get fresh ones, no error
        assert kill_backends(cl, "fq_faults") >= 1
        for path in PATHS:
            assert get(base + path)[0] == 200, path

        cl.stop()  # the database is down
        try:
            for _round in range(3):
                for path in PATHS:
                    status, headers, body = get(base + path)
                    assert status == 503, (path, status, body)
                    assert headers.get("Retry-After") == str(RETRY_AFTER_S)
                    assert body == {"error": {"code": "database_unavailable", "message": MESSAGE}}
                    assert "数据库" in body["error"]["message"]
            # a case sent meanwhile is refused the same way, and nothing of it is kept
            status, headers, body = get(base + "/api/v1/incidents", CASE)
            assert (status, body["error"]["code"]) == (503, "database_unavailable")
            assert headers.get("Retry-After") == str(RETRY_AFTER_S)
            # as load balancers poll it, without credentials
            status, headers, body = get(base + "/api/v1/health", user="anonymous")
            assert status == 503 and headers.get("Retry-After") == str(RETRY_AFTER_S)
            assert body["status"] == "degraded"
            # the login form says it in a page, not a traceback
            req = urllib.request.Request(base + "/login", data=b"username=duty&password=x")
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(req, timeout=60)
            assert err.value.code == 503 and err.value.headers["Retry-After"] == str(RETRY_AFTER_S)
            page = err.value.read().decode()
            assert MESSAGE in page and 'url=/login"' in page
        finally:
            cl.start()
        # back: every face answers again without restarting the console
        deadline = time.monotonic() + 30
        while get(base + PATHS[0])[0] != 200:
            assert time.monotonic() < deadline, "the console did not recover"
            time.sleep(0.5)
        for path in (*PATHS, "/api/v1/health"):
            assert get(base + path)[0] == 200, path
        engine = db.make_engine(url)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM incidents WHERE title = :t"),
                               {"t": CASE["title"]}) == 0
        engine.dispose()
        status, _, body = get(base + "/api/v1/incidents", CASE)  # and now it is taken
        assert status == 201, body


def test_the_scheduler_drops_a_dead_connection_and_leads_again(cluster):
    cl, _settings, url = cluster
    ticks: list[RunClocks] = []

    def run(cmd: RunClocks) -> TickReport:
        ticks.append(cmd)
        return TickReport(ran=True)

    engine = db.make_engine(url, pool_size=2, max_overflow=0)
    sched = Scheduler(engine, run)
    try:
        assert sched.tick().ran and sched.leading
        assert engine.pool.checkedout() == 1  # the lock's connection

        # its connection killed while the database stays up: it lets go, then leads again
        assert kill_backends(cl, "fq_faults") >= 1
        assert sched.tick().ran and sched.leading
        assert engine.pool.checkedout() == 1

        cl.stop()
        try:
            for _ in range(3):  # no exception, no lead, and the dead connection back in the pool
                assert sched.tick() == TickReport(ran=False)
                assert not sched.leading
                assert engine.pool.checkedout() == 0
        finally:
            cl.start()
        assert sched.tick().ran and sched.leading
        with engine.connect() as conn:  # the lock is really held again, by that connection
            held = conn.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                    "AND granted"))
        assert held == 1
        assert len(ticks) == 3
    finally:
        sched.stop()
        assert engine.pool.checkedout() == 0
        engine.dispose()
