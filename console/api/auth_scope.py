"""Jurisdiction applied to what the console reads: rows, features, cases, live events.

The rules are :mod:`dispatch.access`; this module fetches the few facts they need (a case's
area and active units, the cases a unit or a person is tied to) and applies them to lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from dispatch import views_scope
from dispatch.access import Principal, masks_incident, scope_of, sees_incident, sees_unit
from dispatch.privacy import mask_fields, mask_incident

DESK_ROW_TEXTS = ("title", "address", "name")  # desk rows' and markers' texts from the parties
CASE_ROW_TEXTS = ("title", "address")  # the case list's (dispatch.views_cases) texts from them


def own_incident_ids(conn: Connection, p: Principal) -> set[int]:
    """Cases tied to the principal outside its area: its unit's tasks and what it registered."""
    scope = scope_of(p)
    if scope.unrestricted:
        return set()
    ids: set[int] = set()
    if scope.unit_id is not None:
        ids |= views_scope.active_case_ids_of_unit(conn, scope.unit_id)
    if scope.creator is not None:
        ids |= views_scope.case_ids_created_by(conn, scope.creator)
    return ids


def incident_facts(conn: Connection, incident_id: int) -> tuple[dict[str, Any], list[int]] | None:
    """A case's area (street, community, grid, creator) and its active units."""
    row = views_scope.case_area(conn, incident_id)
    if row is None:
        return None
    return row, views_scope.active_unit_ids(conn, incident_id)


def unit_facts(conn: Connection, unit_id: int) -> dict[str, Any] | None:
    return views_scope.unit_area(conn, unit_id)


def _props(row: Mapping[str, Any]) -> Mapping[str, Any]:
    props = row.get("properties")
    return props if isinstance(props, Mapping) else row


def filter_incidents(p: Principal, rows: Iterable[Mapping[str, Any]],
                     own: set[int]) -> list[Any]:
    """Rows or features of cases the principal may see (``own``: :func:`own_incident_ids`)."""
    if scope_of(p).unrestricted:
        return list(rows)
    out = []
    for row in rows:
        props = _props(row)
        if props.get("id") in own or sees_incident(p, props):
            out.append(row)
    return out


def label_case_features(p: Principal, feats: list[Any]) -> list[Any]:
    """Case features whose label (``name``: the case's title, which may name the parties)
    becomes "code category" where the reader may not read the parties."""
    from dispatch.vocab import CATEGORIES

    out = []
    for f in feats:
        props = _props(f)
        if masks_incident(p, props, ()):
            label = f"{props.get('code') or ''} {CATEGORIES.get(str(props.get('category')), '')}"
            props = {**props, "name": label.strip()}
            f = {**f, "properties": props} if "properties" in f else props
        out.append(f)
    return out


def filter_units(p: Principal, rows: Iterable[Mapping[str, Any]]) -> list[Any]:
    """Rows or features of units the principal may see."""
    if scope_of(p).unrestricted:
        return list(rows)
    return [r for r in rows if sees_unit(p, _props(r))]


def masked_case(p: Principal, case: dict[str, Any], units: Iterable[int]) -> dict[str, Any]:
    """The case as the principal may read it: masked unless it needs the parties."""
    if masks_incident(p, case, units):
        return mask_incident(case)
    return {**case, "masked": False}


def case_for(conn: Connection, p: Principal, case: dict[str, Any],
             units: Iterable[int]) -> dict[str, Any]:
    """A case view (API detail, the desk's case panel) as it leaves the server for ``p``: its
    links to cases outside the reader's jurisdiction told as "another street, call its centre"
    (:func:`console.api.jurisdiction.cut_case`), then masked unless the reader needs the
    parties (:func:`masked_case`)."""
    from console.api.jurisdiction import cut_case

    return masked_case(p, cut_case(conn, p, case), units)


def mask_rows(p: Principal, rows: Iterable[dict[str, Any]],
              units_of: Mapping[int, Iterable[int]] | None = None) -> list[dict[str, Any]]:
    """List rows (which may carry ``address`` or ``title``) masked row by row."""
    out = []
    for r in rows:
        units = (units_of or {}).get(int(r.get("id") or 0), ())
        out.append(mask_incident(r) if masks_incident(p, r, units) else r)
    return out


def case_list_rows(p: Principal, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Case-list rows (:func:`dispatch.views_cases.case_rows`) as they leave the server for
    ``p``: masked row by row as the desk masks its queue (the same decision, the same texts,
    the case's party names), then without what only the server reads."""
    from dispatch.views_cases import PRIVATE_KEYS

    out = []
    for r in rows:
        if masks_incident(p, r, r.get("unit_ids") or ()):
            r = mask_fields(r, CASE_ROW_TEXTS, r.get("party_names") or ())
        else:
            r = {**r, "masked": False}
        out.append({k: v for k, v in r.items() if k not in PRIVATE_KEYS})
    return out


def event_context(conn: Connection, event: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`dispatch.access.event_visible` needs to route one live event."""
    incident_id = event.get("incident_id")
    if isinstance(incident_id, int):
        facts = incident_facts(conn, incident_id)
        if facts is not None:
            return {"incident": facts[0], "unit_ids": facts[1]}
        return {"incident": {"id": incident_id}}
    unit_id = event.get("unit_id")
    if isinstance(unit_id, int):
        unit = unit_facts(conn, unit_id)
        return {"unit": unit or {"id": unit_id}}
    return {}


def check_incident(conn: Connection, p: Principal, incident_id: int, action: str = "read",
                   *, own_task: bool = False) -> tuple[dict[str, Any], list[int]]:
    """The case's facts if the principal may ``action`` on it; NotFound / Forbidden otherwise.

    ``own_task``: a field account may act only on cases its unit is assigned to.
    """
    from dispatch.errors import Forbidden, NotFound

    facts = incident_facts(conn, incident_id)
    if facts is None:
        raise NotFound(f"案件 {incident_id} 不存在", incident_id=incident_id)
    case, units = facts
    if not sees_incident(p, case, units):
        raise Forbidden(f"案件 {incident_id} 不在您的辖区内", incident_id=incident_id,
                        action=action)
    if own_task and p.kind == "account" and p.role == "field" and p.unit_id not in units:
        raise Forbidden(f"案件 {incident_id} 不是本单位的任务", incident_id=incident_id,
                        action=action)
    return case, units


def check_unit(conn: Connection, p: Principal, unit_id: int, action: str = "read", *,
               act: bool = False) -> dict[str, Any]:
    """The unit's facts if the principal may see it (``act``: may act for it)."""
    from dispatch.access import may_act_on_unit
    from dispatch.errors import Forbidden, NotFound

    unit = unit_facts(conn, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在", unit_id=unit_id)
    allowed = may_act_on_unit(p, unit) if act else sees_unit(p, unit)
    if not allowed:
        raise Forbidden(f"单位 {unit_id} 不在您的辖区内" if not sees_unit(p, unit)
                        else f"只能操作本单位（单位 {unit_id} 不是您的单位）",
                        unit_id=unit_id, action=action)
    return unit


class MaskMemo:
    """One reader's rows and markers as :func:`filter_snapshot` masked them last, by the hub's
    objects: a row the hub did not change (the same object) whose case facts did not change
    either (the same object: the hub's area index shares the unchanged ones) is taken as it was
    masked, so a desk masks only what changed, and its masked rows stay the same objects from
    one snapshot to the next (its diffs stop at identity). Before, an administrator's desk
    masked all of its 2,000 rows again on every delivery."""

    def __init__(self) -> None:
        self.kept: dict[int, tuple[Any, Any, Any]] = {}  # id(hub's row) -> (row, facts, shown)


def filter_snapshot(p: Principal | None, snap: dict[str, Any], *,
                    memo: MaskMemo | None = None) -> dict[str, Any]:
    """A desk or wall snapshot cut to the principal's jurisdiction (rows and map features), and
    the rows of cases whose parties it may not read (an administrator's desk) masked; ``memo``:
    the reader's own, kept from its last snapshot (:class:`MaskMemo`)."""
    areas = snap.get("areas") or {"incidents": {}, "units": {}}
    inc, units = areas["incidents"], areas["units"]
    if p is not None and scope_of(p).unrestricted:
        return _masked_snapshot(p, snap, inc, memo)

    def case_ok(i: Any) -> bool:
        facts = inc.get(int(i))
        return (p is not None and facts is not None
                and sees_incident(p, facts, facts.get("unit_ids") or ()))

    def unit_ok(i: Any) -> bool:
        facts = units.get(int(i))
        return p is not None and facts is not None and sees_unit(p, facts)

    out = dict(snap)
    out["queue"] = [r for r in snap.get("queue", []) if case_ok(r["id"])]
    # a unit of the street on another street's case: the board says so, not which case
    codes = {c for r in snap.get("units", []) for c in r.get("cases") or ()}
    shown = {f.get("code") for i, f in inc.items() if f.get("code") in codes and case_ok(i)}
    out["units"] = [r if all(c in shown for c in r.get("cases") or ()) else
                    {**r, "cases": [c if c in shown else "其他街道案件" for c in r["cases"]]}
                    for r in snap.get("units", []) if unit_ok(r["id"])]
    out["case_features"] = {k: v for k, v in snap.get("case_features", {}).items()
                            if case_ok(k)}
    out["unit_features"] = {k: v for k, v in snap.get("unit_features", {}).items()
                            if unit_ok(k)}
    return out if p is None else _masked_snapshot(p, out, inc, memo)


def _masked_snapshot(p: Principal, snap: dict[str, Any],
                     inc: Mapping[int, Mapping[str, Any]],
                     memo: MaskMemo | None = None) -> dict[str, Any]:
    """The queue rows and case markers (titles, addresses) masked where ``p`` may not read the
    parties (:func:`dispatch.access.masks_incident`, with each case's party names)."""
    old = memo.kept if memo is not None else {}
    # the masked rows only: a reader who never masks pays what it paid before
    kept: dict[int, tuple[Any, Any, Any]] = {}
    masked: list[bool] = []  # whether any row was masked

    def shown(i: Any, row: dict[str, Any], mask: Any) -> dict[str, Any]:
        facts = inc.get(int(i))
        hit = old.get(id(row))
        if hit is None or hit[0] is not row or hit[1] is not facts:
            facts_ = facts or {}  # a case not indexed yet: masked unless p never masks
            if not masks_incident(p, facts_, facts_.get("unit_ids") or ()):
                return row
            hit = (row, facts, mask(row, list(facts_.get("names") or ())))
        kept[id(row)] = hit
        masked.append(True)
        out: dict[str, Any] = hit[2]
        return out

    def row_mask(r: dict[str, Any], names: list[str]) -> dict[str, Any]:
        # the rows' only texts from the parties: console.desk.state.queue_rows / case_features
        return mask_fields(r, DESK_ROW_TEXTS, names)

    def feature_mask(v: dict[str, Any], names: list[str]) -> dict[str, Any]:
        return {**v, "properties": mask_fields(v["properties"], DESK_ROW_TEXTS, names)}

    queue = [shown(r["id"], r, row_mask) for r in snap.get("queue", [])]
    if masked:  # the markers are the queue's open cases: none masked where no row is
        features = {k: shown(k, v, feature_mask)
                    for k, v in snap.get("case_features", {}).items()}
    if memo is not None:
        memo.kept = kept
    if not masked:
        return snap  # nothing masked: the hub's own lists (the desk's checks stop at identity)
    return {**snap, "queue": queue, "case_features": features}


def visible_ids(conn: Connection, p: Principal, ids: Iterable[int]) -> set[int]:
    """Which of these cases the principal may see (one query for a whole list)."""
    wanted = sorted({int(i) for i in ids})
    if scope_of(p).unrestricted:
        return set(wanted)
    rows = views_scope.case_areas_with_units(conn, wanted)
    return {int(r["id"]) for r in rows if sees_incident(p, r, r["unit_ids"] or ())}
