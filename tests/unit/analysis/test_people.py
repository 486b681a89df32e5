"""The star scheme: too few cases get no star, parts without data are left out, the policy's
weights and cut-offs decide, and the scheme's words carry the policy's numbers."""

from __future__ import annotations

import dataclasses

import pytest

from analysis.people import TOO_FEW, parts, rate, scheme_text
from dispatch.errors import InvalidCommand
from dispatch.policy import Policy, Stars


def _row(**kw: object) -> dict[str, object]:
    base = {"handled": 10, "resolved": 10, "mediated_evidenced": 8, "overdue": 1,
            "satisfaction": 4.6, "followups": 6, "sign_due": 10, "signed_on_time": 9}
    return {**base, **kw}


def test_parts_are_shares_of_the_record() -> None:
    got = parts(_row())
    assert got == pytest.approx({"success": 0.8, "satisfaction": 0.9, "on_time": 0.9,
                                 "sign": 0.9})


def test_score_is_the_weighted_mean_and_the_cut_offs_give_the_stars() -> None:
    r = rate(_row(), Stars())
    assert r["score"] == pytest.approx(0.4 * 0.8 + 0.3 * 0.9 + 0.2 * 0.9 + 0.1 * 0.9)
    assert r["stars"] == 5 and r["label"] == "★★★★★"  # 0.86 ≥ 0.85
    r = rate(_row(mediated_evidenced=5), Stars())  # 0.74 → four
    assert r["score"] == pytest.approx(0.74) and r["stars"] == 4
    low = rate(_row(mediated_evidenced=0, satisfaction=1.0, overdue=10, signed_on_time=0),
               Stars())
    assert low["score"] == 0 and low["stars"] == 1


def test_a_score_on_a_cut_off_gets_that_star() -> None:
    # success 0.5, every other part 1.0, equal weights → 0.875; cut_5 at 0.875 gives five
    stars = Stars(w_success=1, w_satisfaction=1, w_on_time=1, w_sign=1, cut_5=0.875)
    assert rate(_row(mediated_evidenced=5, satisfaction=5.0, overdue=0, signed_on_time=10),
                stars)["stars"] == 5


def test_too_few_cases_get_no_star() -> None:
    r = rate(_row(resolved=4, mediated_evidenced=4), Stars())
    assert r["stars"] is None and r["score"] is None and r["label"].startswith(TOO_FEW)
    assert rate(_row(resolved=4, mediated_evidenced=4), Stars(min_cases=4))["stars"] == 5


def test_a_part_without_data_is_left_out_not_invented() -> None:
    no_visit = _row(satisfaction=None, followups=0, sign_due=0, signed_on_time=0)
    got = rate(no_visit, Stars())
    assert got["parts"]["satisfaction"] is None and got["parts"]["sign"] is None
    # only success (0.4) and on time (0.2) remain: (0.4*0.8 + 0.2*0.9) / 0.6
    assert got["score"] == pytest.approx((0.32 + 0.18) / 0.6, abs=1e-4)  # shown to 4 places
    only_visits = Stars(w_success=0, w_on_time=0, w_sign=0, w_satisfaction=1)
    assert rate(no_visit, only_visits)["stars"] is None  # nothing left to rate on


def test_the_policy_holds_the_scheme_and_refuses_a_bad_one() -> None:
    p = Policy.from_dict({"stars": {"min_cases": 8, "cut_5": 0.9}})
    assert p.stars.min_cases == 8 and p.stars.cut_5 == 0.9 and p.stars.cut_4 == 0.7
    assert Policy.from_dict(p.to_dict()) == p
    for bad in ({"cut_4": 0.95}, {"w_success": -1}, {"min_cases": 0}, {"min_cases": 2.5},
                {"nonsense": 1}, {"cut_5": "abc"}):
        with pytest.raises(InvalidCommand) as err:
            Policy.from_dict({"stars": bad})
        assert err.value.detail["field"] == "stars"


def test_the_scheme_text_carries_the_numbers() -> None:
    text = scheme_text(dataclasses.replace(Stars(), min_cases=7, cut_5=0.9))
    assert "少于 7 件" in text and TOO_FEW in text and "≥0.9 五星" in text
    assert "调解成功率（有据）40%" in text and "按时签收率 10%" in text
