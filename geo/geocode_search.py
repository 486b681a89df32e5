"""The geocoder's names: a table rebuilt after each territory load, a lexicon per version.

``rebuild_search`` fills ``search_names`` with every name's comparison keys (and variants: 街
for 街道, 克区 for 克拉玛依区, "… 小区") and stamps ``search_meta`` with a fresh version; each
process keeps one :class:`Lexicon` per database and version, so a rebuild anywhere is seen on
the next query. The table's foreign keys make the loader's ``TRUNCATE … CASCADE`` empty it:
a reload without a rebuild is refused, never searched stale.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from geo.address import key
from geo.geocode_lexicon import Entry, Lexicon


def name_keys(kind: str, name: str, aliases: Iterable[str] = ()) -> list[tuple[str, bool]]:
    """Comparison keys under which a gazetteer name is found: (key, is_variant).

    Streets also answer to 天山路街 (街 for 街道) and townships to their bare name; compounds to
    "… 小区"; districts to their name without 区 (the abbreviation 克区 needs every district,
    see :func:`district_abbreviations`).
    """
    base = key(name)
    out = [(base, False)] + [(key(a), True) for a in aliases if key(a)]
    if kind == "street" and base.endswith("街道") and len(base) > 3:
        stem = base[:-2]
        out.append((stem + "街", True))
        if stem[-1] in "镇乡":
            out.append((stem, True))
    elif kind == "street" and base[-1] in "镇乡" and len(base) > 2:
        out.append((base + "街道", True))
    elif kind == "compound":
        if not base.endswith("小区"):
            out.append((base + "小区", True))
        elif len(base) >= 5:
            out.append((base[:-2], True))
    elif kind == "district" and base.endswith("区") and len(base) >= 4:
        out.append((base[:-1], True))
    seen: set[str] = set()
    return [(k, v) for k, v in out if not (k in seen or seen.add(k))]  # type: ignore[func-returns-value]


def district_abbreviations(names: Iterable[str]) -> dict[str, str]:
    """克拉玛依区 → 克区, when no other district shares the first character."""
    names = [n for n in names if n.endswith("区") and len(n) >= 3]
    first = [n[0] for n in names]
    return {n: n[0] + "区" for n in names if first.count(n[0]) == 1}


class SearchNotBuiltError(RuntimeError):
    """The name table is missing or older than the territory: call rebuild_search(conn)."""


_SOURCES = {
    "district": "SELECT d.id, d.name, '{}'::text[], d.id, NULL::int, NULL::int FROM districts d",
    "street": "SELECT s.id, s.name, '{}'::text[], s.district_id, s.id, NULL::int FROM streets s",
    "community": """SELECT c.id, c.name, '{}'::text[], s.district_id, c.street_id, c.id
                    FROM communities c JOIN streets s ON s.id = c.street_id""",
    "road": """SELECT r.id, r.name, r.aliases, s.district_id, r.street_id, NULL::int
               FROM addr_roads r LEFT JOIN streets s ON s.id = r.street_id""",
    "compound": """SELECT c.id, c.name, c.aliases, s.district_id, m.street_id, c.community_id
                   FROM compounds c LEFT JOIN communities m ON m.id = c.community_id
                   LEFT JOIN streets s ON s.id = m.street_id""",
    "place": """SELECT p.id, p.name, p.aliases, s.district_id, a.street_id, a.community_id
                FROM places p
                LEFT JOIN addresses a ON a.place_id = p.id AND a.level = 'place'
                LEFT JOIN streets s ON s.id = a.street_id""",
}
_COLUMNS = ("key", "kind", "ref_id", "name", "variant", "district_id", "street_id", "community_id")


def name_rows(conn: Connection) -> list[tuple[str, Entry, bool]]:
    """Every (key, entry, is_variant) of the gazetteer, in a stable order."""
    out: list[tuple[str, Entry, bool]] = []
    for kind, sql in _SOURCES.items():
        rows: list[Any] = list(conn.execute(text(sql + " ORDER BY 1")))
        abbrev = district_abbreviations(r[1] for r in rows) if kind == "district" else {}
        for ref, name, aliases, district, street, community in rows:
            entry = Entry(kind, int(ref), str(name), district, street, community)
            keys = name_keys(kind, name, aliases or ())
            if name in abbrev:
                keys.append((abbrev[name], True))
            out.extend((k, entry, variant) for k, variant in keys)
    return out


def rebuild_search(conn: Connection) -> int:
    """Refill the name table from the gazetteer in the caller's transaction; returns its rows."""
    rows = name_rows(conn)
    conn.execute(text("DELETE FROM search_names"))
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(
            f"COPY search_names ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for k, e, variant in rows:
            copy.write_row((k, e.kind, e.ref_id, e.name, variant, e.district_id, e.street_id,
                            e.community_id))
    conn.execute(text("""
        INSERT INTO search_meta (id, version, names, built_at) VALUES (1, :v, :n, now())
        ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, names = EXCLUDED.names,
                                       built_at = EXCLUDED.built_at"""),
                 {"v": uuid.uuid4().hex, "n": len(rows)})
    conn.execute(text("ANALYZE search_names"))
    return len(rows)


_STAMP = text("""SELECT m.version, m.names, EXISTS (SELECT 1 FROM search_names)
                 FROM search_meta m WHERE m.id = 1""")
_CACHE: dict[tuple[str, str], Lexicon] = {}
_LOCK = threading.Lock()


def lexicon(conn: Connection) -> Lexicon:
    """This database's names, loaded once per search version (one small query per call)."""
    row = conn.execute(_STAMP).first()
    if row is None or (row[1] > 0 and not row[2]):
        raise SearchNotBuiltError("地址库检索表未建立或已过期：请在载入辖区后调用 rebuild_search(conn)")
    cache_key = (conn.engine.url.render_as_string(hide_password=True), str(row[0]))
    found = _CACHE.get(cache_key)
    if found is not None:
        return found
    with _LOCK:
        found = _CACHE.get(cache_key)
        if found is None:
            # keys are derived again from the gazetteer, so a change to geo.address.key
            # needs no rebuild; the table's keys serve the trigram fallback only
            found = Lexicon(name_rows(conn))
            for stale in [k for k in _CACHE if k[0] == cache_key[0]]:
                del _CACHE[stale]
            _CACHE[cache_key] = found
    return found
