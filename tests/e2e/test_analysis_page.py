"""The 研判 page in a browser: a leader picks a period (上月), sees the figures with their 环比
change and the period's hotspot layer on our own map (示意); a street dispatcher's page shows
their street only. Screenshots go to test-artifacts/ like the other browser tests."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.sec_http import call

pytestmark = pytest.mark.e2e


def _open(browser, base: str, user: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, user=user)
    page = context.new_page()
    seen: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/analysis", wait_until="domcontentloaded")
    page.locator(".an-tabs").wait_for(timeout=30_000)
    return context, page, seen, errors


def _figure(page, key: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f'.an-card[data-key="{key}"] .an-card-value').text_content() or ""


def test_a_leader_picks_last_month_and_sees_the_change_and_the_hotspots(
        live_server: str, browser, artifacts) -> None:  # type: ignore[no-untyped-def]
    context, page, seen, errors = _open(browser, live_server, "leader")
    try:
        page.locator(".an-card").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="上月").click()
        page.locator(".an-compare", has_text="环比").wait_for(timeout=30_000)
        label = page.locator(".an-compare").text_content() or ""
        # the period the page asked for, and the API's own answer for it
        asked = [parse_qs(urlsplit(u).query) for u in seen if "/analysis/figures?" in u][-1]
        period = f"from={asked['from'][0]}&to={asked['to'][0]}"
        assert asked["from"][0].endswith("-01") and asked["compare"] == ["prev"]
        _, api, _ = call("GET", f"{live_server}/api/v1/analysis/figures?{period}&compare=prev",
                         user="leader")
        assert api["current"]["period"]["label"] in label and "环比" in label
        expect(page.locator('.an-card[data-key="received"] .an-card-value')).to_have_text(
            f"{api['current']['received']:,}", timeout=30_000)
        change = page.locator('.an-card[data-key="received"] .an-card-change').text_content() \
            or ""
        assert change != "—" and str(abs(api["change"]["received"]["abs"])) in change.replace(",", "")
        # the hotspot layer of the same period on the map, with its legend and the 示意 notice
        page.wait_for_function(
            "p => performance.getEntriesByType('resource').some(e => e.name.includes("
            "'/analysis/hotspots?' + p))", arg=period, timeout=60_000)
        page.locator(".an-map .lm-legend-title").click()  # unfold the legend (folded on a small map)
        legend = page.locator(".an-map .lm-legend")
        legend.get_by_text("热点分析（Gi*）").first.wait_for(timeout=30_000)
        legend.get_by_text("热点（99%置信）").first.wait_for(timeout=30_000)
        assert "示意" in (page.locator(".an-map .lm-badge").text_content() or "")
        page.wait_for_timeout(1500)  # let the map draw before the picture
        page.screenshot(path=str(artifacts / "analysis-leader.png"), full_page=True)
        page.get_by_role("button", name="公平排名").click()
        page.locator(".an-method", has_text="不按数量").wait_for(timeout=30_000)
        page.screenshot(path=str(artifacts / "analysis-ranking.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


def test_a_street_dispatcher_sees_only_their_street(live_server: str, browser,
                                                    artifacts) -> None:  # type: ignore[no-untyped-def]
    _, me, _ = call("GET", f"{live_server}/api/v1/auth/me", user="dispatcher1")
    context, page, seen, errors = _open(browser, live_server, "dispatcher1")
    try:
        page.locator(".an-breakdown-table").wait_for(timeout=30_000)
        asked = [parse_qs(urlsplit(u).query) for u in seen if "/analysis/figures?" in u][-1]
        period = f"from={asked['from'][0]}&to={asked['to'][0]}"
        _, mine, _ = call("GET", f"{live_server}/api/v1/analysis/figures?{period}&by=community",
                          user="dispatcher1")
        _, city, _ = call("GET", f"{live_server}/api/v1/analysis/figures?{period}", user="duty")
        assert mine["scope"]["street"] == me["street_id"]
        shown = int(_figure(page, "received").replace(",", ""))
        assert shown == mine["current"]["received"] < city["current"]["received"]
        names = page.locator(".an-breakdown-table tbody tr td:first-child").all_text_contents()
        assert names == [r["name"] for r in mine["breakdown"]]
        page.screenshot(path=str(artifacts / "analysis-dispatcher.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()
