"""The desk 值班台 loads with a quiet browser console: no error, no uncaught exception, and no
"Failed to add import map" warning (Panel's components each declared the page's import map, and
every one after the first was rejected as an override: console.map.FqComponent declares it once).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_home_page import _FIND_MAP

pytestmark = pytest.mark.e2e


def test_the_desk_loads_without_console_errors_or_import_map_warnings(browser: Any,
                                                                     live_server: str) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    messages: list[tuple[str, str]] = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda exc: messages.append(("pageerror", str(exc))))
    try:
        page.goto(live_server + "/desk", wait_until="domcontentloaded")
        # every component has rendered: the queue, the unit board, the intake form, the map and
        # its live layers (each of them imports fq/... modules through the import map)
        page.locator(".dk-q-row").first.wait_for(timeout=60_000)
        page.locator(".dk-u-row").first.wait_for(state="attached", timeout=60_000)
        page.locator("input.dk-address").wait_for(timeout=60_000)
        page.wait_for_function("() => {" + _FIND_MAP + """
            const map = findMap(document)
            if (!map || !map.dataset.layers) { return false }
            const st = JSON.parse(map.dataset.layers)
            return st.grids && st.grids.status === 'loaded' && st.incidents.features > 0
                && st.units.features > 0
        }""", timeout=60_000)
        page.wait_for_timeout(500)  # late messages of the last components
    finally:
        context.close()
    components = [t for kind, t in messages if "import map" in t.lower()]
    assert not components, components
    bad = [(kind, text) for kind, text in messages if kind in ("error", "pageerror")]
    assert not bad, bad
