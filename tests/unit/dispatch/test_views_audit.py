"""The audit search's filters, SQL and masks, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.errors import InvalidCommand
from dispatch.model import BEIJING
from dispatch.views_audit import (
    COUNT_CAP,
    AuditQuery,
    count_sql,
    encode_cursor,
    like_escape,
    mask_row,
    page_sql,
    parse_cursor,
    parse_limit,
    parse_query,
    where_sql,
)


def refused(args: dict) -> InvalidCommand:
    with pytest.raises(InvalidCommand) as info:
        parse_query(args)
    return info.value


def test_no_filter_is_the_whole_log_newest_first() -> None:
    assert where_sql(AuditQuery()) == ("", {})
    sql, params = page_sql(AuditQuery(), None, 101)
    assert sql.endswith("ORDER BY a.at DESC, a.id DESC LIMIT :limit") and params == {"limit": 101}


def test_every_filter_is_bound_never_spliced() -> None:
    hostile = "x'; DROP TABLE audit_log; --"
    q = parse_query({"from": ["2026-05-01"], "to": ["2026-05-02"], "actor": ["duty"],
                     "action": ["login_failed,unmask", "permission_denied"],
                     "entity": ["incident"], "entity_id": ["42"], "code": ["2026-000042"],
                     "q": [hostile]})
    sql, params = where_sql(q)
    assert hostile not in sql and "DROP" not in sql
    assert params["q"] == "%" + like_escape(hostile) + "%"
    assert params["actions"] == ["login_failed", "unmask", "permission_denied"]
    assert params["entity_id"] == 42 and params["code"] == "2026-000042"
    assert "a.actor = :actor" in sql and "a.action = ANY(:actions)" in sql


def test_dates_are_beijing_days_and_to_includes_its_day() -> None:
    q = parse_query({"from": ["2026-05-01"], "to": ["2026-05-01"]})
    assert q.since == datetime(2026, 5, 1, tzinfo=BEIJING)
    assert q.until == q.since + timedelta(days=1)
    q = parse_query({"from": ["2026-05-01T08:30:00Z"], "to": ["2026-05-01 18:00"]})
    assert q.since == datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    assert q.until == datetime(2026, 5, 1, 18, 0, tzinfo=BEIJING)


@pytest.mark.parametrize(("args", "field"), [
    ({"from": ["yesterday"]}, "from"),
    ({"to": ["2026-13-01"]}, "to"),
    ({"from": ["1900-01-01"]}, "from"),
    ({"from": ["2026-05-02"], "to": ["2026-05-01"]}, "from"),
    ({"action": ["login failed"]}, "action"),
    ({"action": ["DROP"]}, "action"),
    ({"entity": ["案件"]}, "entity"),
    ({"entity_id": ["-1"]}, "entity_id"),
    ({"entity_id": ["9" * 30]}, "entity_id"),
    ({"code": ["2026'--"]}, "code"),
    ({"q": ["纠" * 101]}, "q"),
    ({"q": ["a\x00b"]}, "q"),
    ({"actor": ["a" * 61]}, "actor"),
    ({"actor": ["duty", "leader"]}, "actor"),
])
def test_bad_filters_name_their_field_in_chinese(args: dict, field: str) -> None:
    err = refused(args)
    assert err.detail["field"] == field
    assert field in err.message and any("\u4e00" <= ch <= "\u9fff" for ch in err.message)


def test_actor_prefix_escapes_like_wildcards() -> None:
    q = parse_query({"actor": ["dispatch*"]})
    assert q.actor == "dispatch" and q.actor_prefix
    sql, params = where_sql(q)
    assert "a.actor LIKE :actor ESCAPE" in sql and params["actor"] == "dispatch%"
    sql, params = where_sql(parse_query({"actor": ["100%_x*"]}))
    assert params["actor"] == "100\\%\\_x%"
    assert like_escape("a\\b%c_d") == "a\\\\b\\%c\\_d"
    assert parse_query({"actor": ["*"]}).actor is None


def test_free_text_matches_the_trigram_index_expression() -> None:
    sql, params = where_sql(parse_query({"q": ["50%的人"]}))
    assert "(coalesce(a.reason, '') || ' ' || a.detail::text) ILIKE :q" in sql
    assert params["q"] == "%50\\%的人%"


def test_cursor_round_trips_and_garbage_is_refused() -> None:
    at = datetime(2026, 5, 1, 8, 30, 0, 123456, tzinfo=UTC)
    assert parse_cursor(encode_cursor(at, 77)) == (at, 77)
    assert parse_cursor(None) is None and parse_cursor("") is None
    for bad in ("abc", "1_2_3", "1_" + "9" * 20, "-99999999999999999_1"):
        with pytest.raises(InvalidCommand) as info:
            parse_cursor(bad)
        assert info.value.detail["field"] == "cursor"
    sql, params = where_sql(AuditQuery(), (at, 77))
    assert "(a.at, a.id) < (:c_at, :c_id)" in sql and params["c_id"] == 77


def test_limit_is_capped_and_the_count_stops_past_the_cap() -> None:
    assert parse_limit(None) == 100 and parse_limit("500") == 500
    for bad in ("0", "501", "-3", "1e3", "x"):
        with pytest.raises(InvalidCommand):
            parse_limit(bad)
    sql, params = count_sql(AuditQuery(actions=("login",)))
    assert "LIMIT :cap" in sql and params["cap"] == COUNT_CAP + 1


def test_rows_leave_with_personal_data_masked() -> None:
    row = {"id": 1, "at": datetime(2026, 5, 1, tzinfo=UTC), "actor": "13912345678",
           "action": "transition", "entity": "incident", "entity_id": 5, "code": "2026-000005",
           "from_state": "assigned", "to_state": "located",
           "reason": "张三丰不在家，电话13912345678，住天山路128号3栋",
           "detail": {"participants": [{"name": "张三丰", "department": "司法所"}],
                      "caller_phone": "13800001111", "ip": "10.0.0.1",
                      "parties": [{"name": "李四", "phone": "13800001111"}]},
           "_caller_name": "张三丰", "_parties": [{"name": "李四"}]}
    out = mask_row(row)
    assert "_caller_name" not in out and "_parties" not in out
    assert out["reason"] == "张**不在家，电话139****5678，住天山路*号*栋"
    assert out["actor"] == "139****5678"
    assert out["detail"]["participants"][0]["name"] == "张**"
    assert out["detail"]["caller_phone"] == "138****1111"
    assert out["detail"]["parties"][0] == {"name": "李**", "phone": "138****1111"}
    assert out["detail"]["ip"] == "10.0.0.1"
    assert out["action_label"] == "状态流转" and out["entity_label"] == "案件"
    assert mask_row({**row, "action": "brand_new"})["action_label"] == "brand_new"


def test_the_export_records_only_the_filters_set() -> None:
    q = parse_query({"from": ["2026-05-01"], "action": ["unmask"], "q": ["张"]})
    assert q.as_dict() == {"since": "2026-05-01T00:00:00+08:00", "actions": ["unmask"],
                           "q": "张"}
