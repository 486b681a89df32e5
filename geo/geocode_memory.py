"""The reverse geocoder's gazetteer in memory: a point's label with no database round trip.

:class:`MemoryGazetteer` holds compounds (shapes), buildings, places, stored doors and door
ranges, and answers what :class:`geo.geocode_reverse.SqlGazetteer` reads from PostGIS the same
way: covering by shapes (the lowest id on a shared edge), nearest by plane distance in degrees
(PostGIS's ``<->``), distances in metres on the WGS-84 spheroid (geographiclib, as PostGIS's
geography). :func:`reverse_in_memory` labels a point with the process's
:class:`geo.locate.Locator` for the chain; a point in no micro-grid (outside, or on a gap the
database snaps across) is left to :func:`geo.geocode_reverse.reverse_geocode`. Built once per
process and rebuilt when the gazetteer's tables change (:func:`gazetteer_cache`: their change
counters, migration 0026).
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
    """A :class:`geo.geocode_reverse.Gazetteer` over rows read once (:meth:`from_db`), held as
    arrays (a point costs a few dozen bytes; shapes only for compounds and door ranges)."""

    def __init__(self, compounds: list[Any], buildings: list[Any], places: list[Any],
                 doors: list[Any], ranges: list[Any], roads: dict[int, str]) -> None:
        self._c_names = [str(r[1]) for r in compounds]
        self._c_ids = np.array([int(r[0]) for r in compounds], dtype=np.int64)
        self._c_tree = shapely.STRtree(np.asarray(  # rows in id order: the lowest id first
            shapely.from_wkb([bytes(r[2]) for r in compounds]) if compounds else [],
            dtype=object))
        # buildings sorted by compound (rows come so): a compound's are one slice
        self._b_comp = np.array([int(r[0]) for r in buildings], dtype=np.int64)
        self._b_no = np.array([r[1] for r in buildings], dtype=object)
        self._b_xy = _xy(buildings, 2)
        self._p_names = [str(r[0]) for r in places]
        self._p_xy = _xy(places, 1)
        self._p_tree = cKDTree(self._p_xy) if places else None
        self._d_road = np.array([int(r[0]) for r in doors], dtype=np.int64)
        self._d_no = np.array([int(r[1]) for r in doors], dtype=np.int64)
        self._d_xy = _xy(doors, 2)
        self._d_tree = cKDTree(self._d_xy) if doors else None
        self._d_by_road = np.argsort(self._d_road, kind="stable")  # a road's doors: one slice
        self._d_roads_sorted = self._d_road[self._d_by_road]
        self._roads = roads
        self._r_road = np.array([int(r[0]) for r in ranges], dtype=np.int64)
        self._r_nos = np.array([(int(r[1]), int(r[2])) for r in ranges],
                               dtype=np.int64).reshape(-1, 2)
        self._r_odd = np.array([str(r[3]) == "odd" for r in ranges], dtype=bool)
        self._r_geoms = np.asarray(shapely.from_wkb([bytes(r[4]) for r in ranges])
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
        cid = self._c_ids[k]
        a, b = np.searchsorted(self._b_comp, [cid, cid + 1])
        if a == b:
            return self._c_names[k], None, None
        xy = self._b_xy[a:b]
        j = int(np.argmin(np.hypot(xy[:, 0] - lon, xy[:, 1] - lat)))
        return self._c_names[k], self._b_no[a + j], metres(lon, lat, xy[j, 0], xy[j, 1])

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
        x, y = self._d_xy[int(k)]
        return (self._roads.get(int(self._d_road[k]), ""), int(self._d_no[k]),
                metres(lon, lat, x, y))

    def anchors(self, road: int) -> list[tuple[int, float, float]]:
        """A road's stored doors (``door_no, lon, lat``), as door interpolation reads them."""
        a, b = np.searchsorted(self._d_roads_sorted, [road, road + 1])
        return [(int(self._d_no[i]), float(self._d_xy[i, 0]), float(self._d_xy[i, 1]))
                for i in self._d_by_road[a:b]]

    def door_at(self, lon: float, lat: float) -> DoorNumber | None:
        if not len(self._r_geoms):
            return None
        point, reach = shapely.Point(lon, lat), 0.002
        while True:  # widen until the k nearest are surely inside the reach
            hits = self._r_tree.query(point, predicate="dwithin", distance=reach)
            if len(hits) >= _K_RANGES or len(hits) == len(self._r_geoms):
                break
            reach *= 4
        dist = shapely.distance(self._r_geoms[hits], point)
        near = [int(k) for k in hits[np.lexsort((hits, dist))][:_K_RANGES]]
        rows = [(int(self._r_road[k]), int(self._r_nos[k, 0]), int(self._r_nos[k, 1]),
                 "odd" if self._r_odd[k] else "even", shapely.to_wkb(self._r_geoms[k]),
                 self._roads.get(int(self._r_road[k]), "")) for k in near]
        return door_facing(rows, self.anchors, lon, lat)


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


_STAMP_SQL = text("SELECT table_name, changes FROM table_changes "
                  "WHERE table_name = ANY(:t) ORDER BY table_name")


def _signature(conn: Connection) -> Hashable:
    """Each gazetteer table's change counter (migration 0026: a statement-level trigger bumps
    it in the writing transaction on every INSERT, UPDATE, DELETE and TRUNCATE). An edit in
    place moves it too (a road renamed, a door moved), where row counts and largest ids did
    not; six rows read by key: a median 0.2-0.6 ms at province scale, where counting rows took
    0.2-0.4 s and a signature over every row 3.4-6.2 s (bench/bench_gazetteer_check.py)."""
    return tuple(tuple(r) for r in conn.execute(_STAMP_SQL, {"t": list(_TABLES)}))


def gazetteer_cache(*, check_s: float = 30.0) -> SignatureCache[MemoryGazetteer]:
    """A process-wide gazetteer, rebuilt when an import or an edit changes the tables."""
    return SignatureCache(MemoryGazetteer.from_db, _signature, check_s=check_s)
