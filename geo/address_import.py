"""Load an address library into the gazetteer, and the road-network fallback for the geocoder.

``import_addresses`` replaces the library's gazetteer (facility places stay), then derives
road-level entries for the network's road names the library lacks and rebuilds the search
table; its fresh version makes every running console's geocoder load the new names on its
next query (geo.geocode_search), so no restart is needed. ``derive_network_roads`` alone serves
a territory with roads but no library: each named road answers at road level, flagged as such.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import Connection, text

from geo.address_gazetteer import build_gazetteer
from geo.address_library import read_library
from geo.errors import ImportRejected, Problem
from geo.loader import copy_frame
from geo.locate import Locator

Progress = Callable[[str, int], None]
_CHAIN_LEVELS = {"street_id": "street", "community_id": "community", "grid_id": "grid",
                 "micro_grid_id": "micro_grid"}


def territory_locator(conn: Connection) -> Locator:
    """The loaded areas as a Locator, or a refusal saying to import the areas first."""
    try:
        return Locator.from_db(conn)
    except LookupError:
        raise ImportRejected([Problem("empty", "辖区尚未导入：请先导入街道、社区、网格等区划面，"
                                      "再导入地址库", "地址库")], source="地址库") from None


def chain_of(locator: Locator) -> Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """lon/lat arrays -> street, community, grid and micro-grid ids (0 outside or absent)."""

    def locate(lon: np.ndarray, lat: np.ndarray) -> dict[str, np.ndarray]:
        ids = locator.chain_ids(lon, lat)  # the finest cell's own parents, as locate() gives
        return {col: ids[lv] for col, lv in _CHAIN_LEVELS.items()}
    return locate


def _admin_names(conn: Connection) -> list[str]:
    return [str(n) for (n,) in conn.execute(text(
        "SELECT name FROM districts UNION SELECT name FROM streets "
        "UNION SELECT name FROM communities"))]


def _network_lines(conn: Connection) -> dict[str, shapely.MultiLineString]:
    rows = conn.execute(text(
        "SELECT name, ST_AsBinary(ST_Multi(ST_LineMerge(ST_Collect(geom)))) FROM road_edges "
        "WHERE coalesce(name, '') <> '' GROUP BY name"))
    return {str(n): shapely.from_wkb(bytes(g)) for n, g in rows}  # type: ignore[misc, call-overload]


def import_addresses(conn: Connection, path: Path, *, crs: str | None = None,
                     layer: str | None = None, dry_run: bool = False,
                     progress: Progress | None = None) -> dict[str, int]:
    """Check ``path`` whole; unless ``dry_run``, replace the library gazetteer with it.

    Raises :class:`ImportRejected` (nothing written) when any row has a problem.
    """
    locator = territory_locator(conn)
    finest = locator.finest

    def inside(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return np.asarray(locator.cells(lon, lat, level=finest) >= 0)

    rows, problems = read_library(path, crs=crs, admin_names=_admin_names(conn), inside=inside,
                                  layer=layer)
    if problems:
        raise ImportRejected(problems, source=path.name)
    kept = conn.execute(text(
        "SELECT coalesce(max(a.id), 0), coalesce(max(p.id), 0) FROM places p "
        "LEFT JOIN addresses a ON a.place_id = p.id WHERE p.facility_id IS NOT NULL")).one()
    gaz = build_gazetteer(rows, locate=chain_of(locator), network=_network_lines(conn),
                          first_address_id=int(kept[0]) + 1, first_place_id=int(kept[1]) + 1)
    counts = {"rows": len(rows), **{t: len(f) for t, f in gaz.frames.items()}}
    if dry_run:
        return counts
    conn.execute(text("LOCK TABLE addr_roads, compounds, places, addresses IN EXCLUSIVE MODE"))
    conn.execute(text(
        "DELETE FROM addresses a WHERE NOT EXISTS (SELECT 1 FROM places p "
        "WHERE p.id = a.place_id AND p.facility_id IS NOT NULL)"))
    conn.execute(text("TRUNCATE door_ranges"))
    conn.execute(text("DELETE FROM buildings"))
    conn.execute(text("DELETE FROM compounds"))
    conn.execute(text("DELETE FROM addr_roads"))
    conn.execute(text("DELETE FROM places WHERE facility_id IS NULL"))
    for table in ("addr_roads", "door_ranges", "compounds", "buildings", "places", "addresses"):
        n = copy_frame(conn, table, gaz.frames[table], progress=progress)
        if progress:
            progress(table, n)
    counts["network_roads"] = derive_network_roads(conn, rebuild=False)
    from geo.geocoder import rebuild_search

    counts["search_names"] = rebuild_search(conn)
    conn.execute(text("ANALYZE addr_roads, door_ranges, compounds, buildings, places, addresses"))
    return counts


def derive_network_roads(conn: Connection, *, rebuild: bool = True) -> int:
    """Road-level gazetteer entries for the network's named roads the library lacks.

    Each is placed at the point of its line nearest the line's centroid and located in the
    areas; ``addr_roads.source = 'network'`` makes the geocoder answer it as approximate.
    Returns how many roads were derived.
    """
    conn.execute(text("DELETE FROM addr_roads WHERE source = 'network'"))  # their addresses too
    made = conn.execute(text("""
        INSERT INTO addr_roads (id, name, aliases, street_id, geom, source)
        SELECT (SELECT coalesce(max(id), 0) FROM addr_roads) + row_number() OVER (ORDER BY name),
               name, '{}', NULL, ST_Multi(ST_LineMerge(ST_Collect(geom))), 'network'
        FROM road_edges e
        WHERE coalesce(name, '') <> ''
          AND NOT EXISTS (SELECT 1 FROM addr_roads r WHERE r.name = e.name)
        GROUP BY name
        RETURNING id""")).rowcount
    conn.execute(text("""
        WITH p AS (
          SELECT r.id, r.name, ST_ClosestPoint(r.geom, ST_Centroid(r.geom)) AS pt
          FROM addr_roads r WHERE r.source = 'network'),
        located AS (
          SELECT p.*, m.id AS micro, g.id AS grid, c.id AS community, s.id AS street,
                 coalesce(s.name, '') AS street_name, coalesce(d.name, '') AS district_name
          FROM p
          LEFT JOIN LATERAL (SELECT id FROM streets WHERE ST_Covers(geom, p.pt)
                             ORDER BY id LIMIT 1) s0 ON true
          LEFT JOIN streets s ON s.id = s0.id
          LEFT JOIN districts d ON d.id = s.district_id
          LEFT JOIN LATERAL (SELECT id FROM communities WHERE ST_Covers(geom, p.pt)
                             ORDER BY id LIMIT 1) c ON true
          LEFT JOIN LATERAL (SELECT id FROM grids WHERE ST_Covers(geom, p.pt)
                             ORDER BY id LIMIT 1) g ON true
          LEFT JOIN LATERAL (SELECT id FROM micro_grids WHERE ST_Covers(geom, p.pt)
                             ORDER BY id LIMIT 1) m ON true)
        INSERT INTO addresses (id, full_address, level, road_id, street_id, community_id,
                               grid_id, micro_grid_id, geom)
        SELECT (SELECT coalesce(max(id), 0) FROM addresses) + row_number() OVER (ORDER BY id),
               district_name || street_name || name, 'road', id, street, community, grid,
               micro, pt
        FROM located"""))
    conn.execute(text(
        "UPDATE addr_roads r SET street_id = a.street_id FROM addresses a "
        "WHERE a.road_id = r.id AND a.level = 'road' AND r.source = 'network'"))
    if rebuild:
        from geo.geocoder import rebuild_search

        rebuild_search(conn)
    return int(made or 0)
