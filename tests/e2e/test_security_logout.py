"""Issue 14 residuals, logout on the real server: ``GET /logout`` changes nothing (a cross-site
image cannot log anyone out) and shows a logout button; ``POST /logout`` is done only from the
console's own origin (refusals audited); every page carries a logout control; and a page's live
channel (its Bokeh websocket) closes when its session is logged out in another tab or when an
administrator deactivates the account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import DEMO_PASSWORD, SERVED
from tests.e2e.sec_http import call, fetch, post_bytes

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


@pytest.fixture(scope="module")
def db(base: str) -> Iterator[Any]:
    engine = create_engine(SERVED[base])
    yield engine
    engine.dispose()


def _session(base: str, user: str) -> str:
    """A fresh session token of ``user`` (its own, so logging it out touches no other test)."""
    status, tok, text_ = call("POST", f"{base}/api/v1/auth/token",
                              {"username": user, "password": DEMO_PASSWORD}, user="anonymous")
    assert status == 200, text_
    return str(tok["access_token"])


def _me(base: str, token: str) -> int:
    return fetch(f"{base}/api/v1/auth/me", Cookie=f"fq_session={token}")[0]


def test_get_logout_changes_nothing_and_offers_the_button(base: str) -> None:
    token = _session(base, "duty")
    status, _, raw = fetch(f"{base}/logout", Cookie=f"fq_session={token}")
    page = raw.decode()
    assert status == 200 and 'method="post" action="/logout"' in page and "退出登录" in page
    assert _me(base, token) == 200  # what an <img src=/logout> does: nothing


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"}, {"Origin": "http://127.0.0.1:1"},
    {"Referer": "http://evil.example/x"}, {}])
def test_a_logout_post_from_elsewhere_is_refused_and_audited(base: str, db: Any,
                                                             headers: dict) -> None:
    token = _session(base, "leader")
    with db.connect() as conn:
        before = conn.scalar(text("SELECT count(*) FROM audit_log WHERE reason = 'csrf' "
                                  "AND detail->>'path' = '/logout'"))
    status, _ = post_bytes(f"{base}/logout", b"", ctype="application/x-www-form-urlencoded",
                           user=None, Cookie=f"fq_session={token}", **headers)
    assert status == 403
    assert _me(base, token) == 200
    with db.connect() as conn:
        rows = conn.execute(text(
            "SELECT actor FROM audit_log WHERE reason = 'csrf' AND detail->>'path' = '/logout' "
            "ORDER BY id")).scalars().all()
    assert len(rows) == before + 1 and rows[-1] == "leader"


def test_a_logout_post_from_the_console_ends_the_session(base: str, db: Any) -> None:
    token = _session(base, "leader")
    status, _ = post_bytes(f"{base}/logout", b"", ctype="application/x-www-form-urlencoded",
                           user=None, Cookie=f"fq_session={token}", Origin=base)
    assert status == 200  # followed to the login page
    assert _me(base, token) == 401
    with db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'logout' "
                                "AND actor = 'leader' AND detail->>'client' = 'page'")) >= 1


@pytest.mark.parametrize("user,path", [
    ("dispatcher1", "/desk"), ("leader", "/wall"), ("admin", "/admin"),
    ("field1", "/field"), ("duty", "/")])
def test_every_page_has_a_logout_control(base: str, browser: Any, user: str,
                                         path: str) -> None:
    page = browser.new_page(user=user, viewport={"width": 1600, "height": 1000})
    page.goto(f"{base}{path}", wait_until="domcontentloaded")
    button = page.locator('form[action="/logout"] button').first
    button.wait_for(timeout=60_000)
    assert button.is_visible()
    page.close()


def _open_desk(browser: Any, base: str, user: str) -> tuple[Any, Any, list[Any]]:
    """A fresh browser context logged in through the login page, its desk open; the desk's
    Bokeh websocket once the page is live."""
    context = browser.new_context(user=None, viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    sockets: list[Any] = []
    page.on("websocket", lambda ws: sockets.append(ws))
    page.goto(f"{base}/login?next=/desk")
    page.fill("#username", user)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/desk")
    page.locator(".dk-hd").first.wait_for(timeout=60_000)
    live = [ws for ws in sockets if "/ws" in ws.url and not ws.is_closed()]
    assert live, [ws.url for ws in sockets]
    return context, page, live


def test_logging_out_in_another_tab_closes_the_desks_live_channel(base: str,
                                                                  browser: Any) -> None:
    context, _desk, live = _open_desk(browser, base, "dispatcher1")
    other = context.new_page()  # the same browser: the same session cookie
    other.goto(f"{base}/logout")
    with other.expect_navigation():
        other.get_by_role("button", name="退出登录").click()
    assert other.url.startswith(f"{base}/login")
    for ws in live:  # the server closed it: no more updates reach the logged-out desk
        if not ws.is_closed():
            ws.wait_for_event("close", timeout=30_000)
    assert all(ws.is_closed() for ws in live)
    context.close()


def test_deactivating_an_account_closes_its_open_pages(base: str, browser: Any) -> None:
    context, _desk, live = _open_desk(browser, base, "dispatcher2")
    _, accounts, _ = call("GET", f"{base}/api/v1/admin/accounts", user="admin")
    aid = next(a["id"] for a in accounts["items"] if a["username"] == "dispatcher2")
    status, _, text_ = call("POST", f"{base}/api/v1/admin/accounts/{aid}/deactivate", {},
                            user="admin")
    assert status == 200, text_
    try:
        for ws in live:
            if not ws.is_closed():
                ws.wait_for_event("close", timeout=30_000)
        assert all(ws.is_closed() for ws in live)
    finally:
        call("POST", f"{base}/api/v1/admin/accounts/{aid}/activate", {}, user="admin")
        context.close()
