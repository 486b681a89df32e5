"""The 报到 deadline clock on PostGIS: a passed deadline marks the absent departments overdue
and opens 督办 naming them, audited with its event — exactly once across crashes, concurrent
ticks and repeats; a 会商, everyone reporting or the case's resolution stops the clock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from dispatch import handlers_clock
from dispatch.commands import (
    SYSTEM,
    BlowWhistle,
    ChangeState,
    HoldConsultation,
    Party,
    RegisterIncident,
    ReportIn,
    RunClocks,
)

from .conftest import Notifications, audit_rows, grid_point


def _case(app, engine, k):  # type: ignore[no-untyped-def]
    lon, lat = grid_point(engine, k)
    return app.handle(RegisterIncident(
        category="labour", channel="walk_in", actor="值班员", lon=lon, lat=lat,
        address=f"报到路{k}号", auto_dispatch=False, priority="low",
        parties=(Party(f"哨{k}", f"1360000{k:04d}"),))).incident_id


def _whistle(app, iid, departments, hours=1.0):  # type: ignore[no-untyped-def]
    return app.handle(BlowWhistle(incident_id=iid, departments=tuple(departments),
                                  reason="欠薪涉及多方，社区调解未果", actor="街道调度员",
                                  report_within_h=hours))


def _rows(engine, sql, **p):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), p)]


def _supervisions(engine, iid):  # type: ignore[no-untyped-def]
    """The case's 报到 督办 (its sign-for and closure clocks run beside, untouched here)."""
    return _rows(engine, "SELECT kind, level, closed_at IS NOT NULL FROM supervisions "
                         "WHERE incident_id = :i AND kind = 'whistle' ORDER BY id", i=iid)


def test_passed_deadline_supervises_once_across_crash_and_concurrent_ticks(
        app, demo_copy, clock, monkeypatch):
    app.handle(RunClocks(limit=100000))  # whatever else is due, so the counts are ours
    iid = _case(app, demo_copy, 60)
    w = _whistle(app, iid, ("judicial_office", "hrss_office", "housing"))
    app.handle(ReportIn(incident_id=iid, department="judicial_office", actor="司法所王"))
    events = Notifications(demo_copy)
    try:
        clock.advance(minutes=30)
        app.handle(RunClocks())
        assert _supervisions(demo_copy, iid) == []

        clock.advance(minutes=31)  # the hour has passed
        real = handlers_clock.process

        def crash(uow, timer, now, report):  # type: ignore[no-untyped-def]
            real(uow, timer, now, report)
            if timer["kind"] == "whistle":
                raise SystemExit("进程崩溃")  # after the effects, before the commit

        monkeypatch.setattr(handlers_clock, "process", crash)
        with pytest.raises(SystemExit):
            app.handle(RunClocks())
        monkeypatch.setattr(handlers_clock, "process", real)
        assert _supervisions(demo_copy, iid) == [] and events.count("whistle_overdue", incident_id=iid) == 0

        ticks = [threading.Thread(target=app.handle, args=(RunClocks(),)) for _ in range(3)]
        for t in ticks:
            t.start()
        for t in ticks:
            t.join()
        assert app.handle(RunClocks()).processed == 0
        clock.advance(hours=5)
        app.handle(RunClocks())  # later ticks (a restart) find nothing more for this whistle

        assert _supervisions(demo_copy, iid) == [("whistle", "yellow", False)]
        assert events.count("whistle_overdue", incident_id=iid) == 1
        calls = dict(_rows(demo_copy, "SELECT department, overdue_at IS NOT NULL FROM "
                                      "whistle_calls WHERE whistle_id = :w", w=w.whistle_id))
        assert calls == {"judicial_office": False, "hrss_office": True, "housing": True}
        rows = [r for r in audit_rows(demo_copy, iid) if r["detail"].get("kind") == "whistle"]
        assert len(rows) == 1
        (row,) = rows
        assert row["action"] == "supervise_yellow" and row["actor"] == SYSTEM
        assert row["detail"]["absent"] == ["hrss_office", "housing"]
        assert "人社所、住建部门未在" in row["reason"]
        assert _rows(demo_copy, "SELECT outcome FROM incident_timers WHERE whistle_id = :w",
                     w=w.whistle_id) == [("done",)]

        late = app.handle(ReportIn(incident_id=iid, department="housing", actor="住建李"))
        assert late.late and late.waiting_for == ("hrss_office",)
        app.handle(HoldConsultation(incident_id=iid, participants=("街道书记", "住建李"),
                                    outcome="企业三日内结清工资", actor="街道调度员"))
        assert _supervisions(demo_copy, iid) == [("whistle", "yellow", True)]  # concluded
    finally:
        events.close()


def test_consultation_everyone_reporting_or_resolution_stop_the_clock(app, demo_copy, clock):
    app.handle(RunClocks(limit=100000))
    consulted, reported, resolved = (_case(app, demo_copy, 61 + k) for k in range(3))
    for iid in (consulted, reported, resolved):
        _whistle(app, iid, ("court", "police_station"))
    app.handle(HoldConsultation(incident_id=consulted, participants=("甲", "乙"),
                                outcome="先行调解", actor="街道调度员"))
    for dept in ("court", "police_station"):
        app.handle(ReportIn(incident_id=reported, department=dept, actor="部门"))
    app.handle(ChangeState(incident_id=resolved, to="resolved", outcome="withdrawn",
                           note="申请人撤回", on_the_spot=True, spot_reason="当事人到窗口撤回",
                           actor="值班员"))
    outcomes = _rows(demo_copy, "SELECT incident_id, outcome FROM incident_timers "
                                "WHERE kind = 'whistle' AND incident_id = ANY(:i)",
                     i=[consulted, reported, resolved])
    assert sorted(outcomes) == sorted((i, "cancelled") for i in (consulted, reported, resolved))
    clock.advance(hours=2)
    app.handle(RunClocks())
    for iid in (consulted, reported, resolved):
        assert _supervisions(demo_copy, iid) == []


def test_whistles_open_before_0007_get_their_clock(app, demo_copy, clock):
    """The upgrade's backfill, replayed: an open whistle without a timer row gets one."""
    from pathlib import Path

    iid = _case(app, demo_copy, 64)
    w = _whistle(app, iid, ("civil_affairs",))
    src = (Path(__file__).parents[3] / "migrations/versions/0007_whistle_clock.py").read_text()
    backfill = src[src.index("INSERT INTO incident_timers"):src.index("ALTER TABLE units")]
    with demo_copy.begin() as conn:
        conn.execute(text("DELETE FROM incident_timers WHERE whistle_id = :w"),
                     {"w": w.whistle_id})
        conn.execute(text(backfill.replace("WHERE closed_at IS NULL",
                                           "WHERE closed_at IS NULL AND id = :w")),
                     {"w": w.whistle_id})
    assert _rows(demo_copy, "SELECT kind, stage, due_at FROM incident_timers "
                            "WHERE whistle_id = :w", w=w.whistle_id) == [
        ("whistle", "yellow", w.report_by)]
