"""A request becomes a command once: each body model's ``to_command`` builds the frozen dispatch
command, and every limit is refused in Chinese naming its field (no database)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from console.api import schemas
from console.api import schemas_record as sr
from console.api.schemas import parse_body
from dispatch import commands as c
from dispatch import commands_record as r
from dispatch import followup, limits, record, telemetry, whistle
from dispatch.errors import InvalidCommand
from dispatch.handlers_assign import assign
from dispatch.handlers_supervise import check_supervise


def test_intake_builds_register_incident_with_its_parties() -> None:
    body = parse_body(schemas.IncidentIn, {
        "category": "family", "channel": "hotline", "priority": "high", "title": " 家事 ",
        "address": "草市街1号", "lon": "104.1", "lat": 30.6, "crs": "gcj02",
        "parties": [{"name": "张三", "phone": "13800000000"}, {"name": "李四", "role": "respondent"}],
        "auto_dispatch": False, "actor": "not me"})
    cmd = body.to_command(actor="duty1")
    assert cmd == c.RegisterIncident(
        category="family", channel="hotline", actor="duty1", priority="high", title="家事",
        address="草市街1号", lon=104.1, lat=30.6, crs="gcj02", auto_dispatch=False,
        parties=(c.Party(name="张三", phone="13800000000"),
                 c.Party(name="李四", role="respondent")))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cmd.actor = "x"  # type: ignore[misc]


def test_unset_fields_take_the_commands_defaults() -> None:
    cmd = parse_body(schemas.IncidentIn, {"category": "family", "channel": "hotline"}
                     ).to_command(actor="a")
    assert cmd == c.RegisterIncident(category="family", channel="hotline", actor="a")


CASE = {"incident_id": 7, "actor": "disp"}
COMMANDS: list[tuple[type, dict[str, Any], dict[str, Any], Any]] = [
    (schemas.AssignIn, {"unit_ids": [3, "4"], "reason": "就近", "expected_state": "located"}, CASE,
     c.AssignUnits(incident_id=7, unit_ids=(3, 4), actor="disp", reason="就近",
                   expected_state="located")),
    (schemas.TransitionIn, {"to": "resolved", "outcome": "mediated", "note": "已调解",
                            "unit_id": 5, "oral_terms": "按月还款"}, CASE,
     c.ChangeState(incident_id=7, to="resolved", actor="disp", outcome="mediated",
                   note="已调解", unit_id=5, oral_terms="按月还款")),
    (schemas.FollowUpIn, {"satisfaction": 4, "agreement_holds": True, "method": "visit",
                          "neighbours_visited": 3}, CASE,
     c.RecordFollowUp(incident_id=7, satisfaction=4, agreement_holds=True, method="visit",
                      neighbours_visited=3, actor="disp")),
    (schemas.FollowUpIn, {}, CASE,  # no answer assumed: the domain names the missing one
     c.RecordFollowUp(incident_id=7, satisfaction=None, agreement_holds=None, method=None,
                      neighbours_visited=None, actor="disp")),
    (schemas.PriorityIn, {"priority": "urgent", "reason": "涉众"}, CASE,
     c.DecidePriority(incident_id=7, priority=1, actor="disp", reason="涉众")),
    (schemas.LinkIn, {"other_id": 9, "kind": "merged"}, CASE,
     c.LinkIncidents(incident_id=7, other_id=9, kind="merged", actor="disp")),
    (schemas.LocateIn, {"lon": 84.9, "lat": 45.6}, CASE,
     c.LocateIncident(incident_id=7, lon=84.9, lat=45.6, actor="disp")),
    (schemas.SuperviseIn, {"level": "red", "reason": "久拖"}, CASE,
     c.Supervise(incident_id=7, level="red", reason="久拖", actor="disp")),
    (schemas.WhistleIn, {"departments": ["court", "housing"], "reason": "需联动"}, CASE,
     c.BlowWhistle(incident_id=7, departments=("court", "housing"), reason="需联动",
                   actor="disp", report_within_h=24.0)),
    (schemas.ReportInIn, {"department": "court", "note": "到"}, CASE,
     c.ReportIn(incident_id=7, department="court", note="到", actor="disp")),
    (schemas.ConsultationIn, {"participants": ["王五", {"name": "赵六", "department": "court"}],
                              "outcome": "分期"}, CASE,
     c.HoldConsultation(incident_id=7, participants=("王五", whistle.Participant("赵六", "court")),
                        outcome="分期", actor="disp")),
    (schemas.PositionIn, {"lon": 84.9, "lat": 45.6, "at": "2026-11-23T10:00:00+08:00",
                          "seq": 3, "accuracy_m": 12}, {"unit_id": 2},
     c.ReportPosition(unit_id=2, lon=84.9, lat=45.6, seq=3, accuracy_m=12.0,
                      at=datetime(2026, 11, 23, 2, tzinfo=UTC))),
    (schemas.UnitStatusIn, {"status": "off_duty", "reason": "下班"}, {"unit_id": 2, "actor": "u"},
     c.SetUnitStatus(unit_id=2, status="off_duty", reason="下班", actor="u")),
    (sr.StepIn, {"step": "listen", "note": "听取"}, {**CASE, "unit_id": 4},
     r.RecordStep(incident_id=7, step="listen", note="听取", unit_id=4, actor="disp")),
    (sr.CancelIn, {"reason": "改期"}, {**CASE, "session_id": 11},
     r.CancelSession(incident_id=7, session_id=11, reason="改期", actor="disp")),
    (sr.AgreementIn, {"committee": "调委会", "facts": "事实", "terms": "条款",
                      "performance": "当场"}, CASE,
     r.WriteAgreement(incident_id=7, committee="调委会", facts="事实", terms="条款",
                      performance="当场", actor="disp")),
    (sr.JudicialIn, {"status": "applied", "court": "人民法庭", "on_date": "2026-11-20"}, CASE,
     r.RecordJudicial(incident_id=7, status="applied", court="人民法庭",
                      on_date=date(2026, 11, 20), actor="disp")),
    (sr.ExtensionIn, {"days": 5, "reason": "鉴定"}, {**CASE, "role": "field", "unit_id": 4},
     r.RequestExtension(incident_id=7, days=5, reason="鉴定", role="field", unit_id=4,
                        actor="disp")),
    (sr.DecisionIn, {"approve": False, "note": "不符"}, {**CASE, "extension_id": 3, "role": "duty"},
     r.DecideExtension(incident_id=7, extension_id=3, approve=False, note="不符", role="duty",
                       actor="disp")),
]


@pytest.mark.parametrize(("model", "body", "context", "command"), COMMANDS,
                         ids=[f"{m.__name__}-{i}" for i, (m, *_rest) in enumerate(COMMANDS)])
def test_each_body_builds_its_command(model: Any, body: dict[str, Any],
                                      context: dict[str, Any], command: Any) -> None:
    assert parse_body(model, body).to_command(**context) == command


def test_a_session_carries_its_participants_as_the_domain_reads_them() -> None:
    cmd = parse_body(sr.SessionIn, {
        "starts_at": "2026-11-23T10:00:00+08:00", "ends_at": "2026-11-23T11:00:00+08:00",
        "mode": "joint", "participants": [{"name": "张三", "kind": "party"},
                                          {"name": "王调", "kind": "mediator"}],
        "place": "村委会"}).to_command(incident_id=7, actor="m")
    assert isinstance(cmd, r.BookSession) and cmd.place == "村委会"
    assert record.check_participants(cmd.participants)[1].kind == "mediator"


# ---- each limit refused, in Chinese, naming the field ---------------------------------------

def refused(model: type, body: dict[str, Any]) -> InvalidCommand:
    with pytest.raises(InvalidCommand) as info:
        parse_body(model, body)
    return info.value


INCIDENT = {"category": "family", "channel": "hotline", "address": "草市街1号"}
API_LIMITS: list[tuple[type, dict[str, Any], str, str]] = [
    (schemas.IncidentIn, {**INCIDENT, "title": "题" * (limits.TITLE + 1)}, "title",
     f"上限 {limits.TITLE} 字"),
    (schemas.IncidentIn, {**INCIDENT, "address": "址" * (limits.ADDRESS + 1)}, "address",
     f"上限 {limits.ADDRESS} 字"),
    (schemas.IncidentIn, {**INCIDENT, "parties": [{"name": "名" * (limits.NAME + 1)}]},
     "parties", f"上限 {limits.NAME} 字"),
    (schemas.IncidentIn, {**INCIDENT, "parties": [{"name": "甲", "phone": "1" * 31}]},
     "parties", f"上限 {limits.PHONE} 字"),
    (schemas.IncidentIn, {**INCIDENT, "crs": "mars"}, "crs", "cgcs2000"),
    (schemas.AssignIn, {"unit_ids": list(range(1, limits.UNITS_PER_DISPATCH + 2))}, "unit_ids",
     f"上限 {limits.UNITS_PER_DISPATCH} 项"),
    (schemas.AssignIn, {"unit_ids": [limits.ID_MAX + 1]}, "unit_ids", f"不大于 {limits.ID_MAX}"),
    (schemas.TransitionIn, {"to": "escalated", "note": "说" * (limits.NOTE + 1)}, "note",
     f"上限 {limits.NOTE} 字"),
    (schemas.FollowUpIn, {"satisfaction": followup.SATISFACTION_MAX + 1}, "satisfaction",
     f"不大于 {followup.SATISFACTION_MAX}"),
    (schemas.FollowUpIn, {"neighbours_visited": followup.MAX_NEIGHBOURS + 1},
     "neighbours_visited", f"不大于 {followup.MAX_NEIGHBOURS}"),
    (schemas.SuperviseIn, {"level": "red", "reason": "理" * (limits.REASON + 1)}, "reason",
     f"上限 {limits.REASON} 字"),
    (schemas.WhistleIn, {"departments": ["court"] * (whistle.MAX_DEPARTMENTS + 1),
                         "reason": "r"}, "departments", f"上限 {whistle.MAX_DEPARTMENTS} 项"),
    (schemas.WhistleIn, {"departments": ["court"], "reason": "r",
                         "report_within_h": whistle.MAX_REPORT_HOURS + 1}, "report_within_h",
     f"不大于 {whistle.MAX_REPORT_HOURS}"),
    (schemas.WhistleIn, {"departments": ["court"], "reason": "r", "report_within_h": 0.5},
     "report_within_h", f"不小于 {whistle.MIN_REPORT_HOURS}"),
    (schemas.ConsultationIn, {"participants": ["甲"] * (whistle.MAX_PARTICIPANTS + 1),
                              "outcome": "o"}, "participants",
     f"上限 {whistle.MAX_PARTICIPANTS} 项"),
    (schemas.PositionIn, {"lon": 84.9, "lat": 45.6,
                          "accuracy_m": telemetry.MAX_ACCURACY_M + 1}, "accuracy_m",
     f"不大于 {telemetry.MAX_ACCURACY_M}"),
    (schemas.UnmaskIn, {"reason": "因" * (limits.UNMASK_REASON + 1)}, "reason",
     f"上限 {limits.UNMASK_REASON} 字"),
    (sr.ExtensionIn, {"days": record.MAX_EXTENSION_DAYS + 1, "reason": "r"}, "days",
     f"不大于 {record.MAX_EXTENSION_DAYS}"),
    (sr.StepIn, {"step": "listen", "note": "记" * (record.MAX_NOTE + 1)}, "note",
     f"上限 {record.MAX_NOTE} 字"),
]


@pytest.mark.parametrize(("model", "body", "field", "words"), API_LIMITS,
                         ids=[f"{m.__name__}.{f}" for m, _b, f, _w in API_LIMITS])
def test_the_api_refuses_each_limit_naming_the_field(model: type, body: dict[str, Any],
                                                     field: str, words: str) -> None:
    err = refused(model, body)
    assert err.detail["field"] == field
    assert words in err.message and f"（{field}" in err.message


def _raises(fn: Any, field: str, words: str) -> None:
    with pytest.raises(InvalidCommand) as info:
        fn()
    assert info.value.detail["field"] == field
    assert words in info.value.message


def test_the_domain_refuses_the_same_limits_naming_the_field() -> None:
    codes = tuple(whistle.DEPARTMENTS)[:whistle.MAX_DEPARTMENTS + 1]
    _raises(lambda: whistle.check_departments(codes), "departments",
            f"最多点名 {whistle.MAX_DEPARTMENTS} 个部门")
    _raises(lambda: whistle.check_whistle(("court",), "理" * (limits.REASON + 1), 24),
            "reason", f"不超过 {limits.REASON} 字")
    _raises(lambda: whistle.check_whistle(("court",), "理由", whistle.MAX_REPORT_HOURS + 1),
            "report_within_h", f"{whistle.MIN_REPORT_HOURS} 到 {whistle.MAX_REPORT_HOURS} 小时")
    _raises(lambda: whistle.check_report_note("说" * (limits.NOTE + 1)), "note",
            f"报到说明（note）不超过 {limits.NOTE} 字")
    assert whistle.check_report_note("  ") is None
    _raises(lambda: whistle.check_participants(["甲"] * (whistle.MAX_PARTICIPANTS + 1)),
            "participants", f"不超过 {whistle.MAX_PARTICIPANTS} 人")
    _raises(lambda: whistle.check_participants(["名" * (limits.NAME + 1), "乙"]),
            "participants", f"不超过 {limits.NAME} 字")
    _raises(lambda: followup.check_answers(followup.SATISFACTION_MAX + 1, 0,
                                           agreement_holds=True, method="phone"),
            "satisfaction", f"{followup.SATISFACTION_MIN}-{followup.SATISFACTION_MAX}")
    _raises(lambda: followup.check_answers(5, followup.MAX_NEIGHBOURS + 1,
                                           agreement_holds=True, method="phone"),
            "neighbours_visited", f"不超过 {followup.MAX_NEIGHBOURS} 户")
    _raises(lambda: telemetry.check_accuracy(telemetry.MAX_ACCURACY_M + 1), "accuracy_m",
            f"0 到 {telemetry.MAX_ACCURACY_M} 米")
    _raises(lambda: telemetry.check_accuracy(float("nan")), "accuracy_m", "定位精度")
    assert telemetry.check_accuracy(None) is None and telemetry.check_accuracy(5) == 5.0
    _raises(lambda: check_supervise(c.Supervise(incident_id=1, level="red", actor="a",
                                                reason="理" * (limits.REASON + 1))),
            "reason", f"不超过 {limits.REASON} 字")
    # the count is refused before the unit of work is touched
    too_many = tuple(range(1, limits.UNITS_PER_DISPATCH + 2))
    _raises(lambda: assign(c.AssignUnits(incident_id=1, unit_ids=too_many, actor="a"),
                           None),  # type: ignore[arg-type]
            "unit_ids", f"1-{limits.UNITS_PER_DISPATCH} 个处置单位")
    people = [{"name": f"人{i}", "kind": "party" if i else "mediator"}
              for i in range(record.MAX_PEOPLE + 1)]
    _raises(lambda: record.check_participants(people), "participants",
            f"不超过 {record.MAX_PEOPLE} 人")
    _raises(lambda: record.clean_text("地" * (record.PLACE + 1), "调解地点", "place",
                                      limit=record.PLACE), "place", f"不超过 {record.PLACE} 字")
    _raises(lambda: limits.text("", "理由", "reason", limit=limits.REASON, required=True),
            "reason", "理由（reason）不能为空")


def test_policy_and_unit_edits_build_their_commands() -> None:
    cmd = parse_body(schemas.PolicyIn, {"changes": {"warn_share": 0.5}}).to_command(
        actor="admin", reason="管理页修改策略")
    assert cmd == c.UpdatePolicy(changes={"warn_share": 0.5}, actor="admin", reason="管理页修改策略")
    said = parse_body(schemas.PolicyIn, {"changes": {}, "reason": "调整"}).to_command(
        actor="admin", reason="x")
    assert said.reason == "调整"
    unit = parse_body(schemas.AdminUnitIn, {"status": "off_duty", "capacity": 3})
    assert unit.status_command(unit_id=4, actor="admin") == c.SetUnitStatus(
        unit_id=4, status="off_duty", actor="admin")
    assert parse_body(schemas.AdminUnitIn, {"capacity": 3}).status_command(
        unit_id=4, actor="admin") is None
