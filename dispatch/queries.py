"""Read-only queries over live state: units and incidents as map features."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from dispatch.vocab import OPEN_STATES
from geo.queries import features

_OPEN = ",".join(f"'{s}'" for s in OPEN_STATES)


def unit_features(conn: Connection) -> list[dict[str, Any]]:
    """Every unit with a known position, with its type, status, load and home ids."""
    return features(conn, (
        "SELECT u.id, u.code, u.name, u.unit_type, u.status, u.active_load, u.capacity, "
        "u.street_id, u.community_id, u.home_grid_id AS grid_id, u.police_grid_id, "
        "u.shift, u.last_seen_at, u.last_geom AS geom FROM units u "
        "WHERE u.last_geom IS NOT NULL ORDER BY u.id"))


def incident_features(conn: Connection, *, open_only: bool = True, days: int | None = None,
                      limit: int = 5000) -> list[dict[str, Any]]:
    """Located incidents, newest first: open ones by default, or all within ``days``."""
    where = ["i.geom IS NOT NULL"]
    params: dict[str, Any] = {"limit": limit}
    if open_only:
        where.append(f"i.state IN ({_OPEN})")
    if days is not None:
        where.append("i.reported_at >= now() - make_interval(days => :days)")
        params["days"] = days
    return features(conn, (
        "SELECT i.id, i.code, i.title AS name, i.category, i.state, i.priority, i.risk_level, "
        "i.street_id, i.community_id, i.grid_id, i.micro_grid_id, i.police_grid_id, "
        "i.reported_at, i.sign_deadline, i.close_deadline, i.geom FROM incidents i "
        f"WHERE {' AND '.join(where)} ORDER BY i.reported_at DESC LIMIT :limit"), params=params)


def available_unit_points(conn: Connection, *, area: dict[str, Any] | None = None
                          ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Positions of units free to go now: (drivers, walkers), WGS-84 (lon, lat); within
    ``area`` (``street_id``, ``community_id``, ``grid_id`` → the unit's home grid) if given."""
    cols = {"street_id": "street_id", "community_id": "community_id", "grid_id": "home_grid_id"}
    where = "".join(f" AND {cols[k]} = :{k}" for k in sorted(area or {}) if k in cols)
    if "street_ids" in (area or {}):  # a district: its streets
        where += " AND street_id = ANY(:street_ids)"
    rows = conn.execute(text(
        "SELECT ST_X(last_geom), ST_Y(last_geom), on_foot FROM units "
        "WHERE status = 'available' AND active_load < capacity AND last_geom IS NOT NULL"
        + where), dict(area or {}))
    drive: list[tuple[float, float]] = []
    walk: list[tuple[float, float]] = []
    for row in rows:
        (walk if row[2] else drive).append((float(row[0]), float(row[1])))
    return drive, walk
