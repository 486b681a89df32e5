"""Read-only territory queries: features for map layers and the counts health reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

# Each territory layer: its SQL (properties name the feature and its parents' ids) and geometry.
LAYER_SQL: dict[str, str] = {
    "streets": "SELECT s.id, s.code, s.name, s.district_id, s.illustrative, s.geom FROM streets s",
    "communities": (
        "SELECT c.id, c.code, c.name, c.street_id, c.households, c.illustrative, c.geom "
        "FROM communities c"),
    "grids": (
        "SELECT g.id, g.code, g.name, g.community_id, c.street_id, g.police_grid_id, g.kind, "
        "g.households, g.illustrative, g.geom FROM grids g JOIN communities c ON c.id = g.community_id"),
    "micro_grids": (
        "SELECT m.id, m.code, m.name, m.grid_id, g.community_id, c.street_id, m.households, "
        "m.illustrative, m.geom FROM micro_grids m JOIN grids g ON g.id = m.grid_id "
        "JOIN communities c ON c.id = g.community_id"),
    "police_grids": (
        "SELECT p.id, p.code, p.name, p.street_id, p.community_id, p.station, p.illustrative, "
        "p.geom FROM police_grids p"),
    "facilities": (
        "SELECT f.id, f.code, f.name, f.kind, f.level, f.district_id, f.street_id, "
        "f.community_id, f.address, f.illustrative, f.geom FROM facilities f"),
    "roads": (
        "SELECT e.id, coalesce(e.ext_id, e.id::text) AS code, e.name, e.road_class, e.source, "
        "e.target, round(e.length_m::numeric, 1) AS length_m, round(e.cost_s::numeric, 2) AS cost_s, "
        "CASE WHEN e.reverse_cost_s < 0 THEN -1 ELSE round(e.reverse_cost_s::numeric, 2) END "
        "AS reverse_cost_s, e.illustrative, e.geom FROM road_edges e"),
}
TERRITORY_LAYERS = tuple(LAYER_SQL)

COUNTED = {
    "districts": "districts", "streets": "streets", "communities": "communities",
    "grids": "grids", "micro_grids": "micro_grids", "police_grids": "police_grids",
    "facilities": "facilities", "units": "units", "road_edges": "road_edges",
    "addresses": "addresses",
}


def features(conn: Connection, sql: str, *, params: dict[str, Any] | None = None,
             precision: int = 6) -> list[dict[str, Any]]:
    """Run ``sql`` (which selects a ``geom`` column) and return GeoJSON feature dicts.

    PostGIS writes the geometry JSON; the rest of the row becomes the properties.
    """
    wrapped = (
        f"SELECT json_build_object('type', 'Feature', 'id', q.id, "
        f"'geometry', ST_AsGeoJSON(q.geom, {precision})::json, "
        f"'properties', to_jsonb(q) - 'geom') FROM ({sql}) q"
    )
    return list(conn.execute(text(wrapped), params or {}).scalars())


def territory_layer(conn: Connection, name: str) -> list[dict[str, Any]]:
    """Features of one territory layer (``TERRITORY_LAYERS``)."""
    return features(conn, LAYER_SQL[name] + " ORDER BY 1")


# The roads as a basemap: one feature per road class, its edges stitched into as few lines as
# they make. A map draws ~10 paths instead of thousands (6,356 edges at city scale took 170 ms to
# add in the browser); the routing graph's edges stay available one by one (``territory_layer``).
ROAD_BASEMAP_SQL = (
    "SELECT e.road_class AS id, e.road_class, count(*)::int AS edges, "
    "bool_and(e.illustrative) AS illustrative, ST_LineMerge(ST_Collect(e.geom)) AS geom "
    "FROM road_edges e GROUP BY e.road_class")


def road_basemap(conn: Connection) -> list[dict[str, Any]]:
    """Road lines merged by class (``?merge=class`` on the roads layer)."""
    return features(conn, ROAD_BASEMAP_SQL + " ORDER BY 1")


def territory_counts(conn: Connection) -> dict[str, int]:
    """Row counts of the territory tables the health endpoint reports."""
    parts = " UNION ALL ".join(
        f"SELECT '{key}' AS k, count(*) AS n FROM {table}" for key, table in COUNTED.items())
    return {str(r[0]): int(r[1]) for r in conn.execute(text(parts))}


def territory_bounds(conn: Connection) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of the territory, or None when empty."""
    row = conn.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(geom) AS e FROM districts) x")).one()
    return None if row[0] is None else (row[0], row[1], row[2], row[3])


def address_page(conn: Connection, *, limit: int, offset: int) -> dict[str, Any]:
    """One page of the standard address list in id order, with the total count."""
    total = conn.scalar(text("SELECT count(*) FROM addresses"))
    rows = conn.execute(text(
        "SELECT id, full_address, level, ST_X(geom), ST_Y(geom), micro_grid_id, grid_id, "
        "community_id, street_id FROM addresses ORDER BY id LIMIT :l OFFSET :o"),
        {"l": limit, "o": offset})
    items = [{"id": r[0], "address": r[1], "level": r[2], "lon": round(r[3], 7),
              "lat": round(r[4], 7), "micro_grid_id": r[5], "grid_id": r[6],
              "community_id": r[7], "street_id": r[8]} for r in rows]
    return {"items": items, "total": int(total or 0), "limit": limit, "offset": offset}


def district_exists(conn: Connection, district_id: int) -> bool:
    return conn.execute(text("SELECT 1 FROM districts WHERE id = :d"),
                        {"d": district_id}).first() is not None


def district_of_street(conn: Connection, street_id: int | None) -> int | None:
    """The district a street belongs to (None when there is no such street)."""
    found = conn.execute(text("SELECT district_id FROM streets WHERE id = :s"),
                         {"s": street_id}).scalar()
    return None if found is None else int(found)


def grid_count(conn: Connection) -> int:
    """How many grids the territory has (0: no territory loaded yet)."""
    return int(conn.scalar(text("SELECT count(*) FROM grids")) or 0)


def ping(conn: Connection) -> None:
    """One round trip: raises when the database cannot answer."""
    conn.execute(text("SELECT 1")).scalar()


def postgis_version(conn: Connection) -> str:
    return str(conn.execute(text("SELECT postgis_lib_version()")).scalar())


AREA_CODE_LAYERS = ("streets", "communities", "grids", "police_grids", "facilities")


def area_codes(conn: Connection, layer: str) -> list[tuple[str, int, str, str | None]]:
    """(code, id, name, parent name) of every feature of a layer; the parent (a grid's
    community) only for grids."""
    if layer not in AREA_CODE_LAYERS:
        raise ValueError(f"not a coded layer: {layer}")
    sql = ("SELECT g.code, g.id, g.name, c.name FROM grids g "
           "JOIN communities c ON c.id = g.community_id") if layer == "grids" else \
        f"SELECT code, id, name, NULL FROM {layer}"
    return [(str(r[0]), int(r[1]), str(r[2]), r[3]) for r in conn.execute(text(sql))]


def has_rows(conn: Connection, table: str) -> bool:
    """Whether a territory table (one of ``COUNTED``) holds anything yet."""
    if table not in COUNTED.values():
        raise ValueError(f"not a territory table: {table}")
    return bool(conn.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {table})")))
