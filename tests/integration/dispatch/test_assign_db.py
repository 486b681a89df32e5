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


def test_policy_edit_is_stored_validated_and_used(own_app, own_copy):
    app = own_app  # its own database: the module's other tests keep the default policy
    with pytest.raises(InvalidCommand, match="预警比例"):
        app.handle(UpdatePolicy(changes={"warn_share": 1.5}, actor="管理员"))
    new = app.handle(UpdatePolicy(changes={"sign_minutes": {"1": 15, "2": 60, "3": 120,
                                                             "4": 240}}, actor="管理员",
                                  reason="紧急件15分钟签收"))
    assert new.sign_minutes[1] == 15 and app.policy().sign_minutes[1] == 15
    reg = _reg(app, own_copy, 27, priority="urgent")
    assert (reg.sign_deadline - app.clock()).total_seconds() == 15 * 60


# ---- refusals: each changes nothing, says why, and (on a case, by a person) is audited --------

def _active(engine, incident_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT unit_id FROM assignments WHERE incident_id = :i AND state = 'active' "
            "ORDER BY unit_id"), {"i": incident_id}).scalars())


def _actions(engine, incident_id: int) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(text(
            "SELECT action, actor FROM audit_log WHERE entity = 'incident' AND entity_id = :i "
            "ORDER BY id"), {"i": incident_id})]


def _free_mediators(engine, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT id FROM units WHERE unit_type = 'mediator' AND status = 'available' AND "
            "active_load = 0 ORDER BY id DESC LIMIT :n"), {"n": n}).scalars())


def _state(engine, incident_id: int) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return str(conn.scalar(text("SELECT state FROM incidents WHERE id = :i"),
                               {"i": incident_id}))


def test_a_stale_expected_state_is_refused_409_and_changes_nothing(app, demo_copy):
    reg = _reg(app, demo_copy, 30)
    uid = _free_mediators(demo_copy, 1)[0]
    with pytest.raises(Conflict, match="案件已被他人处理，当前为「") as err:
        app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(uid,), actor="调度员甲",
                               expected_state="registered"))
    assert err.value.status == 409 and err.value.detail["state"] == "located"
    assert _state(demo_copy, reg.incident_id) == "located" and _active(demo_copy, reg.incident_id) == []
    app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(uid,), actor="调度员甲",
                           expected_state="located"))
    with pytest.raises(Conflict, match="案件已被他人处理，当前为「") as err:
        app.handle(ChangeState(incident_id=reg.incident_id, to="acknowledged", actor="调解员",
                               expected_state="located"))
    assert err.value.status == 409 and err.value.detail["state"] == "assigned"
    assert _state(demo_copy, reg.incident_id) == "assigned"
    assert _actions(demo_copy, reg.incident_id)[-3:] == [
        ("refused", "调度员甲"), ("assign", "调度员甲"), ("refused", "调解员")]


def _race(*calls):  # type: ignore[no-untyped-def]
    """Run the calls at once (a barrier, one thread each); each one's result or error."""
    import threading

    barrier = threading.Barrier(len(calls))
    out: list[object] = [None] * len(calls)

    def run(k: int) -> None:
        barrier.wait(timeout=60)
        try:
            out[k] = calls[k]()
        except Exception as exc:  # the loser's refusal is the point
            out[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def test_two_dispatchers_assigning_one_case_at_once_one_wins_the_other_is_told_who(
        app, demo_copy):
    reg = _reg(app, demo_copy, 31)
    a, b = _free_mediators(demo_copy, 2)
    got = _race(
        lambda: app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(a,),
                                       actor="调度员甲")),
        lambda: app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(b,),
                                       actor="调度员乙")))
    lost = [g for g in got if isinstance(g, Exception)]
    assert len(lost) == 1 and isinstance(lost[0], Conflict), got
    winner, unit = ("调度员甲", a) if not isinstance(got[0], Exception) else ("调度员乙", b)
    assert f"已由 {winner} 派单" in lost[0].message and lost[0].detail["taken_by"] == winner
    assert _active(demo_copy, reg.incident_id) == [unit]  # the loser's unit was not taken
    with demo_copy.connect() as conn:
        load = dict(conn.execute(text("SELECT id, active_load FROM units WHERE id = ANY(:u)"),
                                 {"u": [a, b]}).all())
    assert load == {unit: 1, ({a, b} - {unit}).pop(): 0}
    actions = _actions(demo_copy, reg.incident_id)
    assert actions.count(("assign", winner)) == 1
    assert [x for x in actions if x[0] == "refused"] == [
        ("refused", ({"调度员甲", "调度员乙"} - {winner}).pop())]


def test_two_units_signing_for_one_task_at_once_one_is_refused(app, demo_copy):
    reg = _reg(app, demo_copy, 32)
    uid = _free_mediators(demo_copy, 1)[0]
    app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(uid,), actor="调度员甲"))
    got = _race(*[lambda who=who: app.handle(ChangeState(
        incident_id=reg.incident_id, to="acknowledged", actor=who, expected_state="assigned"))
        for who in ("调解员手机", "调解员电脑")])
    lost = [g for g in got if isinstance(g, Exception)]
    assert len(lost) == 1 and isinstance(lost[0], Conflict), got
    assert "已被他人处理" in lost[0].message and lost[0].detail["state"] == "acknowledged"
    assert _state(demo_copy, reg.incident_id) == "acknowledged"
    with demo_copy.connect() as conn:
        signed = conn.scalar(text(
            "SELECT count(*) FROM audit_log WHERE entity = 'incident' AND entity_id = :i "
            "AND action = 'transition' AND to_state = 'acknowledged'"), {"i": reg.incident_id})
    assert signed == 1


def test_an_off_duty_unit_is_refused_by_name_and_nothing_changes(app, demo_copy):
    reg = _reg(app, demo_copy, 33)
    uid = _free_mediators(demo_copy, 1)[0]
    app.handle(SetUnitStatus(unit_id=uid, status="off_duty", actor="本人"))
    try:
        with pytest.raises(UnitUnavailable, match="已下班，不能派单") as err:
            app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(uid,),
                                   actor="调度员甲"))
        assert err.value.status == 409 and err.value.detail["status"] == "off_duty"
        assert _state(demo_copy, reg.incident_id) == "located"
        assert _active(demo_copy, reg.incident_id) == []
        assert _actions(demo_copy, reg.incident_id)[-1] == ("refused", "调度员甲")
        rec = app.recommend(reg.incident_id)
        assert uid not in {c.unit.id for c in rec.candidates}
    finally:
        app.handle(SetUnitStatus(unit_id=uid, status="available", actor="本人"))


def test_with_no_candidate_left_auto_dispatch_says_why_and_leaves_the_case(app, demo_copy):
    reg = _reg(app, demo_copy, 34)
    with demo_copy.connect() as conn:
        every = tuple(conn.execute(text("SELECT id FROM units")).scalars())
    with pytest.raises(UnitUnavailable, match="没有可派的处置力量") as err:
        app.handle(AutoDispatch(incident_id=reg.incident_id, exclude=every))
    assert err.value.status == 409
    # every suitable unit was excluded as tried: that is the one reason given, with its count
    (why, n), = err.value.detail["excluded"].items()
    assert why == "已尝试/已退回" and 0 < n <= len(every) and f"{why} {n} 人" in err.value.message
    assert _state(demo_copy, reg.incident_id) == "located"
    assert _active(demo_copy, reg.incident_id) == []


def test_link_and_merge_and_their_refusals(app, demo_copy):
    from dispatch.commands import LinkIncidents
    from dispatch.errors import NotFound

    a, b, c, d = (_reg(app, demo_copy, k) for k in (35, 36, 37, 38))

    def links() -> int:
        with demo_copy.connect() as conn:
            return int(conn.scalar(text(
                "SELECT count(*) FROM incident_links WHERE incident_id = ANY(:i)"),
                {"i": [a.incident_id, b.incident_id, c.incident_id, d.incident_id]}))

    with pytest.raises(InvalidCommand, match="不能与自身关联") as bad:
        app.handle(LinkIncidents(incident_id=a.incident_id, other_id=a.incident_id,
                                 kind="duplicate", actor="值班员"))
    assert bad.value.detail["field"] == "other_id"
    with pytest.raises(InvalidCommand) as bad:
        app.handle(LinkIncidents(incident_id=a.incident_id, other_id=b.incident_id,
                                 kind="same", actor="值班员"))
    assert bad.value.detail["field"] == "kind"
    with pytest.raises(NotFound):
        app.handle(LinkIncidents(incident_id=a.incident_id, other_id=10**9, kind="related",
                                 actor="值班员"))
    assert links() == 0
    # a related link: both stay as they are
    app.handle(LinkIncidents(incident_id=a.incident_id, other_id=b.incident_id, kind="related",
                             actor="值班员", reason="同一楼道"))
    assert links() == 1 and {_state(demo_copy, x.incident_id) for x in (a, b)} == {"located"}
    # a case already dispatched is not merged away
    app.handle(AssignUnits(incident_id=c.incident_id, unit_ids=_free_mediators(demo_copy, 1),
                           actor="调度员甲"))
    with pytest.raises(InvalidTransition, match="只有尚未派单的案件才能合并"):
        app.handle(LinkIncidents(incident_id=c.incident_id, other_id=b.incident_id,
                                 kind="merged", actor="值班员"))
    assert _state(demo_copy, c.incident_id) == "assigned" and links() == 1
    # a merge closes the case into the other, with its audit row
    out = app.handle(LinkIncidents(incident_id=a.incident_id, other_id=b.incident_id,
                                   kind="merged", actor="值班员"))
    assert out.state == "closed" and _state(demo_copy, a.incident_id) == "closed"
    assert _actions(demo_copy, a.incident_id)[-1] == ("merge", "值班员") and links() == 2
    # nothing merges into a closed case, nor is a closed case merged again
    with pytest.raises(InvalidTransition, match="已归档，不能并入"):
        app.handle(LinkIncidents(incident_id=d.incident_id, other_id=a.incident_id,
                                 kind="merged", actor="值班员"))
    with pytest.raises(InvalidTransition, match="只有尚未派单的案件才能合并"):
        app.handle(LinkIncidents(incident_id=a.incident_id, other_id=d.incident_id,
                                 kind="merged", actor="值班员"))
    assert _state(demo_copy, d.incident_id) == "located" and links() == 2
    assert [x[0] for x in _actions(demo_copy, d.incident_id)].count("refused") == 1


def test_the_module_copy_keeps_the_default_policy_whatever_ran_before(app, demo_copy):
    """The policy edit above had its own database: here, after it in file order or before it
    in any other, an urgent case still has the default 30 minutes to be signed for."""
    from dispatch.policy import Policy

    assert app.policy().sign_minutes == Policy().sign_minutes
    reg = _reg(app, demo_copy, 28, priority="urgent")
    assert (reg.sign_deadline - app.clock()).total_seconds() == Policy().sign_minutes[1] * 60
