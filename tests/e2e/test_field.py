"""The field page on a phone-sized screen (375×667): a unit signs for its task, arrives, mediates
and resolves it with the evidence a closure needs, confirming before 办结."""

from urllib.parse import urlsplit

import pytest

from tests.e2e.test_api_dispatch import call

pytestmark = pytest.mark.e2e


def test_a_grid_worker_works_a_case_from_the_phone(writable_server, browser, artifacts):
    base = writable_server
    _, page_ = call("GET", f"{base}/api/v1/addresses?limit=1&offset=777")
    item = page_["items"][0]
    status, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "neighbour", "channel": "grid_report", "title": "楼道堆物引发邻里争执",
        "lon": item["lon"], "lat": item["lat"], "auto_dispatch": False,
        "parties": [{"name": "周九", "phone": "13900003333"}]})
    assert status == 201
    _, rec = call("GET", f"{base}/api/v1/incidents/{reg['id']}/recommendations")
    unit = rec["items"][0]
    status, _ = call("POST", f"{base}/api/v1/incidents/{reg['id']}/assign",
                     {"unit_ids": [unit["id"]], "actor": "值班员"})
    assert status == 200

    context = browser.new_context(viewport={"width": 375, "height": 667},
                                  geolocation={"longitude": item["lon"], "latitude": item["lat"]},
                                  permissions=["geolocation"])
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(f"{base}/field?unit={unit['id']}", wait_until="domcontentloaded")
    card = page.locator(".fd-card", has_text=reg["code"])
    card.wait_for(timeout=30_000)
    assert "周九" in card.inner_text() and "楼道堆物" in card.inner_text()
    page.screenshot(path=str(artifacts / "field.png"))
    assert "width=device-width" in page.locator("meta[name=viewport]").get_attribute("content")
    assert page.locator('form[action="/logout"] button.fd-logout').count() == 1
    # the buttons are the API's actions for the unit: no 办结 before arriving
    assert card.get_by_role("button", name="办结").count() == 0
    for label, state in (("签收", "已签收"), ("到场", "已到场"), ("开始调解", "调解中")):
        card.get_by_role("button", name=label).click()
        page.locator(".fd-card", has_text=state).wait_for(timeout=15_000)
    card.get_by_role("button", name="办结").click()
    form = card.locator("form.fd-form")
    assert form.locator("select[name=outcome]").input_value() == ""  # nothing preselected
    form.get_by_role("button", name="提交办结").click()
    page.locator(".fd-msg", has_text="请填写：办结结果、办结说明").wait_for(timeout=5_000)
    form.locator("select[name=outcome]").select_option("mediated")
    form.locator("textarea[name=oral_terms]").wait_for(timeout=5_000)  # 调解成功 asks for terms
    form.locator("textarea[name=note]").fill("双方当面协商，同意清理楼道")
    form.get_by_role("button", name="提交办结").click()
    page.locator(".fd-msg", has_text="口头协议内容").wait_for(timeout=5_000)
    form.locator("textarea[name=oral_terms]").fill("周九三日内清理楼道堆物，邻居不再追究")
    form.get_by_role("button", name="提交办结").click()
    form.get_by_role("button", name="确认办结").wait_for(timeout=5_000)  # confirm before 办结
    page.screenshot(path=str(artifacts / "field-confirm.png"))
    form.get_by_role("button", name="确认办结").click()
    page.locator(".fd-empty", has_text="暂无在办任务").wait_for(timeout=15_000)
    page.locator(".fd-history summary").click()
    page.locator(".fd-history li", has_text=reg["code"]).wait_for(timeout=15_000)
    page.get_by_role("button", name="上报位置").click()
    page.locator(".fd-msg", has_text="位置已上报").wait_for(timeout=15_000)
    page.screenshot(path=str(artifacts / "field-done.png"))
    _, detail = call("GET", f"{base}/api/v1/incidents/{reg['id']}")
    assert detail["state"] == "resolved" and detail["outcome"] == "mediated"
    assert [a["to_state"] for a in detail["audit"]][-4:] == [
        "acknowledged", "on_scene", "mediating", "resolved"]
    closure = detail["closures"][0]
    assert closure["basis"] == "on_scene" and closure["agreement"] == "oral"
    assert "清理楼道" in closure["oral_terms"] and closure["note"]
    hosts = {urlsplit(u).hostname for u in seen if urlsplit(u).scheme in ("http", "https")}
    assert hosts <= {"127.0.0.1"}
    context.close()
