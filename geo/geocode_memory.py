"""The reverse geocoder's gazetteer in memory: a point's label with no database round trip.

:class:`MemoryGazetteer` holds compounds (shapes), buildings, places, stored doors and door
ranges, and answers what :class:`geo.geocode_reverse.SqlGazetteer` reads from PostGIS the same
way: covering by shapes (the lowest id on a shared edge), nearest by plane distance in degrees
(PostGIS's ``<->``), distances in metres on the WGS-84 spheroid (geographiclib, as PostGIS's
geography). :func:`reverse_in_memory` labels a point with the process's
:class:`geo.locate.Locator` for the chain; a point in no micro-grid (outside, or on a gap the
database snaps across) is left to :func:`geo.geocode_reverse.reverse_geocode`. Built once per
process and rebuilt when the gazetteer's tables change (:func:`gazetteer_cache`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from scipy.spatial import cKDTree
from sqlalchemy import Connection, text

from geo.cache import SignatureCache
from geo.geocode_doors import DoorNumber, door_facing
from geo.geocode_reverse import ReverseResult, label_point
from geo.locate import Locator

_GEOD = Geod(ellps="WGS84")
_TABLES = ("compounds", "buildings", "places", "addresses", "door_ranges", "addr_roads")
_K_RANGES = 6  # the ranges door_at weighs (geo.geocode_doors._NEAREST's LIMIT)


def metres(lon: float, lat: float, lon2: float, lat2: float) -> float:
    """Geodesic distance on the WGS-84 spheroid (PostGIS geography's ``ST_Distance``)."""
    return float(_GEOD.inv(lon, lat, lon2, lat2)[2])


def _xy(rows: list[Any], at: int) -> np.ndarray:
    return np.array([(float(r[at]), float(r[at + 1])) for r in rows], dtype=float).reshape(-1, 2)


class MemoryGazetteer:
    """A :class:`geo.geocode_reverse.Gazetteer` over rows read once (:meth:`from_db`)."""

    def __init__(self, compounds: list[Any], buildings: list[Any], places: list[Any],
                 doors: list[Any], ranges: list[Any], roads: dict[int, str]) -> None:
        self._c_names = [str(r[1]) for r in compounds]
        self._c_geoms = np.asarray(shapely.from_wkb([bytes(r[2]) for r in compounds])
                                   if compounds else [], dtype=object)
        shapely.prepare(self._c_geoms)
        self._c_tree = shapely.STRtree(self._c_geoms)  # rows in id order: lowest id first
        self._c_ids = [int(r[0]) for r in compounds]
        grouped: dict[int, list[Any]] = {}
        for r in buildings:
            grouped.setdefault(int(r[0]), []).append(r)
        self._b_of: dict[int, tuple[list[Any], np.ndarray]] = {
            c: ([r[1] for r in rs], _xy(rs, 2)) for c, rs in grouped.items()}
        self._p_names = [str(r[0]) for r in places]
        self._p_xy = _xy(places, 1)
        self._p_tree = cKDTree(self._p_xy) if places else None
        self._d_rows = [(int(r[0]), int(r[1])) for r in doors]
        self._d_xy = _xy(doors, 2)
        self._d_tree = cKDTree(self._d_xy) if doors else None
        self._anchors: dict[int, list[tuple[int, float, float]]] = {}
        for (road, no), (x, y) in zip(self._d_rows, self._d_xy, strict=True):
            self._anchors.setdefault(road, []).append((no, float(x), float(y)))
        self._roads = roads
        self._ranges = [(int(r[0]), int(r[1]), int(r[2]), str(r[3]), bytes(r[4]),
                         roads.get(int(r[0]), "")) for r in ranges]
        self._r_geoms = np.asarray(shapely.from_wkb([x[4] for x in self._ranges])
                                   if ranges else [], dtype=object)
        self._r_tree = shapely.STRtree(self._r_geoms)

    @classmethod
    def from_db(cls, conn: Connection) -> MemoryGazetteer:
        def rows(sql: str) -> list[Any]:
            return list(conn.execute(text(sql)).all())
        return cls(
            rows("SELECT id, name, ST_AsBinary(geom) FROM compounds ORDER BY id"),
            rows("SELECT compound_id, number, ST_X(geom), ST_Y(geom) FROM buildings "
                 "ORDER BY compound_id, id"),
            rows("SELECT name, ST_X(geom), ST_Y(geom) FROM places ORDER BY id"),
            rows("SELECT road_id, door_no, ST_X(geom), ST_Y(geom) FROM addresses "
                 "WHERE level = 'door' ORDER BY id"),
            rows("SELECT road_id, first_no, last_no, parity, ST_AsBinary(geom) FROM door_ranges "
                 "ORDER BY id"),
            {int(i): str(n) for i, n in rows("SELECT id, name FROM addr_roads")})

    def compound(self, lon: float, lat: float) -> tuple[str, Any, float | None] | None:
        hits = self._c_tree.query(shapely.Point(lon, lat), predicate="intersects")
        if not len(hits):
            return None
        k = int(np.min(hits))
        numbers, xy = self._b_of.get(self._c_ids[k], ([], np.empty((0, 2))))
        if not numbers:
            return self._c_names[k], None, None
        b = int(np.argmin(np.hypot(xy[:, 0] - lon, xy[:, 1] - lat)))
        return self._c_names[k], numbers[b], metres(lon, lat, xy[b, 0], xy[b, 1])

    def place(self, lon: float, lat: float) -> tuple[str, float] | None:
        if self._p_tree is None:
            return None
        _, k = self._p_tree.query((lon, lat))
        x, y = self._p_xy[int(k)]
        return self._p_names[int(k)], metres(lon, lat, x, y)

    def door(self, lon: float, lat: float) -> tuple[str, int, float] | None:
        if self._d_tree is None:
            return None
        _, k = self._d_tree.query((lon, lat))
        road, no = self._d_rows[int(k)]
        x, y = self._d_xy[int(k)]
        return self._roads.get(road, ""), no, metres(lon, lat, x, y)

    def door_at(self, lon: float, lat: float) -> DoorNumber | None:
        if not self._ranges:
            return None
        point, reach = shapely.Point(lon, lat), 0.002
        while True:  # widen until the k nearest are surely inside the reach
            hits = self._r_tree.query(point, predicate="dwithin", distance=reach)
            if len(hits) >= _K_RANGES or len(hits) == len(self._ranges):
                break
            reach *= 4
        dist = shapely.distance(self._r_geoms[hits], point)
        near = hits[np.lexsort((hits, dist))][:_K_RANGES]
        return door_facing([self._ranges[int(k)] for k in near],
                           lambda road: self._anchors.get(road, []), lon, lat)


def reverse_in_memory(locator: Locator, gaz: MemoryGazetteer, lon: float, lat: float
                      ) -> ReverseResult | None:
    """:func:`geo.geocode_reverse.reverse_geocode`'s answer, or None for a point in no
    micro-grid (the database's snapping answers that one)."""
    if locator.finest != "micro_grid":
        return None
    loc = locator.locate(lon, lat)
    if not loc.inside:
        return None
    levels = {k: p.as_dict() for k in ("micro_grid", "grid", "community", "street", "district")
              if (p := loc.chain.get(k)) is not None}
    return label_point(levels, gaz, lon, lat)


def _signature(conn: Connection) -> Hashable:
    """Rows and the largest id of each gazetteer table (imports replace rows)."""
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*), coalesce(max(id), 0) FROM {t}"
                             for t in _TABLES)
    return tuple(tuple(r) for r in conn.execute(text(sql)))


def gazetteer_cache(*, check_s: float = 30.0) -> SignatureCache[MemoryGazetteer]:
    """A process-wide gazetteer, rebuilt when an import changes the tables."""
    return SignatureCache(MemoryGazetteer.from_db, _signature, check_s=check_s)
