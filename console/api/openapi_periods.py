"""The OpenAPI operations of the period figures (/api/v1/analysis/figures, /ranking), merged
into :mod:`console.api.openapi`'s table."""

from __future__ import annotations

from typing import Any

from analysis.periods import AGAINST, BREAKDOWNS, MAX_DAYS, RANK_BY
from console.api.schemas_analysis import FiguresOut, RankingOut


def period_ops(Op: Any, Param: Any, *, area: tuple[Any, ...], period: tuple[Any, ...],
               category: Any) -> tuple[Any, ...]:
    """The operations, built with the table's own ``Op`` and ``Param`` types and its area,
    period and category parameters."""
    compare = Param("compare", "string", "对比：prev 环比（上一同长时段；整月则上月）、yoy 同比（上年同期）",
                    enum=tuple(AGAINST))
    by = Param("by", "string", "分组：" + "、".join(f"{k} {v}" for k, v in BREAKDOWNS.items()),
               enum=tuple(BREAKDOWNS))
    rank_by = Param("by", "string", "排名对象（默认下一级区域）：" + "、".join(
        f"{k} {BREAKDOWNS[k]}" for k in RANK_BY), enum=RANK_BY)
    return (
        Op("get", "/api/v1/analysis/figures",
           f"任意时段统计（北京时间日期，含首尾，最长 {MAX_DAYS} 天）：受理、办结、调解成功（有据）、超期、"
           "满意度、签收与到场用时、渠道构成；可环比/同比，可分组", "研判",
           query=(*area, *period, compare, category, by), response=FiguresOut),
        Op("get", "/api/v1/analysis/ranking",
           "公平排名：按比率不按数量，最少案件数与受理量分档，附排名方法说明", "研判",
           query=(*area, *period, rank_by), response=RankingOut),
    )
