"""Read side of resident reports (扫码说事): the desk's triage queue, what /track shows a
resident (no staff names, no other parties, no exact address), the places posters name."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from dispatch import lifecycle, resident, tracking, vocab
from dispatch.access import Scope
from dispatch.views_cases import area_where
from dispatch.views_open311 import token_hash

PLACE = re.compile(r"^(community|room)-([0-9]{1,9})$")
ROOM_KINDS = ("mediation_room", "mediation_studio")
# What each step means for the resident, in plain words (no one is named).
STEP_WORDS = ("您反映的问题已受理，正在安排处置人员。", "已分派给处置人员，将与您联系或上门处置。",
              "处置人员正在处置（调解）中。", "已办结。如对结果有意见，可补充情况或评价。",
              "已回访。感谢您的反映。")


def area_sql(scope: Scope | None) -> tuple[str, dict[str, Any]]:
    """``AND (…)`` keeping the reports lying in a jurisdiction (its streets, community, grid,
    as :func:`dispatch.access.sees_incident` reads a case's area; a report has no creator and no
    unit, so a reader with neither street, community nor grid keeps none)."""
    if scope is None or scope.unrestricted:
        return "", {}
    conds, params = area_where(scope, "r")
    return "AND (" + (" AND ".join(conds) or "false") + ") ", params


def triage_queue(conn: Connection, *, status: str = "pending", limit: int = 100,
                 scope: Scope | None = None, per_area: bool = False,
                 streets: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Reports waiting for the desk (oldest first) or recently decided (newest first), in
    ``scope``'s area (the area each report was located in at submission): one indexed read.
    ``per_area``: ``limit`` counts within each (street, community, grid) a report was located
    in (the located-nowhere ones one more group): every jurisdiction is a union of such groups,
    so the rows hold each reader's own first ``limit`` however many wait elsewhere.
    ``streets``: only reports located in these streets (a jurisdiction's desk hub)."""
    order = "ASC" if status == "pending" else "DESC"
    where, params = area_sql(scope)
    if streets is not None:
        where += "AND r.street_id = ANY(CAST(:part_streets AS int[])) "
        params["part_streets"] = sorted(streets)
    if per_area:
        where += ("AND r.id IN (SELECT id FROM (SELECT q.id, row_number() OVER (PARTITION BY "
                  f"q.street_id, q.community_id, q.grid_id ORDER BY q.submitted_at {order}, q.id) "
                  "AS k FROM resident_reports q WHERE q.status = :s) ranked WHERE k <= :n) ")
    rows = conn.execute(text(
        "SELECT r.id, r.tracking_code, r.status, r.category, r.description, r.address, r.lon, "
        "r.lat, r.place, r.name, r.phone, r.phone_verified, jsonb_array_length(r.photos) AS photos, "
        "r.submitted_at, r.decided_at, r.decided_by, r.reject_reason, r.incident_id, "
        "r.street_id, r.community_id, r.grid_id, i.code AS incident_code, "
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('text', n.text, 'added_at', n.added_at) "
        " ORDER BY n.id), '[]'::jsonb) FROM resident_notes n WHERE n.report_id = r.id) AS notes "
        "FROM resident_reports r LEFT JOIN incidents i ON i.id = r.incident_id "
        f"WHERE r.status = :s {where}ORDER BY r.submitted_at {order}, r.id"
        + ("" if per_area else " LIMIT :n")), {"s": status, "n": limit, **params}).mappings()
    out = []
    for r in rows:
        d = dict(r)
        d["tracking_code"] = tracking.display(d["tracking_code"])
        d["category_label"] = vocab.CATEGORIES.get(d["category"], d["category"])
        d["from_resident"] = True
        d["phone_check"] = resident.phone_check(d["phone"], d["phone_verified"])
        out.append(d)
    return out


def report_place(conn: Connection, report_id: int) -> dict[str, Any] | None:
    """Where a report is: its point, the ``?at=`` place, the address and the area it was
    located in at submission; None if unknown."""
    row = conn.execute(text("SELECT id, lon, lat, place, address, street_id, community_id, "
                            "grid_id FROM resident_reports WHERE id = :i"),
                       {"i": report_id}).mappings().first()
    return dict(row) if row else None


def _case(conn: Connection, incident_id: int) -> dict[str, Any] | None:
    row = conn.execute(text(
        "SELECT i.state, i.category, i.reported_at, i.assigned_at, i.resolved_at, "
        "i.followed_up_at, i.closed_at, i.outcome, COALESCE(c.name, s.name) AS area "
        "FROM incidents i LEFT JOIN communities c ON c.id = i.community_id "
        "LEFT JOIN streets s ON s.id = i.street_id WHERE i.id = :i"),
        {"i": incident_id}).mappings().first()
    return dict(row) if row else None


def track(conn: Connection, code: str) -> dict[str, Any] | None:
    """What the holder of ``code`` may read, or None (wrong and unknown codes alike).

    A resident's report reads its triage state, then its case's step; a case registered through
    Open311 (whose token is a tracking code) reads its case's step. Never a staff name, a party,
    a note of the officers or the exact address: the area (community) is all of the place.
    """
    canon = tracking.normalise(code)
    if canon is None:
        return None
    rep = conn.execute(text(
        "SELECT id, status, category, submitted_at, decided_at, reject_reason, incident_id, "
        "rating, rated_at, (SELECT count(*) FROM resident_notes n WHERE n.report_id = r.id) "
        "AS notes FROM resident_reports r WHERE tracking_code = :c"), {"c": canon}
    ).mappings().first()
    incident_id = rep["incident_id"] if rep else conn.scalar(text(
        "SELECT incident_id FROM open311_tokens WHERE token_hash = :h"),
        {"h": token_hash(canon)})
    if rep is None and incident_id is None:
        return None
    out: dict[str, Any] = {"tracking_code": tracking.display(canon),
                           "steps": list(lifecycle.RESIDENT_STEPS), "step": None,
                           "can_add": False, "can_rate": False, "rating": None}
    if rep is not None:
        out.update(category=vocab.CATEGORIES.get(rep["category"]), submitted_at=rep[
            "submitted_at"], notes=rep["notes"], rating=rep["rating"],
            can_add=rep["status"] != "rejected")
        if rep["status"] == "pending":
            out.update(status="pending", label="待审核",
                       summary="已收到您的反映，工作人员审核后将受理。")
            return out
        if rep["status"] == "rejected":
            out.update(status="rejected", label="不予受理", reason=rep["reject_reason"],
                       summary="经审核，您的反映未予受理。")
            return out
    case = _case(conn, int(incident_id)) if incident_id is not None else None
    if case is None:
        out.update(status="pending", label="待审核", summary="已收到您的反映。")
        return out
    step = lifecycle.resident_step(case["state"], followed_up=case["followed_up_at"] is not None)
    out.update(status="case", step=step, label=vocab.INCIDENT_STATES[case["state"]],
               category=vocab.CATEGORIES.get(case["category"]), area=case["area"],
               summary=STEP_WORDS[step],
               can_rate=rep is not None and rep["rating"] is None
               and case["state"] in vocab.DONE_STATES)
    if case["state"] in vocab.DONE_STATES and case["outcome"]:
        out["outcome"] = vocab.OUTCOMES.get(case["outcome"])
    return out


def resident_feedback(conn: Connection, incident_id: int) -> dict[str, Any] | None:
    """The resident's own rating and notes on a case (beside the officer's 回访, for the desk)."""
    row = conn.execute(text(
        "SELECT id, rating, rating_note, rated_at FROM resident_reports WHERE incident_id = :i"),
        {"i": incident_id}).mappings().first()
    if row is None:
        return None
    notes = conn.execute(text(
        "SELECT text, added_at FROM resident_notes WHERE report_id = :r ORDER BY id"),
        {"r": row["id"]}).mappings()
    return {**dict(row), "notes": [dict(n) for n in notes]}


def place(conn: Connection, at: str | None) -> dict[str, Any] | None:
    """The community or mediation room a poster's ``?at=community-12`` / ``room-3`` names, with
    a point inside it, or None."""
    m = PLACE.match(at or "")
    if not m:
        return None
    kind, pid = m.group(1), int(m.group(2))
    if kind == "community":
        sql = ("SELECT c.name, s.name AS parent, ST_X(ST_PointOnSurface(c.geom)) AS lon, "
               "ST_Y(ST_PointOnSurface(c.geom)) AS lat FROM communities c "
               "JOIN streets s ON s.id = c.street_id WHERE c.id = :i")
    else:
        sql = ("SELECT f.name, c.name AS parent, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat "
               "FROM facilities f LEFT JOIN communities c ON c.id = f.community_id "
               "WHERE f.id = :i AND f.kind IN ('mediation_room', 'mediation_studio')")
    row = conn.execute(text(sql), {"i": pid}).mappings().first()
    return None if row is None else {"at": at, "kind": kind, "id": pid, **dict(row)}


def poster_places(conn: Connection) -> list[dict[str, Any]]:
    """Every community and mediation room a poster can be printed for (admin)."""
    rows = conn.execute(text(
        "SELECT 'community-' || c.id AS at, c.name, s.name AS parent, 'community' AS kind "
        "FROM communities c JOIN streets s ON s.id = c.street_id "
        "UNION ALL SELECT 'room-' || f.id, f.name, c.name, 'room' FROM facilities f "
        "LEFT JOIN communities c ON c.id = f.community_id "
        "WHERE f.kind IN ('mediation_room', 'mediation_studio') ORDER BY kind, parent, name"))
    return [dict(r) for r in rows.mappings()]
