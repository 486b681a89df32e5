"""The boundary model of ``POST /api/v1/reports`` (研判报告: make one now)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class ReportIn(BaseModel):
    """A report to make now: its period (Beijing dates, inclusive; default the week before) and
    area (the most specific of ``street`` / ``community`` / ``grid`` or ``district``; none: the
    reader's own)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: date | None = Field(default=None, alias="from", description="统计期起（YYYY-MM-DD）")
    to: date | None = Field(default=None, description="统计期止（YYYY-MM-DD，含当日）")
    district: int | None = Field(default=None, ge=1, le=2**31 - 1, description="区县编号")
    street: int | None = Field(default=None, ge=1, le=2**31 - 1, description="街道编号")
    community: int | None = Field(default=None, ge=1, le=2**31 - 1, description="社区编号")
    grid: int | None = Field(default=None, ge=1, le=2**31 - 1, description="网格编号")
