"""The OpenAPI operations of 研判 (analysis): hotspots, emerging hotspots, repeats, the watch
list, the period figures and ranking, the people's records and the report archive, merged into
:mod:`console.api.openapi`'s table; the answers of the figures, ranking and report list are
documented by :mod:`console.api.schemas_analysis`."""

from __future__ import annotations

from console.api import schemas_analysis as sa
from console.api.openapi_ops import AREA, BY, CATEGORY, GEO, LIMIT, PERIOD, SIZE, Op, Param
from console.api.openapi_ops import param as _p
from console.api.openapi_people import people_ops
from console.api.openapi_periods import period_ops
from console.api.schemas_reports import ReportIn


def analysis_ops() -> tuple[Op, ...]:
    return (
        Op("get", "/api/v1/analysis/hotspots", "热点分析 Gi*（z 值、p 值、90/95/99% 置信分级）", "研判",
           query=(*AREA, *PERIOD, BY, SIZE, CATEGORY, _p("fdr", "integer", "1：FDR 校正", minimum=0,
                                                         maximum=1)), media=GEO),
        Op("get", "/api/v1/analysis/emerging", "新兴热点（近 8-12 周 Gi* 与 Mann-Kendall 趋势）", "研判",
           query=(*AREA, PERIOD[1], BY, SIZE, CATEGORY,
                  _p("weeks", "integer", "周数（默认 12）", minimum=8, maximum=12),
                  _p("all", "integer", "1：含无显著模式的区域", minimum=0, maximum=1)), media=GEO),
        Op("get", "/api/v1/analysis/repeats", "重复纠纷：同一地址、同一当事人、时空邻近", "研判",
           query=(*AREA, *PERIOD, CATEGORY,
                  _p("kind", "string", "address / parties / near", enum=("address", "parties", "near")),
                  _p("min", "integer", "最少案件数", minimum=2, maximum=100),
                  _p("radius", "integer", "邻近半径（米，默认 200）", minimum=10, maximum=2000),
                  _p("days", "integer", "邻近天数（默认 14）", minimum=1, maximum=90), LIMIT)),
        Op("get", "/api/v1/analysis/watch", "民转刑风险关注名单（橙色、红色在办案件及处置情况）", "研判",
           query=(*AREA, _p("level", "integer", "最低风险等级：2 橙色（默认）、3 红色", minimum=2,
                             maximum=3))),
        Op("get", "/api/v1/reports", "研判报告列表（按辖区，新者在前）", "研判",
           response=sa.ReportsOut),
        Op("post", "/api/v1/reports", "立即生成研判报告（统计期与区域，默认上周、本人辖区；留痕）", "研判",
           body=ReportIn, ok=201),
        Op("get", "/api/v1/reports/{report_id}.pdf", "研判报告 PDF（中文字体内嵌；下载留痕）", "研判",
           media="application/pdf"),
        Op("get", "/api/v1/reports/{report_id}.xlsx", "研判报告 Excel（每表一页；下载留痕）", "研判",
           media="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        *period_ops(Op, Param, area=AREA, period=PERIOD, category=CATEGORY),
        *people_ops(Op, Param, AREA, PERIOD),  # people's records (openapi_people)
    )
