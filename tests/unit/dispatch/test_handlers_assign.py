"""派单, 改派, 自动派单 on the fake unit of work: the race's loser told who won, nothing half-written."""

from __future__ import annotations

import copy

import pytest

from dispatch.commands import AssignUnits, AutoDispatch
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, UnitUnavailable
from dispatch.events import StateChanged, UnitsAssigned
from dispatch.handlers_assign import assign, auto_dispatch
from tests.fakes import NOW, FakeDb, FakeUnitOfWork, fake_dispatch, run


def _db(state: str = "located", **case: object) -> FakeDb:
    db = FakeDb()
    db.add_case(id=1, state=state, sign_deadline=NOW, **case)
    db.add_case(id=2, state="assigned")
    db.add_unit(10)
    db.add_unit(11, lon=84.874, lat=45.597)
    return db


def _busy(db: FakeDb, unit_id: int, *, on: int = 2, by: str = "调度员乙") -> None:
    """``unit_id`` already sent to case ``on`` by ``by`` (full: capacity 1)."""
    uow = FakeUnitOfWork(db)
    assert uow.units.take(unit_id)
    uow.units.assign(on, unit_id, role="lead", at=NOW, by=by)
    uow.commit()
    db.writes.clear()


def test_assign_writes_the_assignment_the_state_and_its_audit_in_one_commit():
    db = _db()
    uow = FakeUnitOfWork(db)
    got = run(assign, AssignUnits(incident_id=1, unit_ids=(11,), actor="调度员甲"), uow)
    assert (got.state, got.unit_ids, got.sign_deadline) == ("assigned", (11,), NOW)
    row = db.tables.cases[1]
    assert (row["state"], row["assigned_at"], row["version"]) == ("assigned", NOW, 1)
    assert [(a["incident_id"], a["unit_id"], a["role"], a["assigned_by"])
            for a in db.tables.assignments] == [(1, 11, "lead", "调度员甲")]
    unit = db.tables.units[11]
    assert (unit.status, unit.active_load) == ("assigned", 1)
    (a,) = db.tables.audit
    assert (a.action, a.from_state, a.to_state, a.actor, a.detail["unit_ids"]) == (
        "assign", "located", "assigned", "调度员甲", [11])
    assert uow.events == [UnitsAssigned(1, (11,), "调度员甲", False, ()),
                          StateChanged(1, "located", "assigned", "调度员甲")]
    assert uow.commits == 1 and db.published == uow.events


def test_a_unit_taken_by_another_dispatcher_names_who_took_it_and_nothing_is_written():
    db = _db()
    _busy(db, 11)
    before = copy.deepcopy(db.tables)
    with pytest.raises(UnitUnavailable) as err:
        fake_dispatch(db).handle(AssignUnits(incident_id=1, unit_ids=(10, 11), actor="调度员甲"))
    assert "已被 调度员乙 派往案件 2026-000002" in err.value.message
    assert (err.value.detail["taken_by"], err.value.detail["incident_code"]) == (
        "调度员乙", "2026-000002")
    assert "take" in db.writes  # unit 10 was taken first, then rolled back with the rest
    assert db.tables.units == before.units and db.tables.cases == before.cases
    assert db.tables.assignments == before.assignments and db.published == []
    (refused,) = db.tables.audit
    assert (refused.action, refused.actor, refused.entity_id) == ("refused", "调度员甲", 1)
    assert refused.reason == err.value.message


def test_an_off_duty_unit_is_refused_by_name():
    db = _db()
    db.add_unit(12, status="off_duty", name="王五")
    uow = FakeUnitOfWork(db)
    with pytest.raises(UnitUnavailable, match="调解员王五（U012）已下班，不能派单"):
        run(assign, AssignUnits(incident_id=1, unit_ids=(12,), actor="甲"), uow)
    assert db.tables.cases[1]["state"] == "located" and not uow.commits and uow.rollbacks


@pytest.mark.parametrize(("state", "cmd", "error", "words"), [
    ("located", AssignUnits(incident_id=1, unit_ids=(11,), actor="甲",
                            expected_state="registered"), Conflict,
     "案件已被他人处理，当前为「已定位」"),
    ("assigned", AssignUnits(incident_id=1, unit_ids=(11,), actor="甲"), Conflict,
     "案件已由 调度员乙 派单（1 个单位），如需改派请选择改派并说明理由"),
    ("resolved", AssignUnits(incident_id=1, unit_ids=(11,), actor="甲"), InvalidTransition,
     "案件处于「已办结」，不能派单"),
    ("assigned", AssignUnits(incident_id=1, unit_ids=(11,), actor="甲", reassign=True),
     InvalidCommand, "改派须说明理由"),
    ("located", AssignUnits(incident_id=1, unit_ids=(), actor="甲"), InvalidCommand,
     "须选择 1-4 个处置单位")])
def test_assign_refusals_change_nothing_and_are_audited(state, cmd, error, words):
    db = _db(state)
    if state == "assigned":
        _busy(db, 10, on=1)
    before = copy.deepcopy(db.tables)
    with pytest.raises(error, match=words):
        fake_dispatch(db).handle(cmd)
    assert [a for a in db.tables.audit if a.action != "refused"] == before.audit
    assert db.tables.cases == before.cases and db.tables.units == before.units
    (refused,) = db.audits("refused")
    assert refused.detail["command"] == "AssignUnits" and words in str(refused.reason)


def test_a_case_auto_dispatched_by_policy_needs_a_reason_to_assign_by_hand():
    db = _db(auto_dispatch=True)
    with pytest.raises(InvalidCommand, match="人工指定须说明理由") as err:
        run(assign, AssignUnits(incident_id=1, unit_ids=(11,), actor="甲"), FakeUnitOfWork(db))
    assert err.value.detail["field"] == "reason"
    got = run(assign, AssignUnits(incident_id=1, unit_ids=(11,), actor="甲", reason="熟悉当事人"),
              FakeUnitOfWork(db))
    assert got.state == "assigned" and db.tables.audit[-1].reason == "熟悉当事人"


def test_reassign_releases_the_old_unit_and_starts_a_new_sign_clock():
    db = _db("assigned")
    _busy(db, 10, on=1, by="甲")
    db.tables.cases[1]["state"] = "assigned"
    uow = FakeUnitOfWork(db)
    got = run(assign, AssignUnits(incident_id=1, unit_ids=(11,), actor="乙", reassign=True,
                                  reason="原单位请假"), uow)
    assert got.released_unit_ids == (10,) and got.sign_deadline != NOW
    assert db.tables.units[10].active_load == 0 and db.tables.units[10].status == "available"
    assert [a["state"] for a in db.tables.assignments] == ["released", "active"]
    assert {t["kind"] for t in db.tables.timers} == {"sign"}
    (a,) = db.tables.audit
    assert (a.action, a.from_state, a.detail["released"]) == ("reassign", "assigned", [10])


def test_auto_dispatch_sends_the_best_unit_in_its_own_transaction():
    db = _db()
    uow = FakeUnitOfWork(db)
    got = auto_dispatch(AutoDispatch(incident_id=1), uow)
    assert got.auto and got.unit_ids and db.tables.cases[1]["state"] == "assigned"
    assert uow.commits == 1 and db.tables.audit[-1].reason == "系统自动派单"
    assert uow.eta.asked == [(84.873, 45.596)]  # ETAs to the case, from the candidates


def test_auto_dispatch_with_every_unit_off_duty_says_there_is_no_candidate():
    db = _db()
    for uid in (10, 11):
        db.add_unit(uid, status="off_duty")
    uow = FakeUnitOfWork(db)
    with pytest.raises(UnitUnavailable, match="没有可派的处置力量"):
        auto_dispatch(AutoDispatch(incident_id=1), uow)
    assert db.tables.cases[1]["state"] == "located" and not uow.commits
    assert db.tables.assignments == []
