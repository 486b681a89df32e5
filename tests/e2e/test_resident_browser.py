"""扫码说事 in a browser on a phone-sized screen (375×667): the poster's link, a report with a
photo, its tracking code → the desk's triage queue → accepted and dispatched → the resident's
tracking page says 已分派 and names no one. Screenshots go with the other e2e artifacts."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from console.api.resident import WINDOWS
from dispatch import tracking
from tests.e2e.test_api_dispatch import call
from tests.e2e.test_resident import png

pytestmark = pytest.mark.e2e


def test_a_resident_reports_from_a_phone_and_follows_it(writable_server, browser, artifacts):
    base = writable_server
    WINDOWS.clear()
    phone = browser.new_context(viewport={"width": 375, "height": 667}, user=None)
    page = phone.new_page()
    seen: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/report?at=community-1", wait_until="domcontentloaded")
    page.wait_for_function("document.getElementById('place-note').textContent !== ''",
                           timeout=30_000)
    assert not errors, errors
    assert "来自二维码" in page.locator("#place-note").inner_text()
    assert "位置" in page.locator("#where").inner_text()  # the poster's place, pre-filled
    assert page.locator(".shiyi").inner_text().startswith("示意")
    # the phone's position only where the browser gives it (HTTPS, or loopback as here);
    # elsewhere the button is off and the page says why
    secure = page.evaluate("window.isSecureContext")
    assert page.locator("#locate").is_disabled() is (not secure)
    assert ("HTTPS" in page.locator("#locate-note").inner_text()) is (not secure)
    page.select_option("#category", "property")
    page.fill("#description", "小区地下车库漏水三个月，物业一直不处理，车辆被泡")
    page.locator("#map").click(position={"x": 180, "y": 120})  # a pick on our own map
    assert "地图上点选" in page.locator("#where").inner_text()
    page.fill("#phone", "13600005678")
    page.set_input_files("#photo", files=[{"name": "车库.png", "mimeType": "image/png",
                                           "buffer": png()}])
    page.screenshot(path=str(artifacts / "resident-report.png"), full_page=True)
    page.click("#submit")
    page.locator("#code").wait_for(state="visible", timeout=60_000)
    code = page.locator("#code").inner_text().strip()
    submitted = time.monotonic()
    assert tracking.normalise(code), code
    page.locator("#qr").wait_for(state="visible")
    page.wait_for_function("document.getElementById('qr').naturalWidth > 0", timeout=30_000)
    page.screenshot(path=str(artifacts / "resident-code.png"), full_page=True)
    assert all(urlsplit(u).netloc == urlsplit(base).netloc for u in seen
               if u.startswith("http")), [u for u in seen if base not in u]

    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # duty
    desk.goto(f"{base}/triage", wait_until="domcontentloaded")
    card = desk.locator(".item", has_text="地下车库漏水")
    card.wait_for(timeout=30_000)
    on_desk = time.monotonic() - submitted
    assert "13600005678" in card.inner_text() and "照片 1 张" in card.inner_text()
    desk.screenshot(path=str(artifacts / "resident-triage.png"), full_page=True)
    card.locator("button.accept").click()
    card.wait_for(state="detached", timeout=30_000)

    _, queue = call("GET", f"{base}/api/v1/triage/reports?status=accepted")
    iid = next(r["incident_id"] for r in queue["items"] if r["tracking_code"] == code)
    _, case = call("GET", f"{base}/api/v1/incidents/{iid}")
    if case["state"] != "assigned":
        _, recs = call("GET", f"{base}/api/v1/incidents/{iid}/recommendations?limit=3")
        status, _ = call("POST", f"{base}/api/v1/incidents/{iid}/assign",
                         {"unit_ids": [recs["items"][0]["id"]]})
        assert status == 200
    _, case = call("GET", f"{base}/api/v1/incidents/{iid}")
    names = {a.get("unit_name") or a.get("name") for a in case.get("assignments") or []}

    page.click("#track-link")
    page.locator("#summary").wait_for(state="visible", timeout=30_000)
    text = page.locator("main").inner_text()
    assert "已分派" in text and page.locator("#steps li.now").inner_text() == "分派"
    for name in filter(None, names | {"duty", case.get("created_by")}):
        assert name not in text, name
    assert "13600005678" not in text and case["code"] not in text
    page.screenshot(path=str(artifacts / "resident-track.png"), full_page=True)
    assert not errors, errors
    print(f"\nreport → on the desk's triage page: {on_desk:.2f} s (page opened after submit)")
