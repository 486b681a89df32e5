"""The wall's trend (cases reported and 办结 per Beijing day) and category mix: their SQL over a
row source and their results (split from :mod:`dispatch.stats`, which re-exports both, so
:mod:`dispatch.stats_board` counts them in the same pass as the overview)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, text

from dispatch import stats_rows
from dispatch.stats_evidence import NOT_MERGED
from dispatch.stats_scope import Scope
from dispatch.vocab import CATEGORIES, DONE_STATES, sql_list

TZ = "Asia/Shanghai"
WHOLE = Scope()
_DONE = sql_list(DONE_STATES)


def trend_sql(rows: str, days: int) -> str:
    """SQL: ``(d, reported, resolved)`` per Beijing day with any, over ``rows`` (a row source
    ``… i`` holding :func:`dispatch.stats_rows.recent_rows` of ``days``, merged cases left out).

    Each day's local midnight is computed once (``AT TIME ZONE``, so any offset or change of it
    is honoured) and a row's day is the bucket of its instant among them (``width_bucket``),
    instead of converting every row's two instants to local dates. ``rows`` is read twice
    (reported, then 办结): a CTE's name is cheapest."""
    n = int(days)
    today = f"(now() AT TIME ZONE '{TZ}')::date"
    midnights = (f"ARRAY(SELECT (({today} - k)::timestamp AT TIME ZONE '{TZ}') "
                 f"FROM generate_series({n - 1}, 0, -1) k)")
    # the first day's local midnight, after now() - days: every counted row is a recent row
    reported = "i.reported_at <= b.now AND i.reported_at >= b.m[1]"
    resolved = f"i.state IN {_DONE} AND i.resolved_at <= b.now AND i.resolved_at >= b.m[1]"
    bound = f"CROSS JOIN (SELECT now() AS now, {midnights} AS m OFFSET 0) b"
    return f"""
    SELECT {today} - {n} + x.k AS d, sum(x.rep)::int AS reported, sum(x.res)::int AS resolved
    FROM (SELECT width_bucket(i.reported_at, b.m) AS k, 1 AS rep, 0 AS res FROM {rows} {bound}
          WHERE {reported}
          UNION ALL SELECT width_bucket(i.resolved_at, b.m), 0, 1 FROM {rows} {bound}
          WHERE {resolved}) x
    GROUP BY x.k"""


def trend_days(today: date, got: dict[date, tuple[int, int]], days: int) -> list[dict[str, Any]]:
    """Every day of the last ``days`` up to ``today`` (zeros included), today ``partial``."""
    out = []
    for k in range(int(days) - 1, -1, -1):
        day = today - timedelta(days=k)
        rep, res = got.get(day, (0, 0))
        out.append({"day": day.isoformat(), "reported": rep, "resolved": res,
                    "partial": day == today})
    return out


def trend(conn: Connection, scope: Scope = WHOLE, *, days: int = 30) -> list[dict[str, Any]]:
    """Cases reported and cases 办结 per Beijing calendar day, the last ``days`` days up to today.

    Every day is listed (zeros included); today's counts run up to now and are marked ``partial``.
    """
    where, params = scope.where()
    sql = (f"WITH r AS MATERIALIZED (SELECT * FROM {stats_rows.recent_rows(where, days)} "
           f"WHERE {NOT_MERGED}) {trend_sql('r i', days)}")
    got = {r[0]: (int(r[1]), int(r[2])) for r in conn.execute(text(sql), params)}
    today = conn.scalar(text(f"SELECT (now() AT TIME ZONE '{TZ}')::date"))
    return trend_days(today, got, days)


def categories_sql(rows: str, days: int) -> str:
    """SQL: ``(category, n)``, largest first, of the cases of ``rows`` reported in the last ``days`` days
    (``rows``: a row source ``… i`` holding every such case, merged cases left out)."""
    within = stats_rows.within("reported_at", days)
    return (f"SELECT i.category, count(*) AS n FROM {rows} CROSS JOIN {stats_rows.bounds(days)} "
            f"WHERE {within} GROUP BY 1 ORDER BY 2 DESC, 1")


def categories_list(rows: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    """The mix in the order given (largest first, then by category), with each one's share."""
    got = [(str(c), int(n)) for c, n in rows]
    total = sum(n for _, n in got)
    return [{"category": c, "label": CATEGORIES.get(c, c), "count": n,
             "share": None if total <= 0 else round(100.0 * n / total, 1)} for c, n in got]


def categories(conn: Connection, scope: Scope = WHOLE, *, days: int = 30) -> list[dict[str, Any]]:
    """Cases reported in the last ``days`` days by category, largest first, with their share."""
    where, params = scope.where()
    # TOUCHED: implied by the reporting time in the window; lets an index serve
    rows = (f"(SELECT * FROM incidents i WHERE {where} AND {NOT_MERGED} AND "
            f"{stats_rows.TOUCHED} > now() - interval '{int(days)} days') i")
    return categories_list(conn.execute(text(categories_sql(rows, days)), params).all())
