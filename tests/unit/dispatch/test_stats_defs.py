"""The wall's figures as defined, without a database: scopes, rates, windows, the legend's text."""

from __future__ import annotations

import re

import pytest

from dispatch import stats, vocab
from dispatch.stats import FIGURES, Scope, minutes, rate, window_figures


def test_scope_levels_and_prefixes():
    assert Scope().level == "all" and Scope().depth == 0 and Scope().area_id is None
    s = Scope(1, 12, 130)
    assert (s.level, s.depth, s.area_id) == ("grid", 3, 130)
    assert s.prefix(2) == Scope(1, 12) and s.prefix(1) == Scope(1) and s.prefix(0) == Scope()
    assert Scope(1).prefix(3) == Scope(1)
    assert s.as_dict() == {"level": "grid", "street": 1, "community": 12, "grid": 130}


def test_scope_names_its_parents():
    with pytest.raises(ValueError):
        Scope(None, 12)
    with pytest.raises(ValueError):
        Scope(1, None, 130)


def test_scope_restricts_by_the_most_specific_column():
    assert Scope().where() == ("TRUE", {})
    assert Scope(1).where("i") == ("i.street_id = :area_id", {"area_id": 1})
    assert Scope(1, 12).where("x") == ("x.community_id = :area_id", {"area_id": 12})
    assert Scope(1, 12, 130).where() == ("i.grid_id = :area_id", {"area_id": 130})


def test_rate_is_a_percentage_and_never_invents_one():
    assert rate(1, 3) == 33.3
    assert rate(2, 3) == 66.7
    assert rate(3, 3) == 100.0
    assert rate(0, 5) == 0.0
    assert rate(0, 0) is None  # nothing was due: no figure, not 100%
    assert minutes(None) is None and minutes(90) == 1.5


def test_window_figures_from_an_aggregate_row():
    row = {"intake_30": 100, "due_30": 80, "closed_30": 78, "on_time_30": 75,
           "resolved_30": 70, "mediated_30": 68, "rated_30": 60, "satisfied_30": 57,
           "sat_mean_30": 4.6666, "signed_30": 90, "signed_on_time_30": 88,
           "sign_mean_30": 1800.0, "sign_median_30": 900.0, "arrived_30": 85,
           "arrive_mean_30": 3600.0, "arrive_median_30": None}
    w = window_figures(row, 30)
    assert w["closure_rate"] == 97.5  # 78 of the 80 due are 办结
    assert w["on_time_rate"] == 93.8  # 75 of 80 by their deadline
    assert w["success_rate"] == 97.1  # 68 mediated of 70 resolved
    assert w["satisfaction"] == 95.0  # 57 of 60 rated 4 or 5
    assert w["satisfaction_mean"] == 4.67
    assert w["sign_on_time_rate"] == 97.8
    assert (w["sign_minutes"], w["sign_median_minutes"]) == (30.0, 15.0)
    assert (w["arrive_minutes"], w["arrive_median_minutes"]) == (60.0, None)
    assert w["due"] == 80 and w["rated"] == 60
    empty = window_figures({}, 7)
    assert empty["closure_rate"] is None and empty["sign_minutes"] is None and empty["due"] == 0


def test_states_behind_the_figures_follow_the_vocabulary():
    assert set(stats.OPEN) == set(vocab.OPEN_STATES)
    assert set(stats.DONE) | set(stats.OPEN) == set(vocab.INCIDENT_STATES)
    assert not set(stats.DONE) & set(stats.OPEN)
    assert set(stats.SIGN_OWED) < set(stats.OPEN)  # signing is owed only while open
    assert stats.SATISFIED_AT_LEAST == 4
    assert stats.TZ == "Asia/Shanghai"


def test_every_figure_is_defined_in_chinese_with_a_one_line_form():
    keys = [f.key for f in FIGURES]
    assert keys == ["intake_today", "open", "overdue", "closure_rate", "success_rate",
                    "satisfaction", "resident_rating", "sign_minutes", "arrive_minutes"]
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for f in FIGURES:
        assert cjk.search(f.label) and cjk.search(f.definition) and cjk.search(f.short)
        assert len(f.short) <= 13, f.short  # one line under the figure on a 1920 px wall
    by = {f.key: f for f in FIGURES}
    assert "到期" in by["closure_rate"].definition and "办结" in by["closure_rate"].definition
    assert "调解成功" in by["success_rate"].definition and "办结" in by["success_rate"].definition
    assert "4分或5分" in by["satisfaction"].definition
    assert "北京时间" in by["intake_today"].definition
    assert "签收时限" in by["overdue"].definition and "办结时限" in by["overdue"].definition


def test_sql_fragments_encode_the_definitions():
    # overdue = sign-for still owed past its deadline, or not 办结 past the closure deadline
    assert "sign_deadline < now()" in stats.SIGN_OVERDUE and "registered" in stats.SIGN_OVERDUE
    assert "acknowledged'" not in stats.SIGN_OVERDUE
    assert "close_deadline < now()" in stats.CLOSE_OVERDUE
    assert f"({stats.SIGN_OVERDUE} OR {stats.CLOSE_OVERDUE})" == stats.OVERDUE
    cols = stats._window_columns(30)
    assert "i.satisfaction >= 4" in cols
    # the rates count evidence: a mediation record and an agreement (stats_evidence), a visit
    # a person recorded
    assert stats.evidence.mediation_success() in cols and stats.RECORDED_VISIT in cols
    assert "v.method IS NOT NULL" in stats.RECORDED_VISIT
    defs = {f.key: f.definition for f in stats.FIGURES}
    assert "调解协议" in defs["success_rate"] and "回访人" in defs["satisfaction"]
    assert "i.resolved_at <= i.close_deadline" in cols
    assert "percentile_cont" not in stats._window_columns(30, times=False)
