"""Assignment, auto-dispatch, duplicates, risk, telemetry and policy on real PostGIS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from dispatch.commands import (
    AssignUnits,
    AutoDispatch,
    ChangeState,
    Party,
    RegisterIncident,
    ReportPosition,
    SetUnitStatus,
    UpdatePolicy,
)
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, UnitUnavailable
from geo.coords import from_wgs84

from .conftest import grid_point


def _reg(app, engine, k, **kw):  # type: ignore[no-untyped-def]
    lon, lat = grid_point(engine, k)
    args = {"category": "neighbour", "channel": "grid_report", "actor": "网格员上报",
            "lon": lon, "lat": lat, "address": f"联调路{k}号", "auto_dispatch": False,
            "parties": (Party(f"丙{k}", f"1370000{k:04d}"), Party(f"丁{k}"))}
    args.update(kw)
    return app.handle(RegisterIncident(**args))


def test_auto_dispatch_sends_the_grid_and_police_pair(app, demo_copy):
    reg = _reg(app, demo_copy, 20, priority="urgent", auto_dispatch=True)
    assert reg.dispatched is not None, reg.dispatch_error
    assert reg.state == "assigned" and len(reg.dispatched.unit_ids) == 2
    with demo_copy.connect() as conn:
        types = dict(conn.execute(text("SELECT id, unit_type FROM units WHERE id = ANY(:ids)"),
                                  {"ids": list(reg.dispatched.unit_ids)}).all())
        audit = conn.execute(text("SELECT actor, reason, detail FROM audit_log WHERE "
                                  "entity_id = :i AND action = 'assign'"),
                             {"i": reg.incident_id}).mappings().one()
    assert sorted(types.values()) == ["community_police", "grid_worker"]
    assert audit["actor"] == "system" and audit["detail"]["auto"] is True
    assert "警格+网格联动" in reg.dispatched.reasons


def test_recommendation_has_reasons_jurisdiction_first(app, demo_copy):
    reg = _reg(app, demo_copy, 21, priority="urgent")
    rec = app.recommend(reg.incident_id)
    assert rec.paired and rec.pairs
    pair = rec.pairs[0]
    assert pair.eta_s == max(pair.grid_worker.eta_s, pair.police.eta_s)
    assert "本网格网格员" in pair.grid_worker.reasons
    assert all(c.reasons for c in rec.candidates)
    d = rec.as_dict(limit=3)
    assert len(d["items"]) == 3 and {"eta_s", "score", "reasons"} <= set(d["items"][0])


def test_manual_override_of_auto_dispatch_needs_a_reason(app, demo_copy):
    reg = _reg(app, demo_copy, 22, priority="urgent", auto_dispatch=None)
    assert reg.dispatched is not None
    other = app.recommend(reg.incident_id).candidates[0].unit.id
    with pytest.raises(Conflict, match="已由 system 派单"):
        app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(other,), actor="值班员乙"))
    with pytest.raises(InvalidCommand, match="改派须说明理由"):
        app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(other,), actor="值班员乙",
                               reassign=True))
    out = app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(other,),
                                 actor="值班员乙", reassign=True, reason="当事人要求女调解员"))
    assert set(out.released_unit_ids) == set(reg.dispatched.unit_ids) - {other}
    with demo_copy.connect() as conn:
        reason = conn.scalar(text("SELECT reason FROM audit_log WHERE entity_id = :i AND "
                                  "action = 'reassign'"), {"i": reg.incident_id})
    assert reason == "当事人要求女调解员"


def test_full_unit_is_refused_naming_who_took_it(app, demo_copy):
    a = _reg(app, demo_copy, 23)
    b = _reg(app, demo_copy, 24)
    with demo_copy.begin() as conn:
        uid = conn.scalar(text("SELECT id FROM units WHERE unit_type = 'mediator' AND "
                               "status = 'available' AND active_load = 0 ORDER BY id LIMIT 1"))
        conn.execute(text("UPDATE units SET capacity = 1 WHERE id = :u"), {"u": uid})
    app.handle(AssignUnits(incident_id=a.incident_id, unit_ids=(uid,), actor="调度员甲"))
    with pytest.raises(UnitUnavailable, match="已被 调度员甲 派往案件") as err:
        app.handle(AssignUnits(incident_id=b.incident_id, unit_ids=(uid,), actor="调度员乙"))
    assert err.value.detail["incident_code"] == a.code and err.value.status == 409
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT state FROM incidents WHERE id = :i"),
                           {"i": b.incident_id}) == "located"
    # auto-dispatch skips the full unit
    out = app.handle(AutoDispatch(incident_id=b.incident_id))
    assert uid not in out.unit_ids


def test_duplicate_and_repeat_risk(app, demo_copy, clock):
    first = _reg(app, demo_copy, 25, address="幸福路8号", description="楼上漏水",
                 channel="walk_in")
    clock.advance(hours=2)
    second = _reg(app, demo_copy, 25, address="幸福路8号", description="楼上漏水又来了",
                  channel="walk_in")
    assert [d.other_id for d in second.duplicates] == [first.incident_id]
    for reg in (first, second):  # settled at the window, with the evidence a closure needs
        app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", outcome="withdrawn",
                               note="申请人撤回", on_the_spot=True,
                               spot_reason="双方在窗口当面说明，申请人撤回", actor="x"))
    clock.advance(days=20)
    third = _reg(app, demo_copy, 25, address="幸福路8号", description="又吵起来了，扬言要动手")
    assert not third.duplicates  # the earlier ones are closed
    assert third.risk.level == 3 and third.risk.one_case_plan
    assert third.priority == 3 and third.proposed_priority == 1  # proposed, not applied
    assert any("同一当事人" in r for r in third.risk.reasons)
    assert app.recommend(third.incident_id).paired


def test_positions_any_crs_history_and_staleness(app, demo_copy, clock):
    with demo_copy.connect() as conn:
        uid = conn.scalar(text("SELECT id FROM units WHERE unit_type = 'grid_worker' "
                               "ORDER BY id LIMIT 1"))
    lon, lat = grid_point(demo_copy, 0)
    glon, glat = from_wgs84(lon, lat, "gcj02")
    out = app.handle(ReportPosition(unit_id=uid, lon=float(glon), lat=float(glat), crs="gcj02"))
    assert out.current and abs(out.lon - lon) < 1e-6 and abs(out.lat - lat) < 1e-6
    old = app.handle(ReportPosition(unit_id=uid, lon=lon + 0.01, lat=lat,
                                    at=clock.now - timedelta(minutes=5)))
    assert not old.current
    reg = _reg(app, demo_copy, 0)
    fresh = {c.unit.id: c for c in app.recommend(reg.incident_id).candidates}
    clock.advance(hours=1)
    stale = {c.unit.id: c for c in app.recommend(reg.incident_id).candidates}
    if uid in fresh:  # stale, it loses its ETA's points: lower, or out of the list shown
        assert not fresh[uid].stale
        if uid in stale:
            assert stale[uid].stale and stale[uid].score < fresh[uid].score
            assert any("未更新" in r for r in stale[uid].reasons)
    with demo_copy.connect() as conn:
        n = conn.scalar(text("SELECT count(*) FROM unit_positions WHERE unit_id = :u"), {"u": uid})
    assert n == 2


def test_unit_status_rules(app, demo_copy):
    reg = _reg(app, demo_copy, 26)
    uid = app.recommend(reg.incident_id).candidates[0].unit.id
    app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(uid,), actor="调度员"))
    with pytest.raises(InvalidTransition, match="在办案件，不能下班"):
        app.handle(SetUnitStatus(unit_id=uid, status="off_duty", actor="本人"))
    with pytest.raises(InvalidCommand):
        app.handle(SetUnitStatus(unit_id=uid, status="sleeping", actor="本人"))


def test_policy_edit_is_stored_validated_and_used(app, demo_copy):
    with pytest.raises(InvalidCommand, match="预警比例"):
        app.handle(UpdatePolicy(changes={"warn_share": 1.5}, actor="管理员"))
    new = app.handle(UpdatePolicy(changes={"sign_minutes": {"1": 15, "2": 60, "3": 120,
                                                             "4": 240}}, actor="管理员",
                                  reason="紧急件15分钟签收"))
    assert new.sign_minutes[1] == 15 and app.policy().sign_minutes[1] == 15
    reg = _reg(app, demo_copy, 27, priority="urgent")
    assert (reg.sign_deadline - app.clock()).total_seconds() == 15 * 60
