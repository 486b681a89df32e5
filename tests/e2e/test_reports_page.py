"""The 研判报告 tab in a browser: a leader makes a report for a week, sees it listed and
downloads its PDF; a street dispatcher's list holds their street's reports only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.sec_http import call

pytestmark = pytest.mark.e2e
WEEK = ("2026-11-09", "2026-11-15")


def _tab(browser, base: str, user: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, user=user,
                                  accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/analysis", wait_until="domcontentloaded")
    page.locator(".an-tabs").wait_for(timeout=30_000)
    page.get_by_role("button", name="研判报告").click()
    page.locator(".an-report-form").wait_for(timeout=30_000)
    return context, page, errors


def test_a_leader_makes_lists_and_downloads_a_report(writable_server: str, browser,
                                                     artifacts) -> None:  # type: ignore[no-untyped-def]
    context, page, errors = _tab(browser, writable_server, "leader")
    try:
        page.locator(".an-report-form input[name=from]").fill(WEEK[0])
        page.locator(".an-report-form input[name=to]").fill(WEEK[1])
        page.get_by_role("button", name="生成报告").click()
        page.locator(".an-report-msg", has_text="已生成").wait_for(timeout=120_000)
        row = page.locator(".an-report-list tbody tr", has_text=f"{WEEK[0]} 至 {WEEK[1]}").first
        row.wait_for(timeout=30_000)
        with page.expect_download(timeout=60_000) as got:
            row.get_by_role("link", name="PDF").click()
        path = got.value.path()
        assert path is not None and Path(path).read_bytes()[:5] == b"%PDF-"
        assert got.value.suggested_filename.endswith(".pdf")
        page.screenshot(path=str(artifacts / "analysis-reports.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


def test_a_street_dispatcher_lists_only_their_street(writable_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    _, me, _ = call("GET", f"{writable_server}/api/v1/auth/me", user="dispatcher1")
    status, made, _ = call("POST", f"{writable_server}/api/v1/reports",
                           {"from": WEEK[0], "to": WEEK[1]}, user="dispatcher1")
    assert status == 201
    context, page, errors = _tab(browser, writable_server, "dispatcher1")
    try:
        page.locator(".an-report-list tbody tr").first.wait_for(timeout=30_000)
        areas = page.locator(".an-report-list tbody tr td:nth-child(2)").all_text_contents()
        assert areas and set(areas) == {made["area_name"]}
        assert made["street_id"] == int(me["street_id"])
        assert not errors, errors
    finally:
        context.close()
