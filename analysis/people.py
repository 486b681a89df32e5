"""People's records: per mediator or grid worker over a period, with a star rating by the policy.

The figures (cases, 调解成功 with evidence, 满意度 from recorded follow-ups, 超期, 延期) are those of
:func:`dispatch.mediator_stats.unit_records`, cut to the reader's area; the sign-for and arrival
times come from :func:`analysis.queries_people.unit_times`.

The star scheme (:class:`dispatch.policy.Stars`, editable by administrators): a person with fewer
than ``min_cases`` 办结 cases gets no star but “样本不足”. Otherwise four parts, each 0-1:

* 成功 = 调解成功（有据）÷ 已办结;
* 满意 = (平均满意度 − 1) ÷ 4, over follow-ups a person recorded;
* 按时办结 = 1 − 超期 ÷ 经办;
* 按时签收 = 签收不晚于签收时限的派单 ÷ 有签收时限的派单.

The score is their weighted mean (``w_success``, ``w_satisfaction``, ``w_on_time``, ``w_sign``);
a part without data (no recorded follow-up, no sign deadline) is left out and the others'
weights renormalised, so no part is invented. Stars by the score: ≥ ``cut_5`` ★★★★★, ≥ ``cut_4``
four, ≥ ``cut_3`` three, ≥ ``cut_2`` two, otherwise one. :func:`scheme_text` says it in Chinese
with the current numbers, and every answer carries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from analysis import queries_people as q
from dispatch.mediator_stats import DEFINITIONS as UNIT_DEFINITIONS
from dispatch.policy import Stars
from dispatch.stats_scope import Scope
from dispatch.vocab import UNIT_TYPES

ROLES = ("mediator", "grid_worker")
TOO_FEW = "样本不足"
DEFINITIONS: dict[str, str] = {
    **UNIT_DEFINITIONS,
    "signed": "统计期内派给该人员（未退回）的派单中已签收的次数",
    "signed_on_time": "签收时间不晚于案件签收时限的派单数",
    "sign_median_min": "从派单到签收的中位分钟数",
    "arrive_median_min": "从派单到到场的中位分钟数（有到场记录的派单）",
}


def _share(num: float, den: float) -> float | None:
    return None if not den else max(0.0, min(1.0, num / den))


def parts(row: Mapping[str, Any]) -> dict[str, float | None]:
    """The four 0-1 parts of the score for one person's figures (None: no data)."""
    sat = row.get("satisfaction")
    return {
        "success": _share(row["mediated_evidenced"], row["resolved"]),
        "satisfaction": (None if sat is None or not row.get("followups")
                         else max(0.0, min(1.0, (float(sat) - 1) / 4))),
        "on_time": (None if not row["handled"]
                    else 1 - (_share(row["overdue"], row["handled"]) or 0.0)),
        "sign": _share(row.get("signed_on_time") or 0, row.get("sign_due") or 0),
    }


def rate(row: Mapping[str, Any], stars: Stars) -> dict[str, Any]:
    """``{"stars": 1-5 or None, "score", "label", "parts"}`` for one person's figures."""
    got = parts(row)
    if int(row["resolved"]) < stars.min_cases:
        return {"stars": None, "score": None, "parts": got,
                "label": f"{TOO_FEW}（办结 {int(row['resolved'])} 件，少于 {stars.min_cases} 件）"}
    weights = {"success": stars.w_success, "satisfaction": stars.w_satisfaction,
               "on_time": stars.w_on_time, "sign": stars.w_sign}
    used = {k: w for k, w in weights.items() if got[k] is not None and w > 0}
    if not used:  # every weighted part lacks data: nothing to rate on
        return {"stars": None, "score": None, "parts": got, "label": f"{TOO_FEW}（无可评分项）"}
    score = sum(w * float(got[k] or 0.0) for k, w in used.items()) / sum(used.values())
    cuts = (stars.cut_5, stars.cut_4, stars.cut_3, stars.cut_2)
    n = next((5 - i for i, cut in enumerate(cuts) if score >= cut - 1e-9), 1)
    return {"stars": n, "score": round(score, 4), "parts": got, "label": "★" * n + "☆" * (5 - n)}


def scheme_text(stars: Stars) -> str:
    """The scheme in Chinese, with the policy's current numbers."""
    def pct(x: float) -> str:
        return f"{x * 100:g}%"
    total = stars.w_success + stars.w_satisfaction + stars.w_on_time + stars.w_sign
    w = [pct(x / total) for x in (stars.w_success, stars.w_satisfaction, stars.w_on_time,
                                  stars.w_sign)]
    return (f"统计期内办结少于 {stars.min_cases} 件的人员不评星，显示“{TOO_FEW}”。"
            f"其余按四项加权得分（0-1）：调解成功率（有据）{w[0]}、满意度（(平均分−1)÷4，"
            f"仅计有人记录的回访）{w[1]}、按时办结率（1−超期÷经办）{w[2]}、按时签收率 {w[3]}；"
            "某项无数据时不计该项，其余权重按比例放大。"
            f"得分 ≥{stars.cut_5:g} 五星，≥{stars.cut_4:g} 四星，≥{stars.cut_3:g} 三星，"
            f"≥{stars.cut_2:g} 二星，其余一星。权重与分数线由管理员在策略中设置。")


def records(conn: Connection, scope: Scope, start: datetime, end: datetime, *, role: str,
            stars: Stars) -> list[dict[str, Any]]:
    """One row per ``role`` unit sent a case of the scope in ``[start, end)``: its figures,
    clock figures and rating; rated first by stars, then by cases."""
    if role not in ROLES:
        raise ValueError(role)
    times = q.unit_times(conn, scope, start, end, unit_type=role)
    out = []
    for r in q.unit_figures(conn, scope, start, end, unit_type=role):
        t = times.get(int(r["id"]), {})
        row = {**r, "role": role, "role_label": UNIT_TYPES[role],
               **{k: t.get(k, 0) for k in ("sent", "signed", "sign_due", "signed_on_time",
                                           "arrived")},
               "sign_median_min": t.get("sign_median_min"),
               "arrive_median_min": t.get("arrive_median_min")}
        out.append({**row, "rating": rate(row, stars)})
    out.sort(key=lambda x: (-(x["rating"]["stars"] or 0), -x["handled"], x["id"]))
    return out
