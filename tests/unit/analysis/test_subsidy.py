"""The 个案补贴 arithmetic: grades from recorded facts, only proven outcomes paid, totals per
person, the same rows giving the same statement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analysis.subsidy import fingerprint, grade, month_span, outcome_of, scheme_text, statement
from dispatch.errors import InvalidCommand
from dispatch.model import BEIJING
from dispatch.policy import Policy, Subsidy

SUB = Subsidy(success_simple=50, success_normal=100, success_complex=300,
              failed_simple=0, failed_normal=30, failed_complex=80, risk_up=2, sessions_up=2)


def _case(i: int, unit: int, *, difficulty: str = "normal", risk: int = 0, sessions: int = 0,
          outcome: str = "mediated", success: bool = True, recorded: bool = True) -> dict:
    return {"id": i, "code": f"2026-{i:06d}", "unit_id": unit, "unit_code": f"M{unit}",
            "unit_name": f"调解员{unit}", "unit_type": "mediator", "category": "neighbour",
            "resolved_at": datetime(2026, 11, i, 2, 0, tzinfo=UTC), "difficulty": difficulty,
            "risk_level": risk, "sessions": sessions, "outcome": outcome, "success": success,
            "recorded": recorded}


@pytest.mark.parametrize(("difficulty", "risk", "sessions", "want"), [
    ("simple", 0, 0, "simple"), ("simple", 2, 0, "normal"), ("simple", 1, 2, "normal"),
    ("simple", 3, 5, "complex"), ("normal", 0, 1, "normal"), ("normal", 2, 0, "complex"),
    ("complex", 0, 0, "complex"), ("complex", 3, 9, "complex")])
def test_grade_from_recorded_facts(difficulty: str, risk: int, sessions: int, want: str) -> None:
    assert grade(difficulty, risk, sessions, SUB) == want


def test_only_proven_outcomes_are_paid() -> None:
    assert outcome_of(_case(1, 1)) == "success"
    assert outcome_of(_case(1, 1, success=False)) is None  # 调解成功 clicked without evidence
    assert outcome_of(_case(1, 1, outcome="failed", success=False)) == "failed"
    assert outcome_of(_case(1, 1, outcome="failed", success=False, recorded=False)) is None
    assert outcome_of(_case(1, 1, outcome="litigation", success=False)) is None


def test_statement_prices_each_case_and_totals_per_person() -> None:
    rows = [_case(3, 7, difficulty="simple"),                        # 50
            _case(1, 7, difficulty="normal", risk=2),                # complex 300
            _case(2, 9, outcome="failed", success=False),            # failed normal 30
            _case(4, 9, success=False),                              # unproven: nothing
            _case(5, 9, difficulty="simple", sessions=2)]            # normal 100
    s = statement(rows, SUB)
    assert [(c["incident_id"], c["amount_yuan"]) for c in s["cases"]] == [
        (1, 300), (3, 50), (2, 30), (5, 100)]
    assert s["count"] == 4 and s["total_yuan"] == 480
    assert [(p["unit_id"], p["cases"], p["success"], p["failed"], p["amount_yuan"])
            for p in s["people"]] == [(7, 2, 2, 0, 350), (9, 2, 1, 1, 130)]
    assert s["cases"][0]["resolved_at"] == "2026-11-01 10:00"  # Beijing time
    assert statement(list(reversed(rows)), SUB) == s  # order of the rows does not matter
    amounts = {"success_simple": 50}
    assert fingerprint(statement(list(reversed(rows)), SUB), amounts) == fingerprint(s, amounts)
    assert fingerprint(s, {"success_simple": 51}) != fingerprint(s, amounts)
    assert fingerprint(statement(rows[:2], SUB), amounts) != fingerprint(s, amounts)


def test_amounts_come_from_the_policy_and_are_validated() -> None:
    p = Policy.from_dict({"subsidy": {**{k: 10 for k in Subsidy().missing},
                                      "success_complex": 500, "failed_simple": "20"}})
    assert p.subsidy.amount("success", "complex") == 500 and p.subsidy.failed_simple == 20
    s = statement([_case(1, 1, difficulty="complex")], p.subsidy)
    assert s["total_yuan"] == 500 and "疑难复杂 500 元" in scheme_text(p.subsidy)
    for bad in ({"success_simple": -1}, {"success_simple": 1.5}, {"risk_up": 4},
                {"sessions_up": 0}, {"success_simple": True}, {"bonus": 1}):
        with pytest.raises(InvalidCommand) as err:
            Policy.from_dict({"subsidy": bad})
        assert err.value.detail["field"] == "subsidy"


def test_a_month_is_beijing_time() -> None:
    start, end = month_span("2026-12")
    assert start == datetime(2026, 12, 1, tzinfo=BEIJING)
    assert end == datetime(2027, 1, 1, tzinfo=BEIJING)


def test_no_amount_has_a_default_and_an_unset_scheme_prices_nothing() -> None:
    assert Subsidy().missing == ("success_simple", "success_normal", "success_complex",
                                 "failed_simple", "failed_normal", "failed_complex")
    assert not Policy().subsidy.is_set and Policy().subsidy.amount("success", "simple") is None
    rows = [_case(1, 7, difficulty="simple"), _case(2, 7, outcome="failed", success=False),
            _case(3, 9, success=False)]
    s = statement(rows, Subsidy())
    assert s["priced"] is False and s["total_yuan"] is None and s["count"] == 2
    assert [c["amount_yuan"] for c in s["cases"]] == [None, None]
    assert [(c["grade"], c["outcome"]) for c in s["cases"]] == [("simple", "success"),
                                                                ("normal", "failed")]
    assert [(p["cases"], p["amount_yuan"]) for p in s["people"]] == [(2, None)]
    text = scheme_text(Subsidy())
    assert text.startswith("补贴标准未设置") and "元" not in text
    # five of six set is still not a scheme anyone chose whole
    part = Policy.from_dict({"subsidy": {k: 10 for k in Subsidy().missing[:5]}}).subsidy
    assert part.missing == ("failed_complex",) and statement(rows, part)["total_yuan"] is None
    assert statement(rows, SUB)["priced"] is True


def test_a_stored_policy_with_unset_amounts_loads_and_an_amount_can_be_cleared() -> None:
    stored = Policy().to_dict()  # what the settings table holds: the amounts as null
    assert stored["subsidy"]["success_simple"] is None
    assert Policy.from_dict(stored).subsidy == Subsidy()
    p = Policy.from_dict({"subsidy": {"success_simple": 40}})
    assert p.subsidy.success_simple == 40 and isinstance(p.subsidy.success_simple, int)
    cleared = Policy.from_dict({"subsidy": {"success_simple": None}}, base=p)
    assert cleared.subsidy.success_simple is None
    with pytest.raises(InvalidCommand):
        Policy.from_dict({"subsidy": {"risk_up": None}})
