"""The 人员 tab in a browser: a leader sees each person's stars or 样本不足 beside the scheme's
words and the subsidy download, which returns the workbook; a street dispatcher sees their street's
people and no download. Screenshots go to test-artifacts/."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.sec_http import call, send

pytestmark = pytest.mark.e2e


def _people_tab(browser, base: str, user: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, user=user)
    page = context.new_page()
    seen: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/analysis", wait_until="domcontentloaded")
    page.locator(".an-tabs").wait_for(timeout=30_000)
    page.get_by_role("button", name="人员").click()
    page.locator(".pp-scheme", has_text="评星规则").wait_for(timeout=60_000)
    return context, page, seen, errors


def test_a_leader_sees_stars_the_scheme_and_the_subsidy_download(live_server: str, browser,
                                                                 artifacts) -> None:  # type: ignore[no-untyped-def]
    context, page, seen, errors = _people_tab(browser, live_server, "leader")
    try:
        asked = [parse_qs(urlsplit(u).query) for u in seen if "/analysis/people?" in u][-1]
        q = f"from={asked['from'][0]}&to={asked['to'][0]}&role=mediator"
        _, api, _ = call("GET", f"{live_server}/api/v1/analysis/people?{q}", user="leader")
        names = page.locator(".pp-table tbody th").all_text_contents()
        assert [n.removesuffix(p["code"]) for n, p in zip(names, api["items"], strict=True)] == \
            [p["name"] for p in api["items"]]
        cells = page.locator(".pp-table tbody tr td:nth-child(2)").all_text_contents()
        assert cells == [p["rating"]["label"] if p["rating"]["stars"] else "样本不足"
                         for p in api["items"]]
        assert api["scheme"] in (page.locator(".pp-scheme").text_content() or "")
        link = page.locator(".pp-xlsx")
        assert link.is_visible()
        href = link.get_attribute("href") or ""
        assert "/analysis/subsidy.xlsx?month=" in href
        got = send("GET", f"{live_server}{href}", user="leader")
        assert got.status == 200 and got.raw[:2] == b"PK"  # a zip: the workbook
        page.screenshot(path=str(artifacts / "analysis-people.png"), full_page=True)
        page.locator('[name="role"]').select_option("grid_worker")
        page.locator(".pp-msg", has_text="网格员").wait_for(timeout=60_000)
        assert not errors, errors
    finally:
        context.close()


def test_a_street_dispatcher_sees_their_street_and_no_download(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context, page, seen, errors = _people_tab(browser, live_server, "dispatcher1")
    try:
        asked = [parse_qs(urlsplit(u).query) for u in seen if "/analysis/people?" in u][-1]
        q = f"from={asked['from'][0]}&to={asked['to'][0]}&role=mediator"
        _, mine, _ = call("GET", f"{live_server}/api/v1/analysis/people?{q}", user="dispatcher1")
        assert mine["subsidy"] is False
        assert page.locator(".pp-table tbody tr").count() == max(1, len(mine["items"]))
        assert not page.locator(".pp-xlsx").is_visible()
        assert not errors, errors
    finally:
        context.close()
