"""签收 … 办结, 回访, 紧急程度确认 on the fake unit of work: effects, audit, refusals, lost races."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from dispatch.commands import ChangeState, DecidePriority, RecordFollowUp
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition
from dispatch.events import FollowUpRecorded, PriorityChanged, StateChanged
from dispatch.handlers_state import change_state, decide_priority, record_followup
from tests.fakes import NOW, FakeDb, FakeIncidents, FakeUnitOfWork, fake_dispatch, run


def _db(state: str, *, arrived: bool = False, **case: object) -> FakeDb:
    """Case 1 in ``state`` with unit 10 on it (arrived or not), a sign clock running."""
    db = FakeDb()
    db.add_case(id=1, state=state, **case)
    db.add_unit(10)
    uow = FakeUnitOfWork(db)
    assert uow.units.take(10)
    uow.units.assign(1, 10, role="lead", at=NOW - timedelta(hours=1), by="调度员乙")
    if arrived:
        uow.units.stamp(1, "arrived_at", NOW - timedelta(minutes=30), 10)
    db.tables.timers.append({"id": 1, "incident_id": 1, "kind": "sign", "stage": "yellow",
                             "round": 0, "due_at": NOW + timedelta(minutes=5),
                             "whistle_id": None, "processed_at": None, "outcome": None})
    uow.commit()
    db.writes.clear()
    return db


def test_acknowledge_stamps_the_assignment_moves_the_unit_and_stops_the_sign_clock():
    db = _db("assigned")
    uow = FakeUnitOfWork(db)
    got = run(change_state, ChangeState(incident_id=1, to="acknowledged", actor="调解员10",
                                        unit_id=10), uow)
    assert (got.from_state, got.to_state, got.at) == ("assigned", "acknowledged", NOW)
    row = db.tables.cases[1]
    assert (row["state"], row["acknowledged_at"]) == ("acknowledged", NOW)
    assert db.tables.assignments[0]["acknowledged_at"] == NOW
    assert db.tables.units[10].status == "en_route"
    assert db.tables.timers[0]["outcome"] == "cancelled"
    (a,) = db.tables.audit
    assert (a.action, a.from_state, a.to_state, a.detail) == ("transition", "assigned",
                                                             "acknowledged", {"unit_id": 10})
    assert uow.events == [StateChanged(1, "assigned", "acknowledged", "调解员10")]
    assert uow.commits == 1


def test_resolve_writes_the_closure_releases_the_units_and_schedules_the_visit():
    db = _db("mediating", arrived=True)
    uow = FakeUnitOfWork(db)
    got = run(change_state, ChangeState(incident_id=1, to="resolved", actor="调解员10",
                                        outcome="mediated", note="双方达成一致",
                                        oral_terms="赔偿 500 元，本周内付清"), uow)
    assert got.released_unit_ids == (10,)
    assert (db.tables.cases[1]["state"], db.tables.cases[1]["outcome"]) == ("resolved",
                                                                            "mediated")
    (c,) = db.tables.closures
    assert (c["basis"], c["agreement"], c["oral_terms"]) == ("on_scene", "oral",
                                                            "赔偿 500 元，本周内付清")
    assert db.tables.units[10].active_load == 0 and db.tables.units[10].status == "available"
    assert db.tables.assignments[0]["state"] == "released"
    assert len(db.tables.followups) == 1 and any(t["kind"] == "followup"
                                                 for t in db.tables.timers)
    (a,) = db.tables.audit
    assert (a.action, a.detail["outcome"], a.detail["released"]) == ("transition", "mediated",
                                                                     [10])


@pytest.mark.parametrize(("state", "cmd", "error", "words"), [
    ("located", ChangeState(incident_id=1, to="on_scene", actor="甲"), InvalidTransition,
     "案件处于「已定位」，不能改为「已到场」"),
    ("assigned", ChangeState(incident_id=1, to="acknowledged", actor="甲",
                             expected_state="located"), Conflict,
     "案件已被他人处理，当前为「已分派」"),
    ("assigned", ChangeState(incident_id=1, to="acknowledged", actor="甲", unit_id=99),
     InvalidTransition, "处置单位 99 未承办此案"),
    ("acknowledged", ChangeState(incident_id=1, to="mediating", actor="甲"), InvalidTransition,
     "处置单位尚未到场"),
    ("mediating", ChangeState(incident_id=1, to="resolved", actor="甲", note="好了"),
     InvalidTransition, "不能办结，尚缺：处置单位到场记录"),
    ("on_scene", ChangeState(incident_id=1, to="escalated", actor="甲"), InvalidTransition,
     "上报上级须说明理由")])
def test_refusals_change_nothing_and_the_bus_audits_them(state, cmd, error, words):
    db = _db(state)
    before = copy.deepcopy(db.tables)
    with pytest.raises(error, match=words) as err:
        fake_dispatch(db).handle(cmd)
    assert db.tables.cases == before.cases and db.tables.units == before.units
    assert db.tables.assignments == before.assignments and db.tables.timers == before.timers
    assert db.tables.closures == [] and db.published == []
    (a,) = db.tables.audit
    assert (a.action, a.actor, a.entity_id, a.to_state) == ("refused", "甲", 1, cmd.to)
    assert a.reason == err.value.message and a.detail["command"] == "ChangeState"


def test_resolve_without_outcome_names_what_is_missing():
    db = _db("mediating", arrived=True)
    with pytest.raises(InvalidTransition) as err:
        run(change_state, ChangeState(incident_id=1, to="resolved", actor="甲", note="好了"),
            FakeUnitOfWork(db))
    assert err.value.detail["missing"] == ["办结结果（须由办结人选择）"]


class LosingIncidents(FakeIncidents):
    """Another dispatcher's change commits between this one's read and its guarded write."""

    def set_state(self, incident_id: int, from_state: str, to_state: str,
                  **columns: Any) -> bool:
        self.db.tables.cases[incident_id]["state"] = "escalated"
        return super().set_state(incident_id, from_state, to_state, **columns)


def test_a_lost_race_is_a_conflict_and_rolls_back_the_side_effects():
    db = _db("assigned")
    uow = FakeUnitOfWork(db)
    uow.incidents = LosingIncidents(db)
    with pytest.raises(Conflict, match="案件状态已被他人改变"):
        run(change_state, ChangeState(incident_id=1, to="acknowledged", actor="甲"), uow)
    assert "stamp" in db.writes and uow.rollbacks == 1 and not uow.commits
    assert db.tables.assignments[0]["acknowledged_at"] is None
    assert db.tables.timers[0]["processed_at"] is None and db.tables.audit == []


def _visit(satisfaction: int | None = 5, holds: bool | None = True, **kw: Any) -> RecordFollowUp:
    return RecordFollowUp(incident_id=1, satisfaction=satisfaction, agreement_holds=holds,
                          method=kw.pop("method", "phone"), neighbours_visited=2,
                          actor="回访员", **kw)


def test_a_satisfied_visit_follows_up_and_a_broken_agreement_reopens():
    db = FakeDb()
    db.add_case(id=1, state="resolved", outcome="mediated")
    db.tables.followups.append({"incident_id": 1, "due_at": NOW, "done_at": None})
    uow = FakeUnitOfWork(db)
    got = run(record_followup, _visit(), uow)
    assert (got.state, got.reopened) == ("followed_up", False)
    assert db.tables.followups[0]["satisfaction"] == 5 and db.tables.followups[0]["done_at"]
    assert [a.action for a in db.tables.audit] == ["transition"]
    assert uow.events[-1] == FollowUpRecorded(1, 5, True, False)

    db2 = FakeDb()
    db2.add_case(id=1, state="resolved", outcome="mediated")
    uow2 = FakeUnitOfWork(db2)
    got2 = run(record_followup, _visit(4, False), uow2)
    assert (got2.state, got2.reopened) == ("located", True)
    assert db2.tables.cases[1]["reopened"] == 1 and db2.tables.cases[1]["state"] == "located"
    assert [(a.from_state, a.to_state) for a in db2.tables.audit] == [
        ("resolved", "followed_up"), ("followed_up", "located")]
    assert uow2.commits == 1  # the visit and the reopening: one transaction


@pytest.mark.parametrize(("state", "kw", "field"), [
    ("resolved", {"satisfaction": None}, "satisfaction"),
    ("resolved", {"holds": None}, "agreement_holds"),
    ("resolved", {"method": "fax"}, "method")])
def test_a_visit_missing_an_answer_names_its_field(state, kw, field):
    db = FakeDb()
    db.add_case(id=1, state=state)
    with pytest.raises(InvalidCommand) as err:
        run(record_followup, _visit(**kw), FakeUnitOfWork(db))
    assert err.value.detail["field"] == field and db.writes == []


def test_decide_priority_accepting_restarts_the_sign_clock():
    db = FakeDb()
    db.add_case(id=1, state="located", proposed_priority=1, risk_reasons=["威胁用语"])
    uow = FakeUnitOfWork(db)
    got = run(decide_priority, DecidePriority(incident_id=1, priority=1, actor="值班长"), uow)
    assert got.accepted and db.tables.cases[1]["priority"] == 1
    assert db.tables.cases[1]["proposed_priority"] is None
    assert {t["kind"] for t in db.tables.timers} == {"sign"}
    (a,) = db.tables.audit
    assert (a.action, a.reason) == ("priority_confirm", "采纳风险研判建议：紧急")
    assert uow.events == [PriorityChanged(1, 3, 1, "值班长")]


@pytest.mark.parametrize(("case", "priority", "words"), [
    ({"proposed_priority": None}, 1, "没有待确认的紧急程度建议"),
    ({"proposed_priority": 1, "state": "closed"}, 1, "案件已归档，无需确认紧急程度"),
    ({"proposed_priority": 1}, 2, "须在建议的「紧急」与原定的「一般」之间选择")])
def test_decide_priority_refusals(case, priority, words):
    db = FakeDb()
    db.add_case(id=1, **{"state": "located", **case})
    with pytest.raises((InvalidTransition, InvalidCommand), match=words):
        fake_dispatch(db).handle(DecidePriority(incident_id=1, priority=priority, actor="甲"))
    assert db.tables.cases[1]["priority"] == 3 and db.audits("refused")
    assert [a.action for a in db.tables.audit] == ["refused"]
