"""The home page's address search: live candidates, a pick flies the map and shows the chain."""

import json

import pytest
from sqlalchemy import text

from tests.e2e.test_home_page import _FIND_MAP

pytestmark = pytest.mark.e2e


def test_typing_an_address_offers_candidates_and_a_pick_pins_it(live_server, browser, artifacts,
                                                              demo_engine):
    with demo_engine.connect() as conn:
        address, lon, lat = conn.execute(text(
            "SELECT full_address, ST_X(geom), ST_Y(geom) FROM addresses WHERE level = 'building' "
            "ORDER BY id LIMIT 1 OFFSET 42")).one()
    short = address.split("街道", 1)[1]  # as a caller says it: no district, no street office
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    page.goto(f"{live_server}/", wait_until="domcontentloaded")
    box = page.get_by_placeholder("输入地址", exact=False)
    box.wait_for(timeout=30_000)
    box.fill(short)
    first = page.locator(".as-list li[data-i='0']")
    first.wait_for(timeout=15_000)
    assert short in first.inner_text()
    first.click()
    chain = page.locator(".as-chain-line")
    chain.wait_for(timeout=15_000)
    assert chain.inner_text().count("›") >= 3  # street › community › grid › micro-grid …
    read_pin = "() => {" + _FIND_MAP + """
        const el = findMap(document); const d = el && el.querySelector('div[data-pin]');
        return d ? d.dataset.pin : null }"""
    page.wait_for_function(read_pin, timeout=15_000)
    page.wait_for_timeout(1200)  # let the fly-to animation finish for the screenshot
    page.screenshot(path=str(artifacts / "home-search.png"))
    pin = page.evaluate(read_pin)
    assert pin is not None
    at = json.loads(pin)
    assert abs(at["lon"] - lon) < 1e-6 and abs(at["lat"] - lat) < 1e-6
    page.close()
