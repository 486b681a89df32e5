"""The mediator's record rules (dispatch.record, dispatch.attachments): no database."""

from datetime import UTC, date, datetime, timedelta

import pytest

from dispatch import record
from dispatch.attachments import UPLOAD_MAX_BYTES, check_upload, safe_name, sniff
from dispatch.errors import InvalidCommand, InvalidTransition

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
REPORTED = NOW - timedelta(days=2)


def test_a_step_needs_a_known_step_a_note_and_a_time_inside_the_case() -> None:
    assert record.check_step("listen", " 双方陈述 ", None, now=NOW, reported_at=REPORTED) == (
        "listen", "双方陈述", NOW)
    with pytest.raises(InvalidCommand, match="step"):
        record.check_step("sing", "x", None, now=NOW, reported_at=REPORTED)
    with pytest.raises(InvalidCommand, match="「听」的记录（note）不能为空"):
        record.check_step("listen", "  ", None, now=NOW, reported_at=REPORTED)
    with pytest.raises(InvalidCommand, match="不能晚于现在"):
        record.check_step("check", "x", NOW + timedelta(hours=1), now=NOW, reported_at=REPORTED)
    with pytest.raises(InvalidCommand, match="不能早于案件受理"):
        record.check_step("check", "x", REPORTED - timedelta(days=1), now=NOW,
                          reported_at=REPORTED)


def test_the_checklist_has_the_five_steps_in_order_done_where_an_entry_exists() -> None:
    rows = [{"step": "check", "note": "a"}, {"step": "listen", "note": "b"},
            {"step": "check", "note": "c"}]
    out = record.steps_checklist(rows)
    assert [s["label"] for s in out] == ["听", "查", "议", "调", "定"]
    assert [s["done"] for s in out] == [True, True, False, False, False]
    assert [e["note"] for e in out[1]["entries"]] == ["a", "c"]


def test_sessions_need_a_party_and_a_mediator_and_a_sane_span() -> None:
    people = record.check_participants([{"name": "张三", "kind": "party"},
                                        {"name": "王调解", "kind": "mediator"},
                                        {"name": "刘律师", "kind": "lawyer"}])
    assert {p.kind for p in people} & record.OFFICIALS == {"lawyer"}
    with pytest.raises(InvalidCommand, match="至少有一名调解员"):
        record.check_participants([{"name": "张三", "kind": "party"}])
    with pytest.raises(InvalidCommand, match="身份须为"):
        record.check_participants([{"name": "张三", "kind": "boss"}])
    end = NOW + timedelta(hours=2)
    assert record.check_session(NOW, end, "separate", "", facility_kind="mediation_room")[2] == ""
    with pytest.raises(InvalidCommand, match="ends_at"):
        record.check_session(end, NOW, "joint", "x", facility_kind=None)
    with pytest.raises(InvalidCommand, match="12 小时"):
        record.check_session(NOW, NOW + timedelta(hours=13), "joint", "x", facility_kind=None)
    with pytest.raises(InvalidCommand, match="place"):
        record.check_session(NOW, end, "joint", " ", facility_kind=None)
    with pytest.raises(InvalidCommand, match="不是调解室"):
        record.check_session(NOW, end, "joint", "", facility_kind="police_station")


def test_overlap_is_half_open_and_the_refusal_names_who_booked() -> None:
    h = timedelta(hours=1)
    assert record.overlaps(NOW, NOW + h, NOW + h / 2, NOW + 2 * h)
    assert not record.overlaps(NOW, NOW + h, NOW + h, NOW + 2 * h)
    msg = record.room_taken("天山社区调解室", {"booked_by": "dispatcher1", "code": "2026-000007",
                                           "starts_at": NOW, "ends_at": NOW + h})
    assert "dispatcher1" in msg and "2026-000007" in msg and "天山社区调解室" in msg


def test_an_agreement_needs_its_fields_two_parties_and_a_reason_to_correct() -> None:
    parties = [{"name": "张三"}, {"name": "李四"}]
    fields = {"committee": "天山社区人民调解委员会", "facts": "漏水", "terms": "赔偿",
              "performance": "月底前"}
    out = record.check_agreement(fields, version=1, state="mediating", parties=parties)
    assert out["correction"] is None and out["terms"] == "赔偿"
    with pytest.raises(InvalidCommand, match="correction"):
        record.check_agreement(fields, version=2, state="mediating", parties=parties)
    with pytest.raises(InvalidCommand, match="协议内容（terms）不能为空"):
        record.check_agreement({**fields, "terms": ""}, version=1, state="mediating",
                               parties=parties)
    with pytest.raises(InvalidCommand, match="至少两方当事人"):
        record.check_agreement(fields, version=1, state="mediating", parties=parties[:1])
    with pytest.raises(InvalidTransition):
        record.check_agreement(fields, version=1, state="located", parties=parties)
    assert record.agreement_number("2026-000123") == "（2026）人调字第000123号"


def test_judicial_confirmation_follows_an_application_and_an_agreement() -> None:
    today = date(2026, 12, 7)
    ok = record.check_judicial("applied", "克拉玛依区人民法院", today, today=today, history=[],
                               has_agreement=True)
    assert ok == ("applied", "克拉玛依区人民法院", today)
    with pytest.raises(InvalidTransition, match="尚无书面调解协议"):
        record.check_judicial("applied", "法院", today, today=today, history=[],
                              has_agreement=False)
    with pytest.raises(InvalidTransition, match="须先记录已申请"):
        record.check_judicial("confirmed", "法院", today, today=today, history=[],
                              has_agreement=True)
    assert record.check_judicial("refused", "法院", today, today=today, history=["applied"],
                                 has_agreement=True)[0] == "refused"
    with pytest.raises(InvalidCommand, match="on_date"):
        record.check_judicial("applied", "法院", date(2027, 1, 1), today=today, history=[],
                              has_agreement=True)


def test_extensions_are_asked_with_a_reason_and_decided_one_level_up() -> None:
    assert record.check_extension_request(5, "当事人外出", state="mediating", pending=False,
                                          role="field") == (5, "当事人外出")
    with pytest.raises(InvalidCommand, match="days"):
        record.check_extension_request(31, "x", state="mediating", pending=False, role="field")
    with pytest.raises(InvalidTransition, match="待审批"):
        record.check_extension_request(3, "x", state="mediating", pending=True, role="field")
    with pytest.raises(InvalidTransition, match="不能申请延期"):
        record.check_extension_request(3, "x", state="resolved", pending=False, role="field")
    kw = {"status": "pending", "requester": "field1", "requester_role": "field"}
    assert record.check_extension_decision(True, None, decider="dispatcher1",
                                           decider_role="dispatcher", **kw) is None
    with pytest.raises(InvalidTransition, match="本人"):
        record.check_extension_decision(True, None, decider="field1", decider_role="field", **kw)
    with pytest.raises(InvalidCommand, match="驳回理由"):
        record.check_extension_decision(False, "", decider="duty", decider_role="duty", **kw)
    with pytest.raises(InvalidTransition, match="市级"):
        record.check_extension_decision(True, None, status="pending", requester="d1",
                                        requester_role="dispatcher", decider="d2",
                                        decider_role="dispatcher")
    with pytest.raises(InvalidTransition, match="已批准"):
        record.check_extension_decision(True, None, decider="duty", decider_role="duty",
                                        **{**kw, "status": "approved"})
    assert record.extended(NOW, 3) == NOW + timedelta(days=3)


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def test_the_type_is_sniffed_from_the_bytes_not_the_name() -> None:
    assert [sniff(b) for b in (JPEG, PNG, WEBP, PDF)] == [
        "image/jpeg", "image/png", "image/webp", "application/pdf"]
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    assert sniff(html) is None
    with pytest.raises(InvalidCommand, match="不是 JPEG"):
        check_upload(html, "photo.jpg")
    up = check_upload(JPEG, "../../etc/现场照片.png")
    assert up.content_type == "image/jpeg" and up.filename == "现场照片.jpg" and up.size == len(JPEG)
    assert len(up.sha256) == 64
    with pytest.raises(InvalidCommand, match="为空"):
        check_upload(b"", "a.jpg")
    with pytest.raises(InvalidCommand, match="MB"):
        check_upload(JPEG + b"\x00" * UPLOAD_MAX_BYTES, "a.jpg")
    assert safe_name(None, "application/pdf") == "附件.pdf"
