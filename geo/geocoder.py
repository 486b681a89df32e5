"""Offline geocoding over the territory's gazetteer: address text → ranked points in the grids.

``geocode`` parses the text against the gazetteer's names (geo.address, exact then one edit
away), fetches what the names and numbers point at in one query, interpolates door numbers
that are not stored (geo.geocode_doors), and ranks the candidates; ``reverse_geocode`` (in
geo.geocode_reverse) labels a point. Call ``rebuild_search(conn)`` after loading a territory.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from geo.address import ParsedAddress, key, parse
from geo.geocode_doors import interpolate_doors
from geo.geocode_lexicon import Entry, Lexicon
from geo.geocode_reverse import Chain, ReverseResult, locate_chain, reverse_geocode
from geo.geocode_search import SearchNotBuiltError, lexicon, rebuild_search

__all__ = ["AdminMatch", "Candidate", "GeocodeResult", "ReverseResult", "SearchNotBuiltError",
           "geocode", "rebuild_search", "reverse_geocode"]

LEVELS = ("building", "compound", "place", "door", "road", "community", "street")
_RANK = {lv: i for i, lv in enumerate(LEVELS)}
_BASE = {"building": 1.0, "door": 1.0, "compound": 0.95, "place": 0.95, "road": 0.8,
         "community": 0.7, "street": 0.6}
_FUZZY, _ADMIN_MISMATCH, _COARSER, _SIBLING = 0.85, 0.85, 0.7, 0.6
_PHASE = re.compile(r"\d+期$")


@dataclass(frozen=True)
class Candidate:
    """One answer: the standard address, its WGS-84 point, level matched and grid chain."""

    address: str
    lon: float
    lat: float
    level: str
    confidence: float
    micro_grid_id: int | None
    grid_id: int | None
    community_id: int | None
    street_id: int | None
    interpolated: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class AdminMatch:
    """The deepest administrative level the text named."""

    level: str
    id: int
    name: str


@dataclass
class GeocodeResult:
    """Ranked candidates (best first); empty when the text names nothing we know."""

    query: str
    candidates: list[Candidate]
    matched_admin: AdminMatch | None
    approximate: bool
    parsed: ParsedAddress = field(repr=False)

    def as_dict(self) -> dict[str, object]:
        return {"candidates": [c.as_dict() for c in self.candidates],
                "matched_admin": asdict(self.matched_admin) if self.matched_admin else None,
                "approximate": self.approximate}


@dataclass
class _Hit:
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


@dataclass
class _Admin:
    """Which districts, streets, communities the text named."""

    districts: set[int] = field(default_factory=set)
    streets: set[int] = field(default_factory=set)
    communities: dict[int, Entry] = field(default_factory=dict)
    named: dict[str, list[Entry]] = field(default_factory=dict)

    @classmethod
    def of(cls, parsed: ParsedAddress) -> _Admin:
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
    "road": f"""SELECT 'road', a.road_id, {_A} FROM addresses a
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
        parts.append("road")
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


def _resolve(conn: Connection, parsed: ParsedAddress, lex: Lexicon) -> list[_Hit]:
    compounds = _targets(parsed, lex, "compound")
    roads = _targets(parsed, lex, "road")
    places = _targets(parsed, lex, "place")
    rows = _stored(conn, parsed, compounds, roads, places)
    by_kind: dict[str, set[int]] = {}
    for r in rows:
        by_kind.setdefault(r[0], set()).add(int(r[1]))
    named_target = bool(compounds or places)
    hits: list[_Hit] = []
    for kind, ref, addr, level, lon, lat, micro, grid, comm, street in rows:
        if kind == "building":
            f = compounds[ref]
        elif kind == "compound":
            if ref in by_kind.get("building", ()):
                continue
            f = compounds[ref] * (_COARSER if parsed.building_no is not None else 1.0)
        elif kind == "door":
            f = roads[ref] * (0.9 if named_target else 1.0)
        elif kind == "road":
            if parsed.door_no is not None:
                continue  # doors (stored or interpolated) stand for the road
            f = roads[ref] * (0.9 if named_target else 1.0)
        elif kind == "gate":
            f = roads[ref]
        else:
            f = places[ref]
        hits.append(_Hit(addr, level, lon, lat, micro, grid, comm, street,
                         _BASE[level] * f))
    if parsed.door_no is not None and roads:
        missing = [r for r in roads if r not in by_kind.get("door", ())]
        hits.extend(_interpolated(conn, parsed, lex, missing, roads, named_target))
    return hits


def _interpolated(conn: Connection, parsed: ParsedAddress, lex: Lexicon, missing: list[int],
                  roads: dict[int, float], named_target: bool) -> list[_Hit]:
    out = []
    assert parsed.door_no is not None
    for dp in interpolate_doors(conn, missing, parsed.door_no):
        chain = locate_chain(conn, dp.lon, dp.lat)
        road = lex.by_ref.get(("road", dp.road_id))
        street = lex.by_ref.get(("street", chain.street_id)) if chain else None
        district = (lex.by_ref.get(("district", street.district_id))
                    if street and street.district_id else None)
        prefix = (district.name if district else "") + (street.name if street else "")
        f = roads[dp.road_id] * 0.95 * (1.0 if dp.in_range else 0.6)
        f *= 0.9 if named_target else 1.0
        out.append(_Hit(f"{prefix}{road.name if road else ''}{dp.door_no}号", "door", dp.lon,
                        dp.lat, *_ids(chain), _BASE["door"] * f, interpolated=True))
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


def _admin_hits(conn: Connection, admin: _Admin, lex: Lexicon) -> list[_Hit]:
    for level in ("community", "street"):
        entries = admin.named[level]
        if not entries:
            continue
        out = []
        rows: list[Any] = list(conn.execute(text(_ADMIN_POINT[level]),
                                            {"ids": sorted({e.ref_id for e in entries})}))
        for ref, lon, lat in rows:
            chain = locate_chain(conn, lon, lat)
            e = lex.by_ref[(level, ref)]
            street = lex.by_ref.get(("street", e.street_id)) if e.street_id else None
            district = lex.by_ref.get(("district", e.district_id)) if e.district_id else None
            names = [x.name for x in (district, street) if x is not None and x is not e]
            micro, grid, _, _ = _ids(chain)
            out.append(_Hit("".join([*names, e.name]), level, lon, lat, micro, grid,
                            e.community_id, e.street_id, _BASE[level]))
        return out
    return []


_TRGM = text("""SELECT key FROM search_names WHERE key % :s
                  AND kind IN ('road', 'compound', 'place', 'community')
                ORDER BY similarity(key, :s) DESC, key LIMIT 1""")


def _repair(conn: Connection, parsed: ParsedAddress) -> str | None:
    """Replace the longest unknown stretch by its nearest name by trigrams (two typos or more)."""
    spans = sorted((s for s in parsed.leftover if len(s) >= 4), key=len, reverse=True)
    if not spans:
        return None
    found = conn.execute(_TRGM, {"s": spans[0]}).scalar()
    return parsed.text.replace(spans[0], found, 1) if found else None


def geocode(conn: Connection, q: str, *, limit: int = 5) -> GeocodeResult:
    """Ranked candidates for address text ``q``; none (with ``matched_admin``) when unknown."""
    lex = lexicon(conn)
    parsed = parse(q, lex)
    hits = _resolve(conn, parsed, lex)
    factor = 1.0
    if not hits and parsed.leftover and (fixed := _repair(conn, parsed)):
        repaired = parse(fixed, lex)
        if not repaired.leftover:
            parsed, factor = repaired, 0.7
            parsed.approximate = parsed.approximate or repaired.approximate
            hits = _resolve(conn, parsed, lex)
    admin = _Admin.of(parsed)
    if not hits and not parsed.leftover:
        hits = _admin_hits(conn, admin, lex)
    unknown = sum(len(s) for s in parsed.leftover)
    factor *= 1.0 if unknown == 0 else 0.97 if unknown == 1 else 0.9
    best: dict[tuple[str, str], Candidate] = {}
    for h in hits:
        conf = round(min(1.0, h.score * factor * admin.factor(h.street, h.community, lex)), 3)
        c = Candidate(h.address, float(h.lon), float(h.lat), h.level, conf,
                      h.micro, h.grid, h.community, h.street, h.interpolated)
        old = best.get((c.level, c.address))
        if old is None or c.confidence > old.confidence:
            best[(c.level, c.address)] = c
    ranked = sorted(best.values(), key=lambda c: (-c.confidence, _RANK[c.level], c.address))
    return GeocodeResult(q, ranked[:limit], admin.deepest(), parsed.approximate, parsed)
