"""The weekly report's tables and schedule, pure: numbers stay numbers, the due week follows
the policy, and the policy's report keys refuse bad values by name."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from analysis.report import week_before
from analysis.report_tables import SUMMARY_HEADERS, tables
from console.exports.report_job import due_week
from dispatch.errors import InvalidCommand
from dispatch.model import BEIJING
from dispatch.policy import Policy


def _cmp(cur: int, base: int) -> dict:
    keys = ("received", "done", "success", "overdue", "success_rate", "on_time_rate",
            "satisfaction_rate", "sign_minutes", "arrive_minutes")
    return {"current": dict.fromkeys(keys, cur), "base": dict.fromkeys(keys, base),
            "change": {k: {"abs": cur - base, "pct": None if not base else
                           round(100 * (cur - base) / base, 1)} for k in keys}}


FIGURES = {
    "summary": {"prev": _cmp(12, 10), "yoy": _cmp(12, 0)},
    "trend": [{"day": "2026-11-23", "reported": 3, "resolved": 1}],
    "categories": [{"label": "邻里纠纷", "count": 3, "share": 100.0}],
    "hotspots": {"top": [{"name": "一号微网格", "count": 2, "z": 3.1, "label": "热点（99%置信）"}]},
    "repeats": {"addresses": [], "parties": [{"pair": "甲#1a2b × 乙#3c4d", "count": 2, "open": 1,
                                               "codes": ["2026-000001", "2026-000002"]}],
                "near": []},
    "watch": [], "ranking": None,
    "overdue": {"items": []}, "supervised": {"items": []}, "notable": [],
}


def test_tables_keep_numbers_and_none() -> None:
    by = {t.name: t for t in tables(FIGURES)}
    assert by["总体指标"].headers == SUMMARY_HEADERS
    first = by["总体指标"].rows[0]
    assert first == ("受理（件）", 12, 10, 2, 20.0, 0, 12, None)
    assert by["每日趋势"].rows == [("2026-11-23", 3, 1)]
    assert by["重复当事人"].rows == [("甲#1a2b × 乙#3c4d", 2, 1, "2026-000001、2026-000002")]
    assert "排名" not in by  # a grid has nothing below it to rank


def test_the_week_before_is_monday_to_sunday() -> None:
    assert week_before(date(2026, 12, 7)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert week_before(date(2026, 12, 13)) == (date(2026, 11, 30), date(2026, 12, 6))


def test_due_week_follows_the_policy() -> None:
    p = Policy()
    monday_early = datetime(2026, 12, 7, 7, 0, tzinfo=BEIJING)  # a Monday, before 07:30
    assert due_week(monday_early, p) == (date(2026, 11, 23), date(2026, 11, 29))
    assert due_week(monday_early.replace(hour=8), p) == (date(2026, 11, 30), date(2026, 12, 6))
    later = Policy.from_dict({"report_weekday": 3, "report_time": "18:00"})
    assert due_week(datetime(2026, 12, 9, 17, 0, tzinfo=BEIJING), later) == \
        (date(2026, 11, 23), date(2026, 11, 29))
    assert due_week(datetime(2026, 12, 9, 18, 0, tzinfo=BEIJING), later) == \
        (date(2026, 11, 30), date(2026, 12, 6))


@pytest.mark.parametrize(("edit", "field"), [({"report_weekday": 8}, "report_weekday"),
                                             ({"report_time": "7:30"}, "report_time"),
                                             ({"report_time": "24:00"}, "report_time"),
                                             ({"report_areas": ["grid"]}, "report_areas")])
def test_bad_report_schedules_are_refused_by_name(edit: dict, field: str) -> None:
    with pytest.raises(InvalidCommand) as err:
        Policy.from_dict(edit)
    assert err.value.detail.get("field") == field
