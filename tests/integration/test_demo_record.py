"""The demo history's case files follow the live rules: each case's audit trail walks the state
machine to the state the case is in, 五步 entries sit inside the case's handling, rooms are not
double-booked, written agreements and closures agree, derived texts name no party, and the
figures (wall, per-mediator record) come from that evidence."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, text

from dispatch import lifecycle, stats
from dispatch.mediator_stats import mediator_records


def test_every_case_audit_walks_the_state_machine_to_its_state(demo_engine: Engine):
    with demo_engine.connect() as conn:
        rows = pd.read_sql(text(
            "SELECT a.entity_id AS id, a.at, a.actor, a.action, a.from_state, a.to_state "
            "FROM audit_log a WHERE a.entity = 'incident' AND a.to_state IS NOT NULL "
            "AND a.actor NOT LIKE 'test%' ORDER BY a.entity_id, a.at, a.id"), conn)
        cases = pd.read_sql(text("SELECT id, state, resolved_at, closed_at FROM incidents"),
                            conn).set_index("id")
    assert rows["id"].nunique() == len(cases)
    last: dict[int, str] = {}
    for iid, frm, to, action in zip(rows["id"].tolist(), rows["from_state"].tolist(),
                                    rows["to_state"].tolist(), rows["action"].tolist(),
                                    strict=True):
        if not isinstance(frm, str):
            assert action == "register" and iid not in last
        else:
            assert last.get(iid) == frm, (iid, frm, to)
            if action not in ("assign", "register"):
                lifecycle.check(frm, to, manual=False, note="x", followed_up=True)
        last[iid] = to
    assert {i: s for i, s in last.items()} == cases["state"].to_dict()
    resolved = rows[rows["to_state"] == "resolved"].set_index("id")["at"]
    assert (resolved == cases["resolved_at"].reindex(resolved.index)).all()


def test_case_files_sit_inside_the_handling_and_rooms_are_not_double_booked(demo_engine: Engine):
    with demo_engine.connect() as conn:
        early = conn.scalar(text(
            "SELECT count(*) FROM mediation_steps s JOIN incidents i ON i.id = s.incident_id "
            "WHERE s.happened_at < i.arrived_at OR s.recorded_at < s.happened_at "
            "OR (i.resolved_at IS NOT NULL AND s.recorded_at >= i.resolved_at)"))
        clash = conn.scalar(text(
            "SELECT count(*) FROM mediation_sessions a JOIN mediation_sessions b ON "
            "a.facility_id = b.facility_id AND a.id < b.id AND a.starts_at < b.ends_at "
            "AND b.starts_at < a.ends_at"))
        sessions_out = conn.scalar(text(
            "SELECT count(*) FROM mediation_sessions s JOIN incidents i ON i.id = s.incident_id "
            "WHERE s.starts_at < i.arrived_at OR s.ends_at > i.resolved_at "
            "OR s.booked_at > s.starts_at OR s.booked_at < i.reported_at"))
        mismatch = conn.scalar(text(
            "SELECT count(*) FROM incident_closures z WHERE z.outcome = 'mediated' AND "
            "(z.agreement = 'written') <> EXISTS (SELECT 1 FROM agreements g "
            "WHERE g.incident_id = z.incident_id AND g.created_at < z.at)"))
        oral = conn.scalar(text("SELECT count(*) FROM incident_closures WHERE agreement = 'oral'"))
        mediated_without_steps = conn.scalar(text(
            "SELECT count(*) FROM incidents i WHERE i.outcome = 'mediated' AND NOT EXISTS "
            "(SELECT 1 FROM mediation_steps s WHERE s.incident_id = i.id AND s.step = 'settle')"))
    assert (early, clash, sessions_out, mismatch, mediated_without_steps) == (0, 0, 0, 0, 0)
    assert oral > 0  # real centres keep both written and oral agreements


def test_derived_texts_name_no_party(demo_engine: Engine):
    with demo_engine.connect() as conn:
        leaked = conn.scalar(text(
            "WITH names AS (SELECT DISTINCT i.id, p->>'name' AS name FROM incidents i, "
            "jsonb_array_elements(i.parties) p WHERE length(p->>'name') >= 2) "
            "SELECT count(*) FROM names n WHERE "
            "EXISTS (SELECT 1 FROM mediation_steps s WHERE s.incident_id = n.id "
            "  AND strpos(s.note, n.name) > 0) OR "
            "EXISTS (SELECT 1 FROM agreements g WHERE g.incident_id = n.id AND strpos("
            "  g.facts || g.terms || g.performance || g.committee, n.name) > 0) OR "
            "EXISTS (SELECT 1 FROM mediation_sessions m WHERE m.incident_id = n.id AND "
            "  strpos(m.place || coalesce(m.note, ''), n.name) > 0) OR "
            "EXISTS (SELECT 1 FROM incident_closures z WHERE z.incident_id = n.id AND "
            "  strpos(z.note || coalesce(z.oral_terms, ''), n.name) > 0)"))
    assert leaked == 0


def test_the_figures_come_from_the_evidence(demo_engine: Engine):
    with demo_engine.connect() as conn:  # the demo's last 30 days, however old its cache is
        end, now = conn.execute(text("SELECT max(reported_at), now() FROM incidents")).one()
        days = (now - end).days + 31  # the window up to now() reaches back past end - 30 days
        w = stats.overview(conn, windows=(days,))["windows"][str(days)]
        units = mediator_records(conn, now=end, days=30)
    assert w["resolved"] > 0 and w["success_rate"] is not None and w["mediated"] > 0
    assert sum(u["mediated_evidenced"] for u in units) > 0
    assert all(u["mediated_evidenced"] <= u["mediated"] <= u["resolved"] for u in units)


def test_open_overdue_cases_are_chased_by_the_clocks(demo_engine: Engine):
    with demo_engine.connect() as conn:
        unchased = conn.scalar(text(
            "SELECT count(*) FROM incidents i WHERE i.state IN ('registered','located',"
            "'assigned','acknowledged','on_scene','mediating','escalated') AND "
            "i.close_deadline < now() AND NOT EXISTS (SELECT 1 FROM incident_timers t WHERE "
            "t.incident_id = i.id AND t.kind = 'close' AND t.processed_at IS NULL)"))
    assert unchased == 0


def test_extensions_are_decided_while_open_and_approvals_move_the_deadline(demo_engine: Engine):
    with demo_engine.connect() as conn:
        n, bad, moved = conn.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE NOT (e.requested_at < e.decided_at AND "
            "e.decided_at < i.resolved_at AND e.decided_by <> e.requested_by)), "
            "count(*) FILTER (WHERE e.status = 'approved' AND "
            "e.deadline_after = i.close_deadline) - count(*) FILTER (WHERE e.status = "
            "'approved') FROM case_extensions e JOIN incidents i ON i.id = e.incident_id")).one()
    assert n > 0 and bad == 0 and moved == 0


def test_escalated_cases_stand_at_the_level_their_escalation_took_them(demo_engine: Engine):
    """A case still 上报 is handled a level up (the live escalation writes its flow row)."""
    from dispatch.clocks import next_level

    with demo_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT i.id, f.level, f.escalations, (SELECT count(*) FROM audit_log a "
            "  WHERE a.entity = 'incident' AND a.entity_id = i.id AND a.to_state = 'escalated') "
            "FROM incidents i LEFT JOIN incident_flow f ON f.incident_id = i.id "
            "WHERE i.state = 'escalated'")).all()
        stray = conn.scalar(text(
            "SELECT count(*) FROM incident_flow f JOIN incidents i ON i.id = f.incident_id "
            "WHERE f.escalations > 0 AND i.state <> 'escalated'"))
    assert rows, "the demo has cases still escalated"
    for iid, level, escalations, audited in rows:
        assert (level, escalations, audited) == (next_level("community"), 1, 1), iid
    assert stray == 0


def test_a_specialist_joins_a_case_through_an_audited_booking(demo_engine: Engine):
    """法官、检察官、律师、心理咨询师 take part in a session as the live product lets them: the
    session's booking, with its audit row (by whom, when, which session, which officials)."""
    specialists = ("judge", "procurator", "lawyer", "psychologist")
    with demo_engine.connect() as conn:
        sessions = pd.read_sql(text(
            "SELECT s.id, s.incident_id, s.booked_by, s.booked_at, s.participants "
            "FROM mediation_sessions s WHERE EXISTS (SELECT 1 FROM "
            "jsonb_array_elements(s.participants) p WHERE p->>'kind' = ANY(:k))"),
            conn, params={"k": list(specialists)})
        audited = pd.read_sql(text(
            "SELECT (detail->>'id')::int AS id, entity_id AS incident_id, actor, at, "
            "detail->'officials' AS officials FROM audit_log "
            "WHERE action = 'session_booked' AND entity = 'incident' AND actor NOT LIKE 'test%'"),
            conn)
    assert len(sessions) > 100
    assert audited["id"].is_unique and set(audited["id"]) == set(sessions["id"])
    both = sessions.merge(audited, on="id", suffixes=("", "_audit"))
    assert (both["incident_id"] == both["incident_id_audit"]).all()
    assert (both["booked_by"] == both["actor"]).all() and (both["booked_at"] == both["at"]).all()
    for people, officials in zip(both["participants"], both["officials"], strict=True):
        assert officials == sorted({p["kind"] for p in people}
                                   & {"police", "judge", "procurator", "lawyer"})
