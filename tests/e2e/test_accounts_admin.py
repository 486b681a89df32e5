"""The 账号与密钥 tab in a browser: an administrator creates a field account tied to a unit and
resets its password; the holder logs in, is sent to change it (a weak one refused in Chinese),
and lands on its unit's field page. Keys are issued and revoked from the same tab."""

import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_api_dispatch import call

pytestmark = pytest.mark.e2e


@pytest.fixture()
def admin(writable_server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, user="admin")
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())  # the reset and revoke confirmations
    page.goto(f"{writable_server}/admin", wait_until="domcontentloaded")
    page.get_by_role("button", name="账号与密钥").click()
    page.locator('form[data-form="account-new"] select[name="role"] option').first.wait_for(
        state="attached", timeout=30_000)
    yield page
    context.close()


def test_create_reset_forced_change_and_the_units_field_page(writable_server, admin, browser,
                                                               artifacts):
    base, page = writable_server, admin
    _, roster = call("GET", f"{base}/api/v1/admin/units?type=grid_worker", user="admin")
    unit = next(u for u in roster["items"][5:] if u["street_id"] is not None)
    form = page.locator('form[data-form="account-new"]')
    form.locator('input[name="username"]').fill("wangwu.grid")
    form.locator('input[name="display_name"]').fill("王五")
    form.locator('select[name="role"]').select_option("field")
    form.locator('input[name="unit"]').fill(f"{unit['code']} {unit['name']}")
    form.get_by_role("button", name="创建账号").click()
    form.locator(".ad-msg.ok", has_text="临时密码").wait_for(timeout=15_000)
    first = form.locator("code.ac-secret").inner_text()
    row = page.locator("tr[data-id]", has_text="wangwu.grid")
    row.wait_for(timeout=15_000)
    assert "待改密" in row.inner_text() and unit["code"] in row.inner_text()

    row.get_by_role("button", name="重置密码").click()
    msg = page.locator(".ac-list-msg.ok", has_text="已重置")
    msg.wait_for(timeout=15_000)
    temp = msg.locator("code.ac-secret").inner_text()
    assert temp != first and len(temp) >= 10
    page.screenshot(path=str(artifacts / "admin-accounts.png"), full_page=True)

    # the holder, in a browser of its own: the first temporary password no longer opens anything
    context = browser.new_context(viewport={"width": 375, "height": 667}, user=None)
    phone = context.new_page()
    phone.goto(f"{base}/login", wait_until="domcontentloaded")
    phone.locator("#username").fill("wangwu.grid")
    phone.locator("#password").fill(first)
    phone.get_by_role("button", name="登录").click()
    phone.locator(".err", has_text="用户名或密码错误").wait_for(timeout=15_000)
    phone.locator("#username").fill("wangwu.grid")
    phone.locator("#password").fill(temp)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(re.compile(r"/password$"), timeout=15_000)
    assert "管理员已重置您的密码" in phone.content()
    # pages stay closed until the password is changed
    phone.goto(f"{base}/field", wait_until="domcontentloaded")
    phone.wait_for_url(re.compile(r"/password$"), timeout=15_000)

    def change(new: str) -> None:
        phone.locator("#current_password").fill(temp)
        phone.locator("#new_password").fill(new)
        phone.locator("#confirm_password").fill(new)
        phone.get_by_role("button", name="修改密码").click()

    change("wangwu.grid-2026")
    phone.locator(".err", has_text="用户名").wait_for(timeout=15_000)
    change("qwertyuiop")
    phone.locator(".err", has_text="常用密码").wait_for(timeout=15_000)
    change("plum-blossom-59")
    phone.wait_for_url(re.compile(rf"/field\?unit={unit['id']}$"), timeout=15_000)
    phone.locator(".fd-sub", has_text=unit["code"]).wait_for(timeout=30_000)
    # the unit is the account's, whatever the address asks for
    other = next(u for u in roster["items"] if u["id"] != unit["id"])
    phone.goto(f"{base}/field?unit={other['id']}", wait_until="domcontentloaded")
    phone.locator(".fd-sub", has_text=unit["code"]).wait_for(timeout=30_000)
    phone.screenshot(path=str(artifacts / "accounts-field-landing.png"))
    assert urlsplit(phone.url).path == "/field"
    context.close()

    _, listed = call("GET", f"{base}/api/v1/admin/accounts", user="admin")
    mine = next(a for a in listed["items"] if a["username"] == "wangwu.grid")
    assert (mine["unit_id"], mine["must_change_password"]) == (unit["id"], False)
    assert mine["street_id"] == unit["street_id"] and mine["grid_id"] == unit["home_grid_id"]


def test_a_key_is_shown_once_then_revoked(writable_server, admin):
    base, page = writable_server, admin
    form = page.locator('form[data-form="key-new"]')
    form.locator('input[name="name"]').fill("12345热线（测试）")
    form.locator('input[name="scopes"][value="open311"]').check()
    form.get_by_role("button", name="签发密钥").click()
    form.locator(".ad-msg.ok", has_text="已签发").wait_for(timeout=15_000)
    key = form.locator("code.ac-secret").inner_text()
    status, _ = call("GET", f"{base}/open311/v2/requests.json?api_key={key}", user="anonymous")
    assert status == 200
    row = page.locator("tr[data-key]", has_text="12345热线（测试）")
    assert key[:8] in row.inner_text() and key not in page.locator(".ac-keys").inner_text()
    row.get_by_role("button", name="吊销").click()
    row.locator(".ad-st", has_text="已吊销").wait_for(timeout=15_000)
    status, _ = call("GET", f"{base}/open311/v2/requests.json?api_key={key}", user="anonymous")
    assert status == 403
