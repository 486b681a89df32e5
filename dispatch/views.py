"""Read side for the HTTP faces: a case with its audit trail, case lists, unit lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from dispatch.access import Scope
from dispatch.adapters.repository import IncidentRepository
from dispatch.adapters.whistle_repo import whistle_views
from dispatch.clocks import running
from dispatch.errors import InvalidCommand, NotFound
from dispatch.views_cases import PRIVATE_KEYS, CaseFilter, case_rows
from dispatch.vocab import INCIDENT_STATES, PRIORITIES, UNIT_STATUSES

_PRIORITY_CODE = {1: "urgent", 2: "high", 3: "normal", 4: "low"}


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def incident_detail(conn: Connection, incident_id: int) -> dict[str, Any]:
    """The case, its units, audit trail, supervision, links and follow-ups."""
    row = IncidentRepository(conn).get(incident_id)
    if row is None:
        raise NotFound(f"案件 {incident_id} 不存在", incident_id=incident_id)
    p = {"i": incident_id}
    return {
        **{k: v for k, v in row.items() if k not in ("version",)},
        "priority_code": _PRIORITY_CODE[row["priority"]],
        "priority_label": PRIORITIES[row["priority"]],
        "state_label": INCIDENT_STATES[row["state"]],
        "assignments": _rows(conn, "SELECT id, unit_id, role, state, assigned_at, "
                             "acknowledged_at, arrived_at, released_at, assigned_by FROM "
                             "assignments WHERE incident_id = :i ORDER BY id", p),
        "audit": _rows(conn, "SELECT id, at, actor, action, from_state, to_state, reason, "
                       "detail FROM audit_log WHERE entity = 'incident' AND entity_id = :i "
                       "ORDER BY id", p),
        "supervisions": _rows(conn, "SELECT id, kind, level, opened_at, opened_by, reason, "
                              "closed_at FROM supervisions WHERE incident_id = :i ORDER BY id",
                              p),
        "links": _rows(conn, "SELECT l.other_id, o.code AS other_code, l.kind, l.score, "
                       "l.reasons, l.created_at FROM incident_links l JOIN incidents o ON "
                       "o.id = l.other_id WHERE l.incident_id = :i ORDER BY l.id", p),
        "followups": _rows(conn, "SELECT due_at, done_at, satisfaction, agreement_holds, "
                           "neighbours_visited, method, note, actor FROM followups WHERE "
                           "incident_id = :i ORDER BY id", p),
        # 办结依据 (dispatch.lifecycle.check_closure), newest first
        "closures": _rows(conn, "SELECT at, actor, outcome, basis, note, mediator, spot_reason, "
                          "agreement, oral_terms, referred_to FROM incident_closures WHERE "
                          "incident_id = :i ORDER BY id DESC", p),
        **whistle_views(conn, incident_id),  # 吹哨 (with the departments' 报到) and 会商
        # the resident's own rating on /track: context for the 回访, never its answer
        "resident_ratings": _rows(conn, "SELECT rating, rating_note AS note, rated_at FROM "
                                  "resident_reports WHERE incident_id = :i AND rating IS NOT "
                                  "NULL ORDER BY rated_at", p),
    }


def list_incidents(conn: Connection, *, state: str | None = None, street: int | None = None,
                   limit: int = 100, offset: int = 0,
                   scope: Scope | None = None) -> list[dict[str, Any]]:
    """Newest first, filtered by state and street id, within ``scope`` (a jurisdiction): the
    case list's rows (:mod:`dispatch.views_cases`) without what only the server reads."""
    if state is not None and state not in INCIDENT_STATES:
        raise InvalidCommand(f"未知状态：{state}", field="state")
    rows = case_rows(conn, CaseFilter(state=state, street=street), scope, limit=limit,
                     offset=offset)
    return [{k: v for k, v in r.items() if k not in PRIVATE_KEYS} for r in rows]


def list_units(conn: Connection, *, status: str | None = None) -> list[dict[str, Any]]:
    """Units as issue 4's API names them (``active_assignments``, ``position_at``)."""
    if status is not None and status not in UNIT_STATUSES:
        raise InvalidCommand(f"未知的单位状态：{status}", field="status")
    return _rows(conn, (
        "SELECT id, code, name, unit_type AS type, status, capacity, active_load AS "
        "active_assignments, ST_X(last_geom) AS lon, ST_Y(last_geom) AS lat, last_seen_at AS "
        "position_at, skills, languages, level, street_id, home_grid_id, police_grid_id, shift "
        "FROM units WHERE (CAST(:status AS text) IS NULL OR status = :status) ORDER BY id"),
        {"status": status})


def unit_tasks(conn: Connection, unit_id: int) -> dict[str, Any]:
    """A field unit's own open tasks, most urgent first, with what it needs on the way."""
    unit = conn.execute(text(
        "SELECT id, code, name, unit_type AS type, status, capacity, active_load AS "
        "active_assignments, last_seen_at AS position_at FROM units WHERE id = :u"),
        {"u": unit_id}).mappings().first()
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在", unit_id=unit_id)
    tasks = _rows(conn, (
        "SELECT i.id, i.code, i.title, i.category, i.priority, i.state, i.description, "
        "i.address, i.parties, i.risk_level, i.reported_at, i.sign_deadline, i.close_deadline, "
        "ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, a.role, a.assigned_at, a.acknowledged_at, "
        "a.arrived_at, i.channel, COALESCE(f.level, 'community') AS level, "
        "EXISTS (SELECT 1 FROM assignments x WHERE x.incident_id = i.id "
        "AND x.arrived_at IS NOT NULL) AS reached_scene "
        "FROM assignments a JOIN incidents i ON i.id = a.incident_id "
        "LEFT JOIN incident_flow f ON f.incident_id = i.id "
        "WHERE a.unit_id = :u AND a.state = 'active' "
        "ORDER BY i.priority, i.sign_deadline NULLS LAST, i.id"), {"u": unit_id})
    history = _rows(conn, (  # the unit's past tasks, newest first
        "SELECT i.id, i.code, i.title, i.category, i.state, i.outcome, a.role, a.state AS "
        "assignment, a.assigned_at, a.arrived_at, a.released_at FROM assignments a "
        "JOIN incidents i ON i.id = a.incident_id WHERE a.unit_id = :u AND a.state <> 'active' "
        "ORDER BY a.released_at DESC NULLS LAST, a.id DESC LIMIT 20"), {"u": unit_id})
    for t in tasks:  # the clock the field page counts down (dispatch.clocks decides which)
        t["clock"], t["due"] = running(t["state"], t["sign_deadline"], t["close_deadline"])
    return {"unit": dict(unit), "tasks": tasks, "history": history}
