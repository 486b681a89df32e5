"""The login page in a real browser, and two street dispatchers' desks watching live updates."""

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.e2e.test_auth import call

pytestmark = pytest.mark.e2e


def _login(page, base, user, *, path="/login"):
    page.goto(f"{base}{path}", wait_until="domcontentloaded")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")


def test_login_page_leads_each_role_to_its_page(writable_server, browser, artifacts):
    base = writable_server
    page = browser.new_page(user=None)
    page.goto(f"{base}/desk", wait_until="domcontentloaded")
    assert "/login" in page.url and "next=" in page.url  # pages need a session
    assert page.locator("input[name=username]").is_visible()
    page.screenshot(path=str(artifacts / "login.png"))
    # a wrong password stays on the page with a Chinese reason
    page.locator("input[name=username]").fill("dispatcher1")
    page.locator("input[name=password]").fill("not-the-password")
    page.locator("input[name=password]").press("Enter")
    page.locator(".err").wait_for(timeout=15_000)
    assert "用户名或密码错误" in page.locator(".err").inner_text()
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{base}/desk", timeout=30_000)
    page.locator(".dk-q-row").first.wait_for(timeout=60_000)
    page.screenshot(path=str(artifacts / "login-desk-dispatcher1.png"))
    # the session cookie is HttpOnly and never reaches the page's scripts or its Bokeh token
    assert "fq_session" not in page.evaluate("document.cookie")
    cookie = next(c for c in page.context.cookies() if c["name"] == "fq_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["value"] not in page.content()
    page.close()

    _, me = call("GET", f"{base}/api/v1/auth/me", user="field1")
    for user, where in (("leader", f"{base}/wall"), ("field1", f"{base}/field?unit={me['unit_id']}"),
                        ("duty", f"{base}/desk")):
        page = browser.new_page(user=None)
        _login(page, base, user)
        page.wait_for_url(where, timeout=30_000)
        page.close()


def test_two_street_desks_see_only_their_streets_cases(writable_server, browser, artifacts):
    base = writable_server
    desks = {}
    for user in ("dispatcher1", "dispatcher2"):
        page = browser.new_page(user=user, viewport={"width": 1600, "height": 900})
        page.goto(f"{base}/desk", wait_until="domcontentloaded")
        page.locator(".dk-q-row").first.wait_for(timeout=60_000)
        desks[user] = page
    me = {u: call("GET", f"{base}/api/v1/auth/me", user=u)[1] for u in desks}
    codes = {}
    for user in desks:
        _, units = call("GET", f"{base}/api/v1/units", user=user)
        u = next(x for x in units["items"] if x["lon"] is not None)
        status, reg = call("POST", f"{base}/api/v1/incidents", {
            "category": "neighbour", "channel": "hotline", "lon": u["lon"], "lat": u["lat"],
            "auto_dispatch": False, "parties": [{"name": "测试人"}]})
        assert status == 201 and reg["location"]["street"]["id"] == me[user]["street_id"]
        codes[user] = reg["code"]
    for user, other in (("dispatcher1", "dispatcher2"), ("dispatcher2", "dispatcher1")):
        page = desks[user]
        page.locator(f".dk-q-row[data-code='{codes[user]}']").wait_for(timeout=30_000)
        # the other desk got the same push (its own case is there) without the foreign one
        assert page.locator(f".dk-q-row[data-code='{codes[other]}']").count() == 0
    desks["dispatcher1"].screenshot(path=str(artifacts / "desk-street1.png"))
    desks["dispatcher2"].screenshot(path=str(artifacts / "desk-street2.png"))
    for page in desks.values():
        page.close()


def test_pages_refuse_roles_they_are_not_for(writable_server, browser, artifacts):
    base = writable_server
    for user, path in (("leader", "/desk"), ("dispatcher1", "/admin"), ("leader", "/field")):
        page = browser.new_page(user=user)
        page.goto(f"{base}{path}", wait_until="domcontentloaded")
        page.get_by_text("无权访问此页面").wait_for(timeout=60_000)
        assert page.locator(".dk-q-row").count() == 0
        if path == "/desk":
            page.screenshot(path=str(artifacts / "refused-leader-desk.png"))
        page.close()
    page = browser.new_page(user="admin")
    page.goto(f"{base}/admin", wait_until="domcontentloaded")
    page.wait_for_timeout(3000)
    assert page.get_by_text("无权访问此页面").count() == 0
    page.close()


def test_home_map_leads_the_role_to_its_page(writable_server, browser, artifacts):
    page = browser.new_page(user="dispatcher1", viewport={"width": 1400, "height": 800})
    page.goto(f"{writable_server}/", wait_until="domcontentloaded")
    link = page.get_by_text("值班台（我的页面）")
    link.wait_for(timeout=60_000)
    page.screenshot(path=str(artifacts / "home-role-links.png"))
    assert page.get_by_text("管理").count() == 0
    link.click()
    page.wait_for_url(f"{writable_server}/desk", timeout=30_000)
    page.close()
