"""Lifecycle on real PostGIS: every change one transaction with its audit row."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from dispatch.adapters.repository import IncidentRepository
from dispatch.commands import (
    AssignUnits,
    ChangeState,
    LocateIncident,
    Party,
    RecordFollowUp,
    RegisterIncident,
)
from dispatch.errors import InvalidCommand, InvalidTransition

from .conftest import audit_rows, grid_point, state_of


def _register(app, engine, k=0, **kw):  # type: ignore[no-untyped-def]
    lon, lat = grid_point(engine, k)
    args = {"category": "neighbour", "channel": "hotline", "actor": "值班员甲", "lon": lon,
            "lat": lat, "address": f"测试路{k}号", "auto_dispatch": False,
            "parties": (Party(f"甲{k}", f"1390000{k:04d}"), Party(f"乙{k}"))}
    args.update(kw)
    return app.handle(RegisterIncident(**args))


def test_register_locates_codes_and_audits(app, demo_copy):
    reg = _register(app, demo_copy, 3)
    assert re.fullmatch(r"\d{4}-\d{6}", reg.code)
    assert reg.state == "located" and reg.location["grid"]["id"]
    rows = audit_rows(demo_copy, reg.incident_id)
    assert [(r["action"], r["from_state"], r["to_state"]) for r in rows] == [
        ("register", None, "registered"), ("locate", "registered", "located")]
    assert rows[0]["actor"] == "值班员甲"
    again = _register(app, demo_copy, 4)
    assert int(again.code[5:]) == int(reg.code[5:]) + 1


def test_address_only_stays_registered_then_locate(app, demo_copy):
    reg = app.handle(RegisterIncident(category="debt", channel="walk_in", actor="窗口",
                                      address="不知道在哪里路1号", auto_dispatch=False))
    assert reg.state == "registered" and reg.location is None
    lon, lat = grid_point(demo_copy, 5)
    out = app.handle(LocateIncident(incident_id=reg.incident_id, lon=lon, lat=lat, actor="窗口"))
    assert out.state == "located" and state_of(demo_copy, reg.incident_id) == "located"


def test_full_life_with_follow_up(app, demo_copy, clock):
    reg = _register(app, demo_copy, 6)
    rec = app.recommend(reg.incident_id)
    unit = rec.candidates[0].unit.id
    app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(unit,), actor="值班员甲"))
    for to in ("acknowledged", "on_scene", "mediating"):
        clock.advance(minutes=5)
        app.handle(ChangeState(incident_id=reg.incident_id, to=to, actor="调解员"))
    app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", outcome="mediated",
                           actor="调解员", note="达成协议"))
    with demo_copy.connect() as conn:
        load = conn.scalar(text("SELECT count(*) FROM assignments WHERE unit_id = :u AND "
                                "incident_id = :i AND state = 'active'"),
                           {"u": unit, "i": reg.incident_id})
    assert load == 0
    with pytest.raises(InvalidTransition, match="须先回访"):
        app.handle(ChangeState(incident_id=reg.incident_id, to="closed", actor="值班员甲"))
    out = app.handle(RecordFollowUp(incident_id=reg.incident_id, satisfaction=5,
                                    agreement_holds=True, actor="回访员", neighbours_visited=3))
    assert out.state == "followed_up" and not out.reopened
    app.handle(ChangeState(incident_id=reg.incident_id, to="closed", actor="值班员甲"))
    steps = [(r["from_state"], r["to_state"]) for r in audit_rows(demo_copy, reg.incident_id)]
    assert steps[-7:] == [("located", "assigned"), ("assigned", "acknowledged"),
                          ("acknowledged", "on_scene"), ("on_scene", "mediating"),
                          ("mediating", "resolved"), ("resolved", "followed_up"),
                          ("followed_up", "closed")]


def test_dissatisfaction_reopens(app, demo_copy):
    reg = _register(app, demo_copy, 7)
    app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", outcome="mediated",
                           actor="值班员甲"))
    out = app.handle(RecordFollowUp(incident_id=reg.incident_id, satisfaction=2,
                                    agreement_holds=True, actor="回访员"))
    assert out.reopened and out.state == "located"
    assert "不满意" in out.reason
    last = audit_rows(demo_copy, reg.incident_id)[-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        "reopen", "followed_up", "located")


def test_invalid_transition_changes_nothing(app, demo_copy):
    reg = _register(app, demo_copy, 8)
    before = audit_rows(demo_copy, reg.incident_id)
    with pytest.raises(InvalidTransition, match="不能改为「已到场」") as err:
        app.handle(ChangeState(incident_id=reg.incident_id, to="on_scene", actor="x"))
    assert err.value.status == 409
    with pytest.raises(InvalidTransition, match="办结须注明结果"):
        app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="x"))
    with pytest.raises(InvalidCommand):
        app.handle(RegisterIncident(category="bogus", channel="hotline", actor="x", address="a"))
    assert state_of(demo_copy, reg.incident_id) == "located"
    assert audit_rows(demo_copy, reg.incident_id) == before


def test_failure_mid_way_leaves_no_state_change_and_no_audit(app, demo_copy, monkeypatch):
    reg = _register(app, demo_copy, 9)
    before = audit_rows(demo_copy, reg.incident_id)
    real = IncidentRepository.audit

    def audit_then_fail(self, **kw):  # type: ignore[no-untyped-def]
        real(self, **kw)  # the audit row is written, then the process "crashes"
        raise RuntimeError("断电")

    monkeypatch.setattr(IncidentRepository, "audit", audit_then_fail)
    with pytest.raises(RuntimeError):
        app.handle(ChangeState(incident_id=reg.incident_id, to="escalated", note="疑难",
                               actor="值班员甲"))
    monkeypatch.undo()
    assert state_of(demo_copy, reg.incident_id) == "located"
    assert audit_rows(demo_copy, reg.incident_id) == before
    # and a database-side failure (actor longer than the column) also rolls back the change
    with pytest.raises(Exception, match="too long"):
        app.handle(ChangeState(incident_id=reg.incident_id, to="escalated", note="疑难",
                               actor="长" * 61))
    assert state_of(demo_copy, reg.incident_id) == "located"
    assert audit_rows(demo_copy, reg.incident_id) == before
