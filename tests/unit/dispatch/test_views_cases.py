"""The case list's filter (dispatch/views_cases.py): vocabularies checked, SQL parameters bound."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch import vocab
from dispatch.access import Scope
from dispatch.errors import InvalidCommand
from dispatch.views_cases import CaseFilter, order_sql, where_sql


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"category": "fishing"}, "category"), ({"channel": "pigeon"}, "channel"),
    ({"state": "lost"}, "state"), ({"sort": "title"}, "sort"),
    ({"date_from": date(2026, 2, 1), "date_to": date(2026, 1, 1)}, "from")])
def test_a_filter_outside_the_vocabulary_is_refused_naming_its_field(kwargs: dict,
                                                                      field: str) -> None:
    with pytest.raises(InvalidCommand) as err:
        CaseFilter(**kwargs)
    assert err.value.detail["field"] == field


def test_state_groups_are_the_vocabularys_open_and_done_states() -> None:
    _, params = where_sql(CaseFilter(state="open"), None)
    assert params["states"] == list(vocab.OPEN_STATES)
    _, params = where_sql(CaseFilter(state="done"), None)
    assert params["states"] == list(vocab.DONE_STATES)


def test_search_text_is_bound_with_like_wildcards_escaped() -> None:
    sql, params = where_sql(CaseFilter(q="50%_off\\"), None)
    assert "50%_off" not in sql
    assert params["q_any"] == "%50\\%\\_off\\\\%" and params["q_code"] == "50\\%\\_off\\\\%"


def test_the_period_is_beijing_days_inclusive() -> None:
    _, params = where_sql(CaseFilter(date_from=date(2026, 12, 1), date_to=date(2026, 12, 7)),
                          None)
    assert params["t0"].isoformat() == "2026-12-01T00:00:00+08:00"
    assert params["t1"].isoformat() == "2026-12-08T00:00:00+08:00"


def test_the_jurisdiction_is_always_applied() -> None:
    sql, params = where_sql(CaseFilter(street=3), Scope(street_id=5, creator="d1"))
    assert "i.street_id = :street_id" in sql and "scope_streets" in sql
    assert params["street_id"] == 3 and params["scope_streets"] == [5]


def test_order_breaks_ties_by_id_in_the_same_direction() -> None:
    assert order_sql("-reported_at") == "ORDER BY i.reported_at DESC NULLS LAST, i.id DESC"
    assert order_sql("code") == "ORDER BY i.code ASC NULLS LAST, i.id ASC"


def test_the_filters_read_back_for_the_audit_and_the_file() -> None:
    f = CaseFilter(date_from=date(2026, 12, 1), category="debt", state="open", q="天山")
    assert f.as_dict() == {"from": "2026-12-01", "category": "debt", "state": "open",
                           "q": "天山", "sort": "-reported_at"}
    labels = dict(f.labels())
    assert labels["受理时间"] == "2026-12-01 至 不限" and labels["类别"] == vocab.CATEGORIES["debt"]
    assert labels["状态"].startswith("在办") and labels["关键词"] == "天山"
