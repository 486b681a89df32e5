"""Tracking codes, the proof-of-work check, the resident steps and the resident handlers."""

from __future__ import annotations

import hashlib

import pytest

from dispatch import challenge, lifecycle, limits, tracking, vocab
from dispatch.commands_resident import (
    AcceptResidentReport,
    AddResidentInfo,
    Photo,
    RateResident,
    RejectResidentReport,
    SubmitResidentReport,
)
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events import IncidentRegistered
from dispatch.handlers_resident import accept, add_info, rate, reject, submit
from tests.fakes.uow import FakeUnitOfWork

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_codes_are_60_random_bits_in_crockford_base32():
    codes = {tracking.new_code() for _ in range(2000)}
    assert len(codes) == 2000  # 60 bits: a clash here would be a broken generator
    assert tracking.BITS >= 50
    for c in list(codes)[:200]:
        assert len(c) == 12 and set(c) <= set(tracking.ALPHABET)
        assert not set(c) & set("ILOU")
    # every position takes every symbol somewhere (not a constant prefix)
    assert all(len({c[i] for c in codes}) > 20 for i in range(12))


def test_normalise_forgives_what_a_person_reads_or_types():
    code = "4KX9T2QM7RBD"
    assert tracking.display(code) == "4KX9-T2QM-7RBD"
    for typed in ("4kx9-t2qm-7rbd", " 4KX9 T2QM 7RBD ", "4KX9_T2QM_7RBD"):
        assert tracking.normalise(typed) == code
    assert tracking.normalise("1O00-0000-0000") == tracking.normalise("I000-0000-000O") \
        == "100000000000"
    assert tracking.normalise("L000-0000-0000") == "100000000000"
    for bad in ("", None, "4KX9-T2QM-7RB", "4KX9-T2QM-7RBDX", "4KX9-T2QM-7RBU", "../etc"):
        assert tracking.normalise(bad) is None


def test_pow_counts_leading_zero_bits_and_verifies_one_hash():
    assert challenge.leading_zero_bits(b"\x00\x00\x80") == 16
    assert challenge.leading_zero_bits(b"\x00\x01") == 15
    assert challenge.leading_zero_bits(b"\x0f") == 4
    nonce = "ab" * 16
    answer = challenge.solve(nonce, 12)
    digest = hashlib.sha256(f"{nonce}:{answer}".encode()).digest()
    assert challenge.leading_zero_bits(digest) >= 12
    assert challenge.verify(nonce, answer, 12)
    # a wrong answer fails (find one that does not solve it)
    wrong = next(str(i) for i in range(10**6) if not challenge.verify(nonce, str(i), 12))
    assert not challenge.verify(nonce, wrong, 12)
    assert not challenge.verify(nonce, "", 0) and not challenge.verify(nonce, "9" * 30, 0)


def test_every_state_has_a_resident_step():
    assert set(lifecycle.RESIDENT_STEP) == set(vocab.INCIDENT_STATES)
    assert lifecycle.RESIDENT_STEPS[lifecycle.resident_step("assigned")] == "分派"
    assert lifecycle.resident_step("closed") == 3
    assert lifecycle.resident_step("closed", followed_up=True) == 4


def _submit(uow, **kw):
    base = {"category": "neighbour", "description": "楼上每晚十一点后敲打地板，多次沟通无果",
            "lon": 84.87, "lat": 45.6, "device": "d" * 64}
    return submit(SubmitResidentReport(**{**base, **kw}), uow)


def test_submit_then_a_repeat_from_the_same_device_is_told_its_code():
    uow = FakeUnitOfWork()
    first = _submit(uow, photos=(Photo(PNG, "门口.png"),))
    assert first["duplicate"] is False and tracking.normalise(first["tracking_code"])
    again = _submit(uow, description="楼上每晚十一点以后敲打地板，多次沟通无果", lon=84.8701)
    assert again == {"duplicate": True, "tracking_code": first["tracking_code"]}
    other = _submit(uow, device="e" * 64, phone=None)
    assert other["duplicate"] is False  # another device, no phone: not the same person
    assert len(uow.db.tables.residents) == 2
    assert [a.action for a in uow.db.tables.audit] == ["resident_report"] * 2


def test_a_repeat_by_phone_from_another_device_gets_no_code():
    uow = FakeUnitOfWork()
    _submit(uow, phone="13800000000")
    again = _submit(uow, phone="13800000000", device="f" * 64)
    assert again == {"duplicate": True, "tracking_code": None}


def test_submit_refuses_with_the_field_named():
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidCommand) as e:
        _submit(uow, lon=None, lat=None)
    assert e.value.detail["field"] == "address"
    with pytest.raises(InvalidCommand) as e:
        _submit(uow, description="x" * (limits.RESIDENT_TEXT + 1))
    assert e.value.detail["field"] == "description"
    with pytest.raises(InvalidCommand) as e:
        _submit(uow, photos=(Photo(b"%PDF-1.4 x"),))
    assert e.value.detail["field"] == "photos"
    with pytest.raises(InvalidCommand):
        _submit(uow, photos=tuple(Photo(PNG) for _ in range(limits.RESIDENT_PHOTOS + 1)))
    assert uow.db.tables.residents == []


def test_accept_registers_a_case_with_the_tracking_code_on_the_event():
    uow = FakeUnitOfWork()
    out = _submit(uow, name="李女士", phone="13800000000", photos=(Photo(PNG, "a.png"),))
    reg = accept(AcceptResidentReport(report_id=out["id"], actor="duty"), uow)
    row = uow.db.tables.residents[0]
    assert row["status"] == "accepted" and row["incident_id"] == reg.incident_id
    case = uow.db.tables.cases[reg.incident_id]
    assert case["channel"] == "app" and case["caller_phone"] == "13800000000"
    ev = next(e for e in uow.db.published if isinstance(e, IncidentRegistered))
    assert ev.tracking_code == tracking.display(row["tracking_code"])  # as printed
    assert uow.db.tables.attachments[0]["incident_id"] == reg.incident_id
    acts = [a.action for a in uow.db.tables.audit]
    assert acts[-1] == "resident_accept" and "register" in acts
    with pytest.raises(Conflict):
        accept(AcceptResidentReport(report_id=out["id"], actor="duty"), uow)
    with pytest.raises(NotFound):
        reject(RejectResidentReport(report_id=99, actor="duty", reason="x"), uow)


def test_reject_needs_a_reason_and_then_refuses_additions():
    uow = FakeUnitOfWork()
    out = _submit(uow)
    with pytest.raises(InvalidCommand):
        reject(RejectResidentReport(report_id=out["id"], actor="duty", reason=" "), uow)
    reject(RejectResidentReport(report_id=out["id"], actor="duty", reason="不属于纠纷调处范围"),
           uow)
    assert uow.db.tables.residents[0]["reject_reason"] == "不属于纠纷调处范围"
    with pytest.raises(InvalidTransition):
        add_info(AddResidentInfo(code=out["tracking_code"], text="补充"), uow)


def test_info_and_rating_by_code():
    uow = FakeUnitOfWork()
    out = _submit(uow)
    with pytest.raises(NotFound) as unknown:
        add_info(AddResidentInfo(code="ZZZZ-ZZZZ-ZZZZ", text="x"), uow)
    with pytest.raises(NotFound) as malformed:
        add_info(AddResidentInfo(code="abc", text="x"), uow)
    assert unknown.value.message == malformed.value.message  # one answer for both
    add_info(AddResidentInfo(code=out["tracking_code"].lower(), text="昨晚又发生了"), uow)
    assert uow.db.tables.residents[0]["notes"][0]["text"] == "昨晚又发生了"
    reg = accept(AcceptResidentReport(report_id=out["id"], actor="duty"), uow)
    with pytest.raises(InvalidTransition):
        rate(RateResident(code=out["tracking_code"], rating=5), uow)
    uow.db.tables.cases[reg.incident_id]["state"] = "resolved"
    with pytest.raises(InvalidCommand):
        rate(RateResident(code=out["tracking_code"], rating=6), uow)
    rate(RateResident(code=out["tracking_code"], rating=4, note="处理及时"), uow)
    assert uow.db.tables.residents[0]["rating"] == 4
    assert uow.db.tables.followups == []  # the officer's 回访 is not written by a resident
    with pytest.raises(Conflict):
        rate(RateResident(code=out["tracking_code"], rating=5), uow)


def test_a_refused_accept_is_audited_on_the_report_and_changes_nothing():
    from dispatch.bootstrap import Dispatch

    db = FakeUnitOfWork().db
    bus = Dispatch(engine=None, clock=None, eta=None, policies=None, locators=None,  # type: ignore[arg-type]
                   unit_cache=None, make_uow=lambda: FakeUnitOfWork(db))
    out = bus.handle(SubmitResidentReport(category="debt", description="借款不还",
                                          address="友谊路1号"))
    bus.handle(RejectResidentReport(report_id=out["id"], actor="duty", reason="重复反映"))
    with pytest.raises(Conflict):
        bus.handle(AcceptResidentReport(report_id=out["id"], actor="duty"))
    last = db.tables.audit[-1]
    assert (last.action, last.entity, last.entity_id) == ("refused", "resident_report", out["id"])
    assert db.tables.residents[0]["status"] == "rejected" and db.tables.cases == {}


def test_an_address_only_report_is_accepted_only_with_a_place_nothing_half_written():
    uow = FakeUnitOfWork()
    out = _submit(uow, lon=None, lat=None, address="某小区北门附近", device="g" * 64)
    with pytest.raises(InvalidCommand) as e:
        accept(AcceptResidentReport(report_id=out["id"], actor="duty"), uow)
    assert e.value.detail["field"] == "lon" and "某小区北门附近" in e.value.message
    assert uow.db.tables.residents[0]["status"] == "pending" and not uow.db.tables.cases
    reg = accept(AcceptResidentReport(report_id=out["id"], actor="duty", lon=84.87, lat=45.6),
                 uow)
    case = uow.db.tables.cases[reg.incident_id]
    assert (case["lon"], case["lat"]) == (84.87, 45.6) and case["address"] == "某小区北门附近"


def test_decisions_are_events_for_the_desks():
    from dispatch.events_resident import ResidentDecided, ResidentReported

    uow = FakeUnitOfWork()
    one, two = _submit(uow), _submit(uow, device="h" * 64, description="另一件：噪音扰民严重")
    reg = accept(AcceptResidentReport(report_id=one["id"], actor="duty"), uow)
    reject(RejectResidentReport(report_id=two["id"], actor="duty", reason="重复反映"), uow)
    decided = {(e.report_id, e.status, e.case_id) for e in uow.db.published
               if isinstance(e, ResidentDecided)}
    assert decided == {(one["id"], "accepted", reg.incident_id), (two["id"], "rejected", None)}
    assert {e.report_id for e in uow.db.published if isinstance(e, ResidentReported)} == {
        one["id"], two["id"]}
    assert ResidentDecided(report_id=1, status="rejected").as_dict()["type"] == "resident_decided"


def test_a_phone_has_one_spelling_for_its_limits_and_codes() -> None:
    from dispatch.resident import normal_phone

    assert {normal_phone(p) for p in ("13800138000", "138 0013 8000", " 138-0013-8000 ")} == {
        "13800138000"}
    assert normal_phone("+86 138 0013 8000") == "+8613800138000"


def test_a_report_spends_its_sms_code_only_when_it_is_stored() -> None:
    uow = FakeUnitOfWork()
    uow.db.tables.phone_codes["13800138000"] = "123456"
    with pytest.raises(InvalidCommand) as e:  # refused by its other checks: the code stays
        _submit(uow, phone="138 0013 8000", phone_code="123456", lon=None, lat=None)
    assert e.value.detail["field"] == "address"
    assert uow.db.tables.phone_codes == {"13800138000": "123456"}
    with pytest.raises(InvalidCommand) as e:  # a wrong code: nothing stored, nothing spent
        _submit(uow, phone="13800138000", phone_code="654321")
    assert e.value.detail["field"] == "phone_code" and uow.db.tables.residents == []
    out = _submit(uow, phone="13800138000", phone_code="123456")
    assert out["phone_verified"] is True and uow.db.tables.phone_codes == {}
    assert uow.db.tables.residents[0]["phone_verified"] is True
    plain = _submit(uow, phone="13900139000", device="e" * 64,
                    description="小区门口夜间烧烤油烟扰民多次")  # no code: unverified
    assert plain["phone_verified"] is False
    assert uow.db.tables.residents[1]["phone_verified"] is False


def test_the_desk_says_whether_a_phone_was_proved() -> None:
    from dispatch.resident import phone_check

    assert phone_check("13800138000", True) == "已验证"
    assert phone_check("13800138000", False) == "未验证"
    assert phone_check(None, True) is None and phone_check("", False) is None
