"""Handlers of the mediator's record: each one transaction with its audit row and event; a
refused command writes nothing but its own audit row (``*_refused``) and is raised again.

Rules in :mod:`dispatch.record` and :mod:`dispatch.attachments`; SQL in
:mod:`dispatch.adapters.record_repo`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from dispatch import clocks, limits, record, vocab
from dispatch.attachments import check_upload
from dispatch.commands_record import (
    AddAttachment,
    BookSession,
    CancelSession,
    DecideExtension,
    RecordJudicial,
    RecordStep,
    RequestExtension,
    WriteAgreement,
)
from dispatch.errors import Conflict, DispatchError, InvalidTransition, NotFound
from dispatch.events_record import CaseRecordChanged
from dispatch.model import BEIJING

if TYPE_CHECKING:
    from dispatch.ports import UnitOfWork
    from dispatch.ports_rows import CaseRow, Json

C = TypeVar("C")


def audited(action: str) -> Callable[[Callable[[C, UnitOfWork], Json]],
                                      Callable[[C, UnitOfWork], Json]]:
    """Run the handler; a refusal (not a missing case) is audited in its own transaction."""
    def wrap(fn: Callable[[C, UnitOfWork], Json]
             ) -> Callable[[C, UnitOfWork], Json]:
        @wraps(fn)
        def run(cmd: C, uow: UnitOfWork) -> Json:
            try:
                return fn(cmd, uow)
            except DispatchError as err:
                if isinstance(err, NotFound):
                    raise
                uow.rollback()
                uow.audit_apart(
                    actor=getattr(cmd, "actor", "?"), action=f"{action}_refused",
                    entity_id=getattr(cmd, "incident_id", None), reason=err.message,
                    detail={k: v for k, v in err.detail.items()
                            if isinstance(v, str | int | None)})
                raise
        return run
    return wrap


def _case(uow: UnitOfWork, incident_id: int) -> CaseRow:
    row = uow.incidents.get(incident_id, lock=True)
    if row is None:
        raise NotFound(f"案件 {incident_id} 不存在", incident_id=incident_id)
    return row


def _open(row: CaseRow, what: str) -> None:
    if row["state"] not in vocab.OPEN_STATES:
        label = vocab.INCIDENT_STATES.get(row["state"], row["state"])
        raise InvalidTransition(f"案件{label}，不能{what}", state=row["state"],
                                incident_id=row["id"])


def _done(uow: UnitOfWork, cmd: Any, what: str, rid: int, action: str,
          reason: str | None, detail: Json) -> Json:
    uow.incidents.audit(at=uow.now(), actor=cmd.actor, action=action,
                        entity_id=cmd.incident_id, reason=reason, detail={**detail, "id": rid})
    uow.emit(CaseRecordChanged(cmd.incident_id, what, rid, cmd.actor))
    uow.commit()
    return {"incident_id": cmd.incident_id, "id": rid, **detail}


@audited("mediation_step")
def record_step(cmd: RecordStep, uow: UnitOfWork) -> Json:
    row = _case(uow, cmd.incident_id)
    _open(row, "记录调解步骤")
    step, note, at = record.check_step(cmd.step, cmd.note, cmd.happened_at, now=uow.now(),
                                       reported_at=row["reported_at"])
    rid = uow.records.add_step(cmd.incident_id, step=step, note=note, happened_at=at,
                               unit_id=cmd.unit_id, by=cmd.actor, at=uow.now())
    return _done(uow, cmd, "step", rid, "mediation_step", note,
                 {"step": step, "step_label": record.STEPS[step], "happened_at": at.isoformat(),
                  "unit_id": cmd.unit_id})


@audited("session_booking")
def book_session(cmd: BookSession, uow: UnitOfWork) -> Json:
    row = _case(uow, cmd.incident_id)
    _open(row, "安排调解")
    room = None
    if cmd.facility_id is not None:
        room = uow.records.facility(cmd.facility_id, lock=True)
        if room is None:
            raise NotFound(f"场所 {cmd.facility_id} 不存在", field="facility_id")
    starts, ends, place = record.check_session(
        cmd.starts_at, cmd.ends_at, cmd.mode, cmd.place,
        facility_kind=None if room is None else room["kind"])
    people = record.check_participants(cmd.participants)
    if room is not None:
        taken = uow.records.bookings_overlapping(room["id"], starts, ends)
        if taken:
            raise Conflict(record.room_taken(room["name"], taken[0], fmt=_local),
                           booked_by=taken[0]["booked_by"], session_id=taken[0]["id"],
                           facility_id=room["id"])
        place = place or room["name"]
    rid = uow.records.add_session(cmd.incident_id, facility_id=cmd.facility_id, place=place,
                                  starts_at=starts, ends_at=ends, mode=cmd.mode,
                                  participants=[p.as_dict() for p in people],
                                  note=(cmd.note or "").strip() or None, by=cmd.actor,
                                  at=uow.now())
    officials = sorted({p.kind for p in people} & record.OFFICIALS)
    return _done(uow, cmd, "session", rid, "session_booked", cmd.note,
                 {"facility_id": cmd.facility_id, "place": place, "mode": cmd.mode,
                  "starts_at": starts.isoformat(), "ends_at": ends.isoformat(),
                  "participants": len(people), "officials": officials})


def _local(t: Any) -> str:
    return str(t.astimezone(BEIJING).strftime("%m-%d %H:%M"))


@audited("session_cancel")
def cancel_session(cmd: CancelSession, uow: UnitOfWork) -> Json:
    _case(uow, cmd.incident_id)
    s = uow.records.session(cmd.session_id, lock=True)
    if s is None or s["incident_id"] != cmd.incident_id:
        raise NotFound(f"调解安排 {cmd.session_id} 不存在", field="session_id")
    reason = record.clean_text(cmd.reason, "取消理由", "reason", limit=limits.REASON)
    if not uow.records.cancel_session(cmd.session_id, by=cmd.actor, at=uow.now()):
        raise Conflict("该调解安排已取消")
    return _done(uow, cmd, "session", cmd.session_id, "session_cancelled", reason,
                 {"facility_id": s["facility_id"]})


@audited("agreement")
def write_agreement(cmd: WriteAgreement, uow: UnitOfWork) -> Json:
    row = _case(uow, cmd.incident_id)
    version = uow.records.next_agreement_version(cmd.incident_id)
    fields = record.check_agreement(
        {"committee": cmd.committee, "facts": cmd.facts, "terms": cmd.terms,
         "performance": cmd.performance, "correction": cmd.correction},
        version=version, state=row["state"], parties=row["parties"] or [])
    parties = [{k: p.get(k) for k in ("name", "phone", "role", "id_number", "address")
                if p.get(k)} for p in row["parties"] or []]
    mediators = uow.records.mediators_of(cmd.incident_id)
    number = record.agreement_number(row["code"])
    rid = uow.records.add_agreement(cmd.incident_id, version=version, number=number,
                                    fields=fields, parties=parties, mediators=mediators,
                                    by=cmd.actor, at=uow.now())
    return _done(uow, cmd, "agreement", rid, "agreement_written", fields["correction"],
                 {"version": version, "number": number})


@audited("judicial")
def record_judicial(cmd: RecordJudicial, uow: UnitOfWork) -> Json:
    _case(uow, cmd.incident_id)
    agreement = uow.records.latest_agreement_id(cmd.incident_id)
    status, court, day = record.check_judicial(
        cmd.status, cmd.court, cmd.on_date, today=uow.now().astimezone(BEIJING).date(),
        history=uow.records.judicial_history(cmd.incident_id),
        has_agreement=agreement is not None)
    rid = uow.records.add_judicial(cmd.incident_id, agreement_id=agreement, status=status,
                                   court=court, on_date=day, note=(cmd.note or "").strip()
                                   or None, by=cmd.actor, at=uow.now())
    return _done(uow, cmd, "judicial", rid, "judicial_confirmation", cmd.note,
                 {"status": status, "status_label": record.JUDICIAL[status], "court": court,
                  "on_date": day.isoformat(), "agreement_id": agreement})


@audited("attachment")
def add_attachment(cmd: AddAttachment, uow: UnitOfWork) -> Json:
    _case(uow, cmd.incident_id)
    up = check_upload(cmd.content, cmd.filename)
    rid = uow.records.add_attachment(cmd.incident_id, content=cmd.content, sha256=up.sha256,
                                     content_type=up.content_type, filename=up.filename,
                                     unit_id=cmd.unit_id, by=cmd.actor, at=uow.now())
    return _done(uow, cmd, "attachment", rid, "attachment_added", None,
                 {"sha256": up.sha256, "size": up.size, "content_type": up.content_type})


@audited("extension_request")
def request_extension(cmd: RequestExtension, uow: UnitOfWork) -> Json:
    row = _case(uow, cmd.incident_id)
    days, reason = record.check_extension_request(
        cmd.days, cmd.reason, state=row["state"], role=cmd.role,
        pending=uow.records.pending_extension(cmd.incident_id) is not None)
    rid = uow.records.add_extension(cmd.incident_id, days=days, reason=reason, by=cmd.actor,
                                    role=cmd.role or "", unit_id=cmd.unit_id, at=uow.now())
    return _done(uow, cmd, "extension", rid, "extension_requested", reason,
                 {"days": days, "status": "pending"})


@audited("extension_decision")
def decide_extension(cmd: DecideExtension, uow: UnitOfWork) -> Json:
    row = _case(uow, cmd.incident_id)
    ext = uow.records.extension(cmd.extension_id, lock=True)
    if ext is None or ext["incident_id"] != cmd.incident_id:
        raise NotFound(f"延期申请 {cmd.extension_id} 不存在", field="extension_id")
    note = record.check_extension_decision(
        cmd.approve, cmd.note, status=ext["status"], requester=ext["requested_by"],
        requester_role=ext["requested_role"], decider=cmd.actor, decider_role=cmd.role)
    now, before, after = uow.now(), row["close_deadline"], None
    if cmd.approve:
        _open(row, "延期")
        after = record.extended(before or now, ext["days"])
        uow.incidents.cancel_timers(cmd.incident_id, ("close",), now)
        limit = uow.policy.close_seconds(row["difficulty"])
        start = after - timedelta(seconds=limit)
        plan = clocks.close_clock(start, row["difficulty"], policy=uow.policy,
                                  round=uow.incidents.next_round(cmd.incident_id, "close"))
        uow.incidents.add_timers(cmd.incident_id, [s for s in plan if s.due_at > now])
        uow.incidents.update(cmd.incident_id, close_deadline=after)
    status = "approved" if cmd.approve else "refused"
    uow.records.decide_extension(cmd.extension_id, status=status, by=cmd.actor, at=now,
                                 note=note, before=before, after=after)
    return _done(uow, cmd, "extension", cmd.extension_id, f"extension_{status}", note,
                 {"days": ext["days"], "status": status, "requested_by": ext["requested_by"],
                  "deadline_before": before.isoformat() if before else None,
                  "deadline_after": after.isoformat() if after else None})


RECORD_HANDLERS: dict[type, Callable[..., Any]] = {
    RecordStep: record_step, BookSession: book_session, CancelSession: cancel_session,
    WriteAgreement: write_agreement, RecordJudicial: record_judicial,
    AddAttachment: add_attachment, RequestExtension: request_extension,
    DecideExtension: decide_extension,
}
