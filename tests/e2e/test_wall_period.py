"""The wall with a chosen period, in Debian's chromium at 1920×1080: after 上月 the trend, the
category mix, the ranking and the map's grid heat show that month's figures, equal to the 研判
API's for the same period (GET /api/v1/analysis/figures); today's counts and the open cases stay
live; the live snapshots arriving meanwhile do not replace the period; 实时 brings the rolling
window back in one click."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from analysis.presets import quick
from dispatch.model import BEIJING
from tests.e2e.sec_http import call
from tests.e2e.test_home_page import _FIND_MAP
from tests.e2e.test_wall import Wall, fmt_pct, open_wall

pytestmark = pytest.mark.e2e


def _bars(w: Wall) -> list[dict[str, Any]]:
    # (a locator: the panels live in shadow roots, which querySelectorAll does not enter)
    return list(w.page.locator(".wb-left .wb-bar").evaluate_all("""(all) => all
        .filter((r) => !r.hasAttribute('display'))
        .map((r) => ({day: r.dataset.day, reported: +r.dataset.reported,
                      resolved: +r.dataset.resolved}))"""))


def _grid_intake(w: Wall) -> dict[int, int]:
    got = w.page.evaluate("() => {" + _FIND_MAP + """
        const st = findMap(document)._lm.states().get('grids')
        return [...st.features.values()].map((e) => [e.feature.properties.id,
                                                     e.feature.properties.intake])
    }""")
    return {int(k): int(v) for k, v in got}


def _api(base: str, query: str) -> Any:
    status, body, text = call("GET", f"{base}/api/v1/analysis/figures?{query}", user="duty")
    assert status == 200, text
    return body


def test_a_chosen_period_moves_every_panel_and_the_map(browser: Any, live_server: str,
                                                       artifacts: Path) -> None:
    context, w = open_wall(browser, live_server)
    page = w.page
    try:
        month = quick("last_month", datetime.now(BEIJING).date())
        frm, to = month.start.isoformat(), month.end.isoformat()
        q = f"from={frm}&to={to}"
        page.locator(".wb-period button[data-quick=last_month]").click()
        page.locator(f'.wb-left[data-period="{frm}/{to}"][data-ready="1"]').wait_for(
            timeout=120_000)
        page.locator(f'.wb-rank-panel[data-period="{frm}/{to}"]').wait_for(timeout=30_000)
        cur = _api(live_server, q)["current"]
        label = cur["period"]["label"]

        # the trend: one bar a day, each day's 受理/办结 the API's for that day, adding up
        bars = _bars(w)
        assert [b["day"] for b in bars][:1] == [frm] and len(bars) == month.days
        assert sum(b["reported"] for b in bars) == cur["received"] > 0
        assert sum(b["resolved"] for b in bars) == cur["done"]
        for b in sorted(bars, key=lambda b: -b["reported"])[:2] + bars[-1:]:
            day = _api(live_server, f"from={b['day']}&to={b['day']}")["current"]
            assert (b["reported"], b["resolved"]) == (day["received"], day["done"]), b
        assert label in page.locator(".wb-trend-title").inner_text()
        assert f"期内受理 {cur['received']:,} 件" in page.locator(".wb-trend-foot").inner_text()

        # the category mix: the API's category breakdown (受理), largest first
        cats = [r for r in _api(live_server, f"{q}&by=category")["breakdown"] if r["received"]]
        cats.sort(key=lambda r: (-r["received"], r["key"]))
        shown = page.locator(".wb-cat:visible")
        assert shown.count() == min(len(cats), 10)
        for i, r in enumerate(cats[:9]):
            row = shown.nth(i)
            assert row.locator(".wb-cat-name").inner_text() == r["name"]
            assert row.locator(".wb-cat-n").inner_text() == f"{r['received']:,}"
        assert label in page.locator(".wb-cat-title").inner_text()

        # the ranking: the API's street breakdown (受理, 办结, 超期, 办结率, 满意度)
        streets = {r["name"]: r for r in _api(live_server, f"{q}&by=street")["breakdown"]}
        rows = page.locator(".wb-row:visible")
        assert rows.count() >= 2 and page.locator(".wb-rank-mid").inner_text() == "办结"
        for i in range(rows.count()):
            cells = rows.nth(i).locator("td").all_inner_texts()
            r = streets.get(cells[1])
            want = ([f"{r['received']:,}", f"{r['done']:,}", f"{r['overdue']:,}",
                     fmt_pct(r["closure_rate"]).replace("暂无", "—"),
                     fmt_pct(r["satisfaction_rate"]).replace("暂无", "—")]
                    if r else ["0", "0", "0", "—", "—"])
            assert cells[2:] == want, (cells, r)
        assert label in page.locator(".wb-hint").inner_text()

        # the map: every grid's heat is its 受理 in the period; the legend says which period
        grids = {r["key"]: r["received"] for r in
                 _api(live_server, f"{q}&by=grid")["breakdown"]
                 if r["key"] is not None and r["received"]}  # (a grid only touched: 0)
        page.wait_for_function("() => {" + _FIND_MAP + """
            const st = findMap(document)._lm.states().get('grids')
            return st && [...st.features.values()].some((e) => e.feature.properties.intake > 0)
        }""", timeout=30_000)
        heat = _grid_intake(w)
        assert {k: v for k, v in heat.items() if v} == grids
        assert f"网格 · {label}受理" in page.locator(".lm-legend").inner_text()

        # the period cards show the period, the counts of now stay live
        card = page.locator(".wb-card[data-key=closure_rate]")
        assert card.locator(".wb-v").inner_text() == fmt_pct(cur["closure_rate"])
        assert card.locator(".wb-tag").inner_text() != "近30日"
        live = w.api("/api/v1/stats/overview")["overview"]
        assert page.locator(".wb-card[data-key=open] .wb-v").inner_text() == f"{live['open']:,}"
        assert "实时" in page.locator(".wb-cases-panel .wb-h-note").inner_text()
        page.screenshot(path=str(artifacts / "wall-period.png"))

        # live snapshots keep coming (the header's clock of data moves) but the period stays
        before = w.updated()
        for _ in range(60):
            if w.updated() > before:
                break
            page.wait_for_timeout(500)
        assert w.updated() > before
        assert _bars(w) == bars and label in page.locator(".wb-trend-title").inner_text()
        assert _grid_intake(w) == heat

        # one click back to live
        page.locator(".wb-period button[data-live]").click()
        page.locator('.wb-left[data-period=""]').wait_for(timeout=30_000)
        assert page.locator(".wb-trend-title").inner_text() == "近30日受理与办结趋势"
        assert page.locator(".wb-bar:not([display])").count() == 30
        page.locator(".lm-legend", has_text="网格 · 近30日受理").wait_for(timeout=30_000)
        assert page.locator(".wb-rank-mid").inner_text() == "在办"
        assert not w.errors, w.errors
    finally:
        context.close()
