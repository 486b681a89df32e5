"""The state machine table: allowed moves, refusals with Chinese reasons."""

import pytest

from dispatch import lifecycle, vocab
from dispatch.errors import InvalidTransition


def test_every_state_has_a_row_and_targets_are_states():
    assert set(lifecycle.TRANSITIONS) == set(vocab.INCIDENT_STATES)
    for targets in lifecycle.TRANSITIONS.values():
        assert targets <= set(vocab.INCIDENT_STATES)
    assert lifecycle.TRANSITIONS["closed"] == frozenset()


@pytest.mark.parametrize(("frm", "to"), [
    ("assigned", "acknowledged"), ("acknowledged", "on_scene"), ("on_scene", "mediating"),
    ("mediating", "escalated"), ("escalated", "mediating"), ("resolved", "closed")])
def test_allowed(frm, to):
    kw = {"note": "理由"} if to == "escalated" else {}
    change = lifecycle.check(frm, to, current_outcome="withdrawn", **kw)
    assert (change.from_state, change.to_state) == (frm, to)


@pytest.mark.parametrize(("frm", "to", "words"), [
    ("registered", "on_scene", "不能改为「已到场」"),
    ("closed", "located", "可改为：无（已归档）"),
    ("located", "acknowledged", "已定位"),
    ("mediating", "assigned", "派单"),
    ("resolved", "followed_up", "回访记录"),
    ("located", "nowhere", "未知状态"),
])
def test_refused_with_reason(frm, to, words):
    with pytest.raises(InvalidTransition, match=words) as err:
        lifecycle.check(frm, to)
    assert err.value.status == 409


def test_resolution_needs_an_outcome_and_only_then():
    with pytest.raises(InvalidTransition, match="办结须注明结果"):
        lifecycle.check("mediating", "resolved")
    assert lifecycle.check("mediating", "resolved", outcome="mediated").releases_units
    with pytest.raises(InvalidTransition, match="只有办结时"):
        lifecycle.check("on_scene", "mediating", outcome="mediated")


def test_escalation_needs_a_reason_and_stops_at_city():
    with pytest.raises(InvalidTransition, match="须说明理由"):
        lifecycle.check("mediating", "escalated")
    with pytest.raises(InvalidTransition, match="市级"):
        lifecycle.check("mediating", "escalated", note="x", level="city")


def test_mediated_case_closes_only_after_follow_up():
    with pytest.raises(InvalidTransition, match="须先回访"):
        lifecycle.check("resolved", "closed", current_outcome="mediated")
    assert lifecycle.check("resolved", "closed", current_outcome="mediated", followed_up=True)
    assert lifecycle.check("resolved", "closed", current_outcome="litigation")


def test_reopen_and_release_need_reasons_and_are_named():
    with pytest.raises(InvalidTransition, match="重新处置须说明理由"):
        lifecycle.check("followed_up", "located")
    reopen = lifecycle.check("followed_up", "located", note="不满意")
    assert reopen.reopens and reopen.action == "reopen"
    release = lifecycle.check("assigned", "located", note="单位退回")
    assert release.action == "release" and release.releases_units
    assert lifecycle.check("assigned", "assigned", manual=False).action == "reassign"
