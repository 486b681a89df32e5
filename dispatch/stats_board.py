"""The wall's overview, ranking of the areas below, trend and mix from one read of the rows.

:func:`dispatch.stats.overview` and :func:`dispatch.stats.ranking` read the same rows (the
scope's open and recently touched cases) and test the same evidence on them; on the wall they
are always asked together, so :func:`overview_and_ranking` counts both in one statement
(``GROUPING SETS``: the scope's total and each area below). Each figure keeps its definition:
a test compares the result with the two functions called apart.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from dispatch import stats, stats_mix, stats_rows
from dispatch.stats_evidence import NOT_MERGED
from dispatch.stats_scope import Scope


def overview_and_ranking(conn: Connection, scope: Scope, *, days: int = 30
                         ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(stats.overview(conn, scope), stats.ranking(conn, scope, days=days))``, counted once."""
    child, areas = stats.ranking_areas(conn, scope)
    if child is None:
        return stats.overview(conn, scope), []
    if int(days) not in stats.WINDOWS:  # the ranking's window is not among the overview's
        return stats.overview(conn, scope), stats.ranking(conn, scope, days=days)
    d = int(days)
    board = stats.overview(conn, scope, by=child)
    per = {int(r["area"]): r for r in board.pop("by") if r["area"] is not None}
    out = []
    for a in areas:
        r = per.get(int(a["id"]), {})
        out.append(stats.ranked(child, {**r, **a, "intake": r.get(f"intake_{d}", 0),
                                        "open": r.get("open", 0),
                                        "overdue": r.get("overdue", 0)}, d))
    out.sort(key=lambda x: (-x["intake"], -x["overdue"], x["code"]))
    return board, out


def wall_board(conn: Connection, scope: Scope, *, days: int = 30) -> dict[str, Any]:
    """The wall's month-long panels, ``{overview, ranking, trend, categories}``, as
    :func:`overview_and_ranking`, :func:`dispatch.stats.trend` and
    :func:`dispatch.stats.categories` give them, from **one** read of the scope's rows.

    Each of those read the same open and recent cases again (the trend's 30 days and the mix's
    reported cases are among them); here they are read once into a CTE and each part counts
    its own figures from it with its own SQL (a test compares the parts with the functions).
    The ranking counts only its own columns per area (the overview's times and medians are
    counted once, for the whole scope). Another ``days`` than the overview's longest window:
    the functions apart."""
    d = int(days)
    if d != max(stats.WINDOWS):
        board, ranked = overview_and_ranking(conn, scope, days=d)
        return {"overview": board, "ranking": ranked, "trend": stats.trend(conn, scope, days=d),
                "categories": stats.categories(conn, scope, days=d)}
    child, areas = stats.ranking_areas(conn, scope)
    where, params = scope.where()
    by_area = "NULL::json" if child is None else (
        f"(SELECT json_agg(a) FROM (SELECT i.{child}_id AS area, {stats.ranking_columns(d)} "
        f"FROM r i CROSS JOIN {stats_rows.bounds(d)} GROUP BY 1) a)")
    sql = f"""
    WITH r AS MATERIALIZED (SELECT * FROM {stats_rows.recent_rows(where, d, with_evidence=True)}
                            WHERE {NOT_MERGED})
    SELECT {stats.overview_columns(stats.WINDOWS)},
      (now() AT TIME ZONE '{stats_mix.TZ}')::date AS today, {by_area} AS by_area,
      (SELECT json_agg(t) FROM ({stats_mix.trend_sql("r i", d)}) t) AS trend_days,
      (SELECT json_agg(c ORDER BY c.n DESC, c.category)
       FROM ({stats_mix.categories_sql("r i", d)}) c) AS mix
    FROM r i CROSS JOIN {stats_rows.bounds(1, *stats.WINDOWS)}"""
    row = dict(conn.execute(text(sql), params).mappings().one())
    per = {int(r["area"]): r for r in row["by_area"] or [] if r["area"] is not None}
    ranked = sorted((stats.ranked(child, {"intake": 0, "open": 0, "overdue": 0,
                                          **per.get(int(a["id"]), {}), **a}, d)
                     for a in areas if child is not None),
                    key=lambda x: (-x["intake"], -x["overdue"], x["code"]))
    got = {date.fromisoformat(t["d"]): (int(t["reported"]), int(t["resolved"]))
           for t in row["trend_days"] or []}
    return {"overview": stats.overview_figures(conn, scope, row, stats.WINDOWS),
            "ranking": ranked, "trend": stats_mix.trend_days(row["today"], got, d),
            "categories": stats_mix.categories_list(
                (c["category"], c["n"]) for c in row["mix"] or [])}
