"""The OpenAPI table's parts: an operation (:class:`Op`), a query parameter (:class:`Param`) and
the parameters several operations share (area, period, category, paging)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from dispatch.vocab import CATEGORIES


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # integer | number | string | boolean
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.enum:
            out["enum"] = list(self.enum)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        return out


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    summary: str
    tag: str
    query: tuple[Param, ...] = ()
    body: type[BaseModel] | None = None
    ok: int = 200
    media: str = "application/json"
    public: bool = False  # no credentials needed
    form: bool = False  # the body is form-encoded (Open311)
    extra: dict[str, Any] = field(default_factory=dict)
    response: type[BaseModel] | None = None  # the success answer's model (documented)


def param(name: str, kind: str, desc: str, **kw: Any) -> Param:
    return Param(name, kind, desc, **kw)


LON, LAT = param("lon", "number", "经度", required=True, minimum=-180, maximum=180), \
    param("lat", "number", "纬度", required=True, minimum=-90, maximum=90)
CRS = param("crs", "string", "坐标系（默认 wgs84）", enum=("wgs84", "gcj02", "bd09"))
SCOPE = (param("street", "integer", "街道编号", minimum=1, maximum=2**31 - 1),
         param("community", "integer", "社区编号", minimum=1, maximum=2**31 - 1),
         param("grid", "integer", "网格编号", minimum=1, maximum=2**31 - 1),
         param("days", "integer", "统计天数（默认 30）", minimum=1, maximum=365))
LIMIT = param("limit", "integer", "条数上限", minimum=1, maximum=1000)
AREA = SCOPE[:3]  # 研判: the area as the statistics take it, a period instead of days
PERIOD = (param("from", "string", "起始日期（YYYY-MM-DD，北京时间）", max_length=10),
          param("to", "string", "截止日期（含，默认今日）", max_length=10))
BY = param("by", "string", "分析单元：micro 微网格（默认）、cell 方格", enum=("micro", "cell"))
SIZE = param("size", "integer", "方格边长（米）：250 或 500", minimum=250, maximum=500)
CATEGORY = param("category", "string", "纠纷类别", enum=tuple(CATEGORIES))
AUDIT_FILTER = (
    param("from", "string", "起始时间（ISO 8601，无时区按北京时间）", max_length=40),
    param("to", "string", "截止时间（不含；仅日期则含当天）", max_length=40),
    param("actor", "string", "操作人（精确；以 * 结尾为前缀匹配）", max_length=61),
    param("action", "string", "操作代码（逗号分隔或重复给出）", max_length=400),
    param("entity", "string", "对象类型：incident、unit、policy、account、api_key、access",
       max_length=20),
    param("entity_id", "integer", "对象编号", minimum=1, maximum=2**63 - 1),
    param("code", "string", "案件编号", max_length=20),
    param("q", "string", "理由与详情中的文字", max_length=100))
GEO = "application/geo+json"
