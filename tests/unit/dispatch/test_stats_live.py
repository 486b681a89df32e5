"""Laying the live counts over the wall's full snapshot (dispatch/stats_live.py), no database."""

from __future__ import annotations

from dispatch.stats_live import LIVE_COUNTS, with_live

MIDNIGHT = "2026-11-22T00:00:00+08:00"


def board(today_start: str = MIDNIGHT) -> dict:
    counts = dict.fromkeys(LIVE_COUNTS, 1)
    return {"scope": {"level": "all"},
            "overview": {"now": "2026-11-22T10:00:00+08:00", "today_start": today_start,
                         **counts, "intake_7d": 40, "windows": {"30": {"intake": 300}}},
            "trend": [{"day": "2026-11-21", "reported": 9, "resolved": 8, "partial": False},
                      {"day": "2026-11-22", "reported": 1, "resolved": 1, "partial": True}],
            "ranking": [{"id": 1, "intake": 30}], "cases": [{"id": 1}]}


def fresh(today_start: str = MIDNIGHT) -> dict:
    counts = {k: 5 + i for i, k in enumerate(LIVE_COUNTS)}
    return {"overview": {"now": "2026-11-22T10:00:03+08:00", "today_start": today_start,
                         **counts}, "cases": [{"id": 1}, {"id": 2}]}


def test_counts_list_and_todays_bar_come_from_the_fresh_figures() -> None:
    full, live = board(), fresh()
    out = with_live(full, live)
    assert {k: out["overview"][k] for k in LIVE_COUNTS} == {
        k: live["overview"][k] for k in LIVE_COUNTS}
    assert out["overview"]["now"] == live["overview"]["now"]
    # the month-long figures stay the snapshot's
    assert out["overview"]["windows"] == full["overview"]["windows"]
    assert out["overview"]["intake_7d"] == 40 and out["ranking"] is full["ranking"]
    assert out["cases"] == live["cases"]
    assert out["trend"][0] == full["trend"][0]
    assert out["trend"][-1] == {"day": "2026-11-22", "partial": True,
                                "reported": live["overview"]["intake_today"],
                                "resolved": live["overview"]["resolved_today"]}
    assert full["trend"][-1]["reported"] == 1 and full["overview"]["open"] == 1  # not mutated


def test_after_midnight_the_trend_waits_for_the_next_full_snapshot() -> None:
    out = with_live(board(), fresh(today_start="2026-11-23T00:00:00+08:00"))
    assert out["trend"] == board()["trend"]
    assert out["overview"]["today_start"] == "2026-11-23T00:00:00+08:00"
