"""A point → a label for the duty officer and the map: compound and building, or door number.

"天山路街道和平社区 友谊佳苑3号楼" inside a compound (its nearest building when close), else a
named place close by ("… 克拉玛依市第一中学附近"), else the door number the point faces,
interpolated along the door ranges ("… 天山路128号附近"); always with the grid chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, text

from geo.geocode_doors import DoorNumber, door_at

BUILDING_NEAR_M = 40.0
PLACE_NEAR_M = 40.0
STORED_DOOR_NEAR_M = 20.0  # a stored door this close names the point; else interpolate
DOOR_NEAR_M = 150.0
SNAP_M = 25.0  # a point on a road between micro-grids takes the nearest one this close

_PT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
_CHAIN = text(f"""
    SELECT m.id, m.code, m.name, g.id, g.code, g.name, c.id, c.code, c.name,
           s.id, s.code, s.name, d.id, d.code, d.name
    FROM micro_grids m JOIN grids g ON g.id = m.grid_id
    JOIN communities c ON c.id = g.community_id JOIN streets s ON s.id = c.street_id
    JOIN districts d ON d.id = s.district_id
    WHERE ST_Covers(m.geom, {_PT}) ORDER BY m.id LIMIT 1""")
# Road centrelines often run between micro-grids (or on their shared edge, where rounding
# can leave a point in neither): the nearest one within ``snap_m`` then answers.
_NEAREST_CELL = text(str(_CHAIN).replace(
    f"WHERE ST_Covers(m.geom, {_PT}) ORDER BY m.id LIMIT 1",
    f"ORDER BY m.geom <-> {_PT} LIMIT 1").replace(
    "SELECT m.id,", f"SELECT ST_Distance(m.geom::geography, {_PT}::geography), m.id,"))
_COMPOUND = text(f"""
    SELECT c.name, b.number, ST_Distance(b.geom::geography, {_PT}::geography)
    FROM compounds c LEFT JOIN LATERAL (
        SELECT number, geom FROM buildings WHERE compound_id = c.id
        ORDER BY geom <-> {_PT} LIMIT 1) b ON true
    WHERE ST_Covers(c.geom, {_PT}) ORDER BY c.id LIMIT 1""")
_PLACE = text(f"""
    SELECT name, ST_Distance(geom::geography, {_PT}::geography) FROM places
    ORDER BY geom <-> {_PT} LIMIT 1""")
_DOOR = text(f"""
    SELECT r.name, a.door_no, ST_Distance(a.geom::geography, {_PT}::geography)
    FROM (SELECT road_id, door_no, geom FROM addresses WHERE level = 'door'
          ORDER BY geom <-> {_PT} LIMIT 1) a JOIN addr_roads r ON r.id = a.road_id""")
# KNN orderings carry no tie-breaker: a second sort key turns the GiST scan into a full sort.
_LEVELS = ("micro_grid", "grid", "community", "street", "district")


@dataclass(frozen=True)
class Chain:
    """The micro-grid covering a point and its parents: ids, and {id, code, name} per level."""

    micro_grid_id: int
    grid_id: int
    community_id: int
    street_id: int
    district_id: int
    levels: dict[str, dict[str, Any]]


def locate_chain(conn: Connection, lon: float, lat: float, *, snap_m: float = 0.0
                 ) -> Chain | None:
    """The micro-grid covering the point (lowest id on a shared edge) and its parents.

    With ``snap_m`` a point in no micro-grid takes the nearest one within that distance.
    """
    row: Any = conn.execute(_CHAIN, {"lon": lon, "lat": lat}).first()
    if row is None and snap_m > 0:
        near: Any = conn.execute(_NEAREST_CELL, {"lon": lon, "lat": lat}).first()
        row = near[1:] if near is not None and near[0] <= snap_m else None
    if row is None:
        return None
    levels = {lv: {"id": row[3 * i], "code": row[3 * i + 1], "name": row[3 * i + 2]}
              for i, lv in enumerate(_LEVELS)}
    return Chain(int(row[0]), int(row[3]), int(row[6]), int(row[9]), int(row[12]), levels)


@dataclass(frozen=True)
class ReverseResult:
    """A human label for a point, what it names, and the grid chain the point lies in."""

    label: str
    level: str  # building | compound | place | door | community | none
    address: str | None  # the standard address of what is named, when there is one
    inside: bool
    distance_m: float | None  # from the point to what is named
    chain: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "level": self.level, "address": self.address,
                "inside": self.inside, "distance_m": self.distance_m, **self.chain}


class Gazetteer(Protocol):
    """What labelling a point asks of the gazetteer: the compound covering it (name, its
    nearest building's number and distance), the nearest place and stored door (with their
    distances, metres on the spheroid), the door number it faces."""

    def compound(self, lon: float, lat: float) -> tuple[str, Any, float | None] | None: ...

    def place(self, lon: float, lat: float) -> tuple[str, float] | None: ...

    def door(self, lon: float, lat: float) -> tuple[str, int, float] | None: ...

    def door_at(self, lon: float, lat: float) -> DoorNumber | None: ...


class SqlGazetteer:
    """The gazetteer's answers read from PostGIS (one statement each)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def compound(self, lon: float, lat: float) -> tuple[str, Any, float | None] | None:
        row: Any = self.conn.execute(_COMPOUND, {"lon": lon, "lat": lat}).first()
        return None if row is None else (str(row[0]), row[1], row[2])

    def place(self, lon: float, lat: float) -> tuple[str, float] | None:
        row: Any = self.conn.execute(_PLACE, {"lon": lon, "lat": lat}).first()
        return None if row is None else (str(row[0]), float(row[1]))

    def door(self, lon: float, lat: float) -> tuple[str, int, float] | None:
        row: Any = self.conn.execute(_DOOR, {"lon": lon, "lat": lat}).first()
        return None if row is None else (str(row[0]), int(row[1]), float(row[2]))

    def door_at(self, lon: float, lat: float) -> DoorNumber | None:
        return door_at(self.conn, lon, lat)


def reverse_geocode(conn: Connection, lon: float, lat: float) -> ReverseResult:
    """Label the WGS-84 point (``lon``, ``lat``) for people: see the module docstring."""
    found = locate_chain(conn, lon, lat, snap_m=SNAP_M)
    return label_point(found.levels if found else None, SqlGazetteer(conn), lon, lat)


def label_point(levels: dict[str, dict[str, Any]] | None, gaz: Gazetteer, lon: float,
                lat: float) -> ReverseResult:
    """The label of a point whose micro-grid chain is ``levels`` (None: in none)."""
    found = levels is not None
    lv = levels or {}
    chain: dict[str, dict[str, Any] | None] = {k: lv.get(k) for k in _LEVELS}
    area = f"{lv['street']['name']}{lv['community']['name']}" if found else "辖区外"
    prefix = f"{lv['district']['name']}{lv['street']['name']}" if found else ""
    target, level, dist, near = "", "none", None, False
    row = gaz.compound(lon, lat)
    if row is not None:
        name, number, d = row
        if number is not None and d is not None and d <= BUILDING_NEAR_M:
            target, level, dist = f"{name}{number}号楼", "building", float(d)
        else:
            target, level, dist = str(name), "compound", 0.0
    if not target:
        place = gaz.place(lon, lat)
        if place is not None and place[1] <= PLACE_NEAR_M:
            target, level, dist, near = str(place[0]), "place", float(place[1]), True
    if not target:
        stored = gaz.door(lon, lat)
        if stored is not None and stored[2] <= STORED_DOOR_NEAR_M:
            target, level, dist, near = f"{stored[0]}{stored[1]}号", "door", float(stored[2]), True
    if not target:
        door = gaz.door_at(lon, lat)
        if door is not None and door.distance_m <= DOOR_NEAR_M:
            target, level, dist, near = (f"{door.road_name}{door.door_no}号", "door",
                                         door.distance_m, True)
    if not target:
        return ReverseResult(area, "community" if found else "none", None, found, None, chain)
    label = f"{area} {target}{'附近' if near else ''}"
    return ReverseResult(label, level, prefix + target if found else None, found,
                         None if dist is None else round(dist, 1), chain)
