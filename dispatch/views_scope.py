"""Jurisdiction facts read for the faces: where a case or a unit belongs, who is tied to a case,
which street's centre to call. The rules that use them are :mod:`dispatch.access`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, text

from dispatch import clocks
from dispatch.vocab import sql_list

_OPEN_CASE_AREAS = (
    "SELECT i.id, i.code, i.street_id, i.community_id, i.grid_id, i.created_by, "
    "array_remove(ARRAY(SELECT p->>'name' FROM jsonb_array_elements(i.parties) p) "
    "|| i.caller_name::text, NULL) AS names, "
    "COALESCE((SELECT array_agg(a.unit_id) FROM assignments a WHERE a.incident_id = i.id "
    "AND a.state = 'active'), '{}') AS unit_ids FROM incidents i "
    f"WHERE i.state IN {sql_list(clocks.ON_THE_CLOCK)}")
_UNIT_AREAS = "SELECT id, street_id, community_id, home_grid_id FROM units"
UNIT_AREA_KEYS = ("id", "street_id", "community_id", "home_grid_id")  # a unit's area, as read
_CONTACTS = """
SELECT s.id, s.name AS street,
       (SELECT f.name FROM facilities f WHERE f.kind = 'governance_centre' AND f.street_id = s.id
        ORDER BY (f.level = 'street') DESC, f.id LIMIT 1) AS centre,
       (SELECT f.phone FROM facilities f WHERE f.kind = 'governance_centre' AND f.street_id = s.id
        ORDER BY (f.level = 'street') DESC, f.id LIMIT 1) AS phone
FROM streets s WHERE s.id = ANY(:ids) ORDER BY s.id
"""


def _ids(ids: Iterable[int | None]) -> list[int]:
    return sorted({int(i) for i in ids if i is not None})


def active_case_ids_of_unit(conn: Connection, unit_id: int) -> set[int]:
    """The cases this unit is assigned to now."""
    return set(conn.execute(text(
        "SELECT incident_id FROM assignments WHERE unit_id = :u AND state = 'active'"),
        {"u": unit_id}).scalars())


def case_ids_created_by(conn: Connection, username: str) -> set[int]:
    """The cases this account registered."""
    return set(conn.execute(text("SELECT id FROM incidents WHERE created_by = :n"),
                            {"n": username}).scalars())


def case_area(conn: Connection, incident_id: int) -> dict[str, Any] | None:
    """A case's street, community, grid and creator (None when there is no such case)."""
    row = conn.execute(text(
        "SELECT id, street_id, community_id, grid_id, created_by FROM incidents WHERE id = :i"),
        {"i": incident_id}).mappings().first()
    return None if row is None else dict(row)


def active_unit_ids(conn: Connection, incident_id: int) -> list[int]:
    """The units assigned to this case now."""
    return list(conn.execute(text(
        "SELECT unit_id FROM assignments WHERE incident_id = :i AND state = 'active'"),
        {"i": incident_id}).scalars())


def unit_area(conn: Connection, unit_id: int) -> dict[str, Any] | None:
    """A unit's street, community and home grid (None when there is no such unit)."""
    row = conn.execute(text(_UNIT_AREAS + " WHERE id = :u"), {"u": unit_id}).mappings().first()
    return None if row is None else dict(row)


def open_case_areas(conn: Connection, ids: Iterable[int] | None = None
                    ) -> dict[int, dict[str, Any]]:
    """Every open case's area, code, party names and active units, by id (or these cases')."""
    if ids is None:
        rows = conn.execute(text(_OPEN_CASE_AREAS)).mappings()
    else:
        wanted = _ids(ids)
        if not wanted:
            return {}
        rows = conn.execute(text(_OPEN_CASE_AREAS + " AND i.id = ANY(:ids)"),
                            {"ids": wanted}).mappings()
    return {int(r["id"]): dict(r) for r in rows}


def unit_areas(conn: Connection, ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """Every unit's area, by id (or these units')."""
    if ids is None:
        rows = conn.execute(text(_UNIT_AREAS)).mappings()
    else:
        wanted = _ids(ids)
        if not wanted:
            return {}
        rows = conn.execute(text(_UNIT_AREAS + " WHERE id = ANY(:ids)"), {"ids": wanted}).mappings()
    return {int(r["id"]): dict(r) for r in rows}


def case_areas_with_units(conn: Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    """These cases' areas and creators with their active units (``unit_ids``)."""
    wanted = _ids(ids)
    return [dict(r) for r in conn.execute(text(
        "SELECT i.id, i.street_id, i.community_id, i.grid_id, i.created_by, "
        "COALESCE((SELECT array_agg(a.unit_id) FROM assignments a WHERE a.incident_id = i.id "
        "AND a.state = 'active'), '{}') AS unit_ids FROM incidents i WHERE i.id = ANY(:ids)"),
        {"ids": wanted}).mappings()]


def street_centres(conn: Connection, street_ids: Iterable[int | None]) -> list[dict[str, Any]]:
    """Each street's name and its governance centre's name and phone (either may be None)."""
    ids = _ids(street_ids)
    return [dict(r) for r in conn.execute(text(_CONTACTS), {"ids": ids}).mappings()] if ids else []


def streets_of_cases(conn: Connection, incident_ids: Iterable[int]) -> list[int | None]:
    """The street of each of these cases (one entry per case found)."""
    ids = _ids(incident_ids)
    if not ids:
        return []
    return list(conn.execute(text("SELECT street_id FROM incidents WHERE id = ANY(:ids)"),
                             {"ids": ids}).scalars())


def case_ids_by_code(conn: Connection, codes: Iterable[str]) -> dict[str, int]:
    """Case ids by their codes (codes not found are absent)."""
    wanted = sorted(set(codes))
    return {str(r[0]): int(r[1]) for r in conn.execute(text(
        "SELECT code, id FROM incidents WHERE code = ANY(:codes)"), {"codes": wanted})}


def units_with_street(conn: Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """These units' areas, type and street name, by id."""
    wanted = _ids(ids)
    if not wanted:
        return {}
    return {int(r["id"]): dict(r) for r in conn.execute(text(
        "SELECT u.id, u.street_id, u.community_id, u.home_grid_id, u.unit_type, s.name AS street "
        "FROM units u LEFT JOIN streets s ON s.id = u.street_id WHERE u.id = ANY(:ids)"),
        {"ids": wanted}).mappings()}


def area_index(conn: Connection, *, incident_ids: Iterable[int] | None = None,
               unit_ids: Iterable[int] | None = None, streets: Iterable[int] | None = None,
               creator: str | None = None, units: Iterable[Mapping[str, Any]] | None = None
               ) -> dict[str, dict[int, dict[str, Any]]]:
    """Where each open case and each unit belongs, for filtering shared snapshots per session;
    with ids, only those cases and units (the desk hub's patches); with ``streets``, those
    streets' (and ``creator``'s cases): a jurisdiction's own snapshot, its units' areas taken
    from ``units`` (those streets' unit rows, already read with their areas) when given."""
    if streets is not None:
        wanted = _ids(streets)
        by = " AND (i.street_id = ANY(:s) OR i.created_by = :c)" if creator is not None \
            else " AND i.street_id = ANY(:s)"
        res = conn.execute(text(_OPEN_CASE_AREAS + by), {"s": wanted, "c": creator})
        keys = list(res.keys())
        cases = {int(r[0]): dict(zip(keys, r, strict=True)) for r in res}
        if units is None:
            return {"incidents": cases, "units": {int(r["id"]): dict(r) for r in conn.execute(
                text(_UNIT_AREAS + " WHERE street_id = ANY(:s)"), {"s": wanted}).mappings()}}
        return {"incidents": cases, "units": {int(u["id"]): {k: u[k] for k in UNIT_AREA_KEYS}
                                              for u in units}}
    if incident_ids is None and unit_ids is None:
        return {"incidents": open_case_areas(conn),
                "units": unit_areas(conn)}
    return {"incidents": open_case_areas(conn, incident_ids or ()),
            "units": unit_areas(conn, unit_ids or ())}
