"""Duplicates and repeat-dispute risk as pure rules."""

from datetime import UTC, datetime, timedelta

from dispatch.policy import Policy
from dispatch.risk import (
    NewCase,
    PriorCase,
    amount_yuan,
    assess_risk,
    find_duplicates,
    is_prior,
    prior_since,
    retold,
    uncounted,
)

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
P = Policy()


def new(**kw):  # type: ignore[no-untyped-def]
    base = {"address": "幸福路8号", "phones": frozenset({"139"}), "names": frozenset({"张三",
            "李四"}), "description": "", "n_parties": 2, "reported_at": NOW}
    base.update(kw)
    return NewCase(**base)


def prior(pid, days=1, state="located", **kw):  # type: ignore[no-untyped-def]
    base = {"id": pid, "code": f"2026-{pid:06d}", "state": state, "category": "neighbour",
            "reported_at": NOW - timedelta(days=days), "address": "幸福路8号", "distance_m": 5.0,
            "phones": frozenset({"139"}), "names": frozenset({"张三", "李四"})}
    base.update(kw)
    return PriorCase(**base)


def test_duplicate_needs_place_and_people_and_an_open_recent_case():
    hits = find_duplicates(new(), [prior(1), prior(2, state="closed"), prior(3, days=30),
                                   prior(4, address="别处", distance_m=900.0),
                                   prior(5, phones=frozenset(), names=frozenset({"王五"}))],
                           policy=P)
    assert [h.other_id for h in hits] == [1]
    assert hits[0].score == 1.0 and "同一地址" in hits[0].reasons
    near = find_duplicates(new(address="幸福路8号楼下"), [prior(6, distance_m=30.0)], policy=P)
    assert near and "相距 30 米" in near[0].reasons


def test_repeat_parties_raise_the_level():
    assert assess_risk(new(), [], policy=P).level == 0
    one = assess_risk(new(), [prior(1, state="closed")], policy=P)
    assert one.level == 1 and "同一当事人之间曾有纠纷" in one.reasons[0]
    two = assess_risk(new(), [prior(1, 10, "closed"), prior(2, 40, "closed")], policy=P)
    assert two.level == 2
    three = assess_risk(new(), [prior(k, 10 * k, "closed") for k in (1, 2, 3)], policy=P)
    assert three.level == 3 and three.one_case_plan and three.label == "红色"


def test_duplicates_do_not_count_as_repeats_and_old_cases_fall_out():
    assert assess_risk(new(), [prior(1)], policy=P, duplicates=[1]).level == 0
    assert assess_risk(new(), [prior(1, days=400, state="closed")], policy=P).level == 0


def test_same_address_other_people():
    others = [prior(k, 10 * k, "closed", phones=frozenset(), names=frozenset({f"路人{k}"}))
              for k in range(1, 5)]
    r = assess_risk(new(), others, policy=P)
    assert r.level == 2 and any("同一地点已发生 4 起" in x for x in r.reasons)


def test_threat_money_and_crowds():
    r = assess_risk(new(description="对方扬言要报复"), [], policy=P)
    assert r.level == 3 and r.threat and "须一事一策" in r.reasons[-1]
    assert amount_yuan("拖欠工资12.5万元和3000元") == 125000
    assert assess_risk(new(description="欠款15万元"), [], policy=P).level == 1
    assert assess_risk(new(description="欠款150万"), [], policy=P).level == 2
    assert assess_risk(new(n_parties=7), [], policy=P).level == 1
    assert assess_risk(new(description="工人群体讨薪"), [], policy=P).level == 2


def test_a_burst_at_one_door_is_a_duplicate_question_not_a_rising_risk():
    from dispatch.risk import propose_priority

    burst = [prior(k, 0.1 * k, "located", phones=frozenset(), names=frozenset({f"邻居{k}"}))
             for k in range(1, 8)]  # seven open reports at the same door within hours
    r = assess_risk(new(), burst, policy=P)
    assert r.level == 1 and any("疑似同一事件重复报告" in x for x in r.reasons)
    assert propose_priority(4, r) is None  # nothing proposed: a merge question
    settled = [prior(k, 10 * k, "closed", phones=frozenset(), names=frozenset({f"路人{k}"}))
               for k in range(1, 5)]
    assert assess_risk(new(), settled, policy=P).level == 2  # a history at one place still counts


def test_the_risk_check_proposes_and_never_lowers():
    from dispatch.risk import RiskAssessment, propose_priority

    red = RiskAssessment(3, ("红色：x",), True, True)
    orange = RiskAssessment(2, ("橙色：x",), False, False)
    assert propose_priority(3, red) == 1 and propose_priority(1, red) is None
    assert propose_priority(4, orange) == 2 and propose_priority(2, orange) is None
    assert propose_priority(3, RiskAssessment(1, (), False, False)) is None


def test_a_counting_reason_keeps_the_cases_it_counts_and_can_be_retold():
    """The basis of each counting reason (for a reader who may see only some of them)."""
    three = assess_risk(new(address="别处"), [prior(k, 10 * k, "closed", distance_m=900.0)
                                            for k in (1, 2, 3)], policy=P)
    assert [(c.reason, c.kind, c.level, c.ids) for c in three.basis] == \
        [(0, "parties", 3, (1, 2, 3))]
    told = retold(three.basis[0], 1)
    assert told.startswith("红色：") and "1 起" in told and "3" not in told
    assert "没有" in retold(three.basis[0], 0)
    place = assess_risk(new(phones=frozenset(), names=frozenset({"王五"})),
                        [prior(k, 10 * k, "closed") for k in (1, 2)], policy=P)
    assert [(c.kind, c.ids) for c in place.basis] == [("place", (1, 2))]
    assert assess_risk(new(description="威胁说要杀人"), [], policy=P).basis == ()
    assert uncounted("橙色：同一当事人之间已发生 2 起纠纷") == "橙色：同一当事人之间已发生多起纠纷"


def test_an_earlier_case_counts_by_window_and_place_or_people_one_rule_for_every_search():
    since = prior_since(NOW, P)
    assert since == NOW - timedelta(days=max(P.risk_window_days, P.duplicate_days))
    far = {"address": "别处1号", "distance_m": P.duplicate_radius_m + 1,
           "phones": frozenset({"138"}), "names": frozenset({"王五"})}
    mine = frozenset({"139", "张三"})

    def counts(**kw):  # type: ignore[no-untyped-def]
        return is_prior(prior(1, **{**far, **kw}), address="幸福路8号", keys=mine, since=since,
                        radius_m=P.duplicate_radius_m)
    assert not counts()  # another place, other people
    assert counts(distance_m=P.duplicate_radius_m)  # within the radius, its edge included
    assert not counts(distance_m=None)  # not located: no distance
    assert counts(address="幸福路8号")  # the very same address text
    assert counts(phones=frozenset({"139"})) and counts(names=frozenset({"张三"}))
    assert not counts(address="幸福路8号", reported_at=since - timedelta(seconds=1))
    assert counts(address="幸福路8号", reported_at=since)
    # a new case with no address never matches an earlier one by its missing address
    assert not is_prior(prior(1, **{**far, "address": None}), address=None, keys=mine,
                        since=since, radius_m=P.duplicate_radius_m)
