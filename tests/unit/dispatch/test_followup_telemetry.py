"""Follow-up verdicts, unit status rules, ping conversion, shifts, event shapes."""

from datetime import UTC, datetime, time, timedelta

import pytest

from dispatch.errors import InvalidCommand, InvalidTransition
from dispatch.events import DeadlinePassed, UnitsAssigned
from dispatch.followup import check_visit, verdict
from dispatch.model import UnitFacts
from dispatch.policy import Policy
from dispatch.telemetry import check_status, is_stale, to_wgs84_point
from geo.coords import from_wgs84

P = Policy()


def test_followup_verdicts():
    assert not verdict(4, True, policy=P).reopen
    assert verdict(2, True, policy=P).reopen
    v = verdict(5, False, policy=P)
    assert v.reopen and "协议未履行" in v.reason
    with pytest.raises(InvalidTransition, match="已办结"):
        check_visit("mediating", 5, 0)
    with pytest.raises(InvalidCommand, match="1-5"):
        check_visit("resolved", 6, 0)


def test_unit_status_rules():
    check_status("available", "off_duty", 0)
    with pytest.raises(InvalidTransition, match="不能下班"):
        check_status("assigned", "off_duty", 2)
    with pytest.raises(InvalidTransition, match="没有在办案件"):
        check_status("available", "on_scene", 0)
    with pytest.raises(InvalidCommand, match="未知的单位状态"):
        check_status("available", "asleep", 0)


def test_pings_any_crs_and_staleness():
    lon, lat = 84.87, 45.59
    g = from_wgs84(lon, lat, "gcj02")
    x, y = to_wgs84_point(float(g[0]), float(g[1]), "gcj02")
    assert abs(x - lon) < 1e-7 and abs(y - lat) < 1e-7
    with pytest.raises(InvalidCommand):
        to_wgs84_point(200.0, 45.0, "wgs84")
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert is_stale(None, now, 900) and is_stale(now - timedelta(hours=1), now, 900)
    assert not is_stale(now - timedelta(minutes=5), now, 900)


def test_shift_across_midnight():
    night = UnitFacts(id=1, unit_type="mediator", shift="night", shift_start=time(17, 30),
                      shift_end=time(8, 30))
    assert night.on_shift(datetime(2026, 11, 23, 15, tzinfo=UTC))  # 23:00 Beijing
    assert not night.on_shift(datetime(2026, 11, 23, 4, tzinfo=UTC))  # 12:00 Beijing


def test_events_serialise_with_type_and_ids():
    e = UnitsAssigned(7, (1, 2), "甲", auto=True)
    assert e.as_dict() == {"type": "units_assigned", "incident_id": 7, "unit_ids": (1, 2),
                           "actor": "甲", "auto": True, "released_unit_ids": ()}
    assert DeadlinePassed(1, "sign", "yellow").type == "deadline_passed"
