"""居民评价: the residents' own ratings of the result (/track), counted as a figure of their own.

One definition, used by the wall's windows (:func:`dispatch.stats.overview`) and by any chosen
period (:mod:`analysis.periods`): the ratings a resident gave on the tracking page with the
rating time in the window, of cases in the scope (and category), merged duplicates left out;
satisfied = 4 or 5 stars (the follow-up's own cut, :data:`SATISFIED_AT_LEAST`). It stands beside
满意度, which stays the officer's recorded follow-ups: a rating never fills or replaces a 回访.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from dispatch.stats_evidence import NOT_MERGED, SATISFIED_AT_LEAST
from dispatch.stats_scope import Scope

LABEL = "居民评价"
DEFINITION = ("统计期内居民在查询页对办结结果的评价（1–5星，按评价时间计）中评4星或5星的比例；"
              "与满意度（回访人记录的回访）分开计算，互不替代；并案的重复件不计。")
SHORT = "居民自评4–5星占比"


def rate(numerator: int, denominator: int) -> float | None:
    return None if denominator <= 0 else round(100.0 * numerator / denominator, 1)


def ratings(conn: Connection, scope: Scope, *, start: datetime | None = None,
            end: datetime | None = None, days: int | None = None,
            category: str | None = None) -> dict[str, Any]:
    """``{resident_rated, resident_satisfied, resident_rate, resident_mean}`` over ratings given
    in ``[start, end)`` or the last ``days`` days (rolling), cut at the database's now()."""
    where, params = scope.where("i")
    if days is not None:
        when = "r.rated_at > now() - make_interval(days => :r_days) AND r.rated_at <= now()"
        params = {**params, "r_days": int(days)}
    else:
        when = "r.rated_at >= :r_start AND r.rated_at < :r_end AND r.rated_at <= now()"
        params = {**params, "r_start": start, "r_end": end}
    if category:
        where += " AND i.category = :r_category"
        params = {**params, "r_category": category}
    row = conn.execute(text(
        "SELECT count(*) AS rated, count(*) FILTER (WHERE r.rating >= :r_sat) AS satisfied, "
        "avg(r.rating) AS mean FROM resident_reports r JOIN incidents i ON i.id = r.incident_id "
        f"WHERE r.rating IS NOT NULL AND {when} AND {where} AND {NOT_MERGED}"),
        {**params, "r_sat": SATISFIED_AT_LEAST}).mappings().one()
    rated, satisfied = int(row["rated"]), int(row["satisfied"])
    return {"resident_rated": rated, "resident_satisfied": satisfied,
            "resident_rate": rate(satisfied, rated),
            "resident_mean": None if row["mean"] is None else round(float(row["mean"]), 2)}
