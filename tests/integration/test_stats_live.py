"""The wall's two tiers of figures on a real database: the live counts agree with the full
snapshot, and after a change the hub sends the counts at once and the month-long figures at most
every ``slow_gap`` (console/live/stats_hub.py, dispatch/stats_live.py)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from dispatch import stats_live
from dispatch.stats import Scope
from dispatch.stats_live import LIVE_COUNTS
from tests.conftest import demo_copy


@pytest.fixture(scope="module")
def writable(settings, base_db, demo_territory) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with demo_copy(settings, base_db, demo_territory, tag="l") as (_, engine):
        yield engine


def _register(conn: Connection, **values: object) -> int:
    now = conn.scalar(text("SELECT now()"))
    cols = {"code": f"L-{uuid.uuid4().hex[:10]}", "channel": "hotline", "category": "neighbour",
            "title": "测试", "state": "registered", "reported_at": now,
            "sign_deadline": now + timedelta(hours=1), "close_deadline": now + timedelta(days=7),
            **values}
    return int(conn.scalar(text(
        f"INSERT INTO incidents ({', '.join(cols)}) VALUES ({', '.join(':' + k for k in cols)}) "
        "RETURNING id"), cols))


def test_live_counts_laid_over_an_older_snapshot_equal_a_new_snapshot(writable: Engine):
    with writable.connect() as conn:  # one transaction, rolled back
        street = Scope(int(conn.scalar(text(
            "SELECT street_id FROM incidents GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))))
        for scope in (Scope(), street):
            before = stats_live.wall_snapshot(conn, scope)
            for _ in range(3):
                _register(conn, street_id=street.street)
            conn.execute(text("UPDATE incidents SET state = 'resolved', resolved_at = now(), "
                              "outcome = 'mediated' WHERE id = (SELECT max(id) FROM incidents)"))
            after = stats_live.wall_snapshot(conn, scope)
            laid = stats_live.with_live(before, stats_live.live(conn, scope))
            assert {k: laid["overview"][k] for k in LIVE_COUNTS} == {
                k: after["overview"][k] for k in LIVE_COUNTS}
            assert laid["overview"]["intake_today"] == before["overview"]["intake_today"] + 3
            assert laid["trend"] == after["trend"]  # today's bar: the same definitions
            assert laid["cases"] == after["cases"]
        conn.rollback()


class _HubTime:
    """``time`` for console.live.stats_hub with a monotonic clock that moves only when the hub sleeps
    (its debounce) or the test says so: which refresh carries the month-long figures then
    depends on events, not on how fast a busy machine runs."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        time.sleep(0.01)


def test_after_a_change_counts_come_at_once_and_the_month_figures_at_most_every_slow_gap(
        writable: Engine, monkeypatch: pytest.MonkeyPatch):
    from console.live import stats_hub
    from console.live.stats_hub import StatsHub

    clock = _HubTime()
    monkeypatch.setattr(stats_hub, "time", clock)
    # no periodic refresh within the test: every delivery after the first follows a change, or
    # is the hub coming back for the month-long figures it still owes
    hub = StatsHub(writable, interval=600, slow_gap=2.0)
    got: list[dict] = []
    lock = threading.Lock()

    def deliver(payload: dict) -> None:
        if "board" in payload:
            with lock:
                got.append(payload["board"])

    def next_board(after: int) -> dict:
        deadline = time.monotonic() + 60  # a bound on a hang only: the delivery is the event
        while time.monotonic() < deadline:
            with lock:
                if len(got) > after:
                    return got[after]
            time.sleep(0.02)
        raise AssertionError("no delivery")

    def change() -> int:
        with writable.begin() as conn:
            _register(conn)
        with lock:
            n = len(got)
        hub._notified('{"type": "incident_registered"}')  # as the listener would
        return n

    token = hub.subscribe(Scope(), deliver)
    try:
        first = next_board(0)
        today, month = first["overview"]["intake_today"], first["overview"]["windows"]["30"]
        # the first change after a quiet spell: both tiers at once, in the next delivery
        b1 = next_board(change())
        assert b1["overview"]["intake_today"] == today + 1
        assert b1["overview"]["windows"]["30"]["intake"] == month["intake"] + 1
        # straight after (0.6 s of the hub's clock, its debounce): the counts at once, the
        # month-long figures from the snapshot before
        b2 = next_board(change())
        assert b2["overview"]["intake_today"] == today + 2
        assert b2["trend"][-1]["reported"] == b2["overview"]["intake_today"]
        assert b2["overview"]["windows"]["30"]["intake"] == month["intake"] + 1
        # the hub comes back for what it owes, but before the gap has passed it keeps them
        n = len(got)
        b3 = next_board(n)
        assert b3["overview"]["intake_today"] == today + 2
        assert b3["overview"]["windows"]["30"]["intake"] == month["intake"] + 1
        # once the gap has passed they catch up, with no further change
        with lock:
            clock.now += 2.0
            n = len(got)
        while (b4 := next_board(n))["overview"]["windows"]["30"]["intake"] != month["intake"] + 2:
            assert b4["overview"]["intake_today"] == today + 2  # nothing else moved meanwhile
            n += 1
        assert b4["overview"]["intake_today"] == today + 2
    finally:
        hub.unsubscribe(token)


def test_a_committed_notify_wakes_the_hub_without_waiting_for_its_interval(writable: Engine):
    """What the wall's live update rests on (the time it takes is bench/bench_wall.py's): with a
    periodic refresh ten minutes away, the delivery after a commit can only come from NOTIFY."""
    from console.live.stats_hub import StatsHub
    from geo.db import libpq_url

    hub = StatsHub(writable, interval=600, conninfo=libpq_url(writable))
    got: list[dict] = []
    lock = threading.Lock()

    def deliver(payload: dict) -> None:
        if "board" in payload:
            with lock:
                got.append(payload["board"])

    def boards(n: int) -> list[dict]:
        deadline = time.monotonic() + 60  # a bound on a hang only
        while time.monotonic() < deadline:
            with lock:
                if len(got) >= n:
                    return list(got)
            time.sleep(0.02)
        raise AssertionError(f"{len(got)} deliveries, waited for {n}")

    token = hub.subscribe(Scope(), deliver)
    try:
        today = boards(1)[0]["overview"]["intake_today"]
        assert hub._source is not None and hub._source.wait_ready(60)
        with writable.begin() as conn:
            _register(conn)
            conn.execute(text("SELECT pg_notify('fq_dispatch', '{\"type\": \"incident_registered\"}')"))
        after = boards(2)[1]
        assert after["overview"]["intake_today"] == today + 1
    finally:
        hub.unsubscribe(token)
