"""街道吹哨、部门报到、会商 handlers: each one transaction with its audit row and event.

Rules in :mod:`dispatch.whistle`; SQL in :mod:`dispatch.adapters.whistle_repo`. A whistle needs
an open case located to a street; a report needs that case's open whistle and a department it
called; a 会商 needs an open case and concludes the open whistle, if any. A whistle's 报到
deadline is a clock stage row; :func:`process_overdue` is what the scheduler does with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch import vocab
from dispatch.commands import SYSTEM, BlowWhistle, HoldConsultation, ReportIn
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events import ConsultationHeld, DepartmentReported, WhistleBlown, WhistleOverdue
from dispatch.results import Consulted, ReportedIn, Whistled
from dispatch.whistle import (
    DEPARTMENTS,
    check_outcome,
    check_participants,
    check_report_note,
    check_whistle,
    overdue,
    report_deadline,
    report_is_late,
)

if TYPE_CHECKING:
    from datetime import datetime

    from dispatch.ports import UnitOfWork
    from dispatch.ports_rows import CaseRow, TimerRow


def _open_case(uow: UnitOfWork, incident_id: int, what: str) -> CaseRow:
    row = uow.incidents.get(incident_id, lock=True)
    if row is None:
        raise NotFound(f"案件 {incident_id} 不存在", incident_id=incident_id)
    if row["state"] not in vocab.OPEN_STATES:
        label = vocab.INCIDENT_STATES.get(row["state"], row["state"])
        raise InvalidTransition(f"案件{label}，不能{what}", state=row["state"],
                                incident_id=incident_id)
    return row


def _names(codes: list[str] | tuple[str, ...]) -> str:
    return "、".join(DEPARTMENTS.get(c, c) for c in codes)


def blow_whistle(cmd: BlowWhistle, uow: UnitOfWork) -> Whistled:
    codes, reason, hours = check_whistle(cmd.departments, cmd.reason, cmd.report_within_h)
    row = _open_case(uow, cmd.incident_id, "吹哨")
    if row["street_id"] is None:
        raise InvalidTransition("案件尚未定位到街道，不能吹哨", state=row["state"],
                                incident_id=cmd.incident_id)
    current = uow.whistles.open_of(cmd.incident_id, lock=True)
    if current is not None:
        raise Conflict(f"该案件已有进行中的吹哨（{_names([c['department'] for c in current['calls']])}"
                       "），请先报到、会商", incident_id=cmd.incident_id,
                       whistle_id=current["id"])
    now = uow.now()
    due = report_deadline(now, hours)
    wid = uow.whistles.blow(cmd.incident_id, street_id=row["street_id"], at=now, by=cmd.actor,
                            reason=reason, report_by=due, departments=codes)
    uow.whistles.add_timer(cmd.incident_id, wid, due)
    uow.incidents.audit(at=now, actor=cmd.actor, action="whistle", entity_id=cmd.incident_id,
                        reason=reason, detail={"whistle_id": wid, "departments": list(codes),
                                               "report_by": due, "street_id": row["street_id"]})
    uow.emit(WhistleBlown(cmd.incident_id, wid, codes, due))
    uow.commit()
    return Whistled(cmd.incident_id, wid, codes, due)


def report_in(cmd: ReportIn, uow: UnitOfWork) -> ReportedIn:
    dept = (cmd.department or "").strip()
    if dept not in DEPARTMENTS:
        raise InvalidCommand(f"未知部门（department）：{dept or '未填写'}", field="department")
    note = check_report_note(cmd.note)
    _open_case(uow, cmd.incident_id, "报到")
    whistle = uow.whistles.open_of(cmd.incident_id, lock=True)
    if whistle is None:
        raise InvalidTransition("该案件没有进行中的吹哨，无需报到", incident_id=cmd.incident_id)
    calls = {c["department"]: c for c in whistle["calls"]}
    if dept not in calls:
        raise InvalidCommand(f"{DEPARTMENTS[dept]}未被点名报到（本次点名：{_names(list(calls))}）",
                             field="department")
    if calls[dept]["reported_at"] is not None:
        raise Conflict(f"{DEPARTMENTS[dept]}已由 {calls[dept]['reported_by']} 报到",
                       incident_id=cmd.incident_id, department=dept)
    now = uow.now()
    late = report_is_late(whistle["report_by"], now)
    if not uow.whistles.report(whistle["id"], dept, at=now, by=cmd.actor, note=note):
        raise Conflict(f"{DEPARTMENTS[dept]}已报到", incident_id=cmd.incident_id)
    waiting = tuple(c for c, v in calls.items() if v["reported_at"] is None and c != dept)
    if not waiting:  # everyone came: the 报到 clock has nothing left to do
        uow.whistles.cancel_timer(int(whistle["id"]), now)
    uow.incidents.audit(at=now, actor=cmd.actor, action="whistle_report",
                        entity_id=cmd.incident_id, reason=note,
                        detail={"whistle_id": whistle["id"], "department": dept, "late": late,
                                "waiting_for": list(waiting)})
    uow.emit(DepartmentReported(cmd.incident_id, whistle["id"], dept, late))
    uow.commit()
    return ReportedIn(cmd.incident_id, whistle["id"], dept, late, waiting)


def hold_consultation(cmd: HoldConsultation, uow: UnitOfWork) -> Consulted:
    people = check_participants(cmd.participants)
    outcome = check_outcome(cmd.outcome)
    _open_case(uow, cmd.incident_id, "会商")
    whistle = uow.whistles.open_of(cmd.incident_id, lock=True)
    now = uow.now()
    wid = None if whistle is None else int(whistle["id"])
    absent = () if whistle is None else tuple(
        c["department"] for c in whistle["calls"] if c["reported_at"] is None)
    cid = uow.whistles.consult(cmd.incident_id, whistle_id=wid, at=now, by=cmd.actor,
                               participants=[p.as_dict() for p in people], outcome=outcome)
    if wid is not None:
        uow.whistles.close(wid, now)
        uow.whistles.cancel_timer(wid, now)
        # the round is concluded: its 报到 督办 has done its work
        uow.incidents.close_supervisions(cmd.incident_id, now, kind="whistle")
    uow.incidents.audit(at=now, actor=cmd.actor, action="consultation",
                        entity_id=cmd.incident_id, reason=outcome,
                        detail={"consultation_id": cid, "whistle_id": wid,
                                "participants": [p.as_dict() for p in people],
                                "absent": list(absent)})
    uow.emit(ConsultationHeld(cmd.incident_id, cid, wid))
    uow.commit()
    return Consulted(cmd.incident_id, cid, wid, absent)


def process_overdue(uow: UnitOfWork, timer: TimerRow, now: datetime,
                    report: dict[str, int]) -> None:
    """A claimed ``whistle`` stage (the clock handler's transaction; caller commits): mark the
    unreported calls overdue, open 督办 naming them, audit, event — or skip."""
    iid, wid = timer["incident_id"], timer["whistle_id"]
    assert wid is not None  # a ``whistle`` stage row always names its whistle
    row = uow.incidents.get(iid, lock=True)
    whistle = uow.whistles.get(wid, lock=True)
    assert row is not None and whistle is not None  # timers cascade with both
    d = overdue(case_open=row["state"] in vocab.OPEN_STATES,
                whistle_closed=whistle["closed_at"] is not None, calls=whistle["calls"],
                report_by=whistle["report_by"])
    if d.skip:
        uow.incidents.finish_timer(timer["id"], now, "skipped")
        report["skipped"] += 1
        return
    assert d.level is not None
    marked = uow.whistles.mark_overdue(wid, now)
    sid = uow.incidents.open_supervision(iid, kind="whistle", level=d.level, at=now, by=SYSTEM,
                                         reason=d.reason)
    uow.incidents.audit(at=now, actor=SYSTEM, action=f"supervise_{d.level}", entity_id=iid,
                        reason=d.reason,
                        detail={"timer_id": timer["id"], "kind": "whistle", "stage": "yellow",
                                "whistle_id": wid, "report_by": whistle["report_by"],
                                "absent": list(d.absent), "marked_overdue": marked,
                                "supervision_id": sid})
    uow.emit(WhistleOverdue(iid, wid, d.absent, d.level))
    uow.incidents.finish_timer(timer["id"], now, "done")
    report["supervised"] += 1
