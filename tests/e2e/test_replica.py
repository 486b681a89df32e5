"""A real streaming replica of a throwaway primary: the wall's figures are read from it, stay correct
within its lag, and when it falls behind (replay paused) reads go back to the primary, visibly.

Primary and replica are this module's own clusters (tests/private_cluster.py, geo.replication);
the shared cluster is never touched. Drill (c) of issue 16 is the last test (~15 s)."""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from console.read_side import APPLICATION_NAME
from console.settings import ConsoleSettings
from dispatch.limits import REPLICA_LAG_S
from geo import db, replication
from tests.conftest import add_test_accounts, as_user, serve_console
from tests.private_cluster import ground_only, private_cluster

pytestmark = pytest.mark.e2e
DB = "fq_replica_test"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_territory: Any
           ) -> Iterator[tuple[str, Any, Any, dict[str, Any]]]:
    from geo.loader import load_territory

    with private_cluster(tmp_path_factory.mktemp("replica")) as (primary, settings):
        url = db.ready_database(settings, DB)
        engine = db.make_engine(url)
        with engine.begin() as conn:
            load_territory(conn, ground_only(demo_territory))
            add_test_accounts(conn)
            lon, lat = conn.execute(text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                "ORDER BY id LIMIT 1) g")).one()
        engine.dispose()
        replica = replication.make_replica(primary)  # after the load: the base backup has it all
        try:
            console = dataclasses.replace(ConsoleSettings.extend(settings),
                                          read_database_url=replica.url(DB))
            case = {"category": "neighbour", "channel": "walk_in", "title": "副本测试纠纷",
                    "address": "副本路1号", "auto_dispatch": False, "lon": lon, "lat": lat}
            with serve_console(console, url) as base:
                yield base, primary, replica, case
        finally:
            replication.drop_replica(primary, replica)


def call(url: str, body: dict[str, Any] | None = None, *, user: str = "duty"
         ) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **as_user(user)})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, \
                json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, \
            json.loads(err.read() or b"null")


def on(cluster: Any, sql: str) -> Any:
    engine = create_engine(cluster.url(DB), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return conn.scalar(text(sql))
    finally:
        engine.dispose()


def open_count(base: str) -> int:
    status, _, body = call(base + "/api/v1/stats/overview", user="leader")
    assert status == 200, body
    return int(body["overview"]["open"])


def wait_for(check: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


def test_the_wall_reads_the_replica_and_shows_a_new_case_after_replay(served):
    base, primary, replica, case = served
    # the replica may still be replaying the set-up's last writes (a loaded machine): reads
    # go to the primary until it has caught up, then to the replica
    wait_for(lambda: (r := call(base + "/api/v1/admin/replica", user="admin"))[0] == 200
                    and r[2]["configured"] and r[2]["source"] == "replica" and r[2], 30,
                    "the replica never caught up")
    scans = ("SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables "
             "WHERE relname = 'incidents'")
    on_primary, on_replica = on(primary, scans), on(replica, scans)
    before = open_count(base)
    # the figures' queries ran on the replica (its own statistics count the scans of incidents,
    # flushed by its backends within ~10 s), under the read engine's name, not on the primary
    wait_for(lambda: on(replica, scans) > on_replica, 15, "no read of incidents on the replica")
    assert on(primary, scans) == on_primary
    clients = f"FROM pg_stat_activity WHERE application_name = '{APPLICATION_NAME}'"
    assert on(replica, f"SELECT count(*) {clients}") >= 1
    assert on(primary, f"SELECT count(*) {clients}") == 0
    assert on(replica, "SELECT pg_is_in_recovery()") is True
    # a map layer says where it was read
    status, headers, _ = call(base + "/api/v1/map/heat.geojson?days=30", user="leader")
    assert status == 200 and headers.get("x-fq-read") == "replica"
    # and /metrics says so (loopback: no credentials)
    with urllib.request.urlopen(base + "/metrics", timeout=30) as resp:
        families = {f.name: f for f in text_string_to_metric_families(resp.read().decode())}
    assert families["fq_reads_from_replica"].samples[0].value == 1.0
    lag = families["fq_replica_lag_seconds"].samples[0].value
    assert lag == lag and 0.0 <= lag < 5.0, lag  # known (not NaN) and within the limit

    status, _, body = call(base + "/api/v1/incidents", case)  # a write: the primary
    assert status == 201, body
    # replayed within the lag, the wall counts it (the hub's cache is at most 5 s old)
    wait_for(lambda: open_count(base) == before + 1, 15, "the new case never reached the wall")
    assert on(replica, f"SELECT count(*) FROM incidents WHERE id = {int(body['id'])}") == 1


def test_a_replica_that_falls_behind_degrades_visibly_never_wrongly(served):
    """Drill (c): replay paused on the replica; answers are the old figures only while the
    measured lag is within the limit, then the primary's, and /admin says why."""
    base, _primary, replica, case = served
    before = open_count(base)
    on(replica, "SELECT pg_wal_replay_pause()")
    try:
        status, _, body = call(base + "/api/v1/incidents", {**case, "title": "副本暂停时的纠纷"})
        assert status == 201, body
        written = time.monotonic()
        seen: list[tuple[float, int, str]] = []

        def degraded() -> bool:
            read = call(base + "/api/v1/admin/replica", user="admin")[2]
            count = open_count(base)
            seen.append((time.monotonic() - written, count, read["source"]))
            return read["source"] == "primary" and count == before + 1
        wait_for(degraded, REPLICA_LAG_S + 15, f"never fell back to the primary: {seen}")
        # never wrong: the old figure or the new, and the old only within the limit (+ the cache)
        for after_s, count, _source in seen:
            assert count in (before, before + 1), seen
            if count == before:
                assert after_s <= REPLICA_LAG_S + 5 + 1.5, seen
        read = call(base + "/api/v1/admin/replica", user="admin")[2]
        assert read["paused"] and read["lag_s"] is not None and read["lag_s"] > REPLICA_LAG_S
        assert "数据延迟" in read["message"] and "主库" in read["message"]
        assert read["behind_bytes"] > 0
        # (another period than the first test's: the layer's own 60 s cache would answer that)
        status, headers, _ = call(base + "/api/v1/map/heat.geojson?days=29", user="leader")
        assert status == 200 and headers.get("x-fq-read") == "primary"
    finally:
        on(replica, "SELECT pg_wal_replay_resume()")
    # caught up: reads go back to the replica, with the same figures
    wait_for(lambda: call(base + "/api/v1/admin/replica", user="admin")[2]["source"] == "replica",
             15, "the replica never came back")
    assert open_count(base) == before + 1


def test_a_wall_pushed_after_a_change_never_shows_the_figures_before_it(served):
    """The wall sessions' path (StatsHub after a NOTIFY): with replay paused the change is not on
    the replica, so the forced refresh reads the primary (ReadSide.settled) — the pushed board
    counts the new case at once, never the old figure as if it were current."""
    from console.live.stats_hub import StatsHub
    from console.read_side import ReadSide
    from dispatch.stats import Scope
    from geo.db import libpq_url

    base, primary, replica, case = served
    p_engine = db.make_engine(primary.url(DB))
    r_engine = db.make_engine(replica.url(DB), connect_args={"application_name": APPLICATION_NAME})
    reads = ReadSide(p_engine, r_engine)
    hub = StatsHub(p_engine, conninfo=libpq_url(p_engine), reads=reads.engine,
                   settled=reads.settled, interval=60.0)
    boards: list[int] = []
    token = hub.subscribe(Scope(), lambda got: boards.append(int(got["board"]["overview"]["open"]))
                          if "board" in got else None)
    try:
        wait_for(lambda: boards, 20, "no first board")
        assert hub._source is not None and hub._source.wait_ready(10)
        before = boards[-1]
        assert reads.status(fresh=True).source == "replica"
        on(replica, "SELECT pg_wal_replay_pause()")
        try:
            status, _, body = call(base + "/api/v1/incidents", {**case, "title": "推送演练"})
            assert status == 201, body
            wait_for(lambda: len(boards) > 1, 20, "no board after the change")
            assert boards[1:] and all(n == before + 1 for n in boards[1:]), (before, boards)
        finally:
            on(replica, "SELECT pg_wal_replay_resume()")
    finally:
        hub.unsubscribe(token)
        hub.stop()
        p_engine.dispose()
        r_engine.dispose()
