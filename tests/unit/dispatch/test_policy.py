"""Policy as typed data: defaults from the sources, JSON round trip, refusals."""

import json

import pytest

from dispatch.errors import InvalidCommand
from dispatch.policy import Policy


def test_defaults_follow_3715_and_sign_limits():
    p = Policy()
    assert [p.close_days[d] for d in ("simple", "normal", "complex")] == [3, 7, 15]
    assert p.sign_seconds(1) == 1800 and p.close_seconds("complex") == 15 * 86400
    p.validate()


def test_json_round_trip():
    p = Policy()
    again = Policy.from_dict(json.loads(json.dumps(p.to_dict())))
    assert again == p


def test_partial_edit_over_a_base():
    p = Policy.from_dict({"warn_share": 0.5, "weights": {"eta": 60},
                          "auto_dispatch": {"labour": [1, 2, 3]}})
    assert p.warn_share == 0.5 and p.weights.eta == 60 and p.weights.skill == 20
    assert p.auto_dispatches("labour", 3) and not p.auto_dispatches("family", 3)
    assert p.auto_dispatches("family", 1)  # the "*" rule still holds


@pytest.mark.parametrize(("changes", "words"), [
    ({"warn_share": 1.2}, "预警比例"),
    ({"sign_minutes": {"1": 0}}, "签收时限"),
    ({"close_days": {"hard": 3}}, "办结时限"),
    ({"unit_types": {"family": ["wizard"]}}, "适配单位类型"),
    ({"nonsense": 1}, "未知的策略项"),
    ({"weights": {"nope": 1}}, "取值类型"),
    ({"escalate_on_red": "yes"}, "取值类型"),
])
def test_bad_edits_are_refused(changes, words):
    with pytest.raises(InvalidCommand, match=words):
        Policy.from_dict(changes)


def test_pairing_and_level_rules():
    p = Policy()
    assert p.needs_pair("other", 4, 3)  # red always pairs
    assert p.needs_pair("consumer", 4, 0, threat=True)
    assert p.needs_pair("family", 3, 1) and not p.needs_pair("family", 3, 0)
    assert not p.needs_pair("consumer", 1, 2)
    assert p.level_for(3, "normal", 0) == "community"
    assert p.level_for(1, "complex", 3) == "district"
    assert p.level_for(1, "normal", 1) == "street"
    assert p.level_for(3, "normal", 0, escalations=5) == "city"
