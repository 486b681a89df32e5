"""The SQL of the period figures: one aggregate row per group over a fixed Beijing-dated period.

The counting columns are the wall's own (:func:`dispatch.stats.window_columns` with the fixed
window :func:`dispatch.stats.between`), so a chosen period and the rolling window count by the same
definitions; only the bounds differ. Cases merged into another as duplicates are left out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text

from analysis.queries import NOT_MERGED
from dispatch import stats
from dispatch import stats_evidence as evidence
from dispatch.stats_scope import Scope

SUFFIX = "p"  # the columns' suffix: intake_p, due_p, …

# what a breakdown groups by: the key column, and the table (alias a) giving its name and code
AREA_GROUPS = {"street": ("i.street_id", "streets"), "community": ("i.community_id", "communities"),
               "grid": ("i.grid_id", "grids")}
VALUE_GROUPS = {"category": "i.category", "channel": "i.channel"}
AREA_LISTS = {  # every area of a level, with the ids a Scope cuts by (alias a)
    "street": "SELECT s.id, s.name, s.code, s.id AS street_id, NULL::int AS community_id, "
              "NULL::int AS grid_id FROM streets s",
    "community": "SELECT c.id, c.name, c.code, c.street_id, c.id AS community_id, "
                 "NULL::int AS grid_id FROM communities c",
    "grid": "SELECT g.id, g.name, g.code, c.street_id, g.community_id, g.id AS grid_id "
            "FROM grids g JOIN communities c ON c.id = g.community_id"}
UNIT_GROUPS = ("unit", "mediator")  # through assignments: every unit sent (not declined)
MEDIATOR_TYPES = ("mediator",)  # the unit types a "mediator" breakdown keeps


def _cond(scope: Scope, category: str | None) -> tuple[str, dict[str, Any]]:
    where, params = scope.where("i")
    # any column a figure counts lies in the period only if the last touch is not before it
    cond = f"{where} AND {NOT_MERGED} AND {stats.TOUCHED} >= :p_start AND i.reported_at < :p_end"
    if category:
        cond += " AND i.category = :category"
        params = {**params, "category": category}
    return cond, params


def period_rows(conn: Connection, scope: Scope, start: datetime, end: datetime, *,
                by: str | None = None, category: str | None = None) -> list[dict[str, Any]]:
    """The aggregate columns over ``[start, end)`` for the scope (``by`` None: one row) or one
    row per group (``key``, ``name``, ``code`` beside the columns), groups with no case left out."""
    cond, params = _cond(scope, category)
    params = {**params, "p_start": start, "p_end": end}
    cols = stats.window_columns(stats.between(), SUFFIX)
    if by is None:
        sql = f"SELECT NULL AS key{cols} FROM incidents i WHERE {cond}"
    elif by in AREA_GROUPS:
        col, table = AREA_GROUPS[by]
        sql = (f"SELECT {col} AS key, min(a.name) AS name, min(a.code) AS code{cols} "
               f"FROM incidents i LEFT JOIN {table} a ON a.id = {col} WHERE {cond} GROUP BY 1")
    elif by in VALUE_GROUPS:
        sql = f"SELECT {VALUE_GROUPS[by]} AS key{cols} FROM incidents i WHERE {cond} GROUP BY 1"
    elif by in UNIT_GROUPS:
        kinds = "" if by == "unit" else " AND u.unit_type IN :types"
        if by == "mediator":
            params = {**params, "types": MEDIATOR_TYPES}
        sql = (f"SELECT u.id AS key, min(u.name) AS name, min(u.code) AS code, "
               f"min(u.unit_type) AS unit_type{cols} FROM incidents i "
               "JOIN (SELECT DISTINCT a.unit_id, a.incident_id FROM assignments a "
               "WHERE a.state <> 'declined') h ON h.incident_id = i.id "
               f"JOIN units u ON u.id = h.unit_id WHERE {cond}{kinds} GROUP BY u.id")
    else:
        raise ValueError(f"unknown breakdown {by!r}")
    stmt = text(sql)
    if by == "mediator":
        stmt = stmt.bindparams(bindparam("types", expanding=True))
    no_jit(conn)
    return [dict(r) for r in conn.execute(stmt, params).mappings()]


def no_jit(conn: Connection) -> None:
    """No JIT compilation for this transaction: over a year of cases the planner's cost passes
    the JIT threshold and compiling took 4.2 s of a 5.6 s query on the demo (EXPLAIN ANALYZE),
    while the query itself runs in about 1.3 s."""
    conn.execute(text("SELECT set_config('jit', 'off', true)"))


def channel_counts(conn: Connection, scope: Scope, start: datetime, end: datetime, *,
                   category: str | None = None) -> dict[str, int]:
    """Cases received (reported) in ``[start, end)`` per channel."""
    where, params = scope.where("i")
    cond = f"{where} AND {NOT_MERGED} AND i.reported_at >= :p_start AND i.reported_at < :p_end"
    if category:
        cond += " AND i.category = :category"
        params = {**params, "category": category}
    rows = conn.execute(text(
        f"SELECT i.channel, count(*) FROM incidents i WHERE {cond} AND i.reported_at <= now() "
        "GROUP BY 1"), {**params, "p_start": start, "p_end": end}).all()
    return {str(r[0]): int(r[1]) for r in rows}


def areas(conn: Connection, scope: Scope, level: str) -> list[dict[str, Any]]:
    """Every street, community or grid inside the scope (``key``, ``name``, ``code``), cases
    or none."""
    where, params = scope.where("a")
    rows = conn.execute(text(f"SELECT a.id AS key, a.name, a.code FROM ({AREA_LISTS[level]}) a "
                             f"WHERE {where} ORDER BY a.code"), params).mappings()
    return [dict(r) for r in rows]


def daily_counts(conn: Connection, scope: Scope, start: datetime, end: datetime
                 ) -> dict[date, tuple[int, int]]:
    """Per Beijing day of ``[start, end)``: cases received and cases 办结, counted exactly as
    :func:`period_rows` counts ``intake`` and ``resolved`` (so the days add up to the period)."""
    cond, params = _cond(scope, None)
    within = stats.between()
    day = f"(i.{{col}} AT TIME ZONE '{stats.TZ}')::date"
    sql = (f"SELECT d, sum(rep)::int, sum(res)::int FROM ("
           f"SELECT {day.format(col='reported_at')} AS d, 1 AS rep, 0 AS res FROM incidents i "
           f"WHERE {cond} AND {within('reported_at')} UNION ALL "
           f"SELECT {day.format(col='resolved_at')}, 0, 1 FROM incidents i "
           f"WHERE {cond} AND {within('resolved_at')} AND {evidence.resolved()}) x GROUP BY d")
    rows = conn.execute(text(sql), {**params, "p_start": start, "p_end": end}).all()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def grid_received(conn: Connection, scope: Scope, start: datetime, end: datetime
                  ) -> dict[int, int]:
    """Cases received in ``[start, end)`` per grid of the scope (the ``intake`` of
    :func:`period_rows` by grid)."""
    cond, params = _cond(scope, None)
    rows = conn.execute(text(
        f"SELECT i.grid_id, count(*) FROM incidents i WHERE {cond} AND "
        f"{stats.between()('reported_at')} AND i.grid_id IS NOT NULL GROUP BY 1"),
        {**params, "p_start": start, "p_end": end}).all()
    return {int(r[0]): int(r[1]) for r in rows}
