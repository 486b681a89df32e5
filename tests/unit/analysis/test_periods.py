"""Period arithmetic (环比, 同比, labels, limits) and the comparison and fair-ranking maths."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from analysis import periods
from analysis.periods import MAX_DAYS, MIN_CASES, MIN_RATE_BASE, Period, PeriodError
from dispatch import stats_evidence
from dispatch.model import BEIJING


def test_a_week_steps_back_a_week_and_a_year() -> None:
    p = Period(date(2026, 11, 23), date(2026, 11, 29))
    assert p.days == 7 and p.months is None
    assert p.previous() == Period(date(2026, 11, 16), date(2026, 11, 22))
    assert p.year_before() == Period(date(2025, 11, 23), date(2025, 11, 29))
    assert p.against("prev") == p.previous() and p.against("yoy") == p.year_before()


def test_an_odd_length_steps_back_by_its_own_length() -> None:
    p = Period(date(2026, 3, 1), date(2026, 3, 10))  # not a whole month
    assert p.previous() == Period(date(2026, 2, 19), date(2026, 2, 28))
    p = Period(date(2026, 1, 1), date(2026, 1, 1))
    assert p.previous() == Period(date(2025, 12, 31), date(2025, 12, 31))


def test_whole_months_step_back_by_months() -> None:
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert march.months == 1
    assert march.previous() == Period(date(2026, 2, 1), date(2026, 2, 28))  # 上月, not 31 days
    assert Period(date(2026, 1, 1), date(2026, 1, 31)).previous() == Period(
        date(2025, 12, 1), date(2025, 12, 31))
    q4 = Period(date(2026, 10, 1), date(2026, 12, 31))
    assert q4.months == 3 and q4.previous() == Period(date(2026, 7, 1), date(2026, 9, 30))
    feb = Period(date(2024, 2, 1), date(2024, 2, 29))
    assert feb.year_before() == Period(date(2023, 2, 1), date(2023, 2, 28))


def test_the_leap_day_a_year_back_is_the_28th() -> None:
    p = Period(date(2024, 2, 20), date(2024, 2, 29))
    assert p.year_before() == Period(date(2023, 2, 20), date(2023, 2, 28))


def test_labels_in_chinese() -> None:
    assert Period(date(2026, 11, 1), date(2026, 11, 30)).label() == "2026年11月"
    assert Period(date(2026, 10, 1), date(2026, 12, 31)).label() == "2026年第4季度"
    assert Period(date(2026, 1, 1), date(2026, 12, 31)).label() == "2026年"
    assert Period(date(2026, 11, 3), date(2026, 11, 3)).label() == "2026年11月3日"
    assert Period(date(2026, 11, 23), date(2026, 11, 29)).label() == \
        "2026年11月23日至11月29日（7天）"
    assert Period(date(2025, 12, 29), date(2026, 1, 4)).label() == \
        "2025年12月29日至2026年1月4日（7天）"


def test_bad_periods_are_refused_naming_the_field() -> None:
    with pytest.raises(PeriodError) as exc:
        Period(date(2026, 11, 2), date(2026, 11, 1))
    assert exc.value.field == "from" and "不能晚于" in str(exc.value)
    with pytest.raises(PeriodError) as exc:
        Period(date(2024, 1, 1), date(2025, 1, 1))  # 367 days
    assert exc.value.field == "from" and str(MAX_DAYS) in str(exc.value)
    Period(date(2024, 1, 1), date(2024, 12, 31))  # 366 days: allowed
    with pytest.raises(PeriodError) as exc:
        Period(date(2026, 1, 1), date(2100, 1, 1))
    assert exc.value.field == "to"
    with pytest.raises(PeriodError) as exc:
        Period.parse("2026-13-01", None, today=date(2026, 12, 7))
    assert exc.value.field == "from" and "YYYY-MM-DD" in str(exc.value)
    with pytest.raises(PeriodError) as exc:
        Period.parse(None, "tomorrow", today=date(2026, 12, 7))
    assert exc.value.field == "to"


def test_parse_defaults_to_the_last_30_days() -> None:
    assert Period.parse(None, "", today=date(2026, 12, 7)) == Period(date(2026, 11, 8),
                                                                     date(2026, 12, 7))
    assert Period.parse("2026-11-01", "2026-11-07", today=date(2026, 12, 7)).days == 7


def test_instants_are_beijing_midnights() -> None:
    a, b = Period(date(2026, 11, 1), date(2026, 11, 7)).instants()
    assert a == datetime(2026, 11, 1, tzinfo=BEIJING) and b == datetime(2026, 11, 8,
                                                                        tzinfo=BEIJING)
    assert a.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_change_absolute_and_percent() -> None:
    assert periods.change(12, 10) == {"abs": 2, "pct": 20.0}
    assert periods.change(5, 0) == {"abs": 5, "pct": None}  # no percentage of nothing
    assert periods.change(0, 4) == {"abs": -4, "pct": -100.0}
    assert periods.change(80.0, 75.5) == {"abs": 4.5, "pct": 6.0}  # 百分点 and relative
    assert periods.change(None, 3) == {"abs": None, "pct": None}
    assert periods.change(3.0, None) == {"abs": None, "pct": None}
    got = periods.changes({"received": 3, "success_rate": 50.0}, {"received": 2})
    assert got["received"] == {"abs": 1, "pct": 50.0, "kind": "count"}
    assert got["success_rate"] == {"abs": None, "pct": None, "kind": "rate"}


def _row(code: str, received: int, *, on_time: float | None = None, due: int = 0,
         success: float | None = None, done: int = 0, sat: float | None = None,
         rated: int = 0) -> dict:
    return {"code": code, "name": code, "received": received, "on_time_rate": on_time,
            "due": due, "success_rate": success, "done": done, "satisfaction_rate": sat,
            "rated": rated}


def test_ranking_is_by_rates_with_a_minimum_and_tiers() -> None:
    b = MIN_RATE_BASE
    rows = [_row("A", 200, on_time=60.0, due=100, success=50.0, done=90, sat=70.0, rated=40),
            _row("B", 15, on_time=90.0, due=10, success=80.0, done=8, sat=None, rated=0),
            _row("C", MIN_CASES - 1, on_time=100.0, due=9, success=100.0, done=9),
            _row("D", 40, on_time=90.0, due=b - 1, success=80.0, done=b - 1),
            _row("E", 30, on_time=70.0, due=b, success=None, done=0)]
    got = periods.rank_rows(rows)
    assert [r["code"] for r in got["ranked"]] == ["B", "E", "A"]  # the small B beats the big A
    b_row = got["ranked"][0]
    assert b_row["score"] == 85.0 and b_row["scored_by"] == ["按期办结率", "调解成功率"]
    assert got["ranked"][2]["score"] == 60.0
    assert [r["rank"] for r in got["ranked"]] == [1, 2, 3]
    assert {r["tier"] for r in got["ranked"]} == {"全部"}  # fewer than 6: no tiers
    reasons = {r["code"]: r["reason"] for r in got["unranked"]}
    assert set(reasons) == {"C", "D"}
    assert f"少于 {MIN_CASES} 件" in reasons["C"] and "无可计分项" in reasons["D"]


def test_tiers_split_by_volume_and_rank_within() -> None:
    rows = [_row(f"S{i}", 100 - 10 * i, success=50.0 + i, done=20) for i in range(6)]
    got = periods.rank_rows(rows)
    tiers = {r["code"]: (r["tier"], r["tier_rank"]) for r in got["ranked"]}
    assert tiers == {"S0": ("大", 2), "S1": ("大", 1), "S2": ("中", 2), "S3": ("中", 1),
                     "S4": ("小", 2), "S5": ("小", 1)}
    ties = periods.rank_rows([_row("X", 20, success=60.0, done=10),
                              _row("Y", 20, success=60.0, done=10)])
    assert [r["rank"] for r in ties["ranked"]] == [1, 1]


def test_the_method_states_the_rule_and_the_evidence() -> None:
    assert str(MIN_CASES) in periods.METHOD and "不参与排名" in periods.METHOD
    assert stats_evidence.SUCCESS_SHORT in periods.METHOD
    assert stats_evidence.SUCCESS_DEFINITION in periods.DEFINITIONS["success"]
