"""The admin page in a browser: a policy edit takes effect; a bad territory file is refused with
its located problem in Chinese and changes nothing; a unit's roster edit goes through the import."""

from datetime import datetime
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_api_dispatch import call

pytestmark = pytest.mark.e2e

BAD_STREETS = """{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"code": "S1", "name": "甲街道"}, "geometry": {"type": "Polygon",
 "coordinates": [[[84.86, 45.59], [84.88, 45.59], [84.88, 45.61], [84.86, 45.61], [84.86, 45.59]]]}},
{"type": "Feature", "properties": {"code": "S2", "name": "乙街道"}, "geometry": {"type": "Polygon",
 "coordinates": [[[84.87, 45.59], [84.89, 45.59], [84.89, 45.61], [84.87, 45.61], [84.87, 45.59]]]}}
]}"""


@pytest.fixture()
def admin(writable_server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, user="admin")
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(f"{writable_server}/admin", wait_until="domcontentloaded")
    page.locator(".ad-tabs").wait_for(timeout=30_000)
    yield page
    hosts = {urlsplit(u).hostname for u in seen if urlsplit(u).scheme in ("http", "https")}
    assert hosts <= {"127.0.0.1"}, hosts
    context.close()


def test_a_policy_edit_takes_effect_on_the_next_case(writable_server, admin, artifacts):
    base, page = writable_server, admin
    # the read side's line (admin_replica.js): no replica here, so every read is the primary's
    page.locator(".ad-replica", has_text="未配置只读副本").wait_for(timeout=15_000)
    page.get_by_role("button", name="派单策略").click()
    field = page.locator('input[name="sign_minutes.1"]')
    field.wait_for(timeout=15_000)
    assert field.input_value() == "30"
    field.fill("45")
    page.locator('input[name="reason"]').fill("演练：紧急签收放宽")
    page.get_by_role("button", name="保存策略").click()
    page.locator(".ad-msg.ok", has_text="策略已保存").wait_for(timeout=15_000)
    page.screenshot(path=str(artifacts / "admin-policy.png"), full_page=True)

    _, stored = call("GET", f"{base}/api/v1/admin/policy", user="admin")
    assert stored["policy"]["sign_minutes"]["1"] == 45
    _, addr = call("GET", f"{base}/api/v1/addresses?limit=1&offset=321")
    item = addr["items"][0]
    status, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "neighbour", "channel": "hotline", "priority": "urgent", "title": "策略演练",
        "lon": item["lon"], "lat": item["lat"], "auto_dispatch": False,
        "parties": [{"name": "王五", "phone": "13900004444"}]})
    assert status == 201
    _, detail = call("GET", f"{base}/api/v1/incidents/{reg['id']}")
    span = (datetime.fromisoformat(detail["sign_deadline"])
            - datetime.fromisoformat(detail["reported_at"])).total_seconds()
    assert span == 45 * 60

    # a bad value is refused in Chinese, naming the field, and the stored value stays
    page.reload(wait_until="domcontentloaded")
    page.get_by_role("button", name="派单策略").click()
    page.locator('input[name="warn_share"]').fill("150")
    page.get_by_role("button", name="保存策略").click()
    page.locator(".ad-msg.bad", has_text="预警比例").wait_for(timeout=15_000)
    assert page.locator('input[name="sign_minutes.1"]').input_value() == "45"
    _, stored = call("GET", f"{base}/api/v1/admin/policy", user="admin")
    assert stored["policy"]["warn_share"] == 0.8


def test_a_bad_areas_file_shows_the_located_problem_and_changes_nothing(
        writable_server, admin, artifacts, tmp_path):
    base, page = writable_server, admin
    _, before = call("GET", f"{base}/api/v1/health")
    bad = tmp_path / "streets.geojson"
    bad.write_text(BAD_STREETS, encoding="utf-8")
    form = page.locator('form[data-form="areas"]')
    form.locator('input[name="streets"]').set_input_files(str(bad))
    form.get_by_role("button", name="校验并导入").click()
    alert = form.locator(".ad-bad")
    alert.wait_for(timeout=30_000)
    text = alert.inner_text()
    assert "导入被拒绝" in text and "未写入任何数据" in text
    assert "街道 S1 与街道 S2 重叠" in text and "84.875000, 45.600000" in text
    page.screenshot(path=str(artifacts / "admin-import-rejected.png"), full_page=True)
    _, after = call("GET", f"{base}/api/v1/health")
    assert after["territory"] == before["territory"]


def test_a_unit_roster_edit_goes_through_the_import(writable_server, admin, artifacts):
    base, page = writable_server, admin
    _, units = call("GET", f"{base}/api/v1/admin/units?type=mediator&status=available",
                    user="admin")
    unit = units["items"][0]
    page.get_by_role("button", name="力量名册").click()
    page.locator("select[name=type]").first.select_option("mediator")
    page.locator("input[name=q]").fill(unit["code"])
    page.locator("input[name=q]").dispatch_event("change")
    row = page.locator(f'tr[data-id="{unit["id"]}"]')
    row.wait_for(timeout=15_000)
    row.get_by_role("button", name="编辑").click()
    editor = page.locator("tr.ad-editor form")
    editor.locator("input[name=capacity]").fill("5")
    editor.locator('input[name=languages][value="kazakh"]').check()
    editor.locator("select[name=status]").select_option("off_duty")
    editor.locator("input[name=reason]").fill("借调")
    editor.get_by_role("button", name="保存").click()
    page.locator(".ad-msg.ok", has_text="已保存").wait_for(timeout=15_000)
    page.screenshot(path=str(artifacts / "admin-units.png"), full_page=True)
    _, now = call("GET", f"{base}/api/v1/admin/units?q={unit['code']}", user="admin")
    edited = now["items"][0]
    assert edited["capacity"] == 5 and edited["status"] == "off_duty"
    assert "kazakh" in edited["languages"] and edited["name"] == unit["name"]
    assert sorted(edited["skills"]) == sorted(unit["skills"])

    status, err = call("POST", f"{base}/api/v1/admin/units/{unit['id']}", {"capacity": 99},
                       user="admin")
    assert status == 422  # refused by the body schema or by the roster import's own check
    assert err["error"].get("field") == "capacity" or "容量" in str(err.get("problems"))
    _, same = call("GET", f"{base}/api/v1/admin/units?q={unit['code']}", user="admin")
    assert same["items"][0]["capacity"] == 5
