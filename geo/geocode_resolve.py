"""Geocoding, second half: from parsed names and numbers to scored points with their grids.

One UNION query fetches what the names point at (buildings of the compounds, doors and
midpoints of the roads, places; a building through its compound's gate address); door
numbers that are not stored are interpolated; a road named with a street office is placed
inside it; two roads and no number are their crossing; an address naming only an area gives
the area. Scores start from the level and lose for fuzzy names, coarser answers and
disagreement with the areas the text named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from geo.address import ParsedAddress, key
from geo.geocode_doors import crossing, interpolate_doors, road_in_street
from geo.geocode_lexicon import Entry, Lexicon
from geo.geocode_reverse import SNAP_M, Chain, locate_chain

BASE = {"building": 1.0, "door": 1.0, "compound": 0.95, "place": 0.95, "road": 0.8,
        "community": 0.7, "street": 0.6}
_FUZZY, _ADMIN_MISMATCH, _COARSER, _SIBLING = 0.85, 0.85, 0.7, 0.6
# A road known only from the road network's names (no address library entry): its middle
# stands for any address on it, so it answers as a coarse, approximate candidate.
NETWORK = 0.6
_PHASE = re.compile(r"\d+期$")


@dataclass(frozen=True)
class AdminMatch:
    """The deepest administrative level the text named."""

    level: str
    id: int
    name: str


@dataclass
class Hit:
    address: str
    level: str
    lon: float
    lat: float
    micro: int | None
    grid: int | None
    community: int | None
    street: int | None
    score: float
    interpolated: bool = False
    approximate: bool = False
    road: int | None = None  # the road an interpolated door lies on


@dataclass
class Admin:
    """Which districts, streets, communities the text named."""

    districts: set[int] = field(default_factory=set)
    streets: set[int] = field(default_factory=set)
    communities: dict[int, Entry] = field(default_factory=dict)
    named: dict[str, list[Entry]] = field(default_factory=dict)

    @classmethod
    def of(cls, parsed: ParsedAddress) -> Admin:
        out = cls()
        for kind in ("district", "street", "community"):
            entries = [e for e, _ in parsed.entries(kind)]
            out.named[kind] = entries
        out.districts = {e.ref_id for e in out.named["district"]}
        out.streets = {e.ref_id for e in out.named["street"]}
        out.communities = {e.ref_id: e for e in out.named["community"]}
        return out

    def factor(self, street: int | None, community: int | None, lex: Lexicon) -> float:
        f = 1.0
        if self.streets and street not in self.streets:
            f *= _ADMIN_MISMATCH
        if self.communities and community not in self.communities:
            f *= _ADMIN_MISMATCH
        if self.districts and street is not None:
            entry = lex.by_ref.get(("street", street))
            if entry is not None and entry.district_id not in self.districts:
                f *= _ADMIN_MISMATCH
        return f

    def deepest(self) -> AdminMatch | None:
        for level in ("community", "street", "district"):
            entries = self.named[level]
            if level == "community" and self.streets:
                entries = [e for e in entries if e.street_id in self.streets] or entries
            if entries:
                e = min(entries, key=lambda x: x.ref_id)
                return AdminMatch(level, e.ref_id, e.name)
        return None

_A = ("a.full_address, a.level, ST_X(a.geom), ST_Y(a.geom), a.micro_grid_id, a.grid_id, "
      "a.community_id, a.street_id")
_PARTS = {
    "building": f"""SELECT 'building', b.compound_id, {_A} FROM buildings b
        JOIN addresses a ON a.building_id = b.id
        WHERE b.compound_id = ANY(CAST(:compounds AS int[])) AND b.number = :building""",
    "compound": f"""SELECT 'compound', a.compound_id, {_A} FROM addresses a
        WHERE a.level = 'compound' AND a.compound_id = ANY(CAST(:compounds AS int[]))""",
    "door": f"""SELECT 'door', a.road_id, {_A} FROM addresses a WHERE a.level = 'door'
        AND a.road_id = ANY(CAST(:roads AS int[])) AND a.door_no = :door""",
    "road": f"""SELECT CASE r.source WHEN 'network' THEN 'netroad' ELSE 'road' END, a.road_id,
        {_A} FROM addresses a JOIN addr_roads r ON r.id = a.road_id
        WHERE a.level = 'road' AND a.road_id = ANY(CAST(:roads AS int[]))""",
    "place": f"""SELECT 'place', a.place_id, {_A} FROM addresses a
        WHERE a.level = 'place' AND a.place_id = ANY(CAST(:places AS int[]))""",
    "gate": f"""SELECT 'gate', c.road_id, {_A} FROM compounds c
        JOIN buildings b ON b.compound_id = c.id JOIN addresses a ON a.building_id = b.id
        WHERE c.road_id = ANY(CAST(:roads AS int[])) AND c.door_no = :door
          AND b.number = :building""",
}


def _targets(parsed: ParsedAddress, lex: Lexicon, kind: str) -> dict[int, float]:
    """ref id → match factor for the names of ``kind`` (fuzzy names cost, first match wins)."""
    out: dict[int, float] = {}
    for e, m in parsed.entries(kind):
        out.setdefault(e.ref_id, _FUZZY ** m.edits)
    if kind == "compound":  # 友谊佳苑 may mean its later phases too: offer them, lower
        for e, m in parsed.entries(kind):
            base = key(e.name)
            if _PHASE.search(base):
                continue
            for k in range(2, 10):
                for sib in lex.exact(f"{base}{k}期"):
                    if sib.kind == "compound":
                        out.setdefault(sib.ref_id, _SIBLING * _FUZZY ** m.edits)
    return out


def _stored(conn: Connection, parsed: ParsedAddress, compounds: dict[int, float],
            roads: dict[int, float], places: dict[int, float]) -> list[tuple]:
    parts = []
    if compounds:
        parts.append("compound")
        if parsed.building_no is not None:
            parts.append("building")
    if roads:
        parts.append("road")  # also with a door number: a road without doors answers by it
        if parsed.door_no is not None:
            parts.append("door")
            if parsed.building_no is not None and not compounds:
                parts.append("gate")
    if places:
        parts.append("place")
    if not parts:
        return []
    sql = " UNION ALL ".join(_PARTS[p] for p in parts)
    return list(conn.execute(text(sql), {
        "compounds": sorted(compounds), "roads": sorted(roads), "places": sorted(places),
        "building": parsed.building_no, "door": parsed.door_no}))


def resolve(conn: Connection, parsed: ParsedAddress, lex: Lexicon, admin: Admin) -> list[Hit]:
    compounds = _targets(parsed, lex, "compound")
    roads = _targets(parsed, lex, "road")
    places = _targets(parsed, lex, "place")
    rows = _stored(conn, parsed, compounds, roads, places)
    by_kind: dict[str, set[int]] = {}
    for r in rows:
        by_kind.setdefault(r[0], set()).add(int(r[1]))
    named_target = bool(compounds or places)
    hits: list[Hit] = []
    for kind, ref, addr, level, lon, lat, micro, grid, comm, street in rows:
        if kind == "building":
            f = compounds[ref]
        elif kind == "compound":
            if ref in by_kind.get("building", ()):
                continue
            f = compounds[ref] * (_COARSER if parsed.building_no is not None else 1.0)
        elif kind == "door":
            f = roads[ref] * (0.9 if named_target else 1.0)
        elif kind in ("road", "netroad"):
            if parsed.door_no is not None:
                continue  # doors (stored or interpolated) stand for the road; see below
            f = roads[ref] * (0.9 if named_target else 1.0) * (NETWORK if kind == "netroad"
                                                                 else 1.0)
            if admin.streets and street not in admin.streets:
                moved = _road_in_street(conn, lex, ref, admin.streets, BASE[level] * f)
                if moved is not None:
                    moved.approximate = kind == "netroad"
                    hits.append(moved)
                    continue
            hits.append(Hit(addr, level, lon, lat, micro, grid, comm, street, BASE[level] * f,
                            approximate=kind == "netroad"))
            continue
        elif kind == "gate":
            f = roads[ref]
        else:
            f = places[ref]
        hits.append(Hit(addr, level, lon, lat, micro, grid, comm, street,
                         BASE[level] * f))
    if parsed.door_no is not None and roads:
        missing = [r for r in roads if r not in by_kind.get("door", ())]
        estimated = _interpolated(conn, parsed, lex, missing, roads, named_target)
        hits.extend(estimated)
        placed = by_kind.get("door", set()) | {h.road for h in estimated}
        hits.extend(_bare_roads(rows, roads, placed, named_target))
    exact = [e for e, m in parsed.entries("road") if not m.edits]
    if parsed.door_no is None and len({e.ref_id for e in exact}) == 2 and not named_target:
        hits.extend(_crossing(conn, lex, exact[0], next(e for e in exact if e != exact[0])))
    return hits


def _bare_roads(rows: list[tuple], roads: dict[int, float], placed: set[int | None],
                named_target: bool) -> list[Hit]:
    """A door number on a road with no doors stored or interpolable: the road, coarser."""
    out = []
    for kind, ref, addr, level, lon, lat, micro, grid, comm, street in rows:
        if kind in ("road", "netroad") and ref not in placed:
            f = roads[ref] * _COARSER * (0.9 if named_target else 1.0) * (
                NETWORK if kind == "netroad" else 1.0)
            out.append(Hit(addr, level, lon, lat, micro, grid, comm, street, BASE[level] * f,
                           approximate=True))
    return out


def _prefix(lex: Lexicon, chain: Chain | None) -> str:
    street = lex.by_ref.get(("street", chain.street_id)) if chain else None
    district = (lex.by_ref.get(("district", street.district_id))
                if street and street.district_id else None)
    return (district.name if district else "") + (street.name if street else "")


def _road_in_street(conn: Connection, lex: Lexicon, road: int, streets: set[int],
                    score: float) -> Hit | None:
    """The road inside the street office the text named (a road crosses several)."""
    for street in sorted(streets):
        found = road_in_street(conn, road, street)
        if found is None:
            continue
        lon, lat, micro, grid, community, _ = found
        entry = lex.by_ref[("street", street)]
        district = lex.by_ref.get(("district", entry.district_id or 0))
        name = (district.name if district else "") + entry.name + lex.by_ref[("road", road)].name
        return Hit(name, "road", lon, lat, micro, grid, community, street, score)
    return None


def _crossing(conn: Connection, lex: Lexicon, a: Entry, b: Entry) -> list[Hit]:
    """天山路与友谊路交叉口: where the two roads meet."""
    pt = crossing(conn, a.ref_id, b.ref_id)
    if pt is None:
        return []
    chain = locate_chain(conn, *pt, snap_m=SNAP_M)
    return [Hit(f"{_prefix(lex, chain)}{a.name}与{b.name}交叉口", "road", *pt, *_ids(chain),
                 BASE["door"] * 0.9)]


def _interpolated(conn: Connection, parsed: ParsedAddress, lex: Lexicon, missing: list[int],
                  roads: dict[int, float], named_target: bool) -> list[Hit]:
    out = []
    assert parsed.door_no is not None
    for dp in interpolate_doors(conn, missing, parsed.door_no):
        chain = locate_chain(conn, dp.lon, dp.lat, snap_m=SNAP_M)
        road = lex.by_ref.get(("road", dp.road_id))
        prefix = _prefix(lex, chain)
        f = roads[dp.road_id] * 0.95 * (1.0 if dp.in_range else 0.6)
        f *= 0.9 if named_target else 1.0
        out.append(Hit(f"{prefix}{road.name if road else ''}{dp.door_no}号", "door", dp.lon,
                        dp.lat, *_ids(chain), BASE["door"] * f, interpolated=True,
                        road=dp.road_id))
    return out


def _ids(chain: Chain | None) -> tuple[int | None, int | None, int | None, int | None]:
    if chain is None:
        return None, None, None, None
    return chain.micro_grid_id, chain.grid_id, chain.community_id, chain.street_id


_ADMIN_POINT = {
    "community": "SELECT id, ST_X(p), ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) p "
                 "FROM communities WHERE id = ANY(CAST(:ids AS int[]))) x ORDER BY id",
    "street": "SELECT id, ST_X(p), ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) p "
              "FROM streets WHERE id = ANY(CAST(:ids AS int[]))) x ORDER BY id",
}


def admin_hits(conn: Connection, admin: Admin, lex: Lexicon) -> list[Hit]:
    for level in ("community", "street"):
        entries = admin.named[level]
        if not entries:
            continue
        out = []
        rows: list[Any] = list(conn.execute(text(_ADMIN_POINT[level]),
                                            {"ids": sorted({e.ref_id for e in entries})}))
        for ref, lon, lat in rows:
            chain = locate_chain(conn, lon, lat, snap_m=SNAP_M)
            e = lex.by_ref[(level, ref)]
            street = lex.by_ref.get(("street", e.street_id)) if e.street_id else None
            district = lex.by_ref.get(("district", e.district_id)) if e.district_id else None
            names = [x.name for x in (district, street) if x is not None and x is not e]
            micro, grid, _, _ = _ids(chain)
            out.append(Hit("".join([*names, e.name]), level, lon, lat, micro, grid,
                            e.community_id, e.street_id, BASE[level]))
        return out
    return []
