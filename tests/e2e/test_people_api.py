"""People's records and the 个案补贴 statement over HTTP on the demo: cut to the reader's street,
refused outside it, the statement only for the centre, the Excel equal to the JSON, bad values
named in Chinese, and an amount edited on the admin API audited and used."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.e2e.sec_http import call, send

A = "/api/v1/analysis"
NOV = "from=2026-11-01&to=2026-11-30"


@pytest.fixture(scope="module")
def streets(live_server: str) -> tuple[int, int]:
    _, me1, _ = call("GET", f"{live_server}/api/v1/auth/me", user="dispatcher1")
    _, me2, _ = call("GET", f"{live_server}/api/v1/auth/me", user="dispatcher2")
    return int(me1["street_id"]), int(me2["street_id"])


@pytest.mark.parametrize("role", ["mediator", "grid_worker"])
def test_people_carry_figures_stars_and_the_scheme(live_server: str, streets, role: str) -> None:
    s1, s2 = streets
    status, city, _ = call("GET", f"{live_server}{A}/people?role={role}&{NOV}", user="duty")
    assert status == 200 and city["role"] == role and city["items"], city
    assert "样本不足" in city["scheme"] and "五星" in city["scheme"]
    for p in city["items"]:
        assert p["mediated_evidenced"] <= p["mediated"] <= p["resolved"] <= p["handled"]
        assert p["signed_on_time"] <= p["signed"] <= p["sent"]
        r = p["rating"]
        if r["stars"] is None:
            assert r["label"].startswith("样本不足")
        else:
            assert 1 <= r["stars"] <= 5 and p["resolved"] >= city["stars_policy"]["min_cases"]
    status, mine, _ = call("GET", f"{live_server}{A}/people?role={role}&{NOV}",
                           user="dispatcher1")
    assert status == 200 and mine["scope"]["street"] == s1
    assert sum(p["handled"] for p in mine["items"]) < sum(p["handled"] for p in city["items"])
    status, body, _ = call("GET", f"{live_server}{A}/people?street={s2}", user="dispatcher1")
    assert status == 403 and "辖区" in body["error"]["message"]
    assert call("GET", f"{live_server}{A}/people", user="field1")[0] == 403


@pytest.mark.parametrize(("query", "field"), [
    ("people?role=lawyer", "role"), ("people?from=2026-02-30", "from"),
    ("people?from=2026-11-02&to=2026-11-01", "from"), ("subsidy?month=2026-13", "month"),
    ("subsidy?month=26-11", "month"), ("subsidy.xlsx?month=2026-1", "month")])
def test_bad_values_are_named_in_chinese(live_server: str, query: str, field: str) -> None:
    status, body, _ = call("GET", f"{live_server}{A}/{query}", user="duty")
    assert status == 400 and body["error"]["field"] == field
    assert field in body["error"]["message"]


def test_the_statement_is_for_the_centre_and_cut_to_the_area(live_server: str, streets) -> None:
    # nobody has set the amounts on the demo: the cases are listed, no money figure anywhere
    s1, _ = streets
    status, city, _ = call("GET", f"{live_server}{A}/subsidy?month=2026-11", user="duty")
    assert status == 200 and city["count"] == len(city["cases"]) > 0
    assert city["priced"] is False and city["total_yuan"] is None
    assert city["scheme"].startswith("补贴标准未设置") and "元" not in city["scheme"]
    assert all(c["amount_yuan"] is None for c in city["cases"])
    assert all(p["amount_yuan"] is None for p in city["people"])
    assert all(v is None for k, v in city["amounts"].items() if k.startswith(("success", "failed")))
    assert {c["outcome"] for c in city["cases"]} <= {"success", "failed"}
    assert all(c["resolved_at"].startswith("2026-11") for c in city["cases"])
    status, again, _ = call("GET", f"{live_server}{A}/subsidy?month=2026-11", user="duty")
    assert again == city and len(city["fingerprint"]) == 16  # reproducible
    status, street, _ = call("GET", f"{live_server}{A}/subsidy?month=2026-11&street={s1}",
                             user="leader")
    assert status == 200 and 0 < street["count"] < city["count"]
    status, body, _ = call("GET", f"{live_server}{A}/subsidy?month=2026-11", user="dispatcher1")
    assert status == 403 and "个案补贴" in body["error"]["message"]
    assert call("GET", f"{live_server}{A}/subsidy?month=2026-11", user="field1")[0] == 403
    assert send("GET", f"{live_server}{A}/subsidy.xlsx?month=2026-11",
                user="dispatcher1").status == 403


def test_the_excel_equals_the_json(live_server: str) -> None:
    # unpriced (the demo's amounts are not set): the same cases, no money column
    _, data, _ = call("GET", f"{live_server}{A}/subsidy?month=2026-11", user="admin")
    reply = send("GET", f"{live_server}{A}/subsidy.xlsx?month=2026-11", user="admin")
    assert reply.status == 200 and "spreadsheetml" in reply.headers["Content-Type"]
    assert "attachment" in reply.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(reply.raw))
    ws = wb["个案明细"]
    assert ws.cell(2, 2).value == "2026-11" and ws.cell(3, 2).value == data["area"]
    assert ws.cell(4, 2).value == data["scheme"] and ws.cell(5, 2).value == data["fingerprint"]
    assert ws.cell(4, 2).value.startswith("补贴标准未设置")
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=8, max_row=7 + data["count"])]
    assert [(r[3], r[10]) for r in rows] == [(c["code"], c["outcome_label"])
                                             for c in data["cases"]]
    assert ws.cell(7, 12).value is None and all(len(r) < 12 or r[11] is None for r in rows)
    assert all(isinstance(r[7], int) for r in rows)
    assert ws.cell(8 + data["count"], 1).value == "合计"
    assert "补贴标准未设置" in ws.cell(8 + data["count"], 2).value
    people = wb["人员合计"]
    got = [(people.cell(r, 1).value, people.cell(r, 4).value, people.cell(r, 7).value)
           for r in range(8, 8 + len(data["people"]))]
    assert got == [(p["unit_code"], p["cases"], None) for p in data["people"]]
    rates = wb["补贴标准"]
    assert rates.cell(8, 2).value == "补贴标准未设置"


def test_an_amount_edit_is_audited_and_used(writable_server: str) -> None:
    base = writable_server
    _, before, _ = call("GET", f"{base}{A}/subsidy?month=2026-11", user="admin")
    assert before["priced"] is False
    # one amount set: still not a whole scheme, nothing priced yet
    status, body, _ = call("POST", f"{base}/api/v1/admin/policy",
                           {"changes": {"subsidy": {"success_simple": 77}},
                            "reason": "调整简易纠纷补贴"}, user="admin")
    assert status == 200 and body["policy"]["subsidy"]["success_simple"] == 77
    assert "subsidy" in body["editable"] and "stars" in body["editable"]
    _, half, _ = call("GET", f"{base}{A}/subsidy?month=2026-11", user="admin")
    assert half["priced"] is False and half["total_yuan"] is None
    rest = {"success_normal": 120, "success_complex": 300, "failed_simple": 0,
            "failed_normal": 30, "failed_complex": 80}
    status, _, _ = call("POST", f"{base}/api/v1/admin/policy",
                        {"changes": {"subsidy": rest}, "reason": "按本地办法设置个案补贴"},
                        user="admin")
    assert status == 200
    _, after, _ = call("GET", f"{base}{A}/subsidy?month=2026-11", user="admin")
    assert after["priced"] is True and "简易 77 元" in after["scheme"]
    assert after["amounts"]["success_simple"] == 77
    simple = [c for c in after["cases"] if c["grade"] == "simple" and c["outcome"] == "success"]
    assert simple and all(c["amount_yuan"] == 77 for c in simple)
    assert after["count"] == before["count"]
    assert after["total_yuan"] == sum(c["amount_yuan"] for c in after["cases"])
    assert after["total_yuan"] == sum(p["amount_yuan"] for p in after["people"])
    _, log, _ = call("GET", f"{base}/api/v1/admin/audit?action=policy_update", user="admin")
    assert any(e["detail"] and e["detail"].get("changes") == {"subsidy": {"success_simple": 77}}
               and e["actor"] == "admin" for e in log["items"])
    assert any(e["detail"] and e["detail"].get("changes") == {"subsidy": rest}
               for e in log["items"])
    status, body, _ = call("POST", f"{base}/api/v1/admin/policy",
                           {"changes": {"subsidy": {"success_simple": -5}}}, user="admin")
    assert status in (400, 422) and body["error"]["field"] == "subsidy"
    _, now, _ = call("GET", f"{base}/api/v1/admin/policy", user="admin")
    assert now["policy"]["subsidy"]["success_simple"] == 77  # the refusal changed nothing
    status, body, _ = call("POST", f"{base}/api/v1/admin/policy",
                           {"changes": {"stars": {"min_cases": 3}}}, user="duty")
    assert status == 403
