"""Offline geocoding over the territory's gazetteer: address text → ranked points in the grids.

``geocode`` parses the text against the gazetteer's names (geo.address, exact then one edit
away), fetches what the names and numbers point at in one query, interpolates door numbers
that are not stored (geo.geocode_doors), and ranks the candidates; ``reverse_geocode`` (in
geo.geocode_reverse) labels a point. Call ``rebuild_search(conn)`` after loading a territory.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, text

from geo.address import ParsedAddress, parse
from geo.geocode_resolve import Admin, AdminMatch, admin_hits, resolve
from geo.geocode_reverse import ReverseResult, reverse_geocode
from geo.geocode_search import SearchNotBuiltError, lexicon, rebuild_search

__all__ = ["AdminMatch", "Candidate", "GeocodeResult", "ReverseResult", "SearchNotBuiltError",
           "geocode", "rebuild_search", "reverse_geocode"]

LEVELS = ("building", "compound", "place", "door", "road", "community", "street")
_RANK = {lv: i for i, lv in enumerate(LEVELS)}


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


# word_similarity: how well the stretch matches the best part of a name (GIN on key).
_TRGM = text("""SELECT key FROM search_names WHERE :s <% key
                  AND kind IN ('road', 'compound', 'place', 'community')
                ORDER BY word_similarity(:s, key) DESC, length(key), key LIMIT 1""")


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
    hits = resolve(conn, parsed, lex, Admin.of(parsed))
    factor = 1.0
    if not hits and parsed.leftover and (fixed := _repair(conn, parsed)):
        repaired = parse(fixed, lex)
        if not repaired.leftover:
            repaired.approximate = parsed.approximate
            parsed, factor = repaired, 0.7
            hits = resolve(conn, parsed, lex, Admin.of(parsed))
    admin = Admin.of(parsed)
    if not hits and not parsed.leftover:
        hits = admin_hits(conn, admin, lex)
    unknown = sum(len(s) for s in parsed.leftover)
    factor *= 1.0 if unknown == 0 else 0.97 if unknown == 1 else 0.9
    best: dict[tuple[str, str], Candidate] = {}
    rough: set[tuple[str, str]] = set()  # answered by a road alone (no door, no library entry)
    for h in hits:
        if h.approximate:
            rough.add((h.level, h.address))
        conf = round(min(1.0, h.score * factor * admin.factor(h.street, h.community, lex)), 3)
        c = Candidate(h.address, float(h.lon), float(h.lat), h.level, conf,
                      h.micro, h.grid, h.community, h.street, h.interpolated)
        old = best.get((c.level, c.address))
        if old is None or c.confidence > old.confidence:
            best[(c.level, c.address)] = c
    ranked = sorted(best.values(), key=lambda c: (-c.confidence, _RANK[c.level], c.address))
    approximate = parsed.approximate or bool(ranked and (ranked[0].level, ranked[0].address)
                                                     in rough)
    return GeocodeResult(q, ranked[:limit], admin.deepest(), approximate, parsed)
