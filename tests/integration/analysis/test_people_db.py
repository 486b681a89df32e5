"""People's records and the 个案补贴 statement on real PostGIS, over planted cases: success only
with evidence, satisfaction only from recorded follow-ups, a case never dispatched counts for
nobody, a declined lead is not paid, and the same month gives the same statement."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from analysis import people
from analysis.queries_people import statement_rows
from analysis.subsidy import month_span, statement
from dispatch.model import BEIJING
from dispatch.policy import Stars, Subsidy
from dispatch.stats_scope import Scope
from geo import db
from tests.conftest import _copy_db

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=BEIJING)
M1, M2, G1 = 101, 102, 201
SUB = Subsidy(success_simple=50, success_normal=100, success_complex=300, failed_simple=0,
              failed_normal=30, failed_complex=80)  # amounts a test chose (none by default)
STARS = Stars()


def _unit(conn: Connection, uid: int, kind: str) -> None:
    conn.execute(text("INSERT INTO units (id, code, name, unit_type) VALUES (:i, :c, :n, :t)"),
                 {"i": uid, "c": f"U{uid}", "n": f"人员{uid}", "t": kind})


def _case(conn: Connection, i: int, *, at: datetime, outcome: str | None, state: str = "resolved",
          difficulty: str = "simple", risk: int = 0, agreement: str | None = None,
          steps: int = 0, late: bool = False) -> None:
    resolved = None if outcome is None else at + timedelta(days=2)
    conn.execute(text(
        "INSERT INTO incidents (id, code, channel, category, title, state, outcome, difficulty, "
        "risk_level, reported_at, assigned_at, resolved_at, sign_deadline, close_deadline) "
        "VALUES (:i, :code, 'hotline', 'neighbour', '邻里纠纷', :state, :outcome, :d, :risk, "
        ":at, :at, :res, :sign, :close)"),
        {"i": i, "code": f"2026-{i:06d}", "state": state, "outcome": outcome, "d": difficulty,
         "risk": risk, "at": at, "res": resolved, "sign": at + timedelta(minutes=30),
         "close": at + timedelta(days=1 if late else 7)})
    if outcome is not None:
        conn.execute(text(
            "INSERT INTO incident_closures (incident_id, at, actor, outcome, basis, note, "
            "agreement, oral_terms) VALUES (:i, :at, 'duty', :o, 'on_scene', '办结', :a, :t)"),
            {"i": i, "at": resolved, "o": outcome, "a": agreement,
             "t": "赔偿 500 元" if agreement == "oral" else None})
    for k in range(steps):
        conn.execute(text(
            "INSERT INTO mediation_steps (incident_id, step, note, happened_at, recorded_by, "
            "recorded_at) VALUES (:i, 'listen', '听取双方陈述', :t, 'm', :t)"),
            {"i": i, "t": at + timedelta(hours=k + 1)})


def _send(conn: Connection, i: int, unit: int, at: datetime, *, sign_min: float | None = None,
          arrive_min: float | None = None, state: str = "released") -> None:
    conn.execute(text(
        "INSERT INTO assignments (incident_id, unit_id, role, state, assigned_at, "
        "acknowledged_at, arrived_at) VALUES (:i, :u, 'lead', :s, :at, :ack, :arr)"),
        {"i": i, "u": unit, "s": state, "at": at,
         "ack": None if sign_min is None else at + timedelta(minutes=sign_min),
         "arr": None if arrive_min is None else at + timedelta(minutes=arrive_min)})


@pytest.fixture(scope="module")
def engine(settings, base_db) -> Iterator[Engine]:
    name = f"{base_db}_pp{uuid.uuid4().hex[:6]}"
    eng = db.make_engine(_copy_db(settings, base_db, name))
    with eng.begin() as conn:
        for uid, kind in ((M1, "mediator"), (M2, "mediator"), (G1, "grid_worker")):
            _unit(conn, uid, kind)
        # 1: 调解成功 with a written agreement and a 五步 entry: success, paid 简易
        _case(conn, 1, at=T0, outcome="mediated", agreement="written", steps=1)
        _send(conn, 1, M1, T0, sign_min=10, arrive_min=30)
        # 2: 调解成功 clicked, agreement but no 五步 entry: claimed, not success, not paid
        _case(conn, 2, at=T0 + timedelta(days=1), outcome="mediated", agreement="written")
        _send(conn, 2, M1, T0 + timedelta(days=1), sign_min=90)
        # 3: 调解不成 with a record, two sessions held, closed late: paid 调解不成, grade up
        _case(conn, 3, at=T0 + timedelta(days=2), outcome="failed", difficulty="normal", steps=2,
              late=True)
        _send(conn, 3, M1, T0 + timedelta(days=2))
        for k in range(3):  # two held before the resolution, one cancelled
            conn.execute(text(
                "INSERT INTO mediation_sessions (incident_id, place, starts_at, ends_at, mode, "
                "participants, booked_by, booked_at, cancelled_at) VALUES (3, '调解室', :s, :e, "
                "'joint', '[]', 'm', :s, :c)"),
                {"s": T0 + timedelta(days=2, hours=k + 1), "e": T0 + timedelta(days=2, hours=k + 2),
                 "c": T0 + timedelta(days=2) if k == 2 else None})
        conn.execute(text(
            "INSERT INTO case_extensions (incident_id, days, reason, requested_by, "
            "requested_role, unit_id, requested_at, status, decided_by, decided_at) VALUES "
            "(3, 5, '当事人外出', 'm', 'field', :u, :t, 'approved', 'duty', :t)"),
            {"u": M1, "t": T0 + timedelta(days=2, hours=5)})
        # 4: full evidence but never dispatched: nobody's case, nobody paid
        _case(conn, 4, at=T0, outcome="mediated", agreement="oral", steps=1)
        # 5: full evidence, resolved in October: not in November's statement
        _case(conn, 5, at=T0 - timedelta(days=20), outcome="mediated", agreement="written",
              steps=1)
        _send(conn, 5, M1, T0 - timedelta(days=20))
        # 6: M2 declined, then the grid worker led it to success at risk orange
        _case(conn, 6, at=T0, outcome="mediated", agreement="written", steps=1,
              difficulty="normal", risk=2)
        _send(conn, 6, M2, T0, state="declined")
        _send(conn, 6, G1, T0 + timedelta(hours=1), sign_min=5)
        # follow-ups on 1: one recorded by a person (5), one without a visitor (1) ignored
        for sat, actor in ((5, "回访员"), (1, None)):
            conn.execute(text(
                "INSERT INTO followups (incident_id, due_at, done_at, satisfaction, actor, "
                "method) VALUES (1, :t, :t, :s, :a, 'phone')"),
                {"t": T0 + timedelta(days=4), "s": sat, "a": actor})
    yield eng
    eng.dispose()
    db.drop_database(settings, name)


def _records(engine: Engine, role: str, stars: Stars = STARS) -> dict[int, dict[str, Any]]:
    start, end = month_span("2026-11")
    with engine.connect() as conn:
        return {r["id"]: r for r in people.records(conn, Scope(), start, end, role=role,
                                                   stars=stars)}


def test_a_mediators_figures_count_evidence_and_recorded_visits(engine: Engine) -> None:
    m1 = _records(engine, "mediator")[M1]
    assert (m1["handled"], m1["resolved"], m1["mediated"], m1["mediated_evidenced"]) == (3, 3, 2, 1)
    assert m1["satisfaction"] == 5.0 and m1["followups"] == 1
    assert m1["overdue"] == 1
    assert (m1["extensions_requested"], m1["extensions_approved"], m1["extension_days"]) == (1, 1, 5)
    assert (m1["sent"], m1["signed"], m1["sign_due"], m1["signed_on_time"]) == (3, 2, 3, 1)
    assert m1["sign_median_min"] == 50.0 and m1["arrived"] == 1 and m1["arrive_median_min"] == 30.0
    assert m1["rating"]["stars"] is None and m1["rating"]["label"].startswith(people.TOO_FEW)


def test_the_rating_follows_the_policy(engine: Engine) -> None:
    m1 = _records(engine, "mediator", Stars(min_cases=3))[M1]
    # success 1/3, satisfaction 1, on time 2/3, signed on time 1/3 → 0.6: three stars
    assert m1["rating"]["score"] == pytest.approx(0.6, abs=1e-4) and m1["rating"]["stars"] == 3


def test_a_declined_lead_and_an_undispatched_case_count_for_nobody(engine: Engine) -> None:
    mediators = _records(engine, "mediator")
    assert M2 not in mediators  # declined its only case
    grid = _records(engine, "grid_worker")
    assert list(grid) == [G1] and grid[G1]["handled"] == 1
    assert grid[G1]["mediated_evidenced"] == 1 and grid[G1]["role_label"] == "网格员"


def test_the_statement_pays_only_proven_dispatched_cases_of_the_month(engine: Engine) -> None:
    start, end = month_span("2026-11")
    with engine.connect() as conn:
        rows = statement_rows(conn, Scope(), start, end)
        again = statement(statement_rows(conn, Scope(), start, end), SUB)
    assert sorted(r["id"] for r in rows) == [1, 2, 3, 6]  # 4 never sent, 5 in October
    s = statement(rows, SUB)
    got = {c["incident_id"]: (c["unit_id"], c["outcome"], c["grade"], c["amount_yuan"])
           for c in s["cases"]}
    assert got == {1: (M1, "success", "simple", SUB.success_simple),
                   3: (M1, "failed", "complex", SUB.failed_complex),  # normal + 2 sessions
                   6: (G1, "success", "complex", SUB.success_complex)}  # normal + orange
    assert [c["sessions"] for c in s["cases"] if c["incident_id"] == 3] == [2]
    assert s["total_yuan"] == SUB.success_simple + SUB.failed_complex + SUB.success_complex
    assert again == s  # the same month, the same figures
