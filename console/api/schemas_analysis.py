"""The answers of 研判's period figures, fair ranking and report archive (GET
/api/v1/analysis/figures, /ranking, /reports), as pydantic models so OpenAPI documents them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Rate = float | None  # a percentage to one decimal; None when its denominator is 0
Minutes = float | None  # a mean or median in minutes; None when nothing was timed


class Answer(BaseModel):
    """An answer's model: it documents the fields; a field added later is still allowed."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class PeriodOut(Answer):
    from_: str = Field(alias="from", description="统计期起（YYYY-MM-DD，北京时间）")
    to: str = Field(description="统计期止（含）")
    days: int = Field(description="天数")
    label: str = Field(description="中文名称，如“2026年10月”")


class ScopeOut(Answer):
    level: Literal["all", "district", "street", "community", "grid"] = Field(
        description="区域层级")
    district: int | None = None
    street: int | None = None
    community: int | None = None
    grid: int | None = None


class Summary(Answer):
    """One period's figures (dispatch.stats' definitions; merged duplicates not counted)."""

    received: int = Field(description="受理")
    done: int = Field(description="办结")
    success: int = Field(description="调解成功（有记录有协议）")
    success_rate: Rate = Field(description="调解成功率（%）")
    due: int = Field(description="期内到期")
    on_time: int = Field(description="按期办结")
    overdue: int = Field(description="超期")
    on_time_rate: Rate = Field(description="按期办结率（%）")
    closure_rate: Rate = Field(description="办结率（%）")
    rated: int = Field(description="有记录的回访")
    satisfied: int = Field(description="回访评4–5分")
    satisfaction_rate: Rate = Field(description="满意度（%）")
    satisfaction_mean: float | None = Field(description="回访平均分")
    signed: int = Field(description="签收件数")
    sign_minutes: Minutes = Field(description="平均签收用时（分钟）")
    sign_median_minutes: Minutes = Field(description="签收用时中位数（分钟）")
    sign_on_time_rate: Rate = Field(description="按时签收率（%）")
    arrived: int = Field(description="到场件数")
    arrive_minutes: Minutes = Field(description="平均到场用时（分钟）")
    arrive_median_minutes: Minutes = Field(description="到场用时中位数（分钟）")


class ChannelCount(Answer):
    channel: str
    label: str
    count: int


class PeriodFigures(Summary):
    period: PeriodOut
    scope: ScopeOut
    category: str | None
    resident_rated: int = Field(description="居民评价条数")
    resident_satisfied: int = Field(description="居民评4–5星")
    resident_rate: Rate = Field(description="居民评价（%）")
    resident_mean: float | None = Field(description="居民评价平均星级")
    by_channel: list[ChannelCount]


class Change(Answer):
    abs: float | None = Field(description="变化量（比率为百分点）")
    pct: float | None = Field(description="变化幅度（%）；基期为 0 时为空")
    kind: Literal["count", "rate", "minutes"]


class Row(Summary):
    """A breakdown's or ranking's row: one street, community, grid, category, channel, unit or
    mediator."""

    by: str
    key: int | str | None = Field(description="区域、力量编号，或类别、渠道代码；空：未定位")
    name: str
    code: str | None = None
    unit_type: str | None = None
    unit_type_label: str | None = None


class FiguresOut(Answer):
    period: PeriodOut
    scope: ScopeOut
    category: str | None
    against: Literal["prev", "yoy"] | None = Field(description="对比：prev 环比、yoy 同比")
    against_label: str | None
    current: PeriodFigures
    base: PeriodFigures | None = Field(description="对比期的同样指标")
    change: dict[str, Change] | None
    definitions: dict[str, str] = Field(description="各指标口径")
    compared: dict[str, str] = Field(description="参与对比的指标及其类型")
    by: str | None
    by_label: str | None
    breakdown: list[Row] | None = Field(description="分组明细（给出 by 时）")


class Ranked(Row):
    score: float | None = Field(default=None, description="综合得分（参与排名者）")
    scored_by: list[str] | None = None
    tier: str | None = Field(default=None, description="受理量分档：大、中、小或全部")
    rank: int | None = None
    tier_rank: int | None = None
    reason: str | None = Field(default=None, description="不参与排名的原因")


class RankingOut(Answer):
    period: PeriodOut
    scope: ScopeOut
    by: str
    by_label: str
    min_cases: int
    min_rate_base: int
    method: str = Field(description="排名方法说明")
    ranked: list[Ranked]
    unranked: list[Ranked]


class ReportRow(Answer):
    id: int
    kind: Literal["weekly", "on_demand"]
    kind_label: str
    period_start: str
    period_end: str
    area_level: Literal["all", "district", "street", "community", "grid"]
    area_id: int | None
    district_id: int | None
    street_id: int | None
    community_id: int | None
    grid_id: int | None
    area_name: str
    requested_by: str
    created_at: str
    pdf_bytes: int
    xlsx_bytes: int
    pdf: str = Field(description="PDF 下载地址")
    xlsx: str = Field(description="Excel 下载地址")


class ReportsOut(Answer):
    count: int
    reports: list[ReportRow]
