"""The home page in a real browser: map, layers, legend, badge, stats, and no outside requests."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from layers.registry import LAYERS

pytestmark = pytest.mark.e2e

# With FQ_E2E_BASE_URL the tests drive a running console over real data and then check structure
# only, not the fake territory's names and counts.
FAKE = not os.environ.get("FQ_E2E_BASE_URL")
LAYER_LABELS = ["道路", "街道", "社区", "网格", "微网格", "警格", "服务设施"]
FACILITY_LABELS = ["综治中心", "调解室", "调解工作室", "派出所", "警务室", "法官工作室",
                   "巡回审判点", "法律援助"]

# Finds the map's root element through the shadow roots Panel renders components into.
_FIND_MAP = """
const findMap = (root) => {
    for (const el of root.querySelectorAll('*')) {
        if (el.classList && el.classList.contains('lm-root')) { return el }
        if (el.shadowRoot) { const f = findMap(el.shadowRoot); if (f) { return f } }
    }
    return null
}
"""


@dataclass
class Home:
    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def layer_status(self) -> dict[str, dict[str, Any]]:
        raw = self.page.locator(".lm-root").get_attribute("data-layers")
        return json.loads(raw) if raw else {}

    def wait_layers_loaded(self, names: list[str], timeout_ms: int = 20_000) -> None:
        self.page.wait_for_function(
            "(names) => {" + _FIND_MAP + """
                const el = findMap(document)
                if (!el || !el.dataset.layers) { return false }
                const st = JSON.parse(el.dataset.layers)
                return names.every((n) => st[n] && st[n].status === 'loaded')
            }""",
            arg=names, timeout=timeout_ms,
        )

    def click_at(self, lon: float, lat: float) -> None:
        """Click the map with the real mouse, through the stacked layer canvases."""
        x, y = self.map_call("""
            const p = lm.map.latLngToContainerPoint([arg[1], arg[0]])
            const box = mapEl.getBoundingClientRect()
            return [box.left + p.x, box.top + p.y]
        """, [lon, lat])
        self.page.mouse.click(x, y)

    def map_call(self, body: str, arg: Any = None) -> Any:
        """Run ``body`` with ``lm`` = {L, map, states} and ``mapEl`` bound; returns its value."""
        return self.page.evaluate(
            "(arg) => {" + _FIND_MAP + """
                const mapEl = findMap(document)
                const lm = mapEl._lm
            """ + body + "}",
            arg,
        )


@pytest.fixture()
def home(browser: Any, console_url: str) -> Iterator[Home]:
    context = browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
    page = context.new_page()
    home = Home(page)
    page.on("request", lambda req: home.requests.append(req.url))
    page.on("websocket", lambda ws: home.requests.append(ws.url))
    page.on("pageerror", lambda exc: home.errors.append(str(exc)))
    page.on("console", lambda msg: home.errors.append(msg.text) if msg.type == "error" else None)
    page.goto(console_url + "/", wait_until="networkidle")
    try:
        yield home
    finally:
        context.close()


def test_home_renders_map_layers_legend_and_badge(
    home: Home, console_url: str, artifacts_dir: Path
) -> None:
    page = home.page
    home.wait_layers_loaded(["roads", "streets", "communities", "grids", "facilities"])

    assert page.locator(".leaflet-container").count() == 1
    status = home.layer_status()
    # One canvas per drawn layer; polygons are drawn there, not as SVG.
    drawn = sum(1 for s in status.values() if s["active"])
    assert drawn == 5
    assert page.locator(".leaflet-container canvas").count() == drawn
    assert page.locator(".leaflet-container svg path").count() == 0
    expected = {"communities": 4, "grids": 16, "facilities": 8}
    for name, count in expected.items():
        assert status[name]["features"] == count if FAKE else status[name]["features"] > 0
    # Micro-grids wait for zoom 15 and are not even fetched before; police grids start hidden.
    assert status["micro_grids"] == {"status": "idle", "active": False, "features": 0}
    assert status["police_grids"] == {"status": "idle", "active": False, "features": 0}

    control = page.locator(".leaflet-control-layers")
    for label in LAYER_LABELS:
        assert control.get_by_text(label, exact=True).count() == 1, label

    legend = page.locator(".lm-legend")
    assert legend.is_visible()
    for label in [*LAYER_LABELS, *FACILITY_LABELS]:
        assert legend.get_by_text(label, exact=True).count() >= 1, label
    assert "放大至15级显示" in legend.inner_text()

    badge = page.locator(".lm-badge")
    assert badge.is_visible()
    assert badge.inner_text() == "示意：网格与微网格为示意数据"

    assert page.get_by_text("枫桥式矛盾纠纷调处指挥平台").is_visible()
    page.locator(".ts-box[data-loaded='true']").wait_for(timeout=10_000)
    stats = page.locator(".ts-box").inner_text()
    assert "辖区概况" in stats and "微网格" in stats and "系统运行正常" in stats
    assert "1,234" in stats or not FAKE

    page.screenshot(path=str(artifacts_dir / "home.png"))

    host = urlsplit(console_url).netloc
    outside = [u for u in home.requests
               if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).netloc != host]
    assert outside == [], outside
    assert home.errors == []


def test_click_lists_containing_areas_with_name_and_code(home: Home, artifacts_dir: Path) -> None:
    page = home.page
    home.wait_layers_loaded(["streets", "communities", "grids"])
    # Police grids start hidden: switch them on in the layer control; facilities off, so the
    # click cannot land on a marker.
    control = page.locator(".leaflet-control-layers label")
    control.filter(has_text="警格").click()
    control.filter(has_text="服务设施").click()
    home.wait_layers_loaded(["police_grids"])
    assert not home.layer_status()["facilities"]["active"]
    # Fake data: (84.842, 45.589) lies in street 1, community 1-1, grid 1 and police grid 1.
    # Real data: the default centre lies inside the demo territory.
    lon, lat = (84.842, 45.589) if FAKE else (84.87, 45.60)
    home.click_at(lon, lat)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    text = popup.inner_text()
    page.wait_for_timeout(300)  # let the popup fade-in finish
    page.screenshot(path=str(artifacts_dir / "home-popup.png"))
    assert "所在区域" in text
    for label in ("街道", "社区", "网格", "警格"):
        assert label in text
    if not FAKE:
        return
    assert "示例社区1-1" in text and "650203001001" in text
    assert "第1网格" in text and "65020300100101" in text
    assert "示例警格1" in text and "JG01" in text
    assert "示例街道1" in text


def test_micro_grids_appear_when_zoomed_in(home: Home) -> None:
    home.wait_layers_loaded(["communities"])
    home.map_call("lm.map.setView([45.5925, 84.8450], 15, {animate: false})")
    home.wait_layers_loaded(["micro_grids"])
    micro = home.layer_status()["micro_grids"]
    assert micro["active"]
    assert micro["features"] == 64 if FAKE else micro["features"] > 0
    assert "放大至15级显示" not in home.page.locator(".lm-legend").inner_text()


def _served_map(served_pages: list[Any]) -> Any:
    from console.map import LeafletMap

    if not FAKE or not served_pages:
        pytest.skip("needs the in-process test server to reach the page's Python objects")
    maps = served_pages[-1].select(LeafletMap)
    assert len(maps) == 1
    return maps[0]


def test_pushed_features_move_in_place_and_clicks_reach_python(
    home: Home, served_pages: list[Any]
) -> None:
    home.wait_layers_loaded(["facilities"])
    the_map = _served_map(served_pages)
    marker_id = """
        const e = lm.states().get('facilities').features.get(arg)
        return e ? [lm.L.stamp(e.layer), e.layer.getLatLng().lat, e.layer.getLatLng().lng,
                    e.layer.options.fillColor] : null
    """
    before = home.map_call(marker_id, "F000")
    assert before is not None

    moved = {"type": "Feature", "id": "F000",
             "geometry": {"type": "Point", "coordinates": [84.9, 45.61]},
             "properties": {"id": "F000", "name": "示例设施0", "code": "F000", "kind": "legal_aid"}}
    added = {**moved, "id": "F999", "properties": {**moved["properties"], "id": "F999"}}
    the_map.update_features("facilities", [moved, added])
    home.page.wait_for_function(
        "() => {" + _FIND_MAP + """
            const st = JSON.parse(findMap(document).dataset.layers)
            return st.facilities.features === 9
        }""", timeout=5_000)
    after = home.map_call(marker_id, "F000")
    # Same Leaflet layer object (moved, not re-created), new place, legal-aid colour.
    assert after == [before[0], 45.61, 84.9, LAYERS["facilities"].colours["legal_aid"]]

    the_map.remove_features("facilities", ["F999"])
    home.page.wait_for_function(
        "() => {" + _FIND_MAP + """
            const st = JSON.parse(findMap(document).dataset.layers)
            return st.facilities.features === 8
        }""", timeout=5_000)

    home.click_at(84.842, 45.589)
    deadline = time.monotonic() + 5
    while the_map.last_click is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert the_map.last_click is not None
    assert abs(the_map.last_click["lat"] - 45.589) < 1e-3
    assert {h["layer"] for h in the_map.last_click["hits"]} == {
        "streets", "communities", "grids"}


def test_new_layer_list_from_python_rebuilds_layers_and_legend(
    home: Home, served_pages: list[Any]
) -> None:
    home.wait_layers_loaded(["communities"])
    the_map = _served_map(served_pages)
    the_map.layers = [cfg for cfg in the_map.layers if cfg["name"] in ("streets", "communities")]
    home.page.wait_for_function(
        "() => {" + _FIND_MAP + """
            return Object.keys(JSON.parse(findMap(document).dataset.layers)).length === 2
        }""", timeout=30_000)  # a wait, not a timing claim: the machine may be loaded
    home.wait_layers_loaded(["streets", "communities"])
    assert home.page.locator(".leaflet-control-layers label").count() == 2
    assert home.page.locator(".leaflet-container canvas").count() == 2
    assert "服务设施" not in home.page.locator(".lm-legend").inner_text()
    assert home.errors == []
