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


def test_resolution_outcomes_are_known_and_only_at_resolution():
    assert lifecycle.check("mediating", "resolved", outcome="mediated").releases_units
    with pytest.raises(InvalidTransition, match="办结结果须为"):
        lifecycle.check("mediating", "resolved", outcome="settled")
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


# ---- closure evidence ---------------------------------------------------------------------------

def closure(**kw):  # type: ignore[no-untyped-def]
    base = {"outcome": "mediated", "note": "双方当面协商，达成一致", "reached_scene": True,
            "oral_terms": "甲方三日内修好漏水管道"}
    return lifecycle.Closure(**{**base, **kw})


def test_a_closure_with_its_evidence_rests_on_the_scene():
    assert lifecycle.check_closure(closure(), state="mediating") == "on_scene"
    written = closure(oral_terms=None, written_agreement=True)
    assert lifecycle.check_closure(written, state="mediating") == "on_scene"
    court = closure(outcome="litigation", oral_terms=None, referred_to="白碱滩区人民法院")
    assert lifecycle.check_closure(court, state="on_scene") == "on_scene"


@pytest.mark.parametrize(("kw", "missing"), [
    ({"reached_scene": False}, "到场记录"),
    ({"outcome": None}, "办结结果"),
    ({"note": "  "}, "办结说明"),
    ({"oral_terms": None}, "调解协议"),
    ({"oral_terms": " "}, "调解协议"),
    ({"outcome": "litigation", "oral_terms": None}, "受理法院"),
    ({"outcome": "arbitration"}, "仲裁机构"),
    ({"reached_scene": False, "on_the_spot": True, "channel": "hotline",
      "spot_reason": "电话中已说通"}, "仅限来访窗口"),
    ({"reached_scene": False, "on_the_spot": True, "channel": "walk_in"}, "当场化解理由"),
])
def test_a_closure_without_evidence_is_refused_naming_what_is_missing(kw, missing):
    with pytest.raises(InvalidTransition, match=missing) as err:
        lifecycle.check_closure(closure(**kw), state="mediating")
    assert err.value.status == 409 and err.value.message.startswith("不能办结，尚缺")
    assert any(missing in m for m in err.value.detail["missing"])


def test_everything_missing_is_named_at_once():
    bare = lifecycle.Closure(outcome=None, note=None, reached_scene=False)
    assert len(lifecycle.closure_missing(bare)) == 3


def test_on_the_spot_at_the_window():
    spot = closure(reached_scene=False, on_the_spot=True, channel="walk_in",
                   spot_reason="双方均在窗口，当场调解")
    assert lifecycle.check_closure(spot, state="registered") == "on_the_spot"


# ---- actions: what may happen next, for whom ----------------------------------------------------

DESK = frozenset({"incident.locate", "incident.assign", "incident.transition",
                  "incident.followup", "incident.supervise"})
FIELD = frozenset({"incident.transition", "incident.followup"})


def names(case, allowed=DESK, **kw):  # type: ignore[no-untyped-def]
    return [a.name for a in lifecycle.actions(case, allowed=allowed, **kw)]


def test_no_closure_is_offered_before_a_unit_reached_the_scene():
    for state in ("registered", "located", "assigned", "acknowledged"):
        assert "resolved" not in names({"state": state, "channel": "hotline"})
        assert "on_the_spot" not in names({"state": state, "channel": "hotline"})
    assert "resolved" in names({"state": "on_scene", "reached_scene": True})
    arrived = {"state": "mediating", "assignments": [{"arrived_at": "2026-11-23T10:00"}]}
    resolve = {a.name: a for a in lifecycle.actions(arrived, allowed=DESK)}["resolved"]
    assert resolve.needs == ("outcome", "note")
    assert resolve.as_dict()["needs_by_outcome"]["mediated"] == ["agreement"]


def test_the_window_may_settle_a_walk_in_case_on_the_spot():
    acts = {a.name: a for a in lifecycle.actions({"state": "located", "channel": "walk_in"},
                                                 allowed=DESK)}
    spot = acts["on_the_spot"].as_dict()
    assert spot["to"] == "resolved" and spot["on_the_spot"] and "spot_reason" in spot["needs"]
    assert "on_the_spot" not in names({"state": "located", "channel": "walk_in"}, FIELD,
                                      field_unit=True)


def test_desk_and_field_are_offered_by_role():
    assert names({"state": "registered"})[0] == "locate"
    assert names({"state": "located"})[:1] == ["assign"]
    assert "reassign" in names({"state": "acknowledged"})
    assert names({"state": "assigned"}, FIELD, field_unit=True) == ["acknowledged", "escalated"]
    assert names({"state": "acknowledged"}, FIELD, field_unit=True) == ["on_scene", "escalated"]
    assert names({"state": "on_scene", "reached_scene": True}, FIELD, field_unit=True) == [
        "mediating", "escalated", "resolved"]
    assert names({"state": "located"}, frozenset({"read"})) == []
    labels = {a.name: a.label for a in lifecycle.actions({"state": "assigned"}, allowed=DESK)}
    assert labels["acknowledged"] == "代为签收"


def test_mediation_starts_only_after_arrival():
    assert "mediating" not in names({"state": "acknowledged"})
    assert "mediating" in names({"state": "acknowledged", "reached_scene": True})


def test_filing_before_follow_up_is_shown_disabled_and_follow_up_needs_every_answer():
    acts = {a.name: a for a in lifecycle.actions({"state": "resolved", "outcome": "mediated"},
                                                 allowed=DESK)}
    assert acts["closed"].disabled and "回访" in acts["closed"].disabled
    assert set(acts["followup"].needs) == {"satisfaction", "agreement_holds", "method",
                                           "neighbours_visited"}
    done = {"state": "resolved", "outcome": "mediated", "followed_up_at": "2026-11-24"}
    assert not {a.name: a for a in lifecycle.actions(done, allowed=DESK)}["closed"].disabled


def test_priority_and_duplicates_are_offered_when_there_is_something_to_decide():
    assert "priority" in names({"state": "located", "proposed_priority": 2})
    assert "priority" not in names({"state": "located"})
    dup = {"state": "located", "links": [{"kind": "probable", "other_id": 3}]}
    assert {"link", "merge"} <= set(names(dup))
    assert "merge" not in names({**dup, "state": "assigned"})


def test_a_withdrawal_is_seen_by_a_unit_or_at_the_window():
    # the decision stands in the lifecycle table (WITHDRAWAL_NEEDS_SCENE): no unseen 撤回
    assert lifecycle.WITHDRAWAL_NEEDS_SCENE
    by_phone = lifecycle.Closure(outcome="withdrawn", note="申请人来电称已自行和解",
                                 reached_scene=False, channel="hotline")
    with pytest.raises(InvalidTransition) as err:
        lifecycle.check_closure(by_phone, state="located")
    assert "到场" in err.value.message
    at_window = lifecycle.Closure(outcome="withdrawn", note="申请人当面撤回", reached_scene=False,
                                  channel="walk_in", on_the_spot=True,
                                  spot_reason="申请人在窗口当面表示自愿撤回")
    assert lifecycle.check_closure(at_window, state="located") == "on_the_spot"
    seen = lifecycle.Closure(outcome="withdrawn", note="现场核实双方已和解", reached_scene=True)
    assert lifecycle.check_closure(seen, state="on_scene") == "on_scene"
