"""Issue 15's browser test, end to end: a leader picks a period on /analysis, reads its figures
环比 and 同比 (equal to the figures API's), sees the period's hotspot layer, makes the weekly
研判 report and downloads its PDF, a real file whose text carries the API's figures (on a server
of its own: it writes). A street dispatcher's part (only their street, in the figures and the
lists; another street's area by URL refused) runs on the shared pages of
tests/e2e/test_analysis_pages.py. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from console.api.schemas_analysis import ReportsOut
from tests.e2e.sec_http import call
from tests.e2e.test_analysis_figures_api import undocumented
from tests.e2e.test_analysis_pages import asked, change_shown, open_analysis, period_of

pytestmark = pytest.mark.e2e
WEEK = ("2026-11-09", "2026-11-15")  # a week of the demo's history (Monday to Sunday)


def _asked(seen: list[str], against: str) -> str:
    return period_of(asked(seen, "figures", against))


def test_a_leader_compares_a_period_sees_hotspots_and_downloads_the_weekly_pdf(
        writable_server: str, browser: Any, artifacts: Path) -> None:
    base = writable_server
    context, page, seen, errors = open_analysis(browser, base, "leader", accept_downloads=True)
    page.locator(".an-card").first.wait_for(timeout=60_000)
    try:
        page.get_by_role("button", name="上月").click()
        page.locator(".an-compare", has_text="环比").wait_for(timeout=30_000)
        period = _asked(seen, "prev")
        _, prev, _ = call("GET", f"{base}/api/v1/analysis/figures?{period}&compare=prev",
                          user="leader")
        assert prev["current"]["period"]["label"] in (page.locator(".an-compare").text_content()
                                                      or "")
        change_shown(page, prev)

        page.locator(".an-period input[name=pd-against][value=yoy]").check()
        page.locator(".an-compare", has_text="同比").wait_for(timeout=30_000)
        assert _asked(seen, "yoy") == period
        _, yoy, _ = call("GET", f"{base}/api/v1/analysis/figures?{period}&compare=yoy",
                         user="leader")
        assert yoy["base"]["period"]["from"][:4] == str(int(period[5:9]) - 1)
        change_shown(page, yoy)

        # the same period's hotspot layer on our own map
        page.wait_for_function(
            "p => performance.getEntriesByType('resource').some(e => e.name.includes("
            "'/analysis/hotspots?' + p))", arg=period, timeout=60_000)
        page.locator(".an-map .lm-legend-title").click()
        page.locator(".an-map .lm-legend").get_by_text("热点分析（Gi*）").first.wait_for(
            timeout=30_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(artifacts / "issue15-leader-yoy.png"), full_page=True)

        # the weekly report: made now for a week, listed, downloaded as a PDF file
        page.get_by_role("button", name="研判报告").click()
        form = page.locator(".an-report-form")
        form.wait_for(timeout=30_000)
        form.locator("input[name=from]").fill(WEEK[0])
        form.locator("input[name=to]").fill(WEEK[1])
        page.get_by_role("button", name="生成报告").click()
        page.locator(".an-report-msg", has_text="已生成").wait_for(timeout=180_000)
        row = page.locator(".an-report-list tbody tr", has_text=f"{WEEK[0]} 至 {WEEK[1]}").first
        with page.expect_download(timeout=60_000) as got:
            row.get_by_role("link", name="PDF").click()
        saved = artifacts / "issue15-weekly-report.pdf"
        got.value.save_as(saved)
        assert got.value.suggested_filename.endswith(".pdf")
        reader = PdfReader(saved)
        text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in reader.pages))
        _, week, _ = call("GET", f"{base}/api/v1/analysis/figures?from={WEEK[0]}&to={WEEK[1]}"
                          "&compare=prev", user="leader")
        cur, before = week["current"], week["base"]
        assert len(reader.pages) >= 2 and cur["received"] > 0
        assert f"受理（件） {cur['received']} {before['received']} " in text
        assert f"办结（件） {cur['done']} {before['done']} " in text
        # the archive's list answers as documented (console.api.schemas_analysis)
        _, listed, _ = call("GET", f"{base}/api/v1/reports", user="leader")
        assert listed["count"] >= 1
        assert undocumented(ReportsOut.model_validate(listed)) == []
        page.screenshot(path=str(artifacts / "issue15-leader-report.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()
