"""The OpenAPI operations of the people's records and the 个案补贴 statement, merged into
:mod:`console.api.openapi`'s table."""

from __future__ import annotations

from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def people_ops(Op: Any, Param: Any, area: tuple[Any, ...],
               period: tuple[Any, ...]) -> tuple[Any, ...]:
    """The operations, built with the table's own ``Op``, ``Param``, area and period."""
    month = Param("month", "string", "统计月份（YYYY-MM，北京时间；默认上月）", max_length=7)
    return (
        Op("get", "/api/v1/analysis/people",
           "人员业绩：每名人民调解员或网格员的案件、调解成功（有据）、满意度、签收与到场用时、超期、"
           "延期及星级（附评星规则）", "研判",
           query=(*area, *period, Param("role", "string",
                                         "mediator 人民调解员（默认）、grid_worker 网格员",
                                         enum=("mediator", "grid_worker")))),
        Op("get", "/api/v1/analysis/subsidy",
           "月度个案补贴明细（按难度与结果，仅计有据案件；管理员、市级值班长、领导）。管理员在策略中"
           "设置全部六项金额之前 priced 为 false：只列出符合条件的案件，不计金额（补贴标准未设置）",
           "研判",
           query=(*area, month)),
        Op("get", "/api/v1/analysis/subsidy.xlsx",
           "月度个案补贴明细 Excel（个案明细、人员合计、补贴标准三张表）", "研判",
           query=(*area, month), media=XLSX),
    )
