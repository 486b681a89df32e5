"""The real console over the real demo database, in Debian's chromium: the stack end to end."""

from urllib.parse import urlsplit

import pytest

from tests.e2e.test_home_page import _FIND_MAP

pytestmark = pytest.mark.e2e

TERRITORY = ["roads", "streets", "communities", "grids", "facilities"]


def test_demo_territory_draws_from_the_real_api(live_server, browser, artifacts):
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.on("websocket", lambda ws: seen.append(ws.url))
    page.goto(f"{live_server}/", wait_until="domcontentloaded")
    page.wait_for_function(
        "(names) => {" + _FIND_MAP + """
            const el = findMap(document)
            if (!el || !el.dataset.layers) { return false }
            const st = JSON.parse(el.dataset.layers)
            return names.every((n) => st[n] && st[n].status === 'loaded')
        }""", arg=TERRITORY, timeout=60_000)
    status = page.evaluate(
        "() => {" + _FIND_MAP + "return JSON.parse(findMap(document).dataset.layers)}")
    # every feature the API serves is on the map: 300 grids, 55 communities…
    assert status["grids"]["features"] >= 250
    assert status["communities"]["features"] >= 40
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "demo-territory.png"))
    assert page.get_by_text("枫桥式矛盾纠纷调处指挥平台").first.is_visible()
    assert page.get_by_text("示意", exact=False).first.is_visible()
    hosts = {urlsplit(u).hostname for u in seen if urlsplit(u).scheme not in ("data", "blob")}
    assert hosts <= {"127.0.0.1"}, hosts
    page.close()
