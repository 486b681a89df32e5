"""Hostile telemetry as pure rules: fix times, device counters, replays, far-off points."""

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.errors import InvalidCommand
from dispatch.policy import Policy
from dispatch.telemetry import (
    OLDER,
    SAME_TIME,
    Fix,
    check_crs,
    check_fix,
    check_inside,
    is_newer,
    outside_m,
    why_not_newer,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
P = Policy()
BOX = (84.70, 45.50, 85.00, 45.70)  # minlon, minlat, maxlon, maxlat


def newer(new: Fix, last: Fix) -> bool:
    return is_newer(new, last, reset_s=P.position_seq_reset_s)


def test_fix_time_defaults_to_now_and_is_checked():
    assert check_fix(None, None, NOW, future_s=120) == Fix(NOW, None)
    assert check_fix(None, 7, NOW, future_s=120) == Fix(NOW, 7)
    ok = NOW + timedelta(seconds=119)
    assert check_fix(ok, None, NOW, future_s=120).at == ok
    with pytest.raises(InvalidCommand, match="比服务器时间晚 180 秒") as err:
        check_fix(NOW + timedelta(minutes=3), None, NOW, future_s=120)
    assert err.value.detail["field"] == "at"
    with pytest.raises(InvalidCommand, match="须带时区") as err:
        check_fix(datetime(2026, 11, 23, 10, 0), None, NOW, future_s=120)
    assert err.value.detail["field"] == "at"
    with pytest.raises(InvalidCommand, match="设备时钟未校准"):
        check_fix(datetime(1970, 1, 1, tzinfo=UTC), None, NOW, future_s=120)
    with pytest.raises(InvalidCommand) as err:
        check_fix(None, -1, NOW, future_s=120)
    assert err.value.detail["field"] == "seq"
    with pytest.raises(InvalidCommand) as err:
        check_crs("mars")
    assert err.value.detail["field"] == "crs"


def test_older_by_time_loses_newer_wins_same_time_first_wins():
    last = Fix(NOW, None)
    assert newer(Fix(NOW + timedelta(seconds=1)), last)
    assert not newer(Fix(NOW - timedelta(seconds=1)), last)
    assert why_not_newer(Fix(NOW - timedelta(seconds=1)), last) == OLDER
    assert not newer(Fix(NOW), last)  # the same instant elsewhere: the first one stands
    assert why_not_newer(Fix(NOW), last) == SAME_TIME
    assert newer(Fix(NOW - timedelta(days=1)), Fix(None))  # a unit's first fix


def test_counter_decides_when_both_carry_one():
    last = Fix(NOW, 10)
    # the device clock is off but its counter moved on: applied
    assert newer(Fix(NOW - timedelta(minutes=1), 11), last)
    # a delayed ping stamped on arrival (no device time) but with an older counter: not applied
    assert not newer(Fix(NOW + timedelta(seconds=30), 9), last)
    assert why_not_newer(Fix(NOW + timedelta(seconds=30), 9), last) == OLDER
    # the device restarted (counter back to 0) well after the last fix: applied
    assert newer(Fix(NOW + timedelta(seconds=P.position_seq_reset_s + 1), 0), last)
    # only one side has a counter, or the same counter: by time
    assert newer(Fix(NOW + timedelta(seconds=1), None), last)
    assert not newer(Fix(NOW - timedelta(seconds=1), 50), Fix(NOW, None))
    assert newer(Fix(NOW + timedelta(seconds=1), 10), last)


def test_points_outside_the_territory():
    assert outside_m(84.85, 45.60, BOX) == 0.0
    assert outside_m(84.85, 45.60, None) == 0.0
    near = outside_m(85.10, 45.60, BOX)  # 0.1° of longitude east at 45.6° N
    assert 7_500 < near < 8_000
    assert check_inside(85.10, 45.60, BOX, limit_m=P.position_outside_m) == near
    # a ping 1,000 km away (9° of latitude south of the box): refused
    with pytest.raises(InvalidCommand, match="辖区范围外约 1002 公里") as err:
        check_inside(84.85, 36.50, BOX, limit_m=P.position_outside_m)
    assert err.value.detail["field"] == "lat"
    with pytest.raises(InvalidCommand) as err:
        check_inside(116.40, 39.90, BOX, limit_m=P.position_outside_m)  # Beijing
    assert err.value.detail["field"] == "lon"


def test_policy_values_are_editable_and_checked():
    p = Policy.from_dict({"position_future_s": 60, "position_outside_m": 5000})
    assert p.position_future_s == 60 and p.position_outside_m == 5000.0
    with pytest.raises(InvalidCommand, match="辖区外定位容差"):
        Policy.from_dict({"position_outside_m": -1})
