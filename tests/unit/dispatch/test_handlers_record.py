"""The mediator's record on the fake unit of work: each write with its audit and event; a refusal
writes nothing but its own ``*_refused`` audit row, in a transaction of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

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
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events_record import CaseRecordChanged
from dispatch.handlers_record import (
    add_attachment,
    book_session,
    cancel_session,
    decide_extension,
    record_judicial,
    record_step,
    request_extension,
    write_agreement,
)
from tests.fakes import NOW, FakeDb, FakeUnitOfWork, run

PEOPLE = ({"name": "张三", "kind": "party"}, {"name": "调解员10", "kind": "mediator"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _db(state: str = "mediating") -> FakeDb:
    db = FakeDb()
    db.add_case(id=1, state=state, reported_at=NOW - timedelta(days=2),
                close_deadline=NOW + timedelta(days=10),
                parties=[{"name": "张三", "role": "applicant"},
                         {"name": "李四", "role": "respondent"}])
    db.add_unit(10)
    db.tables.assignments.append({"id": 1, "incident_id": 1, "unit_id": 10, "role": "lead",
                                  "state": "active", "assigned_at": NOW - timedelta(days=1),
                                  "assigned_by": "乙", "acknowledged_at": None,
                                  "arrived_at": None, "released_at": None})
    db.tables.facilities[5] = {"id": 5, "name": "友谊社区调解室", "kind": "mediation_room",
                               "street_id": 7}
    return db


def test_a_step_is_written_with_its_audit_and_event():
    db = _db()
    uow = FakeUnitOfWork(db)
    got = run(record_step, RecordStep(incident_id=1, step="listen", note="听取双方陈述",
                                      actor="调解员10", unit_id=10), uow)
    (s,) = db.tables.steps
    assert (got["id"], s["step"], s["note"], s["unit_id"]) == (1, "listen", "听取双方陈述", 10)
    (a,) = db.tables.audit
    assert (a.action, a.reason, a.detail["step_label"]) == ("mediation_step", "听取双方陈述", "听")
    assert uow.events == [CaseRecordChanged(1, "step", 1, "调解员10")] and uow.commits == 1


def test_a_refusal_is_audited_apart_and_nothing_else_is_written():
    db = _db("closed")
    uow = FakeUnitOfWork(db)
    with pytest.raises(InvalidTransition, match="案件已归档，不能记录调解步骤"):
        run(record_step, RecordStep(incident_id=1, step="listen", note="x", actor="甲"), uow)
    assert db.tables.steps == [] and not uow.commits and uow.rollbacks
    (a,) = db.tables.audit
    assert (a.action, a.actor, a.entity_id) == ("mediation_step_refused", "甲", 1)
    assert a.reason == "案件已归档，不能记录调解步骤" and uow.apart == [a]
    with pytest.raises(InvalidCommand) as err:
        run(record_step, RecordStep(incident_id=1, step="sing", note="x", actor="甲"),
            FakeUnitOfWork(_db()))
    assert err.value.detail["field"] == "step"


def test_a_missing_case_is_not_audited():
    db = _db()
    with pytest.raises(NotFound):
        run(record_step, RecordStep(incident_id=9, step="listen", note="x", actor="甲"),
            FakeUnitOfWork(db))
    assert db.tables.audit == []


def _book(start_h: float = 1.0, **kw: object) -> BookSession:
    return BookSession(incident_id=1, starts_at=NOW + timedelta(hours=start_h),
                       ends_at=NOW + timedelta(hours=start_h + 2), mode="joint",
                       participants=PEOPLE, actor=str(kw.get("actor", "调解员10")),
                       facility_id=5)


def test_a_room_taken_for_the_slot_names_who_booked_it():
    db = _db()
    db.add_case(id=2, state="mediating")
    got = run(book_session, _book(), FakeUnitOfWork(db))
    assert db.tables.sessions[0]["place"] == "友谊社区调解室" and got["participants"] == 2
    db.tables.sessions[0]["incident_id"] = 2  # the room is now another case's
    with pytest.raises(Conflict, match="调解室「友谊社区调解室」该时段已被 调解员10 预订"):
        run(book_session, _book(1.5, actor="调解员11"), FakeUnitOfWork(db))
    assert len(db.tables.sessions) == 1
    assert db.audits("session_booking_refused")[0].detail["session_id"] == 1


def test_cancelling_twice_is_refused():
    db = _db()
    run(book_session, _book(), FakeUnitOfWork(db))
    cancel = CancelSession(incident_id=1, session_id=1, reason="当事人出差", actor="甲")
    run(cancel_session, cancel, FakeUnitOfWork(db))
    assert db.tables.sessions[0]["cancelled_at"] == NOW
    with pytest.raises(Conflict, match="该调解安排已取消"):
        run(cancel_session, cancel, FakeUnitOfWork(db))
    assert [a.action for a in db.tables.audit] == ["session_booked", "session_cancelled",
                                                  "session_cancel_refused"]


def test_an_agreement_names_its_mediators_and_a_judicial_confirmation_needs_one():
    db = _db()
    with pytest.raises(InvalidTransition, match="尚无书面调解协议"):
        run(record_judicial, RecordJudicial(incident_id=1, status="applied", court="区法院",
                                            on_date=NOW.date(), actor="甲"), FakeUnitOfWork(db))
    got = run(write_agreement, WriteAgreement(
        incident_id=1, committee="友谊社区人民调解委员会", facts="噪音扰民", terms="晚十点后停工",
        performance="即日履行", actor="调解员10"), FakeUnitOfWork(db))
    (ag,) = db.tables.agreements
    assert (got["version"], ag["number"]) == (1, got["number"])
    assert ag["mediators"] == [{"unit_id": 10, "name": "调解员10", "unit_type": "mediator"}]
    assert [p["name"] for p in ag["parties"]] == ["张三", "李四"]
    run(record_judicial, RecordJudicial(incident_id=1, status="applied", court="区法院",
                                        on_date=NOW.date(), actor="甲"), FakeUnitOfWork(db))
    assert db.tables.judicial[0]["agreement_id"] == 1


def test_an_agreement_before_dispatch_is_refused():
    db = _db("located")
    with pytest.raises(InvalidTransition, match="案件尚未派单处置"):
        run(write_agreement, WriteAgreement(incident_id=1, committee="c", facts="f", terms="t",
                                            performance="p", actor="甲"), FakeUnitOfWork(db))
    assert db.tables.agreements == [] and [a.action for a in db.tables.audit] == [
        "agreement_refused"]


def test_attachment_is_sniffed_and_an_unknown_file_refused_by_field():
    db = _db()
    got = run(add_attachment, AddAttachment(incident_id=1, content=PNG, filename="现场.png",
                                            actor="甲"), FakeUnitOfWork(db))
    assert got["content_type"] == "image/png" and db.tables.attachments[0]["size"] == len(PNG)
    with pytest.raises(InvalidCommand) as err:
        run(add_attachment, AddAttachment(incident_id=1, content=b"hello", filename="a.txt",
                                          actor="甲"), FakeUnitOfWork(db))
    assert err.value.detail["field"] == "file" and len(db.tables.attachments) == 1


def test_an_extension_is_requested_below_and_approved_above():
    db = _db()
    run(request_extension, RequestExtension(incident_id=1, days=5, reason="当事人住院",
                                            actor="调解员10", role="field"), FakeUnitOfWork(db))
    with pytest.raises(InvalidTransition, match="已有待审批的延期申请"):
        run(request_extension, RequestExtension(incident_id=1, days=5, reason="再延",
                                                actor="调解员10", role="field"),
            FakeUnitOfWork(db))
    with pytest.raises(InvalidTransition, match="不能审批本人的延期申请"):
        run(decide_extension, DecideExtension(incident_id=1, extension_id=1, approve=True,
                                              actor="调解员10", role="duty"), FakeUnitOfWork(db))
    uow = FakeUnitOfWork(db)
    got = run(decide_extension, DecideExtension(incident_id=1, extension_id=1, approve=True,
                                                actor="街道调度员", role="dispatcher"), uow)
    after = NOW + timedelta(days=15)
    assert got["status"] == "approved" and db.tables.cases[1]["close_deadline"] == after
    assert db.tables.extensions[0]["deadline_after"] == after
    assert db.tables.timers and all(t["kind"] == "close" and t["due_at"] > NOW
                                    for t in db.tables.timers)
    assert [a.action for a in db.tables.audit] == [
        "extension_requested", "extension_request_refused", "extension_decision_refused",
        "extension_approved"]
