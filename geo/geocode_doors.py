"""Points on roads: door numbers between the stored ones (a number → a point, and back), crossings.

A door range says numbers run from ``first_no`` at the line's start to ``last_no`` at its end,
odd on the left, even on the right. The stored door points of the same road (both sides:
numbers 2k+1 and 2k+2 face each other) are anchors: they fix where along the line a number
lies, so a number between two anchors is placed by linear interpolation between them rather
than by spreading the range evenly (the ends of a range are only known to half a plot).
Measured on the city territory with each stored door held out: 99% land in the stored
point's micro-grid, against 89% for even spreading (see bench/bench_geocode.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from sqlalchemy import Connection, text

M_PER_DEG_LAT = 110_540.0
DOOR_SETBACK_M = 12.0  # how far doors sit from the centreline when no anchor says otherwise
_ANCHOR_REACH_M = 40.0

_RANGES = text("""
    SELECT d.road_id, d.first_no, d.last_no, d.parity, ST_AsBinary(d.geom)
    FROM door_ranges d WHERE d.road_id = ANY(CAST(:roads AS int[]))
    ORDER BY d.road_id, d.id""")
_ANCHORS = text("""
    SELECT a.road_id, a.door_no, ST_X(a.geom), ST_Y(a.geom) FROM addresses a
    WHERE a.road_id = ANY(CAST(:roads AS int[])) AND a.level = 'door'""")
# KNN orderings carry no tie-breaker: a second sort key turns the GiST scan into a full sort.
# The join does not keep the six's order (a hash join may give them in the roads' order): the
# outer ORDER BY puts the nearest first again, as door_at reads it.
_NEAREST = text("""
    SELECT d.road_id, d.first_no, d.last_no, d.parity, ST_AsBinary(d.geom), r.name
    FROM (SELECT *, geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS k FROM door_ranges
          ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 6) d
    JOIN addr_roads r ON r.id = d.road_id ORDER BY d.k""")


@dataclass(frozen=True)
class DoorPoint:
    """Where door ``door_no`` of road ``road_id`` is estimated to be."""

    road_id: int
    door_no: int
    lon: float
    lat: float
    in_range: bool  # False: the number lies beyond every range; placed at the nearest end
    anchors: int  # stored doors that placed it


@dataclass(frozen=True)
class DoorNumber:
    """The door number a point faces: its road, number and distance from the road."""

    road_id: int
    road_name: str
    door_no: int
    distance_m: float


@dataclass
class _Range:
    road_id: int
    first_no: int
    last_no: int
    parity: str
    wkb: bytes
    kx: float = 0.0
    line: LineString | None = None

    def metric(self) -> LineString:
        if self.line is None:
            geom = shapely.from_wkb(self.wkb)
            lat0 = shapely.get_coordinates(geom)[0, 1]
            self.kx = 111_320.0 * math.cos(math.radians(lat0))
            xy = shapely.get_coordinates(geom) * (self.kx, M_PER_DEG_LAT)
            self.line = LineString(xy)
        return self.line

    def to_metric(self, lon: float, lat: float) -> Point:
        self.metric()
        return Point(lon * self.kx, lat * M_PER_DEG_LAT)

    def to_lonlat(self, p: Point) -> tuple[float, float]:
        return p.x / self.kx, p.y / M_PER_DEG_LAT

    @property
    def idx(self) -> tuple[int, int]:
        return (self.first_no - 1) // 2, (self.last_no - 1) // 2


def _ranges(conn: Connection, roads: list[int]) -> list[_Range]:
    rows: list[Any] = list(conn.execute(_RANGES, {"roads": roads}))
    return [_Range(int(r), int(f), int(la), str(p), bytes(w)) for r, f, la, p, w in rows]


def _anchors(conn: Connection, roads: list[int]) -> dict[int, list[tuple[int, float, float]]]:
    out: dict[int, list[tuple[int, float, float]]] = {}
    rows: list[Any] = list(conn.execute(_ANCHORS, {"roads": roads}))
    for road, no, lon, lat in rows:
        out.setdefault(int(road), []).append((int(no), float(lon), float(lat)))
    return out


def _on_line(rg: _Range, anchors: list[tuple[int, float, float]]
             ) -> tuple[list[tuple[int, float]], list[float]]:
    """Anchors inside the range's numbers that project inside the line: (idx, measure), setbacks."""
    line = rg.metric()
    i0, i1 = rg.idx
    length = line.length
    pts: list[tuple[int, float]] = []
    setbacks: list[float] = []
    for no, lon, lat in anchors:
        i = (no - 1) // 2
        if not i0 <= i <= i1:
            continue
        q = rg.to_metric(lon, lat)
        m = line.project(q)
        d = line.distance(q)
        if d < _ANCHOR_REACH_M and 1e-6 < m < length - 1e-6:
            pts.append((i, m))
            setbacks.append(d)
    return pts, setbacks


def _slope(pts: list[tuple[int, float]]) -> float | None:
    """Metres per door index from anchors at two or more indexes."""
    if len({p[0] for p in pts}) < 2:
        return None
    slope, _ = np.polyfit([p[0] for p in pts], [p[1] for p in pts], 1)
    return float(slope)


def _measure(rg: _Range, i: int, pts: list[tuple[int, float]], spacing: Callable[[], float | None]
             ) -> float:
    """Where along the line index ``i`` lies (may fall outside 0..length)."""
    i0, i1 = rg.idx
    length = rg.metric().length
    slope = _slope(pts)
    if slope is not None:
        x = np.array([p[0] for p in pts], dtype=float)
        y = np.array([p[1] for p in pts], dtype=float)
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        if x[0] <= i <= x[-1]:
            return float(np.interp(i, x, y))
        icpt = float(np.mean(y - slope * x))
        return icpt + slope * i
    if pts:  # anchors at one index (a door and the one facing it): the road's spacing
        step = spacing() or length / max(i1 - i0 + 1, 1)
        return float(np.mean([p[1] for p in pts])) + (i - pts[0][0]) * step
    return (i - i0 + 0.5) / (i1 - i0 + 1) * length


def _offset(rg: _Range, m: float, side: float, setback: float) -> tuple[float, float]:
    line = rg.metric()
    length = line.length
    m = min(max(m, 0.0), length)
    p = line.interpolate(m)
    a = line.interpolate(max(m - 1.0, 0.0))
    b = line.interpolate(min(m + 1.0, length))
    tx, ty = b.x - a.x, b.y - a.y
    norm = math.hypot(tx, ty) or 1.0
    return rg.to_lonlat(Point(p.x - side * setback * ty / norm, p.y + side * setback * tx / norm))


def interpolate_doors(conn: Connection, road_ids: list[int], door_no: int, *,
                      without_stored: bool = False, anchored: bool = True) -> list[DoorPoint]:
    """Estimate door ``door_no`` on each of ``road_ids`` that has door ranges (two queries).

    ``without_stored`` ignores a stored point for this very number and ``anchored=False``
    spreads numbers evenly along each range, both only to measure the method.
    """
    parity = "odd" if door_no % 2 else "even"
    ranges = _ranges(conn, road_ids)
    anchors = _anchors(conn, road_ids) if anchored else {}
    out: list[DoorPoint] = []
    for road in road_ids:
        mine = [r for r in ranges if r.road_id == road and r.parity == parity]
        if not mine:
            continue
        inside = [r for r in mine if r.first_no <= door_no <= r.last_no]
        pool = inside or [min(mine, key=lambda r: (min(abs(door_no - r.first_no),
                                                        abs(door_no - r.last_no)), r.first_no))]
        road_anchors = [a for a in anchors.get(road, []) if not (without_stored and a[0] == door_no)]
        best: tuple[float, tuple[float, float], int] | None = None
        same_road = [r for r in ranges if r.road_id == road and r.parity == "odd"]

        def spacing(same_road: list[_Range] = same_road,
                    anchors: list[tuple[int, float, float]] = road_anchors
                    ) -> float | None:
            slopes = [s for r in same_road if (s := _slope(_on_line(r, anchors)[0])) is not None]
            return median(slopes) if slopes else None

        i = (door_no - 1) // 2
        if not inside:
            i = min(max(i, pool[0].idx[0]), pool[0].idx[1])
        for rg in pool:
            pts, setbacks = _on_line(rg, road_anchors)
            m = _measure(rg, i, pts, spacing)
            outside = max(0.0, -m, m - rg.metric().length)
            setback = median(setbacks) if setbacks else DOOR_SETBACK_M
            lonlat = _offset(rg, m, 1.0 if parity == "odd" else -1.0, setback)
            if best is None or outside < best[0]:
                best = (outside, lonlat, len(pts))
        assert best is not None
        out.append(DoorPoint(road, door_no, best[1][0], best[1][1], bool(inside), best[2]))
    return out


def door_at(conn: Connection, lon: float, lat: float) -> DoorNumber | None:
    """The door number facing a point: nearest range line, its side, anchors to place it."""
    rows: list[Any] = list(conn.execute(_NEAREST, {"lon": lon, "lat": lat}))
    return door_facing(rows, lambda road: _anchors(conn, [road]).get(road, []), lon, lat)


def door_facing(rows: Sequence[Any], anchors_of: Callable[[int], list[tuple[int, float, float]]],
                lon: float, lat: float) -> DoorNumber | None:
    """:func:`door_at` from the point's nearest ranges (``road_id, first_no, last_no, parity,
    WKB, road name``, nearest first) and a road's stored doors (``door_no, lon, lat``)."""
    if not rows:
        return None
    ranges = [_Range(int(r), int(f), int(la), str(p), bytes(w)) for r, f, la, p, w, _ in rows]
    names = {int(r[0]): str(r[5]) for r in rows}
    near = ranges[0]
    line = near.metric()
    q = near.to_metric(lon, lat)
    m = line.project(q)
    a = line.interpolate(max(m - 1.0, 0.0))
    b = line.interpolate(min(m + 1.0, line.length))
    left = (b.x - a.x) * (q.y - a.y) - (b.y - a.y) * (q.x - a.x) > 0
    parity = "odd" if left else "even"
    rg = next((r for r in ranges if r.wkb == near.wkb and r.road_id == near.road_id
               and r.parity == parity), near)
    if rg is not near:
        rg.kx, rg.line = near.kx, near.line
    pts, _ = _on_line(rg, anchors_of(rg.road_id))
    i0, i1 = rg.idx
    if len(pts) >= 2 and len({p[0] for p in pts}) >= 2:
        x = np.array([p[1] for p in pts])
        y = np.array([p[0] for p in pts], dtype=float)
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        if x[0] <= m <= x[-1]:
            idx = float(np.interp(m, x, y))
        else:
            slope, icpt = np.polyfit(x, y, 1)
            idx = float(icpt + slope * m)
    else:
        idx = i0 - 0.5 + m / max(line.length, 1e-9) * (i1 - i0 + 1)
    k = min(max(round(idx), i0), i1)
    door_no = 2 * k + (1 if rg.parity == "odd" else 2)
    door_no = min(max(door_no, rg.first_no), rg.last_no)
    return DoorNumber(rg.road_id, names[rg.road_id], door_no, float(line.distance(q)))


# A road crosses several street offices: within one, the middle of its stored doors there.
_IN_STREET = text("""
    SELECT ST_X(geom), ST_Y(geom), micro_grid_id, grid_id, community_id, street_id FROM (
        SELECT a.*, row_number() OVER (ORDER BY a.door_no, a.id) AS k, count(*) OVER () AS n
        FROM addresses a WHERE a.level = 'door' AND a.road_id = :road
          AND a.street_id = :street) d
    WHERE k = (n + 1) / 2""")
_CROSSING = text("""
    SELECT ST_X(d.geom), ST_Y(d.geom) FROM addr_roads a, addr_roads b,
        LATERAL ST_Dump(ST_Intersection(a.geom, b.geom)) d
    WHERE a.id = :a AND b.id = :b AND GeometryType(d.geom) = 'POINT'
    ORDER BY ST_Y(d.geom), ST_X(d.geom) LIMIT 1""")


def road_in_street(conn: Connection, road_id: int, street_id: int) -> tuple[Any, ...] | None:
    """The road within a street office: lon, lat and the grid ids of its middle stored door."""
    row: Any = conn.execute(_IN_STREET, {"road": road_id, "street": street_id}).first()
    return tuple(row) if row else None


def crossing(conn: Connection, a: int, b: int) -> tuple[float, float] | None:
    """Where two roads cross (the southernmost point when they meet more than once)."""
    row: Any = conn.execute(_CROSSING, {"a": a, "b": b}).first()
    return (float(row[0]), float(row[1])) if row else None
