"""Request bodies of 扫码说事 at the API's boundary: the desk's accept or reject, and what a
resident adds on /track; the domain (:mod:`dispatch.handlers_resident`) still decides."""

from __future__ import annotations

from pydantic import Field

from console.api.schemas import Body, Category, Priority
from dispatch import commands_resident as c
from dispatch import limits
from dispatch.errors import InvalidCommand


class AcceptIn(Body):
    """受理：进入正常受理流程（可更正类别、设定紧急程度）。"""

    category: Category | None = None
    priority: Priority = "normal"
    lon: float | None = Field(default=None, ge=-180, le=180,
                              description="经度（WGS-84）：仅有地址的报告须确认位置")
    lat: float | None = Field(default=None, ge=-90, le=90, description="纬度（WGS-84）")

    def to_command(self, *, report_id: int, actor: str) -> c.AcceptResidentReport:
        if (self.lon is None) != (self.lat is None):
            raise InvalidCommand("经度与纬度须同时给出（lon/lat）", field="lon")
        return c.AcceptResidentReport(report_id=report_id, actor=actor,
                                      category=self.category, priority=self.priority,
                                      lon=self.lon, lat=self.lat)


class RejectIn(Body):
    """不予受理，理由居民在查询页可见。"""

    reason: str = Field(min_length=1, max_length=limits.REASON, description="不予受理理由")

    def to_command(self, *, report_id: int, actor: str) -> c.RejectResidentReport:
        return c.RejectResidentReport(report_id=report_id, actor=actor, reason=self.reason)


class InfoIn(Body):
    """补充情况。"""

    text: str = Field(min_length=1, max_length=limits.RESIDENT_INFO, description="补充情况")

    def to_command(self, *, code: str) -> c.AddResidentInfo:
        return c.AddResidentInfo(code=code, text=self.text)


class RatingIn(Body):
    """居民评价（1-5 星），办结后一次。"""

    rating: int = Field(ge=1, le=5, description="评价（1-5 星）")
    note: str | None = Field(default=None, max_length=limits.RESIDENT_INFO)

    def to_command(self, *, code: str) -> c.RateResident:
        return c.RateResident(code=code, rating=self.rating, note=self.note)


class PhoneCodeIn(Body):
    """要验证的手机号（仅在配置了短信网关时发送验证码）。"""

    phone: str = Field(min_length=5, max_length=limits.PHONE, description="手机号")
