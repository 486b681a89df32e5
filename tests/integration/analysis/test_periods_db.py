"""Period figures on real PostGIS against hand-counted planted cases: the period's bounds in
Beijing time, evidence-based success, recorded satisfaction, overdue by the deadline, merged
duplicates left out, 环比/同比 bases, every breakdown and the fair ranking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from analysis import periods
from analysis.periods import Period
from dispatch.model import BEIJING
from dispatch.stats_scope import Scope

BOX = "ST_Multi(ST_MakeEnvelope(:x, 0, :x + 1, 1, 4326))"
P = Period(date(2026, 11, 16), date(2026, 11, 22))


def at(day: int, hour: int = 10, minute: int = 0, *, month: int = 11, year: int = 2026,
       second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)


def _case(conn: Connection, i: int, street: int, category: str, channel: str,
          reported: datetime, **cols: Any) -> None:
    row = {"id": i, "code": f"2026-{i:06d}", "title": f"案件{i}", "channel": channel,
           "category": category, "street_id": street, "community_id": street * 10 + 1,
           "grid_id": street * 100 + 11, "reported_at": reported, "state": "registered", **cols}
    names = ", ".join(row)
    conn.execute(text(f"INSERT INTO incidents ({names}) VALUES "
                      f"({', '.join(':' + k for k in row)})"), row)


def _closure(conn: Connection, i: int, when: datetime, outcome: str, agreement: str | None
             ) -> None:
    conn.execute(text(
        "INSERT INTO incident_closures (incident_id, at, actor, outcome, basis, note, agreement, "
        "oral_terms) VALUES (:i, :t, 'duty', :o, 'on_scene', '办结', :a, :terms)"),
        {"i": i, "t": when, "o": outcome, "a": agreement,
         "terms": "双方口头约定赔偿500元" if agreement == "oral" else None})


def _visit(conn: Connection, i: int, when: datetime, score: int, actor: str | None) -> None:
    conn.execute(text(
        "INSERT INTO followups (incident_id, due_at, done_at, satisfaction, actor, method) "
        "VALUES (:i, :t, :t, :s, :a, :m)"),
        {"i": i, "t": when, "s": score, "a": actor, "m": "phone" if actor else None})


@pytest.fixture(scope="module")
def engine(settings, base_db) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    import uuid

    from geo import db
    from tests.conftest import _copy_db

    name = f"{base_db}_pe{uuid.uuid4().hex[:6]}"
    eng = db.make_engine(_copy_db(settings, base_db, name))
    with eng.begin() as conn:
        conn.execute(text(f"INSERT INTO districts (id, code, name, geom) VALUES (1, 'D1', '甲区', "
                          f"{BOX})"), {"x": 1})
        for s in (1, 2):
            conn.execute(text(f"INSERT INTO streets (id, code, name, district_id, geom) VALUES "
                              f"(:s, :c, :n, 1, {BOX})"), {"s": s, "c": f"S{s}", "n": f"街道{s}",
                                                           "x": s})
            conn.execute(text(f"INSERT INTO communities (id, code, name, street_id, geom) "
                              f"VALUES (:c, :code, :n, :s, {BOX})"),
                         {"c": s * 10 + 1, "code": f"C{s}", "n": f"社区{s}", "s": s, "x": s})
            conn.execute(text(f"INSERT INTO grids (id, code, name, community_id, geom) VALUES "
                              f"(:g, :code, :n, :c, {BOX})"),
                         {"g": s * 100 + 11, "code": f"G{s}", "n": f"网格{s}",
                          "c": s * 10 + 1, "x": s})
        conn.execute(text("INSERT INTO units (id, code, name, unit_type, street_id) VALUES "
                          "(1, 'U1', '调解员甲', 'mediator', 1), (2, 'U2', '网格员乙', "
                          "'grid_worker', 2)"))
        # 1: success with evidence (agreement + 五步 entry), on time, visit 5 recorded
        _case(conn, 1, 1, "neighbour", "hotline", at(17), state="followed_up",
              outcome="mediated", acknowledged_at=at(17, 10, 30), arrived_at=at(17, 11),
              resolved_at=at(18), close_deadline=at(20), followed_up_at=at(19), satisfaction=5)
        _closure(conn, 1, at(18), "mediated", "written")
        conn.execute(text("INSERT INTO mediation_steps (incident_id, step, note, happened_at, "
                          "recorded_by, recorded_at) VALUES (1, 'listen', '听', :t, 'm', :t)"),
                     {"t": at(17, 12)})
        _visit(conn, 1, at(19), 5, "回访员")
        # 2: 调解成功 claimed with an agreement but no 五步 entry: done, not success; late
        _case(conn, 2, 1, "family", "walk_in", at(17, 12), state="followed_up",
              outcome="mediated", acknowledged_at=at(17, 13), resolved_at=at(19),
              close_deadline=at(18), followed_up_at=at(20), satisfaction=2)
        _closure(conn, 2, at(19), "mediated", "oral")
        _visit(conn, 2, at(20), 2, "回访员")
        # 3: still open past its deadline (overdue); its only unit declined
        _case(conn, 3, 1, "neighbour", "hotline", at(18), state="mediating",
              close_deadline=at(21))
        # 4: street 2, 调解不成, scored by a visit nobody recorded (not counted), due later
        _case(conn, 4, 2, "debt", "app", at(20), state="followed_up", outcome="failed",
              resolved_at=at(21), close_deadline=at(30), followed_up_at=at(22), satisfaction=4)
        _visit(conn, 4, at(22), 4, None)
        # 5 and 6 on the period's edges (Beijing midnight), 7 just after it
        _case(conn, 5, 1, "neighbour", "grid_report", at(16, 0))
        _case(conn, 6, 1, "family", "hotline", at(22, 23, 59, second=59))
        _case(conn, 7, 1, "family", "hotline", at(23, 0))
        # 8: a duplicate merged into 1: never counted
        _case(conn, 8, 1, "neighbour", "hotline", at(17))
        conn.execute(text("INSERT INTO incident_flow (incident_id, merged_into) VALUES (8, 1)"))
        # 9 the week before (环比 base), 10 the same week a year before (同比 base)
        _case(conn, 9, 1, "neighbour", "hotline", at(10))
        _case(conn, 10, 2, "debt", "hotline", at(18, year=2025))
        conn.execute(text(
            "INSERT INTO assignments (incident_id, unit_id, state, assigned_at) VALUES "
            "(1, 1, 'released', :t), (2, 1, 'released', :t), (3, 2, 'declined', :t), "
            "(4, 2, 'released', :t), (4, 2, 'released', :t)"), {"t": at(17, 10, 5)})
    yield eng
    eng.dispose()
    db.drop_database(settings, name)


def test_the_period_summary_counts_only_what_the_record_proves(engine: Engine) -> None:
    with engine.connect() as conn:
        f = periods.figures(conn, Scope(), P)
    assert f["period"] == {"from": "2026-11-16", "to": "2026-11-22", "days": 7,
                           "label": "2026年11月16日至11月22日（7天）"}
    assert f["received"] == 6  # 1-6: 7 after the end, 8 merged away
    assert (f["done"], f["success"], f["success_rate"]) == (3, 1, 33.3)
    assert (f["due"], f["on_time"], f["overdue"], f["on_time_rate"]) == (3, 1, 2, 33.3)
    assert (f["rated"], f["satisfied"], f["satisfaction_rate"]) == (2, 1, 50.0)
    assert (f["sign_minutes"], f["arrive_minutes"]) == (45.0, 60.0)
    channels = {c["channel"]: c["count"] for c in f["by_channel"]}
    assert channels == {"hotline": 3, "walk_in": 1, "app": 1, "grid_report": 1, "referral": 0}


def test_scope_and_category_cut_the_figures(engine: Engine) -> None:
    with engine.connect() as conn:
        s2 = periods.figures(conn, Scope(street=2), P)
        nb = periods.figures(conn, Scope(), P, category="neighbour")
    assert (s2["received"], s2["done"], s2["success"], s2["rated"]) == (1, 1, 0, 0)
    assert s2["success_rate"] == 0.0 and s2["satisfaction_rate"] is None
    assert (nb["received"], nb["done"], nb["success"], nb["overdue"]) == (3, 1, 1, 1)


def test_compare_against_the_week_before_and_the_year_before(engine: Engine) -> None:
    with engine.connect() as conn:
        prev = periods.compare(conn, Scope(), P, against="prev")
        yoy = periods.compare(conn, Scope(), P, against="yoy")
    assert prev["base"]["period"]["from"] == "2026-11-09" and prev["base"]["received"] == 1
    assert prev["change"]["received"] == {"abs": 5, "pct": 500.0, "kind": "count"}
    assert prev["change"]["done"] == {"abs": 3, "pct": None, "kind": "count"}  # base 0
    assert prev["change"]["success_rate"] == {"abs": None, "pct": None, "kind": "rate"}
    assert yoy["base"]["period"]["from"] == "2025-11-16" and yoy["base"]["received"] == 1
    assert yoy["against_label"] == "同比"


def test_breakdowns_by_area_value_and_unit(engine: Engine) -> None:
    def table(by: str) -> dict[Any, tuple[int, int, int]]:
        with engine.connect() as conn:
            rows = periods.breakdown(conn, Scope(), P, by=by)
        return {r["name"]: (r["received"], r["done"], r["success"]) for r in rows}
    assert table("street") == {"街道1": (5, 2, 1), "街道2": (1, 1, 0)}
    assert table("community") == {"社区1": (5, 2, 1), "社区2": (1, 1, 0)}
    assert table("grid") == {"网格1": (5, 2, 1), "网格2": (1, 1, 0)}
    assert table("category") == {"邻里纠纷": (3, 1, 1), "家庭纠纷": (2, 1, 0),
                                 "债务纠纷": (1, 1, 0)}
    assert table("channel") == {"12345热线": (3, 1, 1), "来访窗口": (1, 1, 0),
                                "一码通办/APP": (1, 1, 0), "网格员上报": (1, 0, 0)}
    # a unit counts the cases sent to it (declined ones not, twice sent once)
    assert table("unit") == {"调解员甲": (2, 2, 1), "网格员乙": (1, 1, 0)}
    assert table("mediator") == {"调解员甲": (2, 2, 1)}
    with engine.connect() as conn:
        s1 = periods.breakdown(conn, Scope(street=1), P, by="unit")
    assert [r["name"] for r in s1] == ["调解员甲"]
    assert s1[0]["unit_type_label"] == "人民调解员"


def test_fair_ranking_needs_a_minimum_and_ranks_rates(engine: Engine,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with engine.connect() as conn:
        got = periods.fair_ranking(conn, Scope(), P)
    assert got["ranked"] == [] and len(got["unranked"]) == 2
    assert all("少于 10 件" in r["reason"] for r in got["unranked"]) and got["method"]
    monkeypatch.setattr(periods, "MIN_CASES", 1)
    monkeypatch.setattr(periods, "MIN_RATE_BASE", 1)
    with engine.connect() as conn:
        got = periods.fair_ranking(conn, Scope(), P)
    # 街道1: 按期 33.3, 成功 50.0, 满意 50.0 → 44.4; 街道2: 成功 0.0 alone
    assert [(r["name"], r["score"], r["rank"]) for r in got["ranked"]] == [
        ("街道1", 44.4, 1), ("街道2", 0.0, 2)]


def test_a_period_reaching_past_now_counts_nothing_from_the_future(engine: Engine) -> None:
    today = datetime.now(BEIJING).date()
    with engine.connect() as conn:
        f = periods.figures(conn, Scope(), Period(today - timedelta(days=3),
                                                  today + timedelta(days=30)))
    assert f["received"] == 0 and f["due"] == 0
