"""街道吹哨、部门报到、会商 without a database: the rules and the handlers on a fake unit of work."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from dispatch.commands import BlowWhistle, HoldConsultation, ReportIn
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events import ConsultationHeld, DepartmentReported, WhistleBlown
from dispatch.handlers import HANDLERS
from dispatch.handlers_whistle import blow_whistle, hold_consultation, report_in
from dispatch.whistle import DEPARTMENTS, check_participants, check_whistle, overdue
from tests.fakes import NOW, FakeDb, FakeUnitOfWork, fake_dispatch


def FakeUow(state: str = "mediating", street_id: int | None = 7) -> FakeUnitOfWork:
    """Case 1 in ``state``, located to ``street_id``, with a sign-for 督办 open (a whistle's
    must be the only one a 会商 closes)."""
    db = FakeDb()
    db.add_case(id=1, state=state, street_id=street_id)
    uow = FakeUnitOfWork(db)
    uow.incidents.open_supervision(1, kind="sign", level="yellow", at=NOW, by="系统",
                                   reason="超时未签收")
    uow.incidents.open_supervision(1, kind="whistle", level="yellow", at=NOW, by="系统",
                                   reason="报到超时")
    uow.commit()
    uow.commits, uow.db.published, uow.db.writes = 0, [], []
    return uow


def running(uow: FakeUnitOfWork) -> dict[int, datetime]:
    """Whistle id → the 报到 deadline still running."""
    return {t["whistle_id"]: t["due_at"] for t in uow.db.tables.timers
            if t["kind"] == "whistle" and t["processed_at"] is None}


def _blow(uow: FakeUnitOfWork, **kw: Any) -> Any:
    args: dict[str, Any] = {"incident_id": 1, "departments": ("judicial_office", "hrss_office"),
                            "reason": "欠薪涉及多方，社区调解未果", "actor": "街道调度员",
                            "report_within_h": 12}
    args.update(kw)
    return blow_whistle(BlowWhistle(**args), uow)


def test_the_bus_knows_the_commands():
    assert HANDLERS[BlowWhistle] is blow_whistle and HANDLERS[ReportIn] is report_in
    assert HANDLERS[HoldConsultation] is hold_consultation


@pytest.mark.parametrize(("args", "field"), [
    (((), "理由", 24), "departments"), ((("mayor",), "理由", 24), "departments"),
    ((("court",), "  ", 24), "reason"), ((("court",), "理由", 0.5), "report_within_h"),
    ((("court",), "理由", 24 * 8), "report_within_h")])
def test_whistle_fields_are_checked(args, field):
    with pytest.raises(InvalidCommand) as err:
        check_whistle(*args)
    assert err.value.detail["field"] == field


def test_participants_need_two_named_people_with_known_departments():
    got = check_participants(["张主任", {"name": "李所长", "department": "judicial_office"}])
    assert [p.as_dict()["department_label"] for p in got] == [None, "司法所"]
    for bad in (["一个人"], ["甲", ""], ["甲", {"name": "乙", "department": "nasa"}],
                ["甲", "乙" * 61]):
        with pytest.raises(InvalidCommand) as err:
            check_participants(bad)
        assert err.value.detail["field"] == "participants"


def test_whistle_report_late_and_consultation_close_the_round():
    uow = FakeUow()
    got = _blow(uow, departments=("judicial_office", "hrss_office", "judicial_office"))
    assert got.departments == ("judicial_office", "hrss_office")
    assert got.report_by == NOW + timedelta(hours=12)
    assert uow.events == [WhistleBlown(1, 1, got.departments, got.report_by)]
    assert uow.db.tables.audit[-1].action == "whistle"
    assert running(uow) == {1: got.report_by}  # the 报到 clock runs
    with pytest.raises(Conflict, match="进行中的吹哨"):
        _blow(uow)

    rep = report_in(ReportIn(incident_id=1, department="judicial_office", actor="司法所王",
                             note="已到场"), uow)
    assert (rep.late, rep.waiting_for) == (False, ("hrss_office",))
    assert uow.events[-1] == DepartmentReported(1, 1, "judicial_office", False)
    with pytest.raises(Conflict, match="司法所已由 司法所王 报到"):
        report_in(ReportIn(incident_id=1, department="judicial_office", actor="x"),
                  uow)
    with pytest.raises(InvalidCommand, match="未被点名") as err:
        report_in(ReportIn(incident_id=1, department="court", actor="x"),
                  uow)
    assert err.value.detail["field"] == "department"

    held = hold_consultation(HoldConsultation(
        incident_id=1, participants=("街道王书记", {"name": "司法所王", "department":
                                                   "judicial_office"}),
        outcome="企业三日内结清工资，人社所跟进", actor="街道调度员"), uow)
    assert (held.whistle_id, held.absent) == (1, ("hrss_office",))
    assert uow.db.tables.whistles[0]["closed_at"] == NOW
    assert running(uow) == {}  # concluded: the clock stops, its 督办 closes
    assert [(v["kind"], v["closed_at"]) for v in uow.db.tables.supervisions] == [
        ("sign", None), ("whistle", NOW)]
    assert uow.events[-1] == ConsultationHeld(1, 1, 1)
    assert uow.db.tables.audit[-1].detail["absent"] == ["hrss_office"]
    assert uow.commits == 3

    _blow(uow, departments=("housing",), report_within_h=1)  # a new round may start
    uow.clock = NOW + timedelta(hours=2)
    late = report_in(ReportIn(incident_id=1, department="housing", actor="住建李"),
                     uow)
    assert late.late and late.waiting_for == ()
    assert 2 not in running(uow)  # everyone reported: nothing left for the clock
    assert "housing" in DEPARTMENTS


def test_refusals_write_nothing():
    for uow, exc in ((FakeUow(state="closed"), InvalidTransition),
                     (FakeUow(state="resolved"), InvalidTransition),
                     (FakeUow(street_id=None), InvalidTransition)):
        with pytest.raises(exc):
            _blow(uow)
        assert not uow.db.tables.whistles and not uow.events and not uow.commits
    uow = FakeUow()
    with pytest.raises(InvalidTransition, match="没有进行中的吹哨"):
        report_in(ReportIn(incident_id=1, department="court", actor="x"),
                  uow)
    with pytest.raises(NotFound):
        _blow(uow, incident_id=2)
    with pytest.raises(InvalidCommand) as err:
        hold_consultation(HoldConsultation(incident_id=1, participants=("甲", "乙"),
                                           outcome=" ", actor="x"), uow)
    assert err.value.detail["field"] == "outcome"
    held = hold_consultation(HoldConsultation(incident_id=1, participants=("甲", "乙"),
                                              outcome="各方同意再调解", actor="x"),
                             uow)
    assert held.whistle_id is None and held.absent == ()
    assert not uow.db.tables.whistles and uow.commits == 1


def test_passed_deadline_names_the_absent_departments_once_per_round():
    calls: list[dict[str, Any]] = [{"department": "judicial_office", "reported_at": NOW},
                                   {"department": "hrss_office", "reported_at": None},
                                   {"department": "housing", "reported_at": None}]
    due = NOW + timedelta(hours=12)
    d = overdue(case_open=True, whistle_closed=False, calls=calls, report_by=due)
    assert not d.skip and d.level == "yellow" and d.absent == ("hrss_office", "housing")
    assert d.reason == "报到超时：人社所、住建部门未在 11-23 22:00 前报到，黄色督办"
    for (case_open, closed), why in (((False, False), "已办结"), ((True, True), "已会商结束")):
        got = overdue(case_open=case_open, whistle_closed=closed, calls=calls, report_by=due)
        assert got.skip and why in got.reason and got.absent == ()
    everyone = [{**c, "reported_at": NOW} for c in calls]
    assert overdue(case_open=True, whistle_closed=False, calls=everyone, report_by=due).skip


def test_the_bus_audits_refused_whistles_and_reports():
    uow = FakeUow(street_id=None)
    bus = fake_dispatch(uow.db)
    with pytest.raises(InvalidTransition, match="尚未定位到街道"):
        bus.handle(BlowWhistle(incident_id=1, departments=("court",), reason="r", actor="甲"))
    with pytest.raises(InvalidTransition, match="没有进行中的吹哨"):
        bus.handle(ReportIn(incident_id=1, department="court", actor="乙"))
    got = [(a.action, a.actor, a.detail["command"]) for a in uow.db.tables.audit]
    assert got == [("refused", "甲", "BlowWhistle"), ("refused", "乙", "ReportIn")]
    assert uow.db.tables.whistles == [] and uow.db.published == []
