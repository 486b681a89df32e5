"""The clock handler on the fake unit of work: each due stage once, in its own transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dispatch.commands import RunClocks
from dispatch.events import (
    DeadlinePassed,
    DeadlineWarned,
    IncidentEscalated,
    StateChanged,
    UnitsAssigned,
    WhistleOverdue,
)
from dispatch.handlers_clock import run_clocks
from tests.fakes import NOW, FakeDb, FakeIncidents, FakeUnitOfWork


def _db(state: str = "assigned", *stages: str, kind: str = "sign") -> FakeDb:
    """Case 1 in ``state`` with unit 10 sent, unit 11 free, and ``stages`` of ``kind`` due."""
    db = FakeDb()
    db.add_case(id=1, state=state)
    db.add_unit(10)
    db.add_unit(11, lon=84.874, lat=45.597)
    uow = FakeUnitOfWork(db)
    assert uow.units.take(10)
    uow.units.assign(1, 10, role="lead", at=NOW - timedelta(hours=1), by="调度员乙")
    for k, stage in enumerate(stages):
        db.tables.timers.append({"id": k + 1, "incident_id": 1, "kind": kind, "stage": stage,
                                 "round": 0, "due_at": NOW - timedelta(minutes=10 - k),
                                 "whistle_id": None, "processed_at": None, "outcome": None})
    uow.commit()
    db.writes.clear()
    return db


def test_a_warning_is_audited_once_and_the_stage_marked_done():
    db = _db("assigned", "warn")
    uow = FakeUnitOfWork(db)
    got = run_clocks(RunClocks(), uow)
    assert (got.processed, got.warned, got.errors) == (1, 1, [])
    assert db.tables.timers[0]["outcome"] == "done"
    (a,) = db.tables.audit
    assert (a.action, a.actor, a.detail["stage"]) == ("deadline_warn", "system", "warn")
    assert db.published == [DeadlineWarned(1, "sign", NOW - timedelta(minutes=10))]
    again = run_clocks(RunClocks(), FakeUnitOfWork(db))
    assert again.processed == 0 and len(db.tables.audit) == 1  # nothing is processed twice


def test_a_passed_sign_deadline_opens_yellow_and_reassigns_to_the_next_unit():
    db = _db("assigned", "yellow")
    got = run_clocks(RunClocks(), FakeUnitOfWork(db))
    assert (got.supervised, got.reassigned) == (1, 1)
    (s,) = db.tables.supervisions
    assert (s["kind"], s["level"], s["by"]) == ("sign", "yellow", "system")
    assert [(a["unit_id"], a["state"]) for a in db.tables.assignments] == [
        (10, "released"), (11, "active")]
    actions = [a.action for a in db.tables.audit]
    assert actions == ["reassign", "supervise_yellow"]
    assert db.tables.audit[-1].detail["reassign"] == "改派至 11"
    assert UnitsAssigned(1, (11,), "system", True, (10,)) in db.published
    assert DeadlinePassed(1, "sign", "yellow") in db.published


def test_a_reassignment_that_fails_is_undone_alone_and_the_supervision_stands():
    db = _db("assigned", "yellow")
    db.add_unit(11, status="off_duty")
    got = run_clocks(RunClocks(), FakeUnitOfWork(db))
    assert (got.supervised, got.reassigned) == (1, 0)
    assert db.tables.audit[-1].detail["reassign"] == "自动改派未成：无其他可派力量"
    assert [(a["unit_id"], a["state"]) for a in db.tables.assignments] == [(10, "active")]
    assert db.tables.units[10].active_load == 1 and len(db.tables.supervisions) == 1


def test_red_escalates_the_case_one_level_up():
    db = _db("acknowledged", "red", kind="close")
    got = run_clocks(RunClocks(), FakeUnitOfWork(db))
    assert (got.supervised, got.escalated) == (1, 1)
    row = db.tables.cases[1]
    assert (row["state"], row["level"], row["escalations"]) == ("escalated", "street", 1)
    assert [a.action for a in db.tables.audit] == ["supervise_red", "transition"]
    assert IncidentEscalated(1, "street") in db.published
    assert StateChanged(1, "acknowledged", "escalated", "system") in db.published


def test_a_stage_of_a_settled_case_is_skipped():
    db = _db("resolved", "yellow")
    got = run_clocks(RunClocks(), FakeUnitOfWork(db))
    assert (got.processed, got.skipped, got.supervised) == (1, 1, 0)
    assert db.tables.timers[0]["outcome"] == "skipped" and db.tables.audit == []


class RacedIncidents(FakeIncidents):
    def set_state(self, incident_id: int, from_state: str, to_state: str,
                  **columns: Any) -> bool:
        return False  # someone else moved the case first


def test_a_refused_stage_rolls_back_and_is_skipped_with_the_reason():
    db = _db("acknowledged", "red", kind="close")
    uow = FakeUnitOfWork(db)
    uow.incidents = RacedIncidents(db)
    got = run_clocks(RunClocks(), uow)
    assert got.processed == 0 and got.errors == ["1: 案件状态已被他人改变，请刷新后重试"]
    assert db.tables.supervisions == [] and db.published == []  # its effects rolled back
    assert db.tables.timers[0]["outcome"] == "skipped"
    (a,) = db.tables.audit
    assert (a.action, a.reason) == ("deadline_error", got.errors[0])


def test_a_whistle_deadline_marks_the_absent_departments_overdue():
    db = _db("mediating")
    uow = FakeUnitOfWork(db)
    wid = uow.whistles.blow(1, street_id=7, at=NOW - timedelta(hours=13), by="街道",
                            reason="欠薪", report_by=NOW - timedelta(hours=1),
                            departments=("judicial_office", "hrss_office"))
    uow.whistles.add_timer(1, wid, NOW - timedelta(hours=1))
    assert uow.whistles.report(wid, "judicial_office", at=NOW - timedelta(hours=2), by="王",
                               note=None)
    uow.commit()
    got = run_clocks(RunClocks(), FakeUnitOfWork(db))
    assert (got.processed, got.supervised) == (1, 1)
    calls = {c["department"]: c["overdue_at"] for c in db.tables.whistles[0]["calls"]}
    assert calls == {"judicial_office": None, "hrss_office": NOW}
    (s,) = db.tables.supervisions
    assert (s["kind"], s["level"]) == ("whistle", "yellow")
    (a,) = db.tables.audit
    assert a.detail["absent"] == ["hrss_office"] and a.detail["marked_overdue"] == ["hrss_office"]
    assert db.published == [WhistleOverdue(1, wid, ("hrss_office",), "yellow")]
