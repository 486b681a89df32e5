"""The analysis read model on real PostGIS: a small set of cases in an empty database, read back
as repeats, near-repeats, weekly bins and the watch list (merged duplicates left out)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from analysis import queries as q
from analysis.repeats import near_repeats, repeat_addresses, repeat_parties
from analysis.watch import watch_list
from dispatch.model import BEIJING
from dispatch.stats_scope import Scope
from geo import db
from tests.conftest import _copy_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=BEIJING)
KEY = b"integration-key-0123456789"
LON, LAT = 84.87, 45.60
DLON = 100 / (111_320 * 0.7)  # ~100 m east


def _case(conn: Connection, i: int, *, days: float, address: str, phones: tuple[str, str], east: float = 0,
          state: str = "closed", risk: int = 0) -> None:
    parties = [{"name": "甲某", "phone": phones[0], "role": "applicant"},
               {"name": "乙某", "phone": phones[1], "role": "respondent"}]
    conn.execute(text(
        "INSERT INTO incidents (id, code, channel, category, title, address, geom, state, "
        "risk_level, caller_name, caller_phone, parties, reported_at) VALUES (:i, :code, "
        "'hotline', 'neighbour', :title, :addr, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), "
        ":state, :risk, '甲某', :phone, CAST(:parties AS jsonb), :at)"),
        {"i": i, "code": f"2026-{i:06d}", "title": f"甲某与乙某邻里纠纷{i}", "addr": address,
         "lon": LON + east * DLON, "lat": LAT, "state": state, "risk": risk, "phone": phones[0],
         "parties": json.dumps(parties, ensure_ascii=False), "at": T0 + timedelta(days=days)})


@pytest.fixture(scope="module")
def engine(settings, base_db) -> Iterator[Engine]:
    name = f"{base_db}_an{uuid.uuid4().hex[:6]}"
    eng = db.make_engine(_copy_db(settings, base_db, name))
    with eng.begin() as conn:
        _case(conn, 1, days=0, address="天山路12号", phones=("13900000001", "13900000002"))
        _case(conn, 2, days=5, address="天山路 12号", phones=("+8613900000002", "13900000001"),
              east=1)
        _case(conn, 3, days=9, address="天山路12号", phones=("13900000003", "13900000004"),
              east=1.5, state="mediating", risk=3)
        _case(conn, 4, days=30, address="胜利路3号", phones=("13900000001", "13900000002"),
              east=30, state="assigned", risk=2)
        _case(conn, 5, days=6, address="天山路12号", phones=("13900000001", "13900000002"))
        _case(conn, 6, days=80, address="天山路12号", phones=("13900000005", "13900000006"))
        # 5 was merged into 1 as its duplicate: no analysis counts it
        conn.execute(text("INSERT INTO incident_flow (incident_id, merged_into) VALUES (5, 1)"))
        conn.execute(text(
            "INSERT INTO incident_flow (incident_id, one_case_plan, risk_reasons, risk_basis) "
            "VALUES (3, true, CAST(:r AS jsonb), CAST(:b AS jsonb))"),
            {"r": json.dumps(["红色：同一地点已发生 2 起纠纷"], ensure_ascii=False),
             "b": json.dumps([{"reason": 0, "kind": "place", "level": 3, "ids": [1, 2]}])})
        conn.execute(text(
            "INSERT INTO mediation_steps (incident_id, step, note, happened_at, recorded_by, "
            "recorded_at) VALUES (3, 'listen', '听取双方陈述', :t, 'duty', :t)"),
            {"t": T0 + timedelta(days=10)})
    yield eng
    eng.dispose()
    db.drop_database(settings, name)


def _rows(engine: Engine, days: int = 60) -> list[dict]:
    with engine.connect() as conn:
        return q.repeat_rows(conn, Scope(), T0 - timedelta(days=1), T0 + timedelta(days=days))


def test_the_period_and_merged_duplicates_bound_the_rows(engine: Engine) -> None:
    assert [r["id"] for r in _rows(engine)] == [1, 2, 3, 4]
    assert [r["id"] for r in _rows(engine, days=100)] == [1, 2, 3, 4, 6]
    assert _rows(engine)[0]["lon"] == pytest.approx(LON)


def test_repeats_from_the_database(engine: Engine) -> None:
    rows = _rows(engine)
    assert [g["case_ids"] for g in repeat_addresses(rows, min_cases=3)] == [[1, 2, 3]]
    pairs = repeat_parties(rows, KEY)
    assert [g["case_ids"] for g in pairs] == [[1, 2, 4]]
    assert "1390000000" not in json.dumps(pairs, default=str)
    assert [g["case_ids"] for g in near_repeats(rows, radius_m=200, days=14)] == [[1, 2, 3]]
    assert [g["case_ids"] for g in near_repeats(rows, radius_m=120, days=14)] == [[1, 2]]


def test_weekly_points_bin_by_seven_days_back_from_the_end(engine: Engine) -> None:
    end = T0 + timedelta(days=56)
    with engine.connect() as conn:
        weeks = q.weekly_points(conn, Scope(), end, 8)
    assert [len(lon) for lon, _ in weeks] == [2, 1, 0, 0, 1, 0, 0, 0]


def test_the_watch_list_holds_open_orange_and_red_cases_with_what_was_done(engine: Engine) -> None:
    with engine.connect() as conn:
        items = watch_list(q.watch_rows(conn, Scope()))
        red = watch_list(q.watch_rows(conn, Scope(), min_level=3))
    assert [i["id"] for i in items] == [3, 4]
    assert [i["id"] for i in red] == [3]
    first = items[0]
    assert first["related_case_ids"] == [1, 2] and first["risk_label"] == "红色"
    assert first["done"] == ["尚未派单", "已列一事一策", "调解记录 1 条"]
    assert items[1]["done"] == ["尚未派单"]
