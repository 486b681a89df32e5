"""analysis.presets (the quick picks) and analysis.period_board (the wall's bins and mix)."""

from __future__ import annotations

from datetime import date

import pytest

from analysis.period_board import bin_kind, bins, mix, trend
from analysis.periods import Period
from analysis.presets import QUICK, presets, quick

WED = date(2026, 12, 9)


def test_quick_picks_of_a_monday_week_month_and_quarter() -> None:
    def span(key: str, today: date = WED) -> tuple[str, str]:
        p = quick(key, today)
        return p.start.isoformat(), p.end.isoformat()
    assert span("week") == ("2026-12-07", "2026-12-09")
    assert span("last_week") == ("2026-11-30", "2026-12-06")
    assert span("month") == ("2026-12-01", "2026-12-09")
    assert span("last_month") == ("2026-11-01", "2026-11-30")
    assert span("last30") == ("2026-11-10", "2026-12-09")
    assert span("quarter") == ("2026-10-01", "2026-12-09")
    assert span("last_month", date(2027, 1, 15)) == ("2026-12-01", "2026-12-31")
    assert span("week", date(2026, 12, 13)) == ("2026-12-07", "2026-12-13")  # a Sunday
    assert span("quarter", date(2026, 3, 31)) == ("2026-01-01", "2026-03-31")
    with pytest.raises(ValueError):
        quick("fortnight", WED)


def test_presets_are_what_the_browser_draws() -> None:
    got = presets(WED)
    assert [p["key"] for p in got] == list(QUICK)
    assert got[3] == {"key": "last_month", "label": "上月", "from": "2026-11-01",
                      "to": "2026-11-30"}


def test_bins_are_days_then_weeks_then_months_and_stop_at_today() -> None:
    assert bin_kind(31) == "day" and bin_kind(32) == "week" and bin_kind(218) == "month"
    month = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert len(bins(month, WED)) == 30
    assert bins(Period(date(2026, 12, 1), date(2026, 12, 31)), WED)[-1] == (WED, WED)
    weeks = bins(Period(date(2026, 9, 1), date(2026, 11, 30)), WED)
    assert weeks[0] == (date(2026, 9, 1), date(2026, 9, 7)) and weeks[-1][1] == date(2026, 11, 30)
    assert len(weeks) == 13
    year = bins(Period(date(2025, 12, 15), date(2026, 12, 14)), WED)
    assert year[0] == (date(2025, 12, 15), date(2025, 12, 31))
    assert year[-1] == (date(2026, 12, 1), WED) and len(year) == 13
    assert bins(Period(date(2027, 1, 1), date(2027, 1, 7)), WED) == []


def test_trend_bins_add_up_to_the_days() -> None:
    period = Period(date(2026, 9, 1), date(2026, 12, 31))
    counts = {date(2026, 9, 3): (2, 1), date(2026, 9, 8): (1, 0), date(2026, 12, 9): (4, 3),
              date(2026, 12, 20): (9, 9)}  # after today: not drawn (nor can it exist)
    got = trend(counts, period, WED)
    assert got[0]["reported"] == 2 and got[1]["reported"] == 1
    assert sum(b["reported"] for b in got) == 7 and sum(b["resolved"] for b in got) == 4
    assert got[-1]["partial"] and not any(b["partial"] for b in got[:-1])


def test_mix_keeps_received_categories_largest_first() -> None:
    rows = [{"key": "b", "name": "乙", "received": 1}, {"key": "a", "name": "甲", "received": 3},
            {"key": "c", "name": "丙", "received": 0}]
    assert mix(rows) == [{"category": "a", "label": "甲", "count": 3, "share": 75.0},
                         {"category": "b", "label": "乙", "count": 1, "share": 25.0}]
