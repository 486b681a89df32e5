"""Case points for the home map's dispute layers (heat of reported cases over a period)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

AREA_KEYS = ("street_id", "community_id", "grid_id")


def history_points(conn: Connection, *, days: int,
                   area: dict[str, Any] | None = None) -> list[tuple[float, float]]:
    """(lon, lat) of every located case reported in the last ``days`` days (merged ones too:
    each call was a dispute someone reported), within ``area`` (``street_id`` … ids, or
    ``street_ids`` for a district's streets) if given."""
    where = "".join(f" AND {k} = :{k}" for k in sorted(area or {}) if k in AREA_KEYS)
    if "street_ids" in (area or {}):  # a district: its streets
        where += " AND street_id = ANY(:street_ids)"
    rows = conn.execute(text(
        "SELECT ST_X(geom), ST_Y(geom) FROM incidents WHERE geom IS NOT NULL "
        "AND reported_at >= now() - make_interval(days => :days)" + where),
        {"days": days, **(area or {})})
    return [(float(r[0]), float(r[1])) for r in rows]
