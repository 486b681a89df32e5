"""The analysis room's read model: the SQL that fetches counts, points, areas and case rows.

Every query is cut to a :class:`dispatch.stats_scope.Scope` (the reader's jurisdiction, decided
by the face) and leaves out cases merged into another as duplicates, as the statistics do.
Periods are half-open ``[start, end)`` instants; weeks are rolling 7-day bins ending at ``end``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from dispatch.stats_evidence import NOT_MERGED
from dispatch.stats_scope import Scope

_AREAS = ("(SELECT m.id, m.geom, m.grid_id, g.community_id, c.street_id FROM micro_grids m "
          "JOIN grids g ON g.id = m.grid_id JOIN communities c ON c.id = g.community_id) a")


def _cases(scope: Scope, category: str | None) -> tuple[str, dict[str, Any]]:
    where, params = scope.where("i")
    cond = f"{where} AND {NOT_MERGED} AND i.reported_at >= :start AND i.reported_at < :end"
    if category:
        cond += " AND i.category = :category"
        params = {**params, "category": category}
    return cond, params


def micro_grids(conn: Connection, scope: Scope) -> tuple[list[int], list[BaseGeometry]]:
    """The micro-grids of the scope (ids ascending) and their polygons (WGS-84)."""
    where, params = scope.where("a")
    rows = conn.execute(text(f"SELECT a.id, ST_AsBinary(a.geom) FROM {_AREAS} WHERE {where} "
                             "ORDER BY a.id"), params).all()
    return [int(r[0]) for r in rows], list(shapely.from_wkb([bytes(r[1]) for r in rows]))


def outline(conn: Connection, scope: Scope) -> BaseGeometry | None:
    """The scope's own boundary: its street's (community's, grid's) polygon, a district's, or
    the union of the districts for the whole territory (a few polygons, where the union of a
    city's micro-grids costs a second)."""
    table = {"district": "districts", "street": "streets", "community": "communities",
             "grid": "grids"}.get(scope.level)
    sql = ("SELECT ST_AsBinary(ST_Union(geom)) FROM districts" if table is None else
           f"SELECT ST_AsBinary(geom) FROM {table} WHERE id = :x")
    wkb = conn.execute(text(sql), {"x": scope.area_id}).scalar()
    return None if wkb is None else shapely.from_wkb(bytes(wkb))


def study_area(conn: Connection, scope: Scope) -> BaseGeometry | None:
    """The scope's outline: the union of its micro-grids (grids where a grid has none)."""
    where, params = scope.where("a")
    wkb = conn.execute(text(
        "SELECT ST_AsBinary(ST_Union(a.geom)) FROM (SELECT g.id AS grid_id, g.community_id, "
        f"c.street_id, g.geom FROM grids g JOIN communities c ON c.id = g.community_id) a "
        f"WHERE {where}"), params).scalar()
    return None if wkb is None else shapely.from_wkb(bytes(wkb))


def micro_counts(conn: Connection, scope: Scope, start: datetime, end: datetime,
                 category: str | None = None) -> dict[object, float]:
    """Cases per micro-grid reported in ``[start, end)``."""
    cond, params = _cases(scope, category)
    rows = conn.execute(text(
        f"SELECT i.micro_grid_id, count(*) FROM incidents i WHERE {cond} "
        "AND i.micro_grid_id IS NOT NULL GROUP BY 1"), {**params, "start": start, "end": end})
    return {int(r[0]): float(r[1]) for r in rows}


def points(conn: Connection, scope: Scope, start: datetime, end: datetime,
           category: str | None = None) -> tuple[list[float], list[float]]:
    """(lon, lat) of the located cases reported in ``[start, end)``."""
    cond, params = _cases(scope, category)
    rows = conn.execute(text(
        f"SELECT ST_X(i.geom), ST_Y(i.geom) FROM incidents i WHERE {cond} "
        "AND i.geom IS NOT NULL"), {**params, "start": start, "end": end}).all()
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows]


def week_bounds(end: datetime, weeks: int) -> list[tuple[datetime, datetime]]:
    """``weeks`` rolling 7-day bins ending at ``end``, oldest first."""
    return [(end - timedelta(days=7 * (k + 1)), end - timedelta(days=7 * k))
            for k in reversed(range(weeks))]


def weekly_micro_counts(conn: Connection, scope: Scope, end: datetime, weeks: int,
                        category: str | None = None) -> list[dict[object, float]]:
    """Cases per micro-grid in each of ``weeks`` 7-day bins ending at ``end``, oldest first."""
    start = end - timedelta(days=7 * weeks)
    cond, params = _cases(scope, category)
    out: list[dict[object, float]] = [{} for _ in range(weeks)]
    rows = conn.execute(text(
        f"SELECT floor(extract(epoch FROM (:end - i.reported_at)) / 604800)::int AS back, "
        f"i.micro_grid_id, count(*) FROM incidents i WHERE {cond} "
        "AND i.micro_grid_id IS NOT NULL GROUP BY 1, 2"), {**params, "start": start, "end": end})
    for row in rows:
        back, area, n = int(row[0]), row[1], row[2]
        if 0 <= back < weeks:
            out[weeks - 1 - back][int(area)] = float(n)
    return out


def weekly_points(conn: Connection, scope: Scope, end: datetime, weeks: int,
                  category: str | None = None) -> list[tuple[list[float], list[float]]]:
    """The located cases' (lon, lat) in each of ``weeks`` 7-day bins ending at ``end``."""
    return [points(conn, scope, a, b, category) for a, b in week_bounds(end, weeks)]


def repeat_rows(conn: Connection, scope: Scope, start: datetime, end: datetime,
                category: str | None = None) -> list[dict[str, Any]]:
    """The cases of the period with what repeats are found by: the address, the point, the
    parties' phone and ID numbers (raw: :mod:`analysis.identity` hashes them at once; no
    caller of this function may pass them on), the state and area ids."""
    cond, params = _cases(scope, category)
    rows = conn.execute(text(
        "SELECT i.id, i.code, i.category, i.state, i.address, i.reported_at, i.risk_level, "
        "i.street_id, i.community_id, i.grid_id, i.created_by, "
        "ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, i.caller_phone, i.parties "
        f"FROM incidents i WHERE {cond} ORDER BY i.reported_at, i.id"),
        {**params, "start": start, "end": end}).mappings()
    return [dict(r) for r in rows]


def watch_rows(conn: Connection, scope: Scope, *, min_level: int = 2) -> list[dict[str, Any]]:
    """Open cases at risk ``min_level`` or above (2 orange, 3 red) with what was done: units
    assigned, mediation steps, supervisions, whistles, the 一事一策 flag and the risk basis."""
    where, params = scope.where("i")
    rows = conn.execute(text(
        "SELECT i.id, i.code, i.title, i.category, i.state, i.priority, i.risk_level, "
        "i.reported_at, i.close_deadline, i.street_id, i.community_id, i.grid_id, "
        "i.created_by, i.parties, i.caller_name, "
        "COALESCE(f.one_case_plan, false) AS one_case_plan, f.level AS handling_level, "
        "COALESCE(f.escalations, 0) AS escalations, COALESCE(f.risk_reasons, '[]') AS risk_reasons, "
        "COALESCE(f.risk_basis, '[]') AS risk_basis, "
        "(SELECT count(*) FROM assignments a WHERE a.incident_id = i.id) AS assignments, "
        "(SELECT array_agg(DISTINCT u.unit_type) FROM assignments a JOIN units u ON u.id = a.unit_id "
        " WHERE a.incident_id = i.id) AS unit_types, "
        "(SELECT count(*) FROM mediation_steps s WHERE s.incident_id = i.id) AS steps, "
        "(SELECT count(*) FROM supervisions s WHERE s.incident_id = i.id) AS supervisions, "
        "(SELECT count(*) FROM whistles w WHERE w.incident_id = i.id) AS whistles, "
        "COALESCE((SELECT array_agg(a.unit_id) FROM assignments a WHERE a.incident_id = i.id "
        " AND a.state = 'active'), '{}') AS unit_ids "
        "FROM incidents i LEFT JOIN incident_flow f ON f.incident_id = i.id "
        f"WHERE {where} AND i.risk_level >= :lvl "
        "AND i.state NOT IN ('resolved', 'followed_up', 'closed') "
        f"AND {NOT_MERGED} ORDER BY i.risk_level DESC, i.reported_at"),
        {**params, "lvl": int(min_level)}).mappings()
    return [dict(r) for r in rows]


_CASE_SIGNATURE = text(
    "SELECT count(*), coalesce(max(i.id), 0), coalesce(sum(i.version), 0), "
    "coalesce(sum(i.micro_grid_id), 0), coalesce(sum(ST_X(i.geom) + ST_Y(i.geom)), 0), "
    "coalesce(sum(hashtext(i.category)), 0), "
    "(SELECT count(*) FROM incident_flow f WHERE f.merged_into IS NOT NULL) FROM incidents i")


def case_signature(conn: Connection) -> tuple[Any, ...]:
    """What every count over the cases reads, in one cheap scan: a new case, a merge, a state
    change or category edit (``version``), a relocation (the point, the micro-grid)."""
    return tuple(conn.execute(_CASE_SIGNATURE).one())
