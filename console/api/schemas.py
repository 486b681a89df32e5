"""Request bodies at the API's boundary as pydantic models, with Chinese errors naming the field.

The models say what a well-formed body is (types, lengths, ranges, vocabularies); the domain
still decides what is allowed (a transition in this state, a unit with room). The same models
feed the OpenAPI document, so the documentation cannot drift from what is enforced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeAlias

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from console.api.schemas_parse import FIELD_LABELS, field_label, parse_body, refuse_nul
from dispatch import commands as c
from dispatch import followup, limits, passwords, telemetry, whistle
from dispatch.handlers_supervise import SUPERVISION_LEVELS
from dispatch.vocab import (
    CATEGORIES,
    CHANNELS,
    DIFFICULTIES,
    FOLLOWUP_METHODS,
    INCIDENT_STATES,
    LINK_KINDS,
    OUTCOMES,
    PRIORITY_CODES,
    UNIT_STATUSES,
)
from geo.coords import CRS_NAMES, LAT_LIMIT, LON_LIMIT


def check_in(values: Any, label: str) -> AfterValidator:
    """Membership in a vocabulary, refused in Chinese with the allowed values."""
    allowed = tuple(values)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"取值无效（{label}），可选：{', '.join(allowed)}")
        return value
    return AfterValidator(check)


def enum_schema(values: Any, label: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(values), "description": label})


Category: TypeAlias = Annotated[str, check_in(CATEGORIES, "纠纷类别"), enum_schema(CATEGORIES, "纠纷类别")]
Channel: TypeAlias = Annotated[str, check_in(CHANNELS, "受理渠道"), enum_schema(CHANNELS, "受理渠道")]
State: TypeAlias = Annotated[str, check_in(INCIDENT_STATES, "案件状态"),
                             enum_schema(INCIDENT_STATES, "案件状态")]
Outcome: TypeAlias = Annotated[str, check_in(OUTCOMES, "办结结果"), enum_schema(OUTCOMES, "办结结果")]
UnitStatus: TypeAlias = Annotated[str, check_in(UNIT_STATUSES, "单位状态"),
                                  enum_schema(UNIT_STATUSES, "单位状态")]
Priority: TypeAlias = Annotated[str, check_in(PRIORITY_CODES, "紧急程度"),
                                enum_schema(PRIORITY_CODES, "紧急程度")]
Difficulty: TypeAlias = Annotated[str, check_in(DIFFICULTIES, "难易程度"),
                                  enum_schema(DIFFICULTIES, "难易程度")]
VisitMethod: TypeAlias = Annotated[str, check_in(FOLLOWUP_METHODS, "回访方式"),
                                   enum_schema(FOLLOWUP_METHODS, "回访方式")]
LinkKind: TypeAlias = Annotated[str, check_in(LINK_KINDS, "关联类型"), enum_schema(LINK_KINDS, "关联类型")]
Level: TypeAlias = Annotated[str, check_in(SUPERVISION_LEVELS, "督办级别"),
                             enum_schema(SUPERVISION_LEVELS, "督办级别")]
Crs: TypeAlias = Annotated[str, check_in(CRS_NAMES, "坐标系"), enum_schema(CRS_NAMES, "坐标系")]
Id: TypeAlias = Annotated[int, Field(ge=1, le=limits.ID_MAX)]


def _lon(default: Any = ...) -> Any:
    return Field(default, ge=-LON_LIMIT, le=LON_LIMIT, allow_inf_nan=False,
                 description="经度（按 crs 坐标系）")


def _lat(default: Any = ...) -> Any:
    return Field(default, ge=-LAT_LIMIT, le=LAT_LIMIT, allow_inf_nan=False,
                 description="纬度（按 crs 坐标系）")


class Body(BaseModel):
    # Unknown fields are ignored (older clients send an ``actor``); the caller is the account.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PartyIn(Body):
    name: str = Field(min_length=1, max_length=limits.NAME, description="当事人姓名")
    phone: str | None = Field(default=None, max_length=limits.PHONE, description="联系电话")
    role: str = Field(default="applicant", max_length=limits.PARTY_ROLE,
                      description="applicant / respondent")
    language: str | None = Field(default=None, max_length=limits.LANGUAGE,
                                 description="语言或方言")

    def to_party(self) -> c.Party:
        return c.Party(name=self.name, phone=self.phone, role=self.role, language=self.language)


class IncidentIn(Body):
    """受理一起纠纷：地址或坐标（至少其一）。"""

    category: Category = Field(description="纠纷类别")
    channel: Channel = Field(description="受理渠道")
    priority: Priority = "normal"
    difficulty: Difficulty = "normal"
    title: str = Field(default="", max_length=limits.TITLE)
    description: str = Field(default="", max_length=limits.DESCRIPTION)
    address: str | None = Field(default=None, max_length=limits.ADDRESS)
    lon: float | None = _lon(None)
    lat: float | None = _lat(None)
    crs: Crs = "wgs84"
    parties: list[PartyIn] = Field(default_factory=list, max_length=limits.PARTIES)
    language: str | None = Field(default=None, max_length=limits.LANGUAGE)
    auto_dispatch: bool | None = None
    external_source: str | None = Field(
        default=None, min_length=1, max_length=limits.EXTERNAL_SOURCE,
        description="来源平台（如 12345）；与 external_id 同时给出")
    external_id: str | None = Field(
        default=None, min_length=1, max_length=limits.EXTERNAL_ID,
        description="来源平台的工单编号：同一来源同一编号再次提交返回原案件（200）")

    def to_command(self, *, actor: str) -> c.RegisterIncident:
        return c.RegisterIncident(
            category=self.category, channel=self.channel, actor=actor, priority=self.priority,
            difficulty=self.difficulty, title=self.title, description=self.description,
            address=self.address, lon=self.lon, lat=self.lat, crs=self.crs,
            parties=tuple(p.to_party() for p in self.parties), language=self.language,
            auto_dispatch=self.auto_dispatch, external_source=self.external_source,
            external_id=self.external_id)


class AssignIn(Body):
    unit_ids: list[Id] = Field(min_length=1, max_length=limits.UNITS_PER_DISPATCH,
                               description="派往的单位编号")
    reason: str | None = Field(default=None, max_length=limits.REASON,
                               description="改派/人工指定的理由")
    reassign: bool = False
    expected_state: State | None = None

    def to_command(self, *, incident_id: int, actor: str) -> c.AssignUnits:
        return c.AssignUnits(incident_id=incident_id, unit_ids=tuple(self.unit_ids), actor=actor,
                             reason=self.reason, reassign=self.reassign,
                             expected_state=self.expected_state)


class TransitionIn(Body):
    """状态流转；办结（to=resolved）须有依据：处置单位到场（或 on_the_spot 当场化解并写明理由）、
    由人选择的结果、办结说明，调解成功须有调解协议（书面或 oral_terms 口头协议内容），
    转诉讼/转仲裁须写明 referred_to 接收机关。"""

    to: State = Field(description="目标状态")
    note: str | None = Field(default=None, max_length=limits.NOTE, description="说明")
    outcome: Outcome | None = None
    unit_id: Id | None = Field(default=None, description="处置单位编号")
    expected_state: State | None = None
    on_the_spot: bool = Field(default=False, description="当场化解（来访窗口，办结人即调解人）")
    spot_reason: str | None = Field(default=None, max_length=limits.REASON,
                                    description="当场化解理由")
    oral_terms: str | None = Field(default=None, max_length=limits.ORAL_TERMS,
                                   description="口头协议内容")
    referred_to: str | None = Field(default=None, max_length=limits.REFERRED_TO,
                                    description="接收机关")

    def to_command(self, *, incident_id: int, actor: str) -> c.ChangeState:
        return c.ChangeState(
            incident_id=incident_id, to=self.to, actor=actor, note=self.note,
            outcome=self.outcome, unit_id=self.unit_id, expected_state=self.expected_state,
            on_the_spot=self.on_the_spot, spot_reason=self.spot_reason,
            oral_terms=self.oral_terms, referred_to=self.referred_to)


class FollowUpIn(Body):
    """回访：每一项由回访人选择，缺任何一项即拒绝（422，指明字段），不作默认。"""

    satisfaction: int | None = Field(
        default=None, ge=followup.SATISFACTION_MIN, le=followup.SATISFACTION_MAX,
        description=f"满意度 {followup.SATISFACTION_MIN}-{followup.SATISFACTION_MAX}")
    agreement_holds: bool | None = Field(default=None, description="协议是否仍在履行")
    method: VisitMethod | None = Field(
        default=None, description="回访方式：phone 电话 / visit 上门 / sms 短信")
    note: str | None = Field(default=None, max_length=limits.NOTE, description="说明")
    neighbours_visited: int | None = Field(default=None, ge=0, le=followup.MAX_NEIGHBOURS,
                                           description="走访邻里户数（走一家访三家）")

    def to_command(self, *, incident_id: int, actor: str) -> c.RecordFollowUp:
        # every answer the visitor's own: a missing one stays None for the domain to name
        return c.RecordFollowUp(
            incident_id=incident_id, satisfaction=self.satisfaction,
            agreement_holds=self.agreement_holds, method=self.method, actor=actor,
            note=self.note, neighbours_visited=self.neighbours_visited)


class PriorityIn(Body):
    """确认或保持紧急程度：采纳风险研判的建议，或保持原定（均留痕）。"""

    priority: Priority = Field(description="紧急程度")
    reason: str | None = Field(default=None, max_length=limits.REASON, description="理由")

    def to_command(self, *, incident_id: int, actor: str) -> c.DecidePriority:
        return c.DecidePriority(incident_id=incident_id, priority=PRIORITY_CODES[self.priority],
                                actor=actor, reason=self.reason)


class LinkIn(Body):
    """确认重复 / 关联 / 合并到另一案件。"""

    other_id: Id = Field(description="关联案件编号")
    kind: LinkKind = Field(description="关联类型")
    reason: str | None = Field(default=None, max_length=limits.REASON, description="理由")

    def to_command(self, *, incident_id: int, actor: str) -> c.LinkIncidents:
        return c.LinkIncidents(incident_id=incident_id, other_id=self.other_id, kind=self.kind,
                               actor=actor, reason=self.reason)


def fix_time(value: Any) -> Any:
    """ISO 8601 with a time zone (RFC 3339), else a Chinese refusal; the domain checks the rest."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("须为带时区的 ISO 8601 时间字符串，如 2026-11-23T10:00:00+08:00")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("不是有效的 ISO 8601 时间，如 2026-11-23T10:00:00+08:00") from None
    if at.tzinfo is None:
        raise ValueError("须带时区，如 2026-11-23T10:00:00+08:00 或 …Z")
    return at


FixTime: TypeAlias = Annotated[datetime | None, BeforeValidator(fix_time), WithJsonSchema(
    {"type": "string", "format": "date-time", "description": "设备定位时间（ISO 8601，须带时区）"})]


class PositionIn(Body):
    """定位上报：旧于已有位置的上报只入轨迹（applied=false），同一时刻同一位置的重复上报只记一次。"""

    lon: float = _lon()
    lat: float = _lat()
    crs: Crs = "wgs84"
    accuracy_m: float | None = Field(default=None, ge=0, le=telemetry.MAX_ACCURACY_M,
                                     allow_inf_nan=False)
    at: FixTime = None
    seq: int | None = Field(default=None, ge=0, le=telemetry.MAX_SEQ,
                            description="设备上报序号（递增）")

    def to_command(self, *, unit_id: int) -> c.ReportPosition:
        return c.ReportPosition(unit_id=unit_id, lon=self.lon, lat=self.lat, crs=self.crs,
                                accuracy_m=self.accuracy_m, at=self.at, seq=self.seq)


class LocateIn(Body):
    lon: float = _lon()
    lat: float = _lat()
    crs: Crs = "wgs84"

    def to_command(self, *, incident_id: int, actor: str) -> c.LocateIncident:
        return c.LocateIncident(incident_id=incident_id, lon=self.lon, lat=self.lat,
                                crs=self.crs, actor=actor)


class UnitStatusIn(Body):
    status: UnitStatus
    reason: str | None = Field(default=None, max_length=limits.REASON)

    def to_command(self, *, unit_id: int, actor: str) -> c.SetUnitStatus:
        return c.SetUnitStatus(unit_id=unit_id, status=self.status, actor=actor,
                               reason=self.reason)


class SuperviseIn(Body):
    level: Level = Field(description="督办级别：yellow 黄牌 / red 红牌")
    reason: str = Field(min_length=1, max_length=limits.REASON)

    def to_command(self, *, incident_id: int, actor: str) -> c.Supervise:
        return c.Supervise(incident_id=incident_id, level=self.level, reason=self.reason,
                           actor=actor)


class PrecheckIn(Body):
    """预检：与受理相同的字段，类别与渠道可暂缺。"""

    address: str | None = Field(default=None, max_length=limits.ADDRESS)
    lon: float | None = _lon(None)
    lat: float | None = _lat(None)
    crs: Crs = "wgs84"
    description: str = Field(default="", max_length=limits.DESCRIPTION)
    parties: list[PartyIn] = Field(default_factory=list, max_length=limits.PARTIES)
    category: str | None = Field(default=None, max_length=limits.CODE)
    channel: str | None = Field(default=None, max_length=limits.CODE)
    priority: str | None = Field(default=None, max_length=limits.CODE)


class WhistleIn(Body):
    departments: list[str] = Field(min_length=1, max_length=whistle.MAX_DEPARTMENTS,
                                   description="被召集的部门代码")
    reason: str = Field(min_length=1, max_length=limits.REASON)
    report_within_h: float = Field(default=float(whistle.REPORT_HOURS),
                                   ge=whistle.MIN_REPORT_HOURS, le=whistle.MAX_REPORT_HOURS,
                                   allow_inf_nan=False, description="报到时限（小时）")

    def to_command(self, *, incident_id: int, actor: str) -> c.BlowWhistle:
        return c.BlowWhistle(incident_id=incident_id, departments=tuple(self.departments),
                             reason=self.reason, actor=actor,
                             report_within_h=self.report_within_h)


class ReportInIn(Body):
    department: str = Field(min_length=1, max_length=whistle.DEPARTMENT_CODE,
                            description="报到部门代码")
    note: str | None = Field(default=None, max_length=limits.NOTE)

    def to_command(self, *, incident_id: int, actor: str) -> c.ReportIn:
        return c.ReportIn(incident_id=incident_id, department=self.department, actor=actor,
                          note=self.note)


class ParticipantIn(Body):
    name: str = Field(min_length=1, max_length=limits.NAME)
    department: str | None = Field(default=None, max_length=whistle.DEPARTMENT_CODE)


class ConsultationIn(Body):
    participants: list[ParticipantIn | str] = Field(min_length=1,
                                                    max_length=whistle.MAX_PARTICIPANTS)
    outcome: str = Field(min_length=1, max_length=whistle.MAX_TEXT)

    def to_command(self, *, incident_id: int, actor: str) -> c.HoldConsultation:
        people = tuple(p if isinstance(p, str) else whistle.Participant(p.name, p.department)
                       for p in self.participants)
        return c.HoldConsultation(incident_id=incident_id, participants=people,
                                  outcome=self.outcome, actor=actor)


class UnmaskIn(Body):
    reason: str = Field(min_length=1, max_length=limits.UNMASK_REASON,
                        description="查看理由（记入审计）")


class PolicyIn(Body):
    changes: dict[str, Any] = Field(description="要修改的策略项及新值")
    reason: str | None = Field(default=None, max_length=limits.REASON)

    def to_command(self, *, actor: str, reason: str) -> c.UpdatePolicy:
        """``reason``: said for the audit when the administrator gave none."""
        return c.UpdatePolicy(changes=dict(self.changes), actor=actor,
                              reason=self.reason or reason)


class AdminUnitIn(Body):
    status: UnitStatus | None = None
    reason: str | None = Field(default=None, max_length=limits.REASON)
    capacity: int | None = Field(default=None, ge=1, le=limits.UNIT_CAPACITY)
    skills: list[str] | None = Field(default=None, max_length=limits.UNIT_LIST)
    languages: list[str] | None = Field(default=None, max_length=limits.UNIT_LIST)
    shift: str | None = Field(default=None, max_length=limits.CODE)

    def status_command(self, *, unit_id: int, actor: str) -> c.SetUnitStatus | None:
        """The status change asked for, if any (the roster edits are the importer's)."""
        if not self.status:
            return None
        return c.SetUnitStatus(unit_id=unit_id, status=self.status, actor=actor,
                               reason=self.reason)


class TokenIn(Body):
    username: str = Field(min_length=1, max_length=limits.NAME)
    password: str = Field(min_length=1, max_length=passwords.MAX_INPUT)


# The refusal machinery lives in console.api.schemas_parse; its names are the boundary's API.
__all__ = ["FIELD_LABELS", "field_label", "parse_body", "refuse_nul"]
