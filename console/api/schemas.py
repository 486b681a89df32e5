"""Request bodies at the API's boundary as pydantic models, with Chinese errors naming the field.

The models say what a well-formed body is (types, lengths, ranges, vocabularies); the domain
still decides what is allowed (a transition in this state, a unit with room). The same models
feed the OpenAPI document, so the documentation cannot drift from what is enforced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)

from dispatch.errors import InvalidCommand
from dispatch.vocab import CATEGORIES, CHANNELS, INCIDENT_STATES, OUTCOMES, UNIT_STATUSES


def _check(values: Any, label: str) -> AfterValidator:
    """Membership in a vocabulary, refused in Chinese with the allowed values."""
    allowed = tuple(values)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"取值无效（{label}），可选：{', '.join(allowed)}")
        return value
    return AfterValidator(check)


def _enum(values: Any, label: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(values), "description": label})


Category: TypeAlias = Annotated[str, _check(CATEGORIES, "纠纷类别"), _enum(CATEGORIES, "纠纷类别")]
Channel: TypeAlias = Annotated[str, _check(CHANNELS, "受理渠道"), _enum(CHANNELS, "受理渠道")]
State: TypeAlias = Annotated[str, _check(INCIDENT_STATES, "案件状态"),
                             _enum(INCIDENT_STATES, "案件状态")]
Outcome: TypeAlias = Annotated[str, _check(OUTCOMES, "办结结果"), _enum(OUTCOMES, "办结结果")]
UnitStatus: TypeAlias = Annotated[str, _check(UNIT_STATUSES, "单位状态"),
                                  _enum(UNIT_STATUSES, "单位状态")]
Priority = Literal["urgent", "high", "normal", "low"]
Crs = Literal["wgs84", "gcj02", "bd09"]



def _lon(default: Any = ...) -> Any:
    return Field(default, ge=-180, le=180, allow_inf_nan=False, description="经度（按 crs 坐标系）")


def _lat(default: Any = ...) -> Any:
    return Field(default, ge=-90, le=90, allow_inf_nan=False, description="纬度（按 crs 坐标系）")


class Body(BaseModel):
    # Unknown fields are ignored (older clients send an ``actor``); the caller is the account.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PartyIn(Body):
    name: str = Field(min_length=1, max_length=60, description="当事人姓名")
    phone: str | None = Field(default=None, max_length=30, description="联系电话")
    role: str = Field(default="applicant", max_length=20, description="applicant / respondent")
    language: str | None = Field(default=None, max_length=20, description="语言或方言")


class IncidentIn(Body):
    """受理一起纠纷：地址或坐标（至少其一）。"""

    category: Category = Field(description="纠纷类别")
    channel: Channel = Field(description="受理渠道")
    priority: Priority = "normal"
    difficulty: Literal["simple", "normal", "complex"] = "normal"
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4000)
    address: str | None = Field(default=None, max_length=200)
    lon: float | None = _lon(None)
    lat: float | None = _lat(None)
    crs: Crs = "wgs84"
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)
    language: str | None = Field(default=None, max_length=20)
    auto_dispatch: bool | None = None


class AssignIn(Body):
    unit_ids: list[int] = Field(min_length=1, max_length=4, description="派往的单位编号")
    reason: str | None = Field(default=None, max_length=500, description="改派/人工指定的理由")
    reassign: bool = False
    expected_state: State | None = None


class TransitionIn(Body):
    """状态流转；办结（to=resolved）须有依据：处置单位到场（或 on_the_spot 当场化解并写明理由）、
    由人选择的结果、办结说明，调解成功须有调解协议（书面或 oral_terms 口头协议内容），
    转诉讼/转仲裁须写明 referred_to 接收机关。"""

    to: State = Field(description="目标状态")
    note: str | None = Field(default=None, max_length=1000, description="说明")
    outcome: Outcome | None = None
    unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="处置单位编号")
    expected_state: State | None = None
    on_the_spot: bool = Field(default=False, description="当场化解（来访窗口，办结人即调解人）")
    spot_reason: str | None = Field(default=None, max_length=500, description="当场化解理由")
    oral_terms: str | None = Field(default=None, max_length=2000, description="口头协议内容")
    referred_to: str | None = Field(default=None, max_length=120, description="接收机关")


class FollowUpIn(Body):
    """回访：每一项由回访人选择，缺任何一项即拒绝（422，指明字段），不作默认。"""

    satisfaction: int | None = Field(default=None, ge=1, le=5, description="满意度 1-5")
    agreement_holds: bool | None = Field(default=None, description="协议是否仍在履行")
    method: Literal["phone", "visit", "sms"] | None = Field(
        default=None, description="回访方式：phone 电话 / visit 上门 / sms 短信")
    note: str | None = Field(default=None, max_length=1000, description="说明")
    neighbours_visited: int | None = Field(default=None, ge=0, le=100,
                                           description="走访邻里户数（走一家访三家）")


class PriorityIn(Body):
    """确认或保持紧急程度：采纳风险研判的建议，或保持原定（均留痕）。"""

    priority: Priority = Field(description="紧急程度")
    reason: str | None = Field(default=None, max_length=500, description="理由")


class LinkIn(Body):
    """确认重复 / 关联 / 合并到另一案件。"""

    other_id: int = Field(ge=1, le=2**31 - 1, description="关联案件编号")
    kind: Literal["duplicate", "related", "merged"] = Field(description="关联类型")
    reason: str | None = Field(default=None, max_length=500, description="理由")


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
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    at: FixTime = None
    seq: int | None = Field(default=None, ge=0, le=2**63 - 1, description="设备上报序号（递增）")


class LocateIn(Body):
    lon: float = _lon()
    lat: float = _lat()
    crs: Crs = "wgs84"


class UnitStatusIn(Body):
    status: UnitStatus
    reason: str | None = Field(default=None, max_length=500)


class SuperviseIn(Body):
    level: Literal["yellow", "red"] = Field(description="督办级别：yellow 黄牌 / red 红牌")
    reason: str = Field(min_length=1, max_length=500)


class PrecheckIn(Body):
    """预检：与受理相同的字段，类别与渠道可暂缺。"""

    address: str | None = Field(default=None, max_length=200)
    lon: float | None = _lon(None)
    lat: float | None = _lat(None)
    crs: Crs = "wgs84"
    description: str = Field(default="", max_length=4000)
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)
    category: str | None = Field(default=None, max_length=20)
    channel: str | None = Field(default=None, max_length=20)
    priority: str | None = Field(default=None, max_length=10)


class WhistleIn(Body):
    departments: list[str] = Field(min_length=1, max_length=12, description="被召集的部门代码")
    reason: str = Field(min_length=1, max_length=500)
    report_within_h: float = Field(default=24.0, gt=0, le=720, allow_inf_nan=False)


class ReportInIn(Body):
    department: str = Field(min_length=1, max_length=30, description="报到部门代码")
    note: str | None = Field(default=None, max_length=1000)


class ParticipantIn(Body):
    name: str = Field(min_length=1, max_length=60)
    department: str | None = Field(default=None, max_length=30)


class ConsultationIn(Body):
    participants: list[ParticipantIn | str] = Field(min_length=1, max_length=50)
    outcome: str = Field(min_length=1, max_length=2000)


class UnmaskIn(Body):
    reason: str = Field(min_length=1, max_length=200, description="查看理由（记入审计）")


class PolicyIn(Body):
    changes: dict[str, Any] = Field(description="要修改的策略项及新值")
    reason: str | None = Field(default=None, max_length=500)


class AdminUnitIn(Body):
    status: UnitStatus | None = None
    reason: str | None = Field(default=None, max_length=500)
    capacity: int | None = Field(default=None, ge=1, le=20)
    skills: list[str] | None = Field(default=None, max_length=20)
    languages: list[str] | None = Field(default=None, max_length=20)
    shift: str | None = Field(default=None, max_length=20)


class TokenIn(Body):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)


M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "缺少必填字段",
    "string_type": "须为字符串",
    "int_type": "须为整数", "int_parsing": "须为整数", "int_from_float": "须为整数",
    "float_type": "须为数字", "float_parsing": "须为数字", "finite_number": "须为有限数字",
    "bool_type": "须为 true 或 false", "bool_parsing": "须为 true 或 false",
    "list_type": "须为列表", "dict_type": "须为 JSON 对象", "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
}


def _message(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "value_error":
        return str(ctx.get("error", "取值无效"))
    if kind == "literal_error":
        return "取值无效，可选：" + str(ctx.get('expected', '')).replace(" or ", ", ")
    if kind == "string_too_long":
        return f"过长（上限 {ctx.get('max_length')} 字）"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "too_long":
        return f"过多（上限 {ctx.get('max_length')} 项）"
    if kind == "too_short":
        return f"过少（至少 {ctx.get('min_length')} 项）"
    if kind in ("greater_than_equal", "greater_than"):
        return f"须不小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"须不大于 {ctx.get('le', ctx.get('lt'))}"
    return "取值无效"


def refuse_nul(value: Any, where: str = "") -> None:
    """PostgreSQL text cannot hold NUL; a body carrying one is refused, naming the field."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidCommand(f"{where or 'body'}：含有不允许的空字符（NUL）",
                                 field=(where or "body").split(".")[0])
    elif isinstance(value, dict):
        for k, v in value.items():
            refuse_nul(str(k), where or "body")
            refuse_nul(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            refuse_nul(v, f"{where}.{i}")


def parse_body(model: type[M], raw: Any) -> M:
    """Validate a decoded JSON body; the first problem becomes a 422 naming its field."""
    if not isinstance(raw, dict):
        raise InvalidCommand("请求体须为 JSON 对象", field="body")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = [str(p) for p in first["loc"]]
        field = loc[0] if loc else "body"
        where = ".".join(loc) if loc else "body"
        label = field_label(model, field)
        said = f"{label}（{where}）" if label else where
        raise InvalidCommand(f"{said}：{_message(first)}", field=field) from None


# Chinese names of fields whose model gives no description of its own.
FIELD_LABELS = {"reason": "理由", "note": "说明", "level": "级别", "name": "名称",
                "address": "地址", "to": "目标状态", "outcome": "办结结果",
                "unit_ids": "处置单位", "priority": "紧急程度", "category": "纠纷类别",
                "channel": "受理渠道", "parties": "当事人", "lon": "经度", "lat": "纬度",
                "status": "状态", "departments": "部门", "participants": "参会人员",
                "password": "密码", "username": "用户名", "role": "角色",
                "description": "情况描述", "title": "标题", "difficulty": "难易程度",
                "crs": "坐标系", "auto_dispatch": "自动派单", "language": "语言",
                "phone": "电话", "reassign": "改派", "expected_state": "预期状态",
                "body": "请求体", "other_id": "关联案件", "kind": "类型",
                "accuracy_m": "定位精度", "at": "定位时间", "seq": "序号",
                "unit_id": "处置单位编号", "department": "部门", "outcome_text": "结论",
                "limit": "数量", "street": "街道编号", "offset": "起始位置"}


def field_label(model: type[BaseModel], field: str) -> str | None:
    """The field's Chinese name: the model's description (up to a first space or colon)."""
    info = model.model_fields.get(field)
    desc = (info.description or "") if info is not None else ""
    for cut in ("：", " ", "（", "("):
        desc = desc.split(cut)[0]
    return desc or FIELD_LABELS.get(field)
