"""The case list's query (``GET /api/v1/incidents`` and its exports): one model, bounded from
:mod:`dispatch.limits`, refused as a Chinese 400 naming the parameter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from console.api.schemas_parse import parse_body
from dispatch import limits
from dispatch.errors import InvalidCommand
from dispatch.views_cases import DEFAULT_SORT, CaseFilter

ID = Field(default=None, ge=1, le=limits.ID_MAX)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


class CaseListQuery(BaseModel):
    """What the list takes; empty parameters count as absent."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    date_from: date | None = Field(default=None, alias="from",
                                   description="开始日期（受理时间，YYYY-MM-DD，北京时间，含当天）")
    date_to: date | None = Field(default=None, alias="to",
                                 description="结束日期（受理时间，含当天）")
    street: int | None = Field(default=None, ge=1, le=limits.ID_MAX, description="街道编号")
    community: int | None = Field(default=None, ge=1, le=limits.ID_MAX, description="社区编号")
    grid: int | None = Field(default=None, ge=1, le=limits.ID_MAX, description="网格编号")
    unit: int | None = Field(default=None, ge=1, le=limits.ID_MAX, description="处置力量编号")
    category: str | None = Field(default=None, max_length=limits.CODE, description="类别")
    state: str | None = Field(default=None, max_length=limits.CODE, description="状态")
    channel: str | None = Field(default=None, max_length=limits.CODE, description="来源渠道")
    q: str | None = Field(default=None, max_length=limits.CASE_QUERY,
                          description="关键词（案件编号、标题、地址）")
    sort: str = Field(default=DEFAULT_SORT, max_length=20, description="排序")
    limit: int = Field(default=100, ge=1, le=limits.CASE_PAGE, description="每页条数")
    offset: int = Field(default=0, ge=0, le=limits.CASE_OFFSET, description="起始位置")

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _day(cls, value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise ValueError("须为日期（YYYY-MM-DD）") from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(f"须在 {FIRST_DAY} 至 {LAST_DAY} 之间")
        return day

    @field_validator("q")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("含有不允许的空字符（NUL）")
        return (value or "").strip() or None

    def to_filter(self) -> CaseFilter:
        """The domain's filter (it checks the vocabularies: category, state, channel, sort)."""
        return CaseFilter(date_from=self.date_from, date_to=self.date_to, street=self.street,
                          community=self.community, grid=self.grid, unit=self.unit,
                          category=self.category, state=self.state, channel=self.channel,
                          q=self.q, sort=self.sort)


_DATE_LABELS = {"from": "开始日期", "to": "结束日期"}


class BadQuery(InvalidCommand):
    """A query parameter the list cannot take (HTTP 400, naming it)."""

    status = 400
    code = "bad_value"


def parse_query(args: Mapping[str, list[bytes]]) -> tuple[CaseListQuery, CaseFilter]:
    """The query string's last value per parameter, typed and checked: a 400 names the first
    parameter at fault (``from``, not the model's ``date_from``)."""
    raw: dict[str, Any] = {}
    for k, values in args.items():
        if values:
            value = values[-1].decode("utf-8", "replace")
            if value != "":
                raw[k] = value
    try:
        query = parse_body(CaseListQuery, raw)
        return query, query.to_filter()
    except InvalidCommand as err:
        field = str(err.detail.get("field") or "query")
        message = err.message
        if field in ("from", "to") and message.startswith(f"{field}："):
            message = f"{_DATE_LABELS[field]}（{field}）" + message[len(field):]
        raise BadQuery(message, field=field) from None
    except ValidationError:  # pragma: no cover - parse_body turns these into InvalidCommand
        raise BadQuery("查询参数无效", field="query") from None
