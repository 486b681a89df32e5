"""The scheduler's own loop on real PostgreSQL: its leader connection killed by the server, and
its process killed with -9 while another waits; each due stage fires once (rows and NOTIFYs).

No timed assertion: every wait is a bounded poll that fails saying what did not happen.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, text

from dispatch.commands import Party, RegisterIncident, RunClocks
from dispatch.results import TickReport
from dispatch.scheduler import LOCK_KEY, Scheduler

from .conftest import Notifications, grid_point

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[3]
# who holds this database's scheduler lock (a bigint key: classid = high, objid = low 32 bits)
HOLDER = text(
    "SELECT l.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = :hi "
    "AND l.objid::bigint = :lo AND l.database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database())")
KEY = {"hi": LOCK_KEY >> 32, "lo": LOCK_KEY & 0xFFFF_FFFF}


def wait_until(what: str, check: Callable[[], T | None], *, timeout_s: float = 60.0) -> T:
    """``check()``'s first truthy answer; an AssertionError naming ``what`` if none came in
    ``timeout_s`` (the bound only ends a hang: nothing here asserts a duration)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def holder(engine: Engine) -> tuple[int, str] | None:
    with engine.connect() as conn:
        rows = conn.execute(HOLDER, KEY).all()
    assert len(rows) <= 1, rows  # an advisory lock has one holder
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def _register(app, engine, ks: range) -> list[int]:  # type: ignore[no-untyped-def]
    """Urgent located cases (no unit): their sign clock warns at 24 min, supervises at 30."""
    app.handle(RunClocks(limit=100000))  # what the demo has due now goes first
    ids = []
    for k in ks:
        lon, lat = grid_point(engine, k)
        ids.append(app.handle(RegisterIncident(
            category="property", channel="hotline", actor="值班员", lon=lon, lat=lat,
            address=f"领班路{k}号", priority="urgent", auto_dispatch=False,
            parties=(Party(f"班{k}", f"1360000{k:04d}"),))).incident_id)
    return ids


def _fired(engine: Engine, ids: list[int]) -> dict[str, dict[int, int]]:
    """Per stage action, how many audit rows each timer of these cases has."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT action, (detail->>'timer_id')::bigint, count(*) FROM audit_log "
            "WHERE entity = 'incident' AND entity_id = ANY(:i) "
            "AND action IN ('deadline_warn', 'supervise_yellow') GROUP BY 1, 2"),
            {"i": ids}).all()
    out: dict[str, dict[int, int]] = {"deadline_warn": {}, "supervise_yellow": {}}
    for action, timer, n in rows:
        out[action][int(timer)] = int(n)
    return out


def _assert_once(engine: Engine, notes: Notifications, ids: list[int], *, yellow: bool) -> None:
    """Each case: one warning (and with ``yellow`` one 督办), as audit rows, processed timer
    rows and NOTIFY events, and no due stage left."""
    fired = _fired(engine, ids)
    assert len(fired["deadline_warn"]) == len(ids), fired
    assert len(fired["supervise_yellow"]) == (len(ids) if yellow else 0), fired
    assert {n for stage in fired.values() for n in stage.values()} == {1}, fired
    with engine.connect() as conn:
        done = conn.scalar(text(
            "SELECT count(*) FROM incident_timers WHERE incident_id = ANY(:i) "
            "AND processed_at IS NOT NULL"), {"i": ids})
    assert done == len(ids) * (2 if yellow else 1)
    for iid in ids:
        assert notes.count("deadline_warned", incident_id=iid) == 1, iid
        assert notes.count("deadline_passed", incident_id=iid) == (1 if yellow else 0), iid


def test_the_loop_leads_again_after_the_server_kills_its_lock_connection(app, demo_copy,
                                                                        clock):
    ids = _register(app, demo_copy, range(60, 64))
    ticks: list[TickReport] = []

    def run(cmd: RunClocks) -> TickReport:
        report: TickReport = app.handle(cmd)
        ticks.append(report)
        return report

    notes = Notifications(demo_copy)
    sched = Scheduler(demo_copy, run, interval_s=0.05)
    sched.start()
    try:
        first = wait_until("the loop takes the lock", lambda: holder(demo_copy))
        with demo_copy.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": first[0]})
        second = wait_until(
            "the loop holds the lock again on a new connection",
            lambda: (h := holder(demo_copy)) is not None and h[0] != first[0] and h)
        assert sched.leading
        clock.advance(minutes=25)  # the warnings fall due after the kill
        wait_until("the loop fires the warnings",
                   lambda: len(_fired(demo_copy, ids)["deadline_warn"]) == len(ids))
        seen = len(ticks)
        wait_until("three more ticks", lambda: len(ticks) >= seen + 3)
        _assert_once(demo_copy, notes, ids, yellow=False)
        assert holder(demo_copy) == second  # the new lead held on
    finally:
        sched.stop()
        notes.close()
    assert holder(demo_copy) is None  # stop() gave the lock back


def test_with_two_loops_a_killed_lock_connection_passes_the_lead_to_exactly_one(
        app, demo_copy, clock):
    ids = _register(app, demo_copy, range(64, 68))
    ticks: list[str] = []

    def counted(name: str) -> Callable[[RunClocks], TickReport]:
        def run(cmd: RunClocks) -> TickReport:
            report: TickReport = app.handle(cmd)
            ticks.append(name)
            return report
        return run

    notes = Notifications(demo_copy)
    loops = {name: Scheduler(demo_copy, counted(name), interval_s=0.05) for name in "ab"}
    loops["a"].start()
    try:
        first = wait_until("loop a takes the lock", lambda: holder(demo_copy))
        loops["b"].start()
        wait_until("loop a ticks on while b waits", lambda: ticks.count("a") >= 3)
        assert "b" not in ticks and not loops["b"].leading
        with demo_copy.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": first[0]})
        wait_until("a new connection holds the lock, and one loop alone leads",
                   lambda: (h := holder(demo_copy)) is not None and h[0] != first[0]
                   and loops["a"].leading != loops["b"].leading)
        leader = "a" if loops["a"].leading else "b"
        clock.advance(minutes=25)
        wait_until("the warnings fire",
                   lambda: len(_fired(demo_copy, ids)["deadline_warn"]) == len(ids))
        seen = ticks.count(leader)
        wait_until("three more ticks of the leader", lambda: ticks.count(leader) >= seen + 3)
        _assert_once(demo_copy, notes, ids, yellow=False)
        assert loops[leader].leading and not loops["ab".replace(leader, "")].leading
    finally:
        for loop in loops.values():
            loop.stop()
        notes.close()
    assert holder(demo_copy) is None


class _Proc:
    """A scheduler process (tests/integration/dispatch/scheduler_process.py) and its tick lines."""

    def __init__(self, url: str, start: str, clock_file: Path, name: str, log: Path) -> None:
        self.name, self.ticks = name, 0
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.dispatch.scheduler_process", url, start,
             str(clock_file), name],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("tick True"):
                self.ticks += 1

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()  # it stops its loop and gives the lock back
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def test_kill_9_of_the_leading_process_hands_over_and_each_stage_fires_once(
        app, demo_copy, clock, tmp_path):
    ids = _register(app, demo_copy, range(70, 76))
    offset = tmp_path / "offset"

    def move_to(minutes: int) -> None:  # the processes' "now": the test's clock plus this
        (tmp_path / "offset.new").write_text(str(minutes * 60))
        (tmp_path / "offset.new").replace(offset)

    move_to(0)
    url = demo_copy.url.render_as_string(hide_password=False)
    notes = Notifications(demo_copy)
    procs: list[_Proc] = []
    try:
        a = _Proc(url, clock.now.isoformat(), offset, "fq-sched-a", tmp_path / "a.log")
        procs.append(a)
        wait_until("process A takes the lock", lambda: (holder(demo_copy) or (0, ""))[1]
                   == "fq-sched-a", timeout_s=120)
        b = _Proc(url, clock.now.isoformat(), offset, "fq-sched-b", tmp_path / "b.log")
        procs.append(b)

        def b_tries() -> bool:  # its pool keeps the connection its failed try_lead used
            with demo_copy.connect() as conn:
                return bool(conn.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fq-sched-b' "
                    "AND datname = current_database()")))
        wait_until("process B tries the lock", b_tries, timeout_s=120)
        assert holder(demo_copy)[1] == "fq-sched-a"  # type: ignore[index]

        move_to(25)  # the warnings fall due: A fires them
        wait_until("A fires the warnings",
                   lambda: len(_fired(demo_copy, ids)["deadline_warn"]) == len(ids))
        assert b.ticks == 0

        move_to(31)  # the 督办 falls due, and A dies at once (perhaps in the middle of a tick)
        os.kill(a.proc.pid, signal.SIGKILL)
        assert a.proc.wait(timeout=30) == -signal.SIGKILL
        wait_until("B takes the lock", lambda: (holder(demo_copy) or (0, ""))[1]
                   == "fq-sched-b")
        wait_until("the 督办 fire",
                   lambda: len(_fired(demo_copy, ids)["supervise_yellow"]) == len(ids))
        seen = b.ticks
        wait_until("three more ticks of B", lambda: b.ticks >= seen + 3)
        _assert_once(demo_copy, notes, ids, yellow=True)
        with demo_copy.connect() as conn:
            left = conn.scalar(text(
                "SELECT count(*) FROM incident_timers WHERE incident_id = ANY(:i) "
                "AND processed_at IS NULL AND due_at <= :now"),
                {"i": ids, "now": clock.now + timedelta(minutes=31)})
        assert left == 0
    finally:
        for p in procs:
            p.stop()
        notes.close()
    assert holder(demo_copy) is None
