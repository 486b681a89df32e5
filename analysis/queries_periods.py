"""The SQL of the period figures: one aggregate row per group over a fixed Beijing-dated period.

The counting columns are the wall's own (:func:`dispatch.stats.window_columns` with the fixed
window :func:`dispatch.stats.between`), so a chosen period and the rolling window count by the same
definitions; only the bounds differ. Cases merged into another as duplicates are left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text

from analysis.queries import NOT_MERGED
from dispatch import stats
from dispatch.stats_scope import Scope

SUFFIX = "p"  # the columns' suffix: intake_p, due_p, …

# what a breakdown groups by: the key column, and the table (alias a) giving its name and code
AREA_GROUPS = {"street": ("i.street_id", "streets"), "community": ("i.community_id", "communities"),
               "grid": ("i.grid_id", "grids")}
VALUE_GROUPS = {"category": "i.category", "channel": "i.channel"}
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
    return [dict(r) for r in conn.execute(stmt, params).mappings()]


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
