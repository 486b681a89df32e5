"""The field page on a phone-sized screen: a unit signs for its task, arrives, mediates, resolves."""

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
    for label, state in (("签收", "已签收"), ("到场", "已到场"), ("开始调解", "调解中")):
        card.get_by_role("button", name=label).click()
        page.locator(".fd-card", has_text=state).wait_for(timeout=15_000)
    card.locator("select.fd-outcome").select_option("mediated")
    card.get_by_role("button", name="办结").click()
    page.locator(".fd-empty", has_text="暂无在办任务").wait_for(timeout=15_000)
    page.get_by_role("button", name="上报位置").click()
    page.locator(".fd-msg", has_text="位置已上报").wait_for(timeout=15_000)
    page.screenshot(path=str(artifacts / "field-done.png"))
    _, detail = call("GET", f"{base}/api/v1/incidents/{reg['id']}")
    assert detail["state"] == "resolved" and detail["outcome"] == "mediated"
    assert [a["to_state"] for a in detail["audit"]][-4:] == [
        "acknowledged", "on_scene", "mediating", "resolved"]
    hosts = {urlsplit(u).hostname for u in seen if urlsplit(u).scheme in ("http", "https")}
    assert hosts <= {"127.0.0.1"}
    context.close()
