"""Administrators search and export the audit log on the real server (API, CSV and the /admin tab).

A failed login, a refused request, a case registration and an unmasking are each found again by
filter; personal data comes back masked; the CSV parses to the same rows; others get 403.
"""

from __future__ import annotations

import csv
import io
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORD, as_user
from tests.e2e.test_auth import call

pytestmark = pytest.mark.e2e
MARK = uuid.uuid4().hex[:8]
PROBE = f"probe-{MARK}"


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


@pytest.fixture(scope="module")
def trail(base: str) -> dict:
    """The four things to find: a failed login, a refusal, a registration, an unmasking."""
    status, _ = call("POST", f"{base}/api/v1/auth/token",
                     {"username": PROBE, "password": "not-" + DEMO_PASSWORD}, user="anonymous")
    assert status == 401
    assert call("GET", f"{base}/api/v1/admin/policy", user="leader")[0] == 403
    _, page = call("GET", f"{base}/api/v1/addresses?limit=1&offset=200")
    item = page["items"][0]
    status, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "neighbour", "channel": "hotline", "lon": item["lon"], "lat": item["lat"],
        "auto_dispatch": False, "description": "张三丰称邻居噪音，电话13912345678",
        "parties": [{"name": "张三丰", "phone": "13912345678"}]})
    assert status == 201, reg
    reason = f"回访核实{MARK}：联系张三丰13912345678"
    status, _ = call("POST", f"{base}/api/v1/incidents/{reg['id']}/unmask", {"reason": reason},
                     user="leader")
    assert status == 200
    return {"id": reg["id"], "code": reg["code"], "reason": reason}


def search(base: str, **params: str) -> dict:
    status, body = call("GET", f"{base}/api/v1/admin/audit?{urllib.parse.urlencode(params)}",
                        user="admin")
    assert status == 200, body
    return body


def test_each_event_is_found_by_its_filter(base: str, trail: dict) -> None:
    failed = search(base, actor=PROBE, action="login_failed")["items"]
    assert [r["action"] for r in failed] == ["login_failed"]
    assert failed[0]["action_label"] == "登录失败" and failed[0]["entity"] == "account"

    denied = search(base, actor="leader", action="permission_denied",
                    entity="access")["items"]
    assert any(r["detail"]["path"] == "/api/v1/admin/policy" for r in denied)

    case = search(base, code=trail["code"])
    actions = [r["action"] for r in case["items"]]
    assert "register" in actions and "unmask" in actions and case["total"] == len(actions)
    assert all(r["code"] == trail["code"] and r["entity_id"] == trail["id"]
               for r in case["items"])
    assert search(base, entity="incident", entity_id=str(trail["id"]))["total"] == case["total"]

    found = search(base, q=MARK)["items"]
    assert [r["action"] for r in found] == ["unmask"]
    assert found[0]["actor"] == "leader"
    # the reason as written held the party's name and phone: both come back masked
    assert found[0]["reason"] == f"回访核实{MARK}：联系张**139****5678"
    assert "13912345678" not in str(case) and "张三丰" not in str(case)

    both = search(base, action="login_failed,unmask", q=MARK)
    assert [r["action"] for r in both["items"]] == ["unmask"]


def test_time_range_prefix_and_paging(base: str, trail: dict) -> None:
    today = datetime.now(timezone(timedelta(hours=8))).date()
    assert search(base, code=trail["code"], to="2001-01-01")["total"] == 0
    assert search(base, code=trail["code"], **{"from": today.isoformat()})["total"] >= 2
    assert search(base, actor="probe-*", action="login_failed")["total"] >= 1
    seen: list[int] = []
    cursor = None
    for _ in range(3):
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = search(base, **params)
        assert len(page["items"]) == 1 and page["next"]
        seen.append(page["items"][0]["id"])
        cursor = page["next"]
    assert len(set(seen)) == 3


def test_bad_filters_are_refused_naming_the_field(base: str) -> None:
    for params, field in (({"from": "昨天"}, "from"), ({"limit": "501"}, "limit"),
                          ({"q": "x" * 101}, "q"), ({"cursor": "nope"}, "cursor"),
                          ({"entity_id": "-3"}, "entity_id")):
        status, body = call("GET", f"{base}/api/v1/admin/audit?"
                            f"{urllib.parse.urlencode(params)}", user="admin")
        assert status == 422 and body["error"]["field"] == field, (params, body)
        status, body = call("GET", f"{base}/api/v1/admin/audit.csv?"
                            f"{urllib.parse.urlencode(params)}", user="admin")
        if field not in ("limit", "cursor"):  # the export has no pages
            assert status == 422 and body["error"]["field"] == field, (params, body)


@pytest.mark.parametrize("user", ["duty", "dispatcher1", "leader", "field1"])
def test_only_administrators_read_the_log(base: str, user: str) -> None:
    for path in ("/api/v1/admin/audit", "/api/v1/admin/audit.csv"):
        status, body = call("GET", f"{base}{path}", user=user)
        assert status == 403 and body["error"]["code"] == "forbidden", (user, path)
    assert call("GET", f"{base}/api/v1/admin/audit", user="anonymous")[0] == 401


def test_the_csv_parses_to_the_same_rows_and_the_export_is_audited(base: str,
                                                                   trail: dict) -> None:
    query = urllib.parse.urlencode({"code": trail["code"]})
    req = urllib.request.Request(f"{base}/api/v1/admin/audit.csv?{query}",
                                 headers=as_user("admin"))
    with urllib.request.urlopen(req, timeout=60) as resp:
        raw = resp.read()
        kind = resp.headers["Content-Type"]
        disposition = resp.headers["Content-Disposition"]
    assert kind.startswith("text/csv") and "charset=utf-8" in kind
    assert raw.startswith("\ufeff".encode())
    today = datetime.now(timezone(timedelta(hours=8))).strftime("%Y%m%d")
    assert disposition.startswith(f'attachment; filename="audit-log-{today}-')
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    listed = search(base, code=trail["code"], limit="500")["items"]
    assert [int(r["记录号"]) for r in rows] == [r["id"] for r in listed]
    assert [r["操作代码"] for r in rows] == [r["action"] for r in listed]
    assert {r["案件编号"] for r in rows} == {trail["code"]}
    text = raw.decode("utf-8-sig")
    assert "13912345678" not in text and "张三丰" not in text and "139****5678" in text

    exports = search(base, action="audit_export", actor="admin")["items"]
    assert any(r["detail"]["filter"] == {"code": trail["code"]} for r in exports)


def test_the_admin_tab_filters_and_pages(base: str, trail: dict, browser, artifacts) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):  # more rows than one page of the tab (50), whatever ran before
        assert call("GET", f"{base}/api/v1/admin/units", user="field1")[0] == 403
    context = browser.new_context(viewport={"width": 1440, "height": 900}, user="admin")
    page = context.new_page()
    try:
        page.goto(f"{base}/admin", wait_until="domcontentloaded")
        page.get_by_role("button", name="审计日志").click()
        pane = page.locator('[data-pane="audit"]')
        table = pane.locator(".ad-audit tbody tr")
        table.first.wait_for(timeout=30_000)
        assert "共" in pane.locator(".ad-audit-bar .ad-total").inner_text()
        pane.locator('select[name="action"]').select_option(label="登录失败与拦截")
        pane.locator('input[name="actor"]').fill(PROBE)
        pane.get_by_role("button", name="查询").click()
        pane.locator(".ad-audit tbody tr", has_text=PROBE).wait_for(timeout=15_000)
        assert table.count() == 1 and "登录失败" in table.first.inner_text()
        href = pane.locator(".ad-audit-csv").get_attribute("href") or ""
        assert "audit.csv?" in href and f"actor={PROBE}" in href
        pane.locator('input[name="actor"]').fill("")
        pane.locator('select[name="action"]').select_option("")
        pane.locator('input[name="q"]').fill(MARK)
        pane.get_by_role("button", name="查询").click()
        pane.locator(".ad-audit tbody tr", has_text="查看完整个人信息").wait_for(timeout=15_000)
        assert "139****5678" in table.first.inner_text()
        assert "13912345678" not in page.content()
        pane.locator('input[name="q"]').fill("")
        pane.get_by_role("button", name="查询").click()
        pane.locator(".ad-audit-next:not([disabled])").wait_for(timeout=15_000)
        pane.locator(".ad-audit-next").click()
        pane.locator(".ad-total", has_text="第 2 页").wait_for(timeout=15_000)
        pane.locator('input[name="code"]').fill(trail["code"])
        pane.get_by_role("button", name="查询").click()
        # the demo's own history is full of 受理登记 rows, and page 2 above may already show
        # this case's: wait until the page holds only its rows (the new query's answer)
        expect(table.filter(has_not_text=trail["code"])).to_have_count(0, timeout=15_000)
        pane.locator(".ad-audit tbody tr", has_text=trail["code"]).filter(
            has_text="受理登记").first.wait_for(timeout=15_000)
        assert all(trail["code"] in t for t in table.all_inner_texts())
        page.screenshot(path=str(artifacts / "admin-audit.png"), full_page=True)
    finally:
        context.close()


def test_an_export_over_the_cap_says_so_in_its_last_line(base: str, trail: dict,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from console.api.audit import AuditCsvHandler

    monkeypatch.setattr(AuditCsvHandler, "cap", 2)  # the server runs in this process
    req = urllib.request.Request(f"{base}/api/v1/admin/audit.csv", headers=as_user("admin"))
    with urllib.request.urlopen(req, timeout=60) as resp:
        rows = list(csv.reader(io.StringIO(resp.read().decode("utf-8-sig"), newline="")))
    assert len(rows) == 1 + 2 + 1
    assert rows[-1][0].startswith("（已截断：仅导出最新的 2 条")
