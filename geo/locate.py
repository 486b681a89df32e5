"""Locate points in the grid hierarchy in process, agreeing exactly with PostGIS ST_Covers.

The finest area level present (micro-grids, else grids, communities, streets) is searched with
a shapely STRtree; the rest of the chain follows the parent ids, so a point's grid is always
its micro-grid's grid. A point on an edge shared by two cells takes the lowest id, the same rule
as ``ORDER BY id LIMIT 1`` over ``ST_Covers`` in PostGIS (tests check both agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from sqlalchemy import Connection, text

from geo.cache import SignatureCache, table_signature
from geo.coords import to_wgs84
from geo.territory import Territory

LEVELS = ("district", "street", "community", "grid", "micro_grid")
TABLES = {"district": "districts", "street": "streets", "community": "communities",
          "grid": "grids", "micro_grid": "micro_grids", "police_grid": "police_grids"}
PARENT = {"street": "district", "community": "street", "grid": "community",
          "micro_grid": "grid"}
_M_PER_DEG = 111_320.0
_CENTRE_ORDER = ("community", "street", "district", "city")


def _as_id(value: Any) -> int | None:
    """An id from a frame cell; None for SQL NULL, NaN or pandas NA."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


@dataclass(frozen=True)
class Place:
    """One member of the chain, as the API shows it."""

    id: int
    code: str
    name: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "name": self.name}


@dataclass(frozen=True)
class Location:
    """Where a point falls: the chain inside the territory, or the nearest grid outside it."""

    lon: float
    lat: float
    inside: bool
    chain: dict[str, Place | None] = field(default_factory=dict)
    nearest_grid: Place | None = None
    distance_m: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"inside": self.inside, "lon": self.lon, "lat": self.lat}
        if self.inside:
            out.update({k: (v.as_dict() if v else None) for k, v in self.chain.items()})
        else:
            out["nearest_grid"] = self.nearest_grid.as_dict() if self.nearest_grid else None
            out["distance_m"] = None if self.distance_m is None else round(self.distance_m, 1)
        return out


@dataclass
class _Layer:
    frame: pd.DataFrame  # id, code, name, parent id (if any), police_grid_id (grids)
    tree: shapely.STRtree
    geoms: NDArray[np.object_]
    order: NDArray[np.int64]  # rank of each row's id, for the lowest-id rule

    @classmethod
    def build(cls, frame: pd.DataFrame, geoms: NDArray[np.object_]) -> _Layer:
        ranks = np.empty(len(frame), dtype=np.int64)
        ranks[np.argsort(frame["id"].to_numpy(), kind="stable")] = np.arange(len(frame))
        shapely.prepare(geoms)
        return cls(frame.reset_index(drop=True), shapely.STRtree(geoms), geoms, ranks)


class Locator:
    """The territory's areas and service points in memory; build with :meth:`from_db`.

    Every finest cell's chain (district … micro-grid, police grid, answering centre) is worked
    out once here, so locating a point is one STRtree query, a lookup and a nearest-room query.
    """

    def __init__(self, layers: dict[str, _Layer], facilities: pd.DataFrame,
                 facility_geoms: NDArray[np.object_]) -> None:
        self.layers = layers
        self.finest = next(lv for lv in reversed(LEVELS) if lv in layers)
        self._places = {lv: [Place(int(i), str(c), str(n)) for i, c, n in
                             layer.frame[["id", "code", "name"]].itertuples(index=False)]
                        for lv, layer in layers.items()}
        self._row_of = {lv: {p.id: k for k, p in enumerate(places)}
                        for lv, places in self._places.items()}
        self._parent_ids = {lv: [_as_id(v) for v in layer.frame[f"{PARENT[lv]}_id"].tolist()]
                            for lv, layer in layers.items() if PARENT.get(lv) in layers}
        self._police_ids = ([_as_id(v) for v in layers["grid"].frame["police_grid_id"].tolist()]
                            if "grid" in layers else [])
        facilities = facilities.reset_index(drop=True)
        self._centres = self._centre_map(facilities)
        rooms = (facilities["kind"] == "mediation_room").to_numpy()
        self._rooms = [Place(int(i), str(c), str(n)) for i, c, n in
                       facilities.loc[rooms, ["id", "code", "name"]].itertuples(index=False)]
        lat0 = float(np.mean(shapely.bounds(layers[self.finest].geoms)[:, [1, 3]]))
        self._kx = math.cos(math.radians(lat0))  # local equirectangular scale for distances
        self._room_tree = shapely.STRtree(
            shapely.transform(facility_geoms[rooms], lambda xy: xy * [self._kx, 1.0]))
        self._near_level = "grid" if "grid" in layers else self.finest
        self._near_tree = shapely.STRtree(shapely.transform(
            layers[self._near_level].geoms, lambda xy: xy * [self._kx, 1.0]))
        self._chains = [self._chain_of(row) for row in range(len(self._places[self.finest]))]
        self._chain_ids = {lv: np.array([p.id if (p := c.get(lv)) else 0 for c in self._chains],
                                        dtype=np.int64) for lv in (*LEVELS, "police_grid")}

    @staticmethod
    def _centre_map(facilities: pd.DataFrame) -> dict[tuple[str, int | None], Place]:
        """(level, area id) -> that area's governance centre; ("city", None) for the city."""
        keys = {"community": "community_id", "street": "street_id", "district": "district_id"}
        out: dict[tuple[str, int | None], Place] = {}
        for rec in facilities[facilities["kind"] == "governance_centre"].itertuples(index=False):
            level = str(rec.level)
            area = None if level == "city" else _as_id(getattr(rec, keys.get(level, "district_id")))
            if level == "city" or area is not None:
                out.setdefault((level, area), Place(_as_id(rec.id) or 0, str(rec.code), str(rec.name)))
        return out

    def _chain_of(self, row: int) -> dict[str, Place | None]:
        chain: dict[str, Place | None] = dict.fromkeys(LEVELS)
        level: str | None = self.finest
        while level is not None:
            chain[level] = self._places[level][row]
            parent = PARENT.get(level)
            parent_id = self._parent_ids[level][row] if level in self._parent_ids else None
            if parent is None or parent_id is None:
                break
            row = self._row_of[parent][parent_id]
            level = parent
        chain["police_grid"] = self._police_grid_of(chain)
        chain["centre"] = self._centre_of(chain)
        return chain

    def _centre_of(self, chain: dict[str, Place | None]) -> Place | None:
        """The governance centre that answers for the cell: its community's, else upwards."""
        for level in _CENTRE_ORDER:
            place = chain.get(level)
            key = (level, None) if level == "city" else (level, place.id if place else None)
            if key[1] is not None or level == "city":
                centre = self._centres.get(key)
                if centre is not None:
                    return centre
        return None

    def _police_grid_of(self, chain: dict[str, Place | None]) -> Place | None:
        """The grid's own police grid; else the one covering the finest cell's inner point."""
        if "police_grid" not in self.layers:
            return None
        grid = chain.get("grid")
        if grid is not None:
            pid = self._police_ids[self._row_of["grid"][grid.id]]
            if pid is not None:
                return self._places["police_grid"][self._row_of["police_grid"][pid]]
        cell = chain[self.finest]
        assert cell is not None
        inner = shapely.point_on_surface(
            self.layers[self.finest].geoms[self._row_of[self.finest][cell.id]])
        row = self._cell_one(inner.x, inner.y, level="police_grid")
        return self._places["police_grid"][row] if row >= 0 else None

    # -- building ------------------------------------------------------------------------
    @staticmethod
    def _columns(level: str) -> list[str]:
        parent = PARENT.get(level)
        cols = ["id", "code", "name"]
        if parent:
            cols.append(f"{parent}_id")
        if level == "grid":
            cols.append("police_grid_id")
        return cols

    @classmethod
    def from_territory(cls, territory: Territory) -> Locator:
        """Build from in-memory frames (a generated or imported territory before loading)."""
        layers = {}
        for level, table in TABLES.items():
            if table in territory and len(territory[table]):
                frame = territory[table].sort_values("id")
                layers[level] = _Layer.build(pd.DataFrame(frame[cls._columns(level)]),
                                             np.asarray(frame["geom"].values, dtype=object))
        if not any(lv in layers for lv in LEVELS):
            raise LookupError("辖区尚未导入：没有任何区划面数据")
        fac = territory["facilities"] if "facilities" in territory else pd.DataFrame(
            columns=["id", "code", "name", "kind", "level", "district_id", "street_id",
                     "community_id", "geom"])
        fac = fac[fac["kind"].isin(("governance_centre", "mediation_room"))].sort_values("id")
        frame = pd.DataFrame(fac.drop(columns="geom"))
        return cls(layers, frame, np.asarray(fac["geom"].values, dtype=object))

    @classmethod
    def from_db(cls, conn: Connection) -> Locator:
        layers: dict[str, _Layer] = {}
        for level, table in TABLES.items():
            cols = cls._columns(level)
            rows = conn.execute(text(
                f"SELECT {', '.join(cols)}, ST_AsBinary(geom) FROM {table} ORDER BY id")).all()
            if not rows:
                continue
            frame = pd.DataFrame([r[:-1] for r in rows], columns=cols)
            geoms = shapely.from_wkb([bytes(r[-1]) for r in rows])
            layers[level] = _Layer.build(frame, np.asarray(geoms, dtype=object))
        if not any(lv in layers for lv in LEVELS):
            raise LookupError("辖区尚未导入：没有任何区划面数据")
        fac = conn.execute(text(
            "SELECT id, code, name, kind, level, district_id, street_id, community_id, "
            "ST_X(geom), ST_Y(geom) FROM facilities "
            "WHERE kind IN ('governance_centre', 'mediation_room') ORDER BY id")).all()
        facilities = pd.DataFrame([r[:-2] for r in fac], columns=[
            "id", "code", "name", "kind", "level", "district_id", "street_id", "community_id"])
        points = shapely.points(np.array([r[-2:] for r in fac], dtype=float).reshape(-1, 2))
        return cls(layers, facilities, np.asarray(points, dtype=object))

    # -- locating ------------------------------------------------------------------------
    def cells(self, lon: ArrayLike, lat: ArrayLike, *, level: str | None = None
              ) -> NDArray[np.int64]:
        """Row of the covering cell of ``level`` (default: the finest) per point; -1 outside.

        Vectorised: one STRtree query for all points, then the lowest id among several hits.
        """
        layer = self.layers[level or self.finest]
        pts = np.asarray(shapely.points(np.atleast_1d(np.asarray(lon, dtype=float)),
                                        np.atleast_1d(np.asarray(lat, dtype=float))), dtype=object)
        hit_pt, hit_row = layer.tree.query(pts, predicate="intersects")
        out = np.full(len(pts), -1, dtype=np.int64)
        if len(hit_pt):
            rank = layer.order[hit_row]
            order = np.lexsort((rank, hit_pt))
            hit_pt, hit_row = hit_pt[order], hit_row[order]
            first = np.ones(len(hit_pt), dtype=bool)
            first[1:] = hit_pt[1:] != hit_pt[:-1]
            out[hit_pt[first]] = hit_row[first]
        return out

    def ids(self, lon: ArrayLike, lat: ArrayLike, *, crs: str = "wgs84",
            level: str | None = None) -> NDArray[np.int64]:
        """Ids of the covering cells (0 where outside), converting from ``crs`` first."""
        wlon, wlat = to_wgs84(lon, lat, crs)
        rows = self.cells(wlon, wlat, level=level)
        ids = self.layers[level or self.finest].frame["id"].to_numpy()
        return np.where(rows >= 0, ids[np.maximum(rows, 0)], 0)

    def chain_ids(self, lon: ArrayLike, lat: ArrayLike) -> dict[str, NDArray[np.int64]]:
        """Vectorised :meth:`locate` (WGS-84, no rooms): per level of :data:`LEVELS` and
        ``police_grid``, the id in each point's chain; 0 outside, or where the level is absent."""
        rows = self.cells(lon, lat)
        return {lv: np.where(rows >= 0, ids[np.maximum(rows, 0)], 0)
                for lv, ids in self._chain_ids.items()}

    def _cell_one(self, lon: float, lat: float, *, level: str | None = None) -> int:
        layer = self.layers[level or self.finest]
        hits = layer.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if not len(hits):
            return -1
        return int(hits[np.argmin(layer.order[hits])])

    def locate(self, lon: float, lat: float, *, crs: str = "wgs84") -> Location:
        """The full chain for one point (WGS-84 unless ``crs`` says gcj02/bd09/cgcs2000)."""
        if crs == "wgs84":
            wlon, wlat = float(lon), float(lat)
        else:
            wlon_a, wlat_a = to_wgs84(lon, lat, crs)
            wlon, wlat = float(wlon_a), float(wlat_a)
        row = self._cell_one(wlon, wlat)
        if row < 0:
            return self._outside(wlon, wlat)
        chain = dict(self._chains[row])
        chain["mediation_room"] = self._nearest_room(wlon, wlat)
        return Location(wlon, wlat, True, chain)

    def _nearest_room(self, lon: float, lat: float) -> Place | None:
        if not self._rooms:
            return None
        return self._rooms[int(self._room_tree.nearest(shapely.Point(lon * self._kx, lat)))]

    def _outside(self, lon: float, lat: float) -> Location:
        layer = self.layers[self._near_level]
        point = shapely.Point(lon * self._kx, lat)
        k = int(self._near_tree.nearest(point))
        scaled = shapely.transform(layer.geoms[k], lambda xy: xy * [self._kx, 1.0])
        distance = float(shapely.distance(scaled, point)) * _M_PER_DEG
        return Location(lon, lat, False, nearest_grid=self._places[self._near_level][k],
                        distance_m=distance)


def locator_cache(*, check_s: float = 5.0) -> SignatureCache[Locator]:
    """A process-wide Locator, rebuilt when the areas change."""
    # readers wait while it rebuilds: after an area replacement the old locator names areas
    # that are gone (a case located by it would name deleted ids)
    return SignatureCache(Locator.from_db, table_signature(*TABLES.values()), check_s=check_s,
                          serve_stale=False)
