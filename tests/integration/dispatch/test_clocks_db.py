"""Deadlines on real PostGIS: warn, 督办 yellow then red, reassign, escalate — exactly once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from dispatch import handlers_clock
from dispatch.commands import AssignUnits, ChangeState, Party, RegisterIncident, RunClocks
from dispatch.policy import LEVELS
from dispatch.scheduler import Scheduler

from .conftest import audit_rows, grid_point, state_of


def _reg(app, engine, k, **kw):  # type: ignore[no-untyped-def]
    lon, lat = grid_point(engine, k)
    args = {"category": "property", "channel": "hotline", "actor": "值班员", "lon": lon,
            "lat": lat, "address": f"时钟路{k}号", "priority": "urgent", "auto_dispatch": False,
            "parties": (Party(f"钟{k}", f"1350000{k:04d}"),)}
    args.update(kw)
    return app.handle(RegisterIncident(**args))


def _supervisions(engine, iid):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT kind, level FROM supervisions WHERE incident_id = :i ORDER BY id"),
            {"i": iid})]


def _drain(app, engine):  # type: ignore[no-untyped-def]
    """Process whatever is due now (other tests' cases too) so counts below are this test's."""
    app.handle(RunClocks(limit=100000))


def test_sign_clock_warns_supervises_reassigns_then_escalates_once(app, demo_copy, clock):
    _drain(app, demo_copy)
    reg = _reg(app, demo_copy, 30)  # urgent: 30 minutes to sign
    first = app.recommend(reg.incident_id).best_unit_ids
    app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=first, actor="值班员",
                           reason="测试"))
    clock.advance(minutes=25)  # 80 % of 30 min has gone
    tick = app.handle(RunClocks())
    assert tick.warned >= 1
    assert app.handle(RunClocks()).processed == 0  # the same tick again: nothing new
    clock.advance(minutes=6)  # past the limit
    tick = app.handle(RunClocks())
    assert tick.supervised >= 1 and tick.reassigned >= 1
    assert _supervisions(demo_copy, reg.incident_id) == [("sign", "yellow")]
    with demo_copy.connect() as conn:
        now_units = set(conn.execute(text(
            "SELECT unit_id FROM assignments WHERE incident_id = :i AND state = 'active'"),
            {"i": reg.incident_id}).scalars())
    assert now_units and not now_units & set(first)
    assert app.handle(RunClocks()).processed == 0
    # round 0's red stage is cancelled by the reassignment; round 1 runs its own clock,
    # and its running out goes straight to red and up a level
    clock.advance(minutes=31)
    app.handle(RunClocks())
    clock.advance(minutes=16)
    app.handle(RunClocks())
    app.handle(RunClocks())
    sup = _supervisions(demo_copy, reg.incident_id)
    assert sup == [("sign", "yellow"), ("sign", "red")]
    assert state_of(demo_copy, reg.incident_id) == "escalated"
    with demo_copy.connect() as conn:
        level = conn.scalar(text("SELECT level FROM incident_flow WHERE incident_id = :i"),
                            {"i": reg.incident_id})
    assert LEVELS.index(level) == LEVELS.index(reg.level) + 1
    rows = audit_rows(demo_copy, reg.incident_id)
    assert [r["action"] for r in rows].count("supervise_red") == 1
    assert [r["to_state"] for r in rows].count("escalated") == 1


def test_acknowledged_case_is_not_supervised(app, demo_copy, clock):
    reg = _reg(app, demo_copy, 31)
    units = app.recommend(reg.incident_id).best_unit_ids
    app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=units, actor="值班员",
                           reason="测试"))
    app.handle(ChangeState(incident_id=reg.incident_id, to="acknowledged", actor="网格员"))
    clock.advance(hours=2)
    app.handle(RunClocks())
    assert _supervisions(demo_copy, reg.incident_id) == []


def test_concurrent_ticks_and_crash_restart_process_each_stage_once(app, demo_copy, clock,
                                                                    monkeypatch):
    _drain(app, demo_copy)
    ids = [_reg(app, demo_copy, 40 + k).incident_id for k in range(12)]
    clock.advance(minutes=31)  # warn + yellow due for each
    real = handlers_clock.process
    calls = {"n": 0}

    def crash_once(uow, timer, now, report):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        real(uow, timer, now, report)
        if calls["n"] == 3:
            raise SystemExit("进程崩溃")  # after the effects, before the commit

    monkeypatch.setattr(handlers_clock, "process", crash_once)
    with pytest.raises(SystemExit):
        app.handle(RunClocks())
    monkeypatch.setattr(handlers_clock, "process", real)
    threads = [threading.Thread(target=app.handle, args=(RunClocks(),)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.handle(RunClocks())
    with demo_copy.connect() as conn:
        left = conn.scalar(text("SELECT count(*) FROM incident_timers WHERE incident_id = "
                                "ANY(:i) AND processed_at IS NULL AND due_at <= :now"),
                           {"i": ids, "now": clock.now})
        per = conn.execute(text(
            "SELECT (detail->>'timer_id')::bigint, count(*) FROM audit_log WHERE entity_id = "
            "ANY(:i) AND action IN ('deadline_warn', 'supervise_yellow') GROUP BY 1"),
            {"i": ids}).all()
    assert left == 0
    assert len(per) == 24 and {n for _, n in per} == {1}  # 12 warnings, 12 yellows, once each
    for iid in ids:
        assert _supervisions(demo_copy, iid) == [("sign", "yellow")]


def test_only_one_scheduler_per_deployment(app, demo_copy):
    a = Scheduler(demo_copy, app.handle)
    b = Scheduler(demo_copy, app.handle)
    try:
        assert a.tick().ran
        assert not b.tick().ran and not b.leading
        a.stop()  # the leader goes away (or its process dies): the other takes over
        assert b.tick().ran
    finally:
        a.stop()
        b.stop()
