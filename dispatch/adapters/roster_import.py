"""A unit roster written into ``units``: added or updated by code, live state kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo.loader import copy_frame

ROSTER_FIELDS = ("name", "unit_type", "phone", "skills", "languages", "full_time", "level",
                 "street_id", "community_id", "home_grid_id", "police_grid_id", "shift", "shift_start",
                 "shift_end", "capacity", "on_foot", "email")


def upsert_units(conn: Connection, units: Any) -> int:
    """Write a roster (a GeoDataFrame shaped like ``units``, placeholder ids) by code; a unit
    with a home grid takes that grid's community and street. Returns how many were new."""
    conn.execute(text("CREATE TEMP TABLE units_in (LIKE units INCLUDING DEFAULTS) ON COMMIT DROP"))
    copy_frame(conn, "units", units, into="units_in")
    # a roster without 所属社区 keeps the community a unit has (a home grid sets it below)
    sets = ", ".join(f"{f} = coalesce(EXCLUDED.{f}, units.{f})" if f == "community_id"
                     else f"{f} = EXCLUDED.{f}" for f in ROSTER_FIELDS)
    cols = ", ".join(("id", "code", *ROSTER_FIELDS))
    picked = ", ".join(f"i.{c}" for c in ("code", *ROSTER_FIELDS))
    result = conn.execute(text(
        f"INSERT INTO units ({cols}) "
        f"SELECT coalesce(u.id, (SELECT coalesce(max(id), 0) FROM units) "
        f"  + row_number() OVER (ORDER BY i.code)), {picked} "
        f"FROM units_in i LEFT JOIN units u ON u.code = i.code "
        f"ON CONFLICT (code) DO UPDATE SET {sets}, version = units.version + 1 "
        f"RETURNING (xmax = 0) AS inserted"))
    inserted = sum(1 for (new,) in result if new)
    conn.execute(text(
        "UPDATE units u SET community_id = g.community_id, street_id = c.street_id "
        "FROM units_in i, grids g JOIN communities c ON c.id = g.community_id "
        "WHERE u.code = i.code AND g.id = u.home_grid_id"))
    return inserted


_ROSTER_ROW = text(
    "SELECT u.code, u.name, u.unit_type, u.phone, u.skills, u.languages, u.full_time, u.level, "
    "u.shift, u.capacity, g.code AS home_grid, pg.code AS police_grid, s.code AS street "
    "FROM units u LEFT JOIN grids g ON g.id = u.home_grid_id "
    "LEFT JOIN police_grids pg ON pg.id = u.police_grid_id "
    "LEFT JOIN streets s ON s.id = u.street_id WHERE u.id = :id")


def roster_row(conn: Connection, unit_id: int) -> dict[str, Any] | None:
    """One unit as a roster file states it (areas by code), or None when there is no unit."""
    row = conn.execute(_ROSTER_ROW, {"id": unit_id}).mappings().first()
    return None if row is None else dict(row)
