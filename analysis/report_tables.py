"""The weekly report's figures as named tables: one shape for the PDF's tables and the Excel sheets.

Pure: the JSON of :func:`analysis.report.assemble` in, :class:`Table` rows out, numbers kept as
numbers (``None`` where nothing was counted), so the Excel sheet read back equals the JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    name: str  # the sheet's name (≤ 31 characters) and the PDF section's
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    widths: tuple[float, ...] = ()  # relative column widths in the PDF


SUMMARY = (("received", "受理（件）"), ("done", "办结（件）"), ("success", "调解成功（件）"),
           ("overdue", "超期（期内到期未按期办结，件）"), ("on_time_rate", "按期办结率（%）"),
           ("success_rate", "调解成功率（%）"), ("satisfaction_rate", "满意度（%）"),
           ("sign_minutes", "平均签收用时（分钟）"), ("arrive_minutes", "平均到场用时（分钟）"))
SUMMARY_HEADERS = ("指标", "本期", "上期", "环比增减", "环比%", "去年同期", "同比增减", "同比%")


def summary_rows(summary: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """One row per compared figure (:mod:`analysis.periods`): this period, the period before and
    its change (增减 in 百分点 for rates), the same period a year before and its change."""
    prev, yoy = summary["prev"], summary["yoy"]
    return [(label, prev["current"].get(k), prev["base"].get(k), prev["change"][k]["abs"],
             prev["change"][k]["pct"], yoy["base"].get(k), yoy["change"][k]["abs"],
             yoy["change"][k]["pct"]) for k, label in SUMMARY if k in prev["change"]]


RANK_HEADERS = ("名次", "量级档", "档内名次", "名称", "受理", "办结", "按期办结率%", "调解成功率%",
                "满意度%", "综合得分")


def ranking_rows(rk: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["rank"], r["tier"], r["tier_rank"], r["name"], r["received"], r["done"],
             r["on_time_rate"], r["success_rate"], r["satisfaction_rate"], r["score"])
            for r in rk["ranked"]]


def _blank(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """An empty text is an empty cell (as a spreadsheet keeps it)."""
    return [tuple(None if v == "" else v for v in r) for r in rows]


def _codes(v: Any) -> str:
    return "、".join(str(c) for c in v or [])


def tables(f: Mapping[str, Any]) -> list[Table]:
    """Every table of the report, in the report's order."""
    out = [Table("总体指标", SUMMARY_HEADERS, summary_rows(f["summary"]),
                 (3.4, 1, 1, 1, 1, 1, 1, 1))]
    out.append(Table("每日趋势", ("日期", "受理", "办结"),
                     [(d["day"], d["reported"], d["resolved"]) for d in f["trend"]]))
    out.append(Table("类别构成", ("类别", "案件数", "占比%"),
                     [(c["label"], c["count"], c["share"]) for c in f["categories"]]))
    hot = f["hotspots"]
    out.append(Table("热点微网格", ("微网格", "案件数", "z值", "置信分级"),
                     [(t["name"], t["count"], t["z"], t["label"]) for t in hot["top"]],
                     (3, 1, 1, 2)))
    rep = f["repeats"]
    out.append(Table("重复地址", ("地址（已脱敏）", "案件数", "在办", "案件编号"),
                     [(g["address"], g["count"], g["open"], _codes(g["codes"]))
                      for g in rep["addresses"]], (3, 1, 1, 4)))
    out.append(Table("重复当事人", ("当事人组合（密钥散列）", "案件数", "在办", "案件编号"),
                     [(g["pair"], g["count"], g["open"], _codes(g["codes"]))
                      for g in rep["parties"]], (3, 1, 1, 4)))
    out.append(Table("时空邻近", ("案件数", "在办", "跨度（天）", "案件编号"),
                     [(g["count"], g["open"], g["span_days"], _codes(g["codes"]))
                      for g in rep["near"]], (1, 1, 1, 5)))
    out.append(Table("民转刑风险关注", ("案件编号", "事由（已脱敏）", "类别", "风险", "状态",
                                  "受理时间", "风险依据", "已采取措施"),
                     [(w["code"], w["title"], w["category"], w["risk"], w["state"],
                       w["reported_at"], w["reasons"], w["done"]) for w in f["watch"]],
                     (2, 3, 1.3, 1, 1.2, 2, 3, 3)))
    rk = f.get("ranking")
    if rk:
        out.append(Table("排名", RANK_HEADERS, ranking_rows(rk),
                         (1, 1, 1, 2.5, 1, 1, 1.2, 1.2, 1, 1)))
        out.append(Table("未排名", ("名称", "受理", "办结", "原因"),
                         [(r["name"], r["received"], r["done"], r["reason"])
                          for r in rk["unranked"]], (2.5, 1, 1, 5)))
    ov = f["overdue"]
    out.append(Table("超期案件", ("案件编号", "事由（已脱敏）", "类别", "街道", "状态", "超期类型",
                              "超期天数"),
                     [(c["code"], c["title"], c["category_label"], c["street"], c["state_label"],
                       c["kind"], c["days_over"]) for c in ov["items"]],
                     (2, 4, 1.3, 1.6, 1.2, 1.3, 1)))
    sv = f["supervised"]
    out.append(Table("督办案件", ("案件编号", "事由（已脱敏）", "类别", "街道", "状态", "督办等级",
                              "期内督办次数"),
                     [(c["code"], c["title"], c["category_label"], c["street"], c["state_label"],
                       c["level"], c["times"]) for c in sv["items"]],
                     (2, 4, 1.3, 1.6, 1.2, 1, 1)))
    out.append(Table("重点案件", ("案件编号", "事由（已脱敏）", "类别", "街道", "状态", "受理时间",
                              "关注原因"),
                     [(c["code"], c["title"], c["category_label"], c["street"], c["state_label"],
                       c["reported_at"], c["why"]) for c in f["notable"]],
                     (2, 4, 1.3, 1.6, 1.2, 2, 2)))
    return [Table(t.name, t.headers, _blank(t.rows), t.widths) for t in out]
