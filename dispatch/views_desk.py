"""The duty desk's read model: queue rows, unit-board rows and a case's names, whole or by id.

The console's desk hub (console.live.desk_hub) reads the whole desk here and re-reads only the
rows an event names (the same SQL with ``= ANY(:ids)``); the result of a patch is what a full
read would give (tests/integration/test_desk_patch.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from dispatch import vocab

DESK_STATES = (*vocab.OPEN_STATES, "resolved")

_QUEUE_SELECT = f"""
SELECT i.id, i.code, i.title, i.category, i.priority, i.difficulty, i.state, i.risk_level,
       i.street_id, i.created_by, i.address, i.reported_at, i.sign_deadline, i.close_deadline,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
       COALESCE(f.level, 'community') AS level, COALESCE(f.escalations, 0) AS escalations,
       s.name AS street_name, c.name AS community_name, g.name AS grid_name,
       (SELECT array_agg(u.name ORDER BY a.id) FROM assignments a JOIN units u
          ON u.id = a.unit_id WHERE a.incident_id = i.id AND a.state = 'active') AS units,
       (SELECT CASE WHEN bool_or(v.level = 'red') THEN 'red' ELSE 'yellow' END
          FROM supervisions v WHERE v.incident_id = i.id AND v.closed_at IS NULL
          HAVING count(*) > 0) AS supervision,
       (SELECT min(due_at) FROM followups w WHERE w.incident_id = i.id
          AND w.done_at IS NULL) AS followup_due
FROM incidents i
LEFT JOIN incident_flow f ON f.incident_id = i.id
LEFT JOIN streets s ON s.id = i.street_id
LEFT JOIN communities c ON c.id = i.community_id
LEFT JOIN grids g ON g.id = i.grid_id
WHERE i.state IN ({", ".join(f"'{s}'" for s in DESK_STATES)})
"""
_QUEUE_SQL = _QUEUE_SELECT + "ORDER BY i.id DESC LIMIT :limit"
# a jurisdiction's desk: its streets' cases and those its reader registered elsewhere (the
# creator's arm only when there is one: ``OR created_by = NULL`` made the planner scan every case)
_QUEUE_PART_SQL = _QUEUE_SELECT + "AND i.street_id = ANY(:streets) ORDER BY i.id DESC LIMIT :limit"
_QUEUE_PART_BY_SQL = _QUEUE_SELECT + (
    "AND (i.street_id = ANY(:streets) OR i.created_by = :creator) ORDER BY i.id DESC LIMIT :limit")
_QUEUE_IDS_SQL = _QUEUE_SELECT + "AND i.id = ANY(:ids)"
_QUEUE_BELOW_SQL = _QUEUE_SELECT + "AND i.id < :below {part}ORDER BY i.id DESC LIMIT :limit"
_PART = "AND i.street_id = ANY(:streets) "
_PART_BY = "AND (i.street_id = ANY(:streets) OR i.created_by = :creator) "

_UNITS_SELECT = """
SELECT u.id, u.code, u.name, u.unit_type AS type, u.status, u.capacity, u.street_id,
       u.active_load AS active_assignments, ST_X(u.last_geom) AS lon, ST_Y(u.last_geom) AS lat,
       u.last_seen_at AS position_at, COALESCE(g.name, c.name, s.name) AS place, k.cases
FROM units u
LEFT JOIN grids g ON g.id = u.home_grid_id
LEFT JOIN communities c ON c.id = u.community_id
LEFT JOIN streets s ON s.id = u.street_id
LEFT JOIN (SELECT a.unit_id, array_agg(i.code ORDER BY a.id) AS cases FROM assignments a
           JOIN incidents i ON i.id = a.incident_id WHERE a.state = 'active' {only}
           GROUP BY a.unit_id) k ON k.unit_id = u.id
{where} ORDER BY u.id
"""
_UNITS_SQL = _UNITS_SELECT.format(only="", where="")
_UNITS_IDS_SQL = _UNITS_SELECT.format(only="AND a.unit_id = ANY(:ids)",
                                      where="WHERE u.id = ANY(:ids)")
# a part's board: a few hundred units, so each one's names and active cases are looked up by
# key (a hash join over every grid and every active assignment of the territory cost more)
_UNITS_PART_SQL = """
SELECT u.id, u.code, u.name, u.unit_type AS type, u.status, u.capacity, u.street_id,
       u.community_id, u.home_grid_id,
       u.active_load AS active_assignments, ST_X(u.last_geom) AS lon, ST_Y(u.last_geom) AS lat,
       u.last_seen_at AS position_at,
       COALESCE((SELECT g.name FROM grids g WHERE g.id = u.home_grid_id),
                (SELECT c.name FROM communities c WHERE c.id = u.community_id),
                (SELECT s.name FROM streets s WHERE s.id = u.street_id)) AS place,
       (SELECT array_agg(i.code ORDER BY a.id) FROM assignments a JOIN incidents i
          ON i.id = a.incident_id WHERE a.unit_id = u.id AND a.state = 'active') AS cases
FROM units u WHERE u.street_id = ANY(:streets) ORDER BY u.id
"""
_TOUCHED_SQL = "SELECT DISTINCT unit_id FROM assignments WHERE incident_id = ANY(:ids)"

_CASE_NAMES_SQL = """
SELECT i.channel, i.created_by, i.caller_name, i.caller_phone,
       s.name AS street_name, c.name AS community_name, g.name AS grid_name,
       m.name AS micro_grid_name, p.name AS police_grid_name
FROM incidents i
LEFT JOIN streets s ON s.id = i.street_id LEFT JOIN communities c ON c.id = i.community_id
LEFT JOIN grids g ON g.id = i.grid_id LEFT JOIN micro_grids m ON m.id = i.micro_grid_id
LEFT JOIN police_grids p ON p.id = i.police_grid_id
WHERE i.id = :i
"""
_UNIT_LABELS_SQL = "SELECT id, code, name, unit_type, status FROM units WHERE id = ANY(:ids)"


def _rows(conn: Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    # keys zipped onto plain rows: a third less CPU than a RowMapping per row (a street's
    # desk reads ~1,300 rows at province scale)
    res = conn.execute(text(sql), params)
    keys = list(res.keys())
    return [dict(zip(keys, r, strict=True)) for r in res]


def server_now(conn: Connection) -> datetime:
    """The database's clock (every deadline on the desk is measured against it)."""
    now: datetime = conn.scalar(text("SELECT now()"))
    return now


def queue(conn: Connection, *, limit: int, streets: Iterable[int] | None = None,
          creator: str | None = None) -> list[dict[str, Any]]:
    """The newest ``limit`` cases the desk shows (open or resolved), newest first; with
    ``streets`` only those streets' cases and the ones ``creator`` registered (a part of the
    territory read as a part: its cost follows the part, not the territory)."""
    if streets is None:
        return _rows(conn, _QUEUE_SQL, limit=limit)
    if creator is None:
        return _rows(conn, _QUEUE_PART_SQL, limit=limit, streets=sorted(streets))
    return _rows(conn, _QUEUE_PART_BY_SQL, limit=limit, streets=sorted(streets), creator=creator)


def placements(conn: Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    """Where these cases lie and who registered them (``id``, ``street_id``, ``created_by``):
    what a jurisdiction's desk hub needs to know whether a case is its own."""
    return _rows(conn, "SELECT id, street_id, created_by FROM incidents WHERE id = ANY(:ids)",
                 ids=sorted(ids))


def queue_by_id(conn: Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    """The queue rows of these cases (a case absent from the answer has left the desk)."""
    return _rows(conn, _QUEUE_IDS_SQL, ids=sorted(ids))


def queue_below(conn: Connection, *, below: int, limit: int, streets: Iterable[int] | None = None,
                creator: str | None = None) -> list[dict[str, Any]]:
    """The ``limit`` newest desk cases older than case ``below`` (they move up the queue); with
    ``streets`` (and ``creator``) only a part's, as :func:`queue` reads it."""
    if streets is None:
        return _rows(conn, _QUEUE_BELOW_SQL.format(part=""), below=below, limit=limit)
    sql = _QUEUE_BELOW_SQL.format(part=_PART if creator is None else _PART_BY)
    return _rows(conn, sql, below=below, limit=limit, streets=sorted(streets), creator=creator)


def units(conn: Connection, ids: Iterable[int] | None = None, *,
          streets: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """The unit board's rows: every unit, those with these ids, or those of these streets."""
    if ids is None and streets is not None:
        return _rows(conn, _UNITS_PART_SQL, streets=sorted(streets))
    if ids is None:
        return _rows(conn, _UNITS_SQL)
    return _rows(conn, _UNITS_IDS_SQL, ids=sorted(ids))


def units_ever_assigned(conn: Connection, incident_ids: Iterable[int]) -> set[int]:
    """Every unit ever assigned to these cases (a state change moves them without naming them)."""
    return {int(u) for u in conn.scalars(text(_TOUCHED_SQL), {"ids": sorted(incident_ids)})}


def case_names(conn: Connection, incident_id: int) -> dict[str, Any]:
    """A case's channel, reporter and the names of its areas (empty when there is no case)."""
    row = conn.execute(text(_CASE_NAMES_SQL), {"i": incident_id}).mappings().first()
    return dict(row) if row else {}


def unit_labels(conn: Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Code, name, type and status of these units, by id."""
    wanted = sorted(ids)
    return {int(r["id"]): r for r in _rows(conn, _UNIT_LABELS_SQL, ids=wanted)} if wanted else {}
