"""超期 has one definition (dispatch/overdue.py): on one set of planted cases the people's record,
the period figures (whole area and per mediator) and the wall's live count agree case by case —
a case 办结 late, one still open past its deadline and one reopened after 办结 are 超期; one 办结
in time and one whose deadline is still ahead (inside the period) are not."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, text

from analysis import people, periods
from analysis import report_queries as rq
from dispatch.model import BEIJING
from dispatch.policy import Stars
from dispatch.stats_scope import Scope
from geo import db
from tests.conftest import _copy_db

M = 301
TODAY = datetime.now(BEIJING).date()
PERIOD = periods.Period(TODAY - timedelta(days=20), TODAY + timedelta(days=10))
SENT = datetime.combine(PERIOD.start + timedelta(days=1), time(9), BEIJING)
# id: (state, resolved after sending, deadline after sending; None: 3 days from now)
CASES: dict[int, tuple[str, timedelta | None, timedelta | None]] = {
    1: ("resolved", timedelta(days=2), timedelta(days=7)),     # 办结 in time
    2: ("resolved", timedelta(days=3), timedelta(days=1)),     # 办结 after the deadline
    3: ("mediating", None, timedelta(days=5)),                 # open, deadline passed
    4: ("mediating", timedelta(days=2), timedelta(days=7)),    # reopened after 办结 in time
    5: ("mediating", None, None),                              # open, deadline still ahead
    6: ("assigned", timedelta(days=1), timedelta(days=2)),     # reopened, sent again
}
LATE = {2, 3, 4, 6}  # two definitions could agree on a count by chance: 4 and 6 tell them apart


@pytest.fixture(scope="module")
def engine(settings, base_db) -> Iterator[Engine]:
    name = f"{base_db}_od{uuid.uuid4().hex[:6]}"
    eng = db.make_engine(_copy_db(settings, base_db, name))
    now = datetime.now(BEIJING)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO units (id, code, name, unit_type) "
                          "VALUES (:i, 'U301', '调解员甲', 'mediator')"), {"i": M})
        for i, (state, resolved, due) in CASES.items():
            conn.execute(text(
                "INSERT INTO incidents (id, code, channel, category, title, state, outcome, "
                "difficulty, risk_level, reported_at, assigned_at, resolved_at, sign_deadline, "
                "close_deadline) VALUES (:i, :code, 'hotline', 'neighbour', '邻里纠纷', :state, "
                ":outcome, 'normal', 0, :at, :at, :res, :sign, :close)"),
                {"i": i, "code": f"2026-{i:06d}", "state": state, "at": SENT,
                 "outcome": "failed" if resolved is not None else None,
                 "res": None if resolved is None else SENT + resolved,
                 "sign": SENT + timedelta(minutes=30),
                 "close": now + timedelta(days=3) if due is None else SENT + due})
            conn.execute(text(
                "INSERT INTO assignments (incident_id, unit_id, role, state, assigned_at) "
                "VALUES (:i, :u, 'lead', 'released', :at)"), {"i": i, "u": M, "at": SENT})
    yield eng
    eng.dispose()
    db.drop_database(settings, name)


def test_the_fixture_puts_every_deadline_inside_the_period() -> None:
    assert all(PERIOD.start <= (SENT + d).date() < PERIOD.end for _, _, d in CASES.values() if d)
    assert PERIOD.end > TODAY + timedelta(days=3) and isinstance(PERIOD.end, date)


def test_the_peoples_record_and_the_period_figures_count_the_same_cases(engine: Engine) -> None:
    start, end = PERIOD.instants()
    with engine.connect() as conn:
        mine = {r["id"]: r for r in people.records(conn, Scope(), start, end, role="mediator",
                                                   stars=Stars())}[M]
        whole = periods.figures(conn, Scope(), PERIOD)
        by_mediator = {r["key"]: r for r in periods.breakdown(conn, Scope(), PERIOD,
                                                              by="mediator")}[M]
        live = rq.overdue(conn, Scope())
    assert mine["handled"] == len(CASES)
    assert mine["overdue"] == whole["overdue"] == by_mediator["overdue"] == len(LATE)
    # 按期 is the complement among the cases already due (the one still ahead is neither)
    assert whole["due"] == len(CASES) - 1 and whole["on_time"] == 1
    # the wall's live 超期 is the same test on the open ones: 3 (open), 4 and 6 (reopened)
    assert live["close"] == 3 and {c["id"] for c in live["items"]} >= {3, 4, 6}
    assert "重新处置" in periods.DEFINITIONS["overdue"]
    assert "重新处置" in people.DEFINITIONS["overdue"]
