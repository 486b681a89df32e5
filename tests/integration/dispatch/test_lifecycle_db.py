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

from .conftest import MEDIATED, audit_rows, grid_point, state_of, to_scene


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
    app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="调解员",
                           **MEDIATED))
    with demo_copy.connect() as conn:
        load = conn.scalar(text("SELECT count(*) FROM assignments WHERE unit_id = :u AND "
                                "incident_id = :i AND state = 'active'"),
                           {"u": unit, "i": reg.incident_id})
    assert load == 0
    with pytest.raises(InvalidTransition, match="须先回访"):
        app.handle(ChangeState(incident_id=reg.incident_id, to="closed", actor="值班员甲"))
    out = app.handle(RecordFollowUp(incident_id=reg.incident_id, satisfaction=5,
                                    agreement_holds=True, method="visit", actor="回访员",
                                    neighbours_visited=3))
    assert out.state == "followed_up" and not out.reopened
    app.handle(ChangeState(incident_id=reg.incident_id, to="closed", actor="值班员甲"))
    rows = audit_rows(demo_copy, reg.incident_id)
    assert [r["to_state"] for r in rows if r["action"] == "refused"] == ["closed"]
    steps = [(r["from_state"], r["to_state"]) for r in rows if r["action"] != "refused"]
    assert steps[-7:] == [("located", "assigned"), ("assigned", "acknowledged"),
                          ("acknowledged", "on_scene"), ("on_scene", "mediating"),
                          ("mediating", "resolved"), ("resolved", "followed_up"),
                          ("followed_up", "closed")]


def test_dissatisfaction_reopens(app, demo_copy):
    reg = _register(app, demo_copy, 7)
    to_scene(app, reg.incident_id)
    app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="调解员",
                           **MEDIATED))
    out = app.handle(RecordFollowUp(incident_id=reg.incident_id, satisfaction=2,
                                    agreement_holds=True, method="phone",
                                    neighbours_visited=0, actor="回访员"))
    assert out.reopened and out.state == "located"
    assert "不满意" in out.reason
    last = audit_rows(demo_copy, reg.incident_id)[-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        "reopen", "followed_up", "located")


def test_invalid_transition_changes_nothing_and_its_refusal_is_audited(app, demo_copy):
    reg = _register(app, demo_copy, 8)
    before = audit_rows(demo_copy, reg.incident_id)
    with pytest.raises(InvalidTransition, match="不能改为「已到场」") as err:
        app.handle(ChangeState(incident_id=reg.incident_id, to="on_scene", actor="x"))
    assert err.value.status == 409
    with pytest.raises(InvalidCommand):
        app.handle(RegisterIncident(category="bogus", channel="hotline", actor="x", address="a"))
    assert state_of(demo_copy, reg.incident_id) == "located"
    after = audit_rows(demo_copy, reg.incident_id)
    assert after[:len(before)] == before and len(after) == len(before) + 1
    refused = after[-1]
    assert (refused["action"], refused["actor"], refused["to_state"]) == ("refused", "x",
                                                                           "on_scene")
    assert "不能改为" in refused["reason"]


def test_a_located_case_is_not_resolved_without_a_unit_on_scene(app, demo_copy):
    """The rule that replaced 'a located case resolved as mediated': refused, naming the gap."""
    reg = _register(app, demo_copy, 10)
    before = audit_rows(demo_copy, reg.incident_id)
    with pytest.raises(InvalidTransition, match="到场记录") as err:
        app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="值班员甲",
                               **MEDIATED))
    assert err.value.status == 409
    with pytest.raises(InvalidTransition, match=r"办结结果.*办结说明"):
        app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="值班员甲"))
    with pytest.raises(InvalidTransition, match="仅限来访窗口"):
        app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="值班员甲",
                               on_the_spot=True, spot_reason="电话里说通了", **MEDIATED))
    assert state_of(demo_copy, reg.incident_id) == "located"
    after = audit_rows(demo_copy, reg.incident_id)
    assert [r["action"] for r in after[len(before):]] == ["refused"] * 3
    assert after[len(before)]["detail"]["missing"]
    with demo_copy.connect() as conn:
        assert not conn.scalar(text("SELECT count(*) FROM incident_closures WHERE "
                                    "incident_id = :i"), {"i": reg.incident_id})


@pytest.mark.parametrize(("extra", "missing"), [
    ({"outcome": None}, "办结结果"), ({"note": None}, "办结说明"),
    ({"oral_terms": None}, "调解协议"),
    ({"outcome": "litigation", "oral_terms": None}, "受理法院")])
def test_on_scene_closure_needs_each_piece_of_evidence(app, demo_copy, extra, missing):
    reg = _register(app, demo_copy, 11 + len(missing))
    to_scene(app, reg.incident_id)
    with pytest.raises(InvalidTransition, match=missing):
        app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="调解员",
                               **{**MEDIATED, **extra}))
    assert state_of(demo_copy, reg.incident_id) == "on_scene"


def test_closure_records_its_evidence(app, demo_copy):
    reg = _register(app, demo_copy, 20)
    to_scene(app, reg.incident_id)
    app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="调解员",
                           outcome="litigation", note="调解不成，引导起诉",
                           referred_to="白碱滩区人民法院"))
    with demo_copy.connect() as conn:
        row = conn.execute(text("SELECT outcome, basis, referred_to, agreement, mediator FROM "
                                "incident_closures WHERE incident_id = :i"),
                           {"i": reg.incident_id}).one()
    assert tuple(row) == ("litigation", "on_scene", "白碱滩区人民法院", None, None)
    last = audit_rows(demo_copy, reg.incident_id)[-1]
    assert last["detail"]["basis"] == "on_scene" and last["detail"]["referred_to"]


def test_walk_in_settled_at_the_window_is_audited_as_such(app, demo_copy):
    reg = _register(app, demo_copy, 21, channel="walk_in")
    app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="窗口王",
                           on_the_spot=True, spot_reason="双方均在窗口，当面调解达成一致",
                           **MEDIATED))
    last = audit_rows(demo_copy, reg.incident_id)[-1]
    assert (last["action"], last["to_state"]) == ("resolve_on_the_spot", "resolved")
    with demo_copy.connect() as conn:
        row = conn.execute(text("SELECT basis, mediator, agreement, oral_terms FROM "
                                "incident_closures WHERE incident_id = :i"),
                           {"i": reg.incident_id}).one()
    assert tuple(row) == ("on_the_spot", "窗口王", "oral", MEDIATED["oral_terms"])


def test_follow_up_without_every_answer_is_refused(app, demo_copy):
    reg = _register(app, demo_copy, 22)
    to_scene(app, reg.incident_id)
    app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="调解员",
                           **MEDIATED))
    full = {"satisfaction": 4, "agreement_holds": True, "method": "phone",
            "neighbours_visited": 3}
    for field in full:
        with pytest.raises(InvalidCommand) as err:
            app.handle(RecordFollowUp(incident_id=reg.incident_id, actor="回访员",
                                      **{**full, field: None}))
        assert err.value.detail["field"] == field and err.value.status == 422
    assert state_of(demo_copy, reg.incident_id) == "resolved"
    out = app.handle(RecordFollowUp(incident_id=reg.incident_id, actor="回访员", **full))
    assert out.state == "followed_up"
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT method FROM followups WHERE incident_id = :i AND "
                                "done_at IS NOT NULL"), {"i": reg.incident_id}) == "phone"


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


def test_the_risk_check_proposes_and_the_officer_decides(app, demo_copy):
    from dispatch.commands import DecidePriority

    reg = _register(app, demo_copy, 23, priority="low", description="对方扬言要杀了他全家")
    assert reg.priority == 4 and reg.proposed_priority == 1  # shown, not applied
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT priority FROM incidents WHERE id = :i"),
                           {"i": reg.incident_id}) == 4
    with pytest.raises(InvalidCommand, match="之间选择"):
        app.handle(DecidePriority(incident_id=reg.incident_id, priority=2, actor="值班员甲"))
    app.handle(DecidePriority(incident_id=reg.incident_id, priority=1, actor="值班员甲"))
    last = audit_rows(demo_copy, reg.incident_id)[-1]
    assert last["action"] == "priority_confirm" and last["detail"]["to"] == 1
    with pytest.raises(InvalidTransition, match="没有待确认"):
        app.handle(DecidePriority(incident_id=reg.incident_id, priority=1, actor="值班员甲"))
    kept = _register(app, demo_copy, 24, priority="normal", description="扬言报复")
    app.handle(DecidePriority(incident_id=kept.incident_id, priority=3, actor="值班员甲"))
    last = audit_rows(demo_copy, kept.incident_id)[-1]
    assert last["action"] == "priority_keep" and last["detail"]["proposed"] == 1
