"""Replace the area hierarchy under live cases and units: history kept, everything re-located.

The new areas are loaded beside the old ones (ids moved past them), every reference to an old
area is moved to its successor — the new area with the same code, else the new area covering
the old one's inner point — then the old areas are deleted. Cases are located again by their
point (their chain before is kept in ``incident_area_history``); units, accounts, keys and any
other table follow their area by code or place. Nothing but the old areas is deleted. Which
foreign keys point at areas is read from the catalogue, so a table added later follows too.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
from sqlalchemy import Connection, text

from dispatch.adapters.uow import CHANNEL
from dispatch.events import AreasReplaced
from geo.errors import ImportRejected, Problem
from geo.importer import LEVEL_LABELS
from geo.loader import copy_frame
from geo.territory import Territory

AREAS = ("districts", "streets", "communities", "police_grids", "grids", "micro_grids")
# FK columns inside the area frames: column -> the table it names
_INNER = {"district_id": "districts", "street_id": "streets", "community_id": "communities",
          "grid_id": "grids", "police_grid_id": "police_grids"}
_RELOCATED = {"search_names", *AREAS}  # rebuilt, or the areas themselves
_FKS = text("""
    SELECT k.conrelid::regclass::text, a.attname, k.confrelid::regclass::text
    FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
    WHERE k.contype = 'f' AND k.confrelid::regclass::text = ANY(:areas)""")
_LEVEL_COLS = (("street", "streets"), ("community", "communities"), ("grid", "grids"),
               ("micro_grid", "micro_grids"), ("police_grid", "police_grids"))
_CHAIN_SQL = (
    "SELECT i.id, jsonb_strip_nulls(jsonb_build_object("
    + ", ".join(f"'{lv}', (SELECT jsonb_build_object('code', code, 'name', name) FROM {t} "
                f"WHERE id = i.{lv}_id)" for lv, t in _LEVEL_COLS)
    + ")) FROM incidents i WHERE coalesce("
    + ", ".join(f"i.{lv}_id" for lv, _ in _LEVEL_COLS) + ") IS NOT NULL")


def _shifted(territory: Territory, offsets: dict[str, int]) -> dict[str, gpd.GeoDataFrame]:
    out = {}
    for level in AREAS:
        if level not in territory:
            continue
        frame = territory[level].copy()
        frame["id"] = frame["id"] + offsets[level]
        for col, table in _INNER.items():
            if col in frame and table in offsets:
                frame[col] = frame[col] + offsets[table]
        out[level] = frame
    return out


def _locate(conn: Connection, table: str, point: str, where: str = "true") -> None:
    """Set ``table``'s chain columns from the new areas covering ``point`` (lowest id wins)."""
    sets = []
    for col, area in (("street_id", "streets"), ("community_id", "communities"),
                      ("grid_id", "grids"), ("micro_grid_id", "micro_grids"),
                      ("police_grid_id", "police_grids"), ("district_id", "districts")):
        if conn.scalar(text("SELECT count(*) FROM information_schema.columns "
                            "WHERE table_name = :t AND column_name = :c"),
                       {"t": table, "c": col}):
            sets.append(f"{col} = (SELECT a.id FROM {area} a WHERE a.id > :off_{area} "
                        f"AND ST_Covers(a.geom, t.{point}) ORDER BY a.id LIMIT 1)")
    if sets:
        conn.execute(text(f"UPDATE {table} t SET {', '.join(sets)} "
                          f"WHERE t.{point} IS NOT NULL AND {where}"), _OFFSETS)


_OFFSETS: dict[str, int] = {}


def replace_keeping_history(conn: Connection, territory: Territory, *, actor: str
                            ) -> dict[str, Any]:
    """Swap the areas for ``territory``'s in the caller's transaction; returns the report."""
    offsets = {t: int(conn.scalar(text(f"SELECT coalesce(max(id), 0) FROM {t}")) or 0)
               for t in AREAS}
    _OFFSETS.clear()
    _OFFSETS.update({f"off_{t}": n for t, n in offsets.items()})
    before = {(r[0], r[1]): r[2] for r in conn.execute(text(
        "SELECT i.id, 'incident', s.name FROM incidents i LEFT JOIN streets s ON s.id = i.street_id "
        "UNION ALL SELECT u.id, 'unit', s.name FROM units u "
        "LEFT JOIN streets s ON s.id = u.street_id"))}
    kept = conn.execute(text(
        "INSERT INTO incident_area_history (incident_id, replaced_by, chain) "
        f"SELECT id, :who, chain FROM ({_CHAIN_SQL}) x(id, chain)"), {"who": actor}).rowcount
    for t in AREAS:  # the old codes step aside (codes are unique) and are kept for the map
        conn.execute(text(f"CREATE TEMP TABLE old_{t} ON COMMIT DROP AS SELECT id, code FROM {t}"))
        conn.execute(text(f"UPDATE {t} SET code = '#' || id WHERE id <= :off"),
                     {"off": offsets[t]})
    for level, frame in _shifted(territory, offsets).items():
        copy_frame(conn, level, frame)
    # successor of each old area: same code, else the new area covering its inner point
    for t in AREAS:
        conn.execute(text(f"""
            CREATE TEMP TABLE map_{t} ON COMMIT DROP AS
            SELECT o.id AS old_id, coalesce(
                (SELECT n.id FROM {t} n WHERE n.id > :off AND n.code = c.code),
                (SELECT n.id FROM {t} n WHERE n.id > :off
                   AND ST_Covers(n.geom, ST_PointOnSurface(o.geom)) ORDER BY n.id LIMIT 1)
              ) AS new_id, c.code
            FROM {t} o JOIN old_{t} c ON c.id = o.id WHERE o.id <= :off"""), {"off": offsets[t]})
    problems = _orphaned_accounts(conn)
    if problems:
        raise ImportRejected(problems, source="区划替换")
    for table, col, area in conn.execute(_FKS, {"areas": list(AREAS)}).all():
        if table in _RELOCATED:
            continue
        conn.execute(text(f"UPDATE {table} x SET {col} = m.new_id FROM map_{area} m "
                          f"WHERE x.{col} = m.old_id"))
    # then cases, service points and addresses by where they are (over their code's successor)
    _locate(conn, "incidents", "geom")
    _locate(conn, "facilities", "geom")
    _locate(conn, "addresses", "geom")
    # units without a home grid: their street and community from where they last were
    conn.execute(text("""
        UPDATE units u SET community_id = g.community_id, street_id = c.street_id
        FROM grids g JOIN communities c ON c.id = g.community_id
        WHERE g.id = u.home_grid_id"""))
    conn.execute(text("UPDATE addr_roads r SET street_id = m.new_id FROM map_streets m "
                      "WHERE r.street_id = m.old_id"))
    conn.execute(text("UPDATE compounds c SET community_id = m.new_id FROM map_communities m "
                      "WHERE c.community_id = m.old_id"))
    conn.execute(text("DELETE FROM search_names"))
    for t in reversed(AREAS):  # children first; nothing refers to them any more
        conn.execute(text(f"DELETE FROM {t} WHERE id <= :off"), {"off": offsets[t]})
    from geo.address_import import derive_network_roads

    derive_network_roads(conn)  # also rebuilds the geocoder's names
    report = _report(conn, before, kept)
    # told on commit, like every domain event: live desks drop what they placed by street
    event = AreasReplaced(actor=actor, incidents=report["incidents"], units=report["units"])
    conn.execute(text("SELECT pg_notify(:ch, :p)"),
                 {"ch": CHANNEL, "p": json.dumps(event.as_dict(), ensure_ascii=False)})
    return report


def _orphaned_accounts(conn: Connection) -> list[Problem]:
    """An account whose jurisdiction has no successor would silently widen or lose its scope."""
    out = []
    for level, col in (("streets", "street_id"), ("communities", "community_id"),
                       ("grids", "grid_id")):
        for user, code in conn.execute(text(
                f"SELECT a.username, m.code FROM accounts a JOIN map_{level} m "
                f"ON m.old_id = a.{col} WHERE m.new_id IS NULL")):
            out.append(Problem("in_use", f"账号 {user} 的辖区（{LEVEL_LABELS[level]} {code}）在新区划中"
                               "既无同编码区域、也不被任何区域覆盖：请先调整该账号或在新区划中保留该区域",
                               LEVEL_LABELS[level], str(code)))
    return out


def _report(conn: Connection, before: dict[tuple[int, str], str | None], kept: int
            ) -> dict[str, Any]:
    after = {(r[0], r[1]): r[2] for r in conn.execute(text(
        "SELECT i.id, 'incident', s.name FROM incidents i LEFT JOIN streets s ON s.id = i.street_id "
        "UNION ALL SELECT u.id, 'unit', s.name FROM units u "
        "LEFT JOIN streets s ON s.id = u.street_id"))}
    moves: dict[str, dict[str, int]] = {"incident": {}, "unit": {}}
    for k, new in after.items():
        old = before.get(k)
        key = f"{old or '（无）'} → {new or '（辖区外）'}"
        moves[k[1]][key] = moves[k[1]].get(key, 0) + 1
    return {"incidents": sum(1 for k in after if k[1] == "incident"),
            "units": sum(1 for k in after if k[1] == "unit"),
            "incidents_outside": sum(1 for k, v in after.items() if k[1] == "incident" and not v),
            "chains_kept": kept, "moved": moves}
