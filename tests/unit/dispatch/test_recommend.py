"""Ranking with reasons, filters, language, jurisdiction, staleness and 警格+网格 pairs."""

from datetime import UTC, datetime, time, timedelta

from dispatch.eta import Eta, StraightLineEta
from dispatch.model import IncidentFacts, UnitFacts
from dispatch.policy import Policy
from dispatch.recommend import recommend

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
P = Policy()


def unit(uid, kind="mediator", **kw):  # type: ignore[no-untyped-def]
    base = {"id": uid, "unit_type": kind, "name": f"U{uid}", "capacity": 2, "lon": 84.85,
            "lat": 45.6, "last_seen_at": NOW - timedelta(minutes=1), "shift": "24h"}
    base.update(kw)
    return UnitFacts(**base)


def inc(**kw):  # type: ignore[no-untyped-def]
    base = {"id": 1, "category": "labour", "priority": 3, "lon": 84.85, "lat": 45.6,
            "grid_id": 10, "police_grid_id": 20, "community_id": 30, "street_id": 40}
    base.update(kw)
    return IncidentFacts(**base)


def etas(seconds):  # type: ignore[no-untyped-def]
    return {uid: Eta(s, s * 8.0) for uid, s in seconds.items()}


def test_filters_status_capacity_shift_and_type():
    units = [unit(1), unit(2, status="off_duty"), unit(3, active_load=2),
             unit(4, shift="day", shift_start=time(8, 30), shift_end=time(17, 30)),
             unit(5, shift="night", shift_start=time(17, 30), shift_end=time(8, 30)),
             unit(6, "judge")]
    rec = recommend(inc(), units, etas({u.id: 300 for u in units}), policy=P, now=NOW)
    assert [c.unit.id for c in rec.candidates] == [1, 4]
    assert rec.excluded == {"下班/休息": 1, "已满负荷": 1, "不在班次时间": 1, "类型不适配": 1}


def test_skill_beats_a_slightly_nearer_generalist_and_says_why():
    units = [unit(1, skills=("labour",)), unit(2, skills=("family",))]
    rec = recommend(inc(), units, etas({1: 600, 2: 420}), policy=P, now=NOW)
    top = rec.candidates[0]
    assert top.unit.id == 1
    assert "擅长劳动争议/欠薪" in top.reasons and any("车程约 10 分钟" in r for r in top.reasons)


def test_language_match_hometown_mediator():
    units = [unit(1), unit(2, languages=("mandarin", "uyghur"))]
    rec = recommend(inc(language="uyghur"), units, etas({1: 300, 2: 500}), policy=P, now=NOW)
    assert rec.candidates[0].unit.id == 2
    assert "会说维吾尔语（老乡调解）" in rec.candidates[0].reasons
    assert "不会维吾尔语" in rec.candidates[1].reasons


def test_jurisdiction_first_for_grid_workers():
    units = [unit(1, "grid_worker", home_grid_id=11), unit(2, "grid_worker", home_grid_id=10)]
    rec = recommend(inc(category="neighbour"), units, etas({1: 200, 2: 400}), policy=P, now=NOW)
    assert rec.candidates[0].unit.id == 2 and "本网格网格员" in rec.candidates[0].reasons


def test_load_penalises():
    units = [unit(1, active_load=1), unit(2)]
    rec = recommend(inc(), units, etas({1: 300, 2: 300}), policy=P, now=NOW)
    assert [c.unit.id for c in rec.candidates] == [2, 1]
    assert "在办 1/2 件" in rec.candidates[1].reasons


def test_stale_position_is_flagged_and_penalised_never_trusted():
    units = [unit(1, last_seen_at=NOW - timedelta(hours=3)), unit(2), unit(3, lon=None, lat=None)]
    rec = recommend(inc(), units, etas({1: 60, 2: 600}), policy=P, now=NOW)
    by = {c.unit.id: c for c in rec.candidates}
    assert by[1].stale and not by[2].stale and by[3].stale
    assert any("180 分钟未更新" in r for r in by[1].reasons)
    assert by[3].eta_s is None and any("无位置信息" in r for r in by[3].reasons)
    assert rec.candidates[0].unit.id == 2


def test_straight_line_estimates_are_labelled():
    units = [unit(1, lon=84.86)]
    e = StraightLineEta().etas_to([(84.86, 45.6)], [False], (84.85, 45.6))
    rec = recommend(inc(), units, {1: e[0]}, policy=P, now=NOW)
    assert rec.candidates[0].eta_method == "straight_line"
    assert any("直线估算" in r for r in rec.candidates[0].reasons)


def test_pair_when_needed_with_the_later_arrival():
    units = [unit(1, "grid_worker", home_grid_id=10), unit(2, "community_police",
                                                          police_grid_id=20),
             unit(3, "community_police", police_grid_id=21), unit(4, skills=("family",))]
    rec = recommend(inc(category="family", risk_level=1), units,
                    etas({1: 120, 2: 600, 3: 300, 4: 100}), policy=P, now=NOW)
    assert rec.paired
    best = rec.pairs[0]
    assert best.unit_ids == (1, 2) and best.eta_s == 600
    assert best.reasons[0] == "警格+网格联动" and "10 分钟" in best.reasons[1]
    assert rec.best_unit_ids == (1, 2)
    assert rec.as_dict()["pairs"][0]["unit_ids"] == [1, 2]


def test_threat_wants_police_and_red_means_plan():
    units = [unit(1), unit(2, "community_police", police_grid_id=20)]
    rec = recommend(inc(category="debt", threat=True, risk_level=3, one_case_plan=True), units,
                    etas({1: 300, 2: 300}), policy=P, now=NOW)
    assert rec.candidates[0].unit.id == 2 and rec.paired
    assert "红色风险：一事一策" in rec.notes
    assert any("需警格+网格联动" in n for n in rec.notes)  # no grid worker on hand


def test_severity_picks_the_level():
    units = [unit(1, level="community"), unit(2, level="district")]
    rec = recommend(inc(priority=1, difficulty="complex", risk_level=3), units,
                    etas({1: 300, 2: 300}), policy=P, now=NOW)
    assert rec.level == "district" and rec.candidates[0].unit.id == 2
    assert "层级相符（区县矛调中心）" in rec.candidates[0].reasons


def test_exclude_and_unreachable():
    units = [unit(1), unit(2)]
    rec = recommend(inc(), units, {1: Eta(float("inf"), float("inf"), "unreachable"),
                                   2: Eta(100, 800)}, policy=P, now=NOW, exclude=[2])
    assert [c.unit.id for c in rec.candidates] == [1] and "道路不可达" in rec.candidates[0].reasons
    assert rec.as_dict()["items"][0]["eta_s"] is None


def test_a_stale_unit_does_not_head_the_list_on_a_guessed_eta():
    # U1's last fix is three hours old and "1 minute away"; U2 is fresh and 20 minutes away
    units = [unit(1, last_seen_at=NOW - timedelta(hours=3)), unit(2)]
    rec = recommend(inc(), units, etas({1: 60, 2: 1200}), policy=P, now=NOW)
    assert [c.unit.id for c in rec.candidates] == [2, 1]
    stale = rec.candidates[1]
    assert any("不计入排序" in r for r in stale.reasons)
    assert "按所属网格与驻地排序" in stale.reasons
    assert not any(r.startswith("车程约") for r in stale.reasons)


def test_the_parties_own_languages_count():
    from dispatch.model import PartyFacts

    case = inc(parties=(PartyFacts(name="甲", language="henan"), PartyFacts(name="乙")))
    assert case.languages == ("henan",)
    units = [unit(1), unit(2, languages=("mandarin", "henan"))]
    rec = recommend(case, units, etas({1: 300, 2: 500}), policy=P, now=NOW)
    assert rec.candidates[0].unit.id == 2
    assert "会说河南话（老乡调解）" in rec.candidates[0].reasons


def test_every_unit_offered_can_be_sent_now_and_the_own_police_grid_is_named():
    units = [unit(1, "grid_worker", home_grid_id=10, capacity=1),
             unit(2, "community_police", police_grid_id=20, status="off_duty"),
             unit(3, "community_police", police_grid_id=21),
             unit(4, "community_police", police_grid_id=22, active_load=1, capacity=1)]
    rec = recommend(inc(category="neighbour", risk_level=3, one_case_plan=True), units,
                    etas({u.id: 300 for u in units}), policy=P, now=NOW)
    assert rec.paired and rec.pairs
    offered = {m.unit.id for p in rec.pairs for m in (p.grid_worker, p.police)}
    offered |= {c.unit.id for c in rec.candidates}
    assert offered <= {1, 3}  # on duty, below capacity
    assert rec.pairs[0].unit_ids == (1, 3)
    assert any("本警格没有可派的社区民警" in n for n in rec.notes)
    ok = recommend(inc(category="neighbour", risk_level=3, one_case_plan=True, police_grid_id=21),
                   units, etas({u.id: 300 for u in units}), policy=P, now=NOW)
    assert not any("本警格" in n for n in ok.notes)  # its own officer can go: nothing to say


def test_rows_left_out_of_the_ranking_are_never_offered():
    """The desk ranks a cached table of every unit with ``among`` = those on duty with room: an
    off-duty or full officer left out must not come back as a candidate or a pair member (it
    did: IGNORED rows passed as eligible, and assigning them answered 409 已下班)."""
    import numpy as np

    from dispatch.rank import UnitTable

    units = [unit(1, "grid_worker", home_grid_id=10),
             unit(2, "community_police", police_grid_id=20, status="off_duty"),
             unit(3, "community_police", police_grid_id=20, active_load=1, capacity=1),
             unit(4, "community_police", police_grid_id=21, last_seen_at=NOW - timedelta(hours=5))]
    table = UnitTable.of(units)
    rec = recommend(inc(category="neighbour", risk_level=3, one_case_plan=True), table,
                    etas({1: 300, 4: 900}), policy=P, now=NOW, among=table.takes_cases)
    offered = {c.unit.id for c in rec.candidates}
    offered |= {m.unit.id for p in rec.pairs for m in (p.grid_worker, p.police)}
    assert offered <= {1, 4} and rec.pairs and rec.pairs[0].unit_ids == (1, 4)
    assert np.array_equal(table.takes_cases, [True, False, False, True])
    assert any("本警格没有可派的社区民警" in n for n in rec.notes)
