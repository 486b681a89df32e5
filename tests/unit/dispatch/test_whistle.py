"""街道吹哨、部门报到、会商 without a database: the rules and the handlers on a fake unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dispatch.commands import BlowWhistle, HoldConsultation, ReportIn
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events import ConsultationHeld, DepartmentReported, WhistleBlown
from dispatch.handlers import HANDLERS
from dispatch.handlers_whistle import blow_whistle, hold_consultation, report_in
from dispatch.whistle import DEPARTMENTS, check_participants, check_whistle, overdue

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class FakeIncidents:
    def __init__(self, state: str, street_id: int | None) -> None:
        self.row = {"id": 1, "state": state, "street_id": street_id}
        self.audits: list[dict[str, Any]] = []

    def get(self, incident_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        return self.row if incident_id == 1 else None

    def audit(self, **kw: Any) -> None:
        self.audits.append(kw)

    def close_supervisions(self, incident_id: int, at: datetime, *, kind: str | None = None
                           ) -> None:
        self.closed_supervisions = kind


class FakeWhistles:
    def __init__(self) -> None:
        self.whistles: list[dict[str, Any]] = []
        self.consultations: list[dict[str, Any]] = []
        self.timers: dict[int, datetime] = {}  # whistle id -> 报到 deadline still running

    def open_of(self, incident_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        return next((w for w in self.whistles if w["closed_at"] is None), None)

    def blow(self, incident_id: int, *, departments: Any, **kw: Any) -> int:
        calls = [{"department": d, "reported_at": None, "reported_by": None} for d in departments]
        self.whistles.append({"id": len(self.whistles) + 1, "closed_at": None, "calls": calls,
                              **kw})
        return len(self.whistles)

    def report(self, whistle_id: int, department: str, *, at: datetime, by: str,
               note: str | None) -> bool:
        for c in self.whistles[whistle_id - 1]["calls"]:
            if c["department"] == department and c["reported_at"] is None:
                c.update(reported_at=at, reported_by=by, note=note)
                return True
        return False

    def close(self, whistle_id: int, at: datetime) -> None:
        self.whistles[whistle_id - 1]["closed_at"] = at

    def add_timer(self, incident_id: int, whistle_id: int, due_at: datetime) -> None:
        self.timers[whistle_id] = due_at

    def cancel_timer(self, whistle_id: int, at: datetime) -> None:
        self.timers.pop(whistle_id, None)

    def consult(self, incident_id: int, **kw: Any) -> int:
        self.consultations.append(kw)
        return len(self.consultations)


class FakeUow:
    def __init__(self, state: str = "mediating", street_id: int | None = 7) -> None:
        self.incidents = FakeIncidents(state, street_id)
        self.whistles = FakeWhistles()
        self.events: list[Any] = []
        self.committed = 0
        self.clock = NOW

    def now(self) -> datetime:
        return self.clock

    def emit(self, event: Any) -> None:
        self.events.append(event)

    def commit(self) -> None:
        self.committed += 1


def _blow(uow: FakeUow, **kw: Any) -> Any:
    args: dict[str, Any] = {"incident_id": 1, "departments": ("judicial_office", "hrss_office"),
                            "reason": "欠薪涉及多方，社区调解未果", "actor": "街道调度员",
                            "report_within_h": 12}
    args.update(kw)
    return blow_whistle(BlowWhistle(**args), uow)  # type: ignore[arg-type]


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
    assert uow.incidents.audits[-1]["action"] == "whistle"
    assert uow.whistles.timers == {1: got.report_by}  # the 报到 clock runs
    with pytest.raises(Conflict, match="进行中的吹哨"):
        _blow(uow)

    rep = report_in(ReportIn(incident_id=1, department="judicial_office", actor="司法所王",
                             note="已到场"), uow)  # type: ignore[arg-type]
    assert (rep.late, rep.waiting_for) == (False, ("hrss_office",))
    assert uow.events[-1] == DepartmentReported(1, 1, "judicial_office", False)
    with pytest.raises(Conflict, match="司法所已由 司法所王 报到"):
        report_in(ReportIn(incident_id=1, department="judicial_office", actor="x"),
                  uow)  # type: ignore[arg-type]
    with pytest.raises(InvalidCommand, match="未被点名") as err:
        report_in(ReportIn(incident_id=1, department="court", actor="x"),
                  uow)  # type: ignore[arg-type]
    assert err.value.detail["field"] == "department"

    held = hold_consultation(HoldConsultation(
        incident_id=1, participants=("街道王书记", {"name": "司法所王", "department":
                                                   "judicial_office"}),
        outcome="企业三日内结清工资，人社所跟进", actor="街道调度员"), uow)  # type: ignore[arg-type]
    assert (held.whistle_id, held.absent) == (1, ("hrss_office",))
    assert uow.whistles.whistles[0]["closed_at"] == NOW
    assert uow.whistles.timers == {}  # concluded: the clock stops, its 督办 closes
    assert uow.incidents.closed_supervisions == "whistle"
    assert uow.events[-1] == ConsultationHeld(1, 1, 1)
    assert uow.incidents.audits[-1]["detail"]["absent"] == ["hrss_office"]
    assert uow.committed == 3

    _blow(uow, departments=("housing",), report_within_h=1)  # a new round may start
    uow.clock = NOW + timedelta(hours=2)
    late = report_in(ReportIn(incident_id=1, department="housing", actor="住建李"),
                     uow)  # type: ignore[arg-type]
    assert late.late and late.waiting_for == ()
    assert 2 not in uow.whistles.timers  # everyone reported: nothing left for the clock
    assert "housing" in DEPARTMENTS


def test_refusals_write_nothing():
    for uow, exc in ((FakeUow(state="closed"), InvalidTransition),
                     (FakeUow(state="resolved"), InvalidTransition),
                     (FakeUow(street_id=None), InvalidTransition)):
        with pytest.raises(exc):
            _blow(uow)
        assert not uow.whistles.whistles and not uow.events and not uow.committed
    uow = FakeUow()
    with pytest.raises(InvalidTransition, match="没有进行中的吹哨"):
        report_in(ReportIn(incident_id=1, department="court", actor="x"),
                  uow)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        _blow(uow, incident_id=2)
    with pytest.raises(InvalidCommand) as err:
        hold_consultation(HoldConsultation(incident_id=1, participants=("甲", "乙"),
                                           outcome=" ", actor="x"), uow)  # type: ignore[arg-type]
    assert err.value.detail["field"] == "outcome"
    held = hold_consultation(HoldConsultation(incident_id=1, participants=("甲", "乙"),
                                              outcome="各方同意再调解", actor="x"),
                             uow)  # type: ignore[arg-type]
    assert held.whistle_id is None and held.absent == ()
    assert not uow.whistles.whistles and uow.committed == 1


def test_passed_deadline_names_the_absent_departments_once_per_round():
    calls = [{"department": "judicial_office", "reported_at": NOW},
             {"department": "hrss_office", "reported_at": None},
             {"department": "housing", "reported_at": None}]
    due = NOW + timedelta(hours=12)
    d = overdue(case_open=True, whistle_closed=False, calls=calls, report_by=due)
    assert not d.skip and d.level == "yellow" and d.absent == ("hrss_office", "housing")
    assert d.reason == "报到超时：人社所、住建部门未在 11-23 22:00 前报到，黄色督办"
    for kw, why in (({"case_open": False, "whistle_closed": False}, "已办结"),
                    ({"case_open": True, "whistle_closed": True}, "已会商结束")):
        got = overdue(calls=calls, report_by=due, **kw)  # type: ignore[arg-type]
        assert got.skip and why in got.reason and got.absent == ()
    everyone = [{**c, "reported_at": NOW} for c in calls]
    assert overdue(case_open=True, whistle_closed=False, calls=everyone, report_by=due).skip
