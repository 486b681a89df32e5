"""Real GCJ-02 tiles from FQ_TILE_DIR under our WGS-84 data, in a real browser.

Tiles are generated for one zoom around a demo facility: blank, but for a small red square
drawn where that facility's WGS-84 position lies *in GCJ-02 tile space* (as a Chinese
provider's tile would show it). The console is started with FQ_TILE_DIR=that folder and
FQ_TILE_CRS=gcj02; once the tiles are placed, the red square must sit on the facility's map
position (``map.latLngToContainerPoint``) within 2 px, measured both from the tile's box and in
a screenshot. Started with FQ_TILE_CRS=wgs84 on the same tiles, the square is off by the whole
GCJ-02 offset (tens of pixels), so the test can fail. Every request stays on the console.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, text

from console.settings import ConsoleSettings
from geo.coords import wgs84_to_gcj02
from geo.settings import Settings
from layers.tiles import TILE_PX, TileSettings, lonlat_to_px, tile_shift_px
from tests.conftest import serve_console

pytestmark = pytest.mark.e2e

Z = 15  # the GCJ-02 offset in the demo territory is ~60 px at this zoom
SQUARE = 8  # the red square's side in pixels, centred on the point's pixel
RED = (255, 0, 0)
REACH = 2  # tiles generated around the point's tile in each direction (5 × 5)
VIEWPORT = {"width": 1440, "height": 900}

_FIND = """
const findMap = (root) => {
  for (const el of root.querySelectorAll('*')) {
    if (el.classList && el.classList.contains('lm-root') && el._lm) { return el }
    if (el.shadowRoot) { const f = findMap(el.shadowRoot); if (f) { return f } }
  }
  return null
}
"""

# Centre the map on the point at Z, without animation.
_SET_VIEW = "([lat, lon, z]) => {" + _FIND + """
  const el = findMap(document)
  if (!el) { return false }
  el._lm.map.setView([lat, lon], z, { animate: false })
  return true
}"""

# True once the tile holding the square has loaded, faded in and (gcj02) been moved.
_PLACED = "([suffix, shifted]) => {" + _FIND + """
  const el = findMap(document)
  if (!el) { return false }
  const pane = el._lm.map.getPanes().tilePane
  const img = [...pane.querySelectorAll('img')].find((i) => i.src.endsWith(suffix))
  if (!img || !img.complete || img.naturalWidth !== 256) { return false }
  if (shifted && !img.dataset.shift) { return false }
  if (img.style.visibility === 'hidden' || getComputedStyle(img).opacity !== '1') { return false }
  return !el._lm.map._animatingZoom
}"""

# Where the square is by the tile's box, and where the facility is by the map, on the page.
_MEASURE = "([suffix, sx, sy, lat, lon]) => {" + _FIND + """
  const el = findMap(document)
  const map = el._lm.map
  const img = [...map.getPanes().tilePane.querySelectorAll('img')]
    .find((i) => i.src.endsWith(suffix))
  const tile = img.getBoundingClientRect()
  const box = map.getContainer().getBoundingClientRect()
  const p = map.latLngToContainerPoint([lat, lon])
  return { square: [tile.left + sx, tile.top + sy], data: [box.left + p.x, box.top + p.y],
           shift: img.dataset.shift || null, zoom: map.getZoom(),
           margins: [img.style.marginLeft, img.style.marginTop] }
}"""

# Everything but the tiles hidden (true) or shown again (false), for the pixel search.
_ONLY_TILES = "(only) => {" + _FIND + """
  const el = findMap(document)
  const map = el._lm.map
  const panes = map.getPanes()
  for (const [name, pane] of Object.entries(panes)) {
    if (name !== 'tilePane' && name !== 'mapPane') { pane.style.visibility = only ? 'hidden' : '' }
  }
  for (const c of el.querySelectorAll('.leaflet-control-container, .lm-badge')) {
    c.style.visibility = only ? 'hidden' : ''
  }
  return true
}"""


def facility_point(engine: Engine) -> tuple[float, float]:
    """(lon, lat) of the demo's first facility: a place the map draws from our data."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom) FROM facilities ORDER BY id LIMIT 1")).one()
    return float(row[0]), float(row[1])


def write_tiles(folder: Path, lon: float, lat: float) -> dict[str, Any]:
    """5 × 5 GCJ-02 tiles at Z around the point; the square centred on its GCJ-02 pixel."""
    from PIL import Image, ImageDraw

    glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
    gx, gy = lonlat_to_px(glon, glat, Z)
    cx, cy = round(gx), round(gy)  # the square's centre, on a pixel corner
    tx, ty = cx // TILE_PX, cy // TILE_PX
    for x in range(tx - REACH, tx + REACH + 1):
        for y in range(ty - REACH, ty + REACH + 1):
            img = Image.new("RGB", (TILE_PX, TILE_PX), (244, 242, 236))
            draw = ImageDraw.Draw(img)
            draw.rectangle((0, 0, TILE_PX - 1, TILE_PX - 1), outline=(205, 205, 200))
            # drawn in every tile, clipped by each: a square across a tile edge stays whole
            x0, y0 = cx - SQUARE // 2 - x * TILE_PX, cy - SQUARE // 2 - y * TILE_PX
            draw.rectangle((x0, y0, x0 + SQUARE - 1, y0 + SQUARE - 1), fill=RED)
            (folder / str(Z) / str(x)).mkdir(parents=True, exist_ok=True)
            img.save(folder / str(Z) / str(x) / f"{y}.png")
    dx, dy = tile_shift_px(Z, tx, ty)
    wx, wy = lonlat_to_px(lon, lat, Z)
    # what whole-pixel drawing leaves: the square's centre on a pixel corner, the shift to
    # 0.01 px and Leaflet's rounded data position (latLngToContainerPoint rounds)
    expected = math.dist((cx + round(dx, 2), cy + round(dy, 2)), (round(wx), round(wy)))
    return {"tile": (tx, ty), "in_tile": (cx - tx * TILE_PX, cy - ty * TILE_PX),
            "shift": (dx, dy), "expected_error": expected}


@pytest.fixture(scope="module")
def tiles(demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lon, lat = facility_point(demo_engine)
    folder = tmp_path_factory.mktemp("gcj02-tiles")
    return {"dir": folder, "lon": lon, "lat": lat, **write_tiles(folder, lon, lat)}


@contextlib.contextmanager
def tile_console(settings: Settings, engine: Engine, folder: Path, crs: str) -> Iterator[str]:
    """The real console started with the settings ``./run demo`` builds from FQ_TILE_DIR=folder
    and FQ_TILE_CRS=crs (settings are read once at start and passed down, so the tiles are set
    on the settings object, not in this process's environment)."""
    tiles = TileSettings.from_env({"FQ_TILE_DIR": str(folder), "FQ_TILE_CRS": crs})
    own = dataclasses.replace(ConsoleSettings.extend(settings), tiles=tiles)
    with serve_console(own, engine.url.render_as_string(hide_password=False)) as base:
        yield base


@pytest.fixture(scope="module")
def gcj_console(settings: Settings, demo_engine: Engine, tiles: dict[str, Any]) -> Iterator[str]:
    with tile_console(settings, demo_engine, tiles["dir"], "gcj02") as base:
        yield base


class Visit:
    """One page of a console in the browser, every request and page error recorded."""

    def __init__(self, browser: Any, base: str, path: str, *, route: Any = None) -> None:
        self.base = base
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        self.page = self.context.new_page()
        if route is not None:
            self.page.route("**/api/v1/map/tile-shift?*", route)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(base + path, wait_until="domcontentloaded")

    def measure(self, tiles: dict[str, Any], *, shifted: bool) -> dict[str, Any]:
        """Centre on the facility at Z, wait for the square's tile to be placed, measure."""
        page = self.page
        page.wait_for_function(_SET_VIEW, arg=[tiles["lat"], tiles["lon"], Z], timeout=60_000)
        suffix = f"/tiles/{Z}/{tiles['tile'][0]}/{tiles['tile'][1]}"
        page.wait_for_function(_PLACED, arg=[suffix, shifted], timeout=60_000)
        sx, sy = tiles["in_tile"]
        got = page.evaluate(_MEASURE, [suffix, sx, sy, tiles["lat"], tiles["lon"]])
        got["box_error"] = math.dist(got["square"], got["data"])
        got["tile_requests"] = [u for u in self.requests if "/tiles/" in u]
        return got

    def red_square_on_screen(self, around: list[float], name: str, artifacts: Path
                             ) -> tuple[float, float]:
        """The red square's centre on the page, found in a screenshot of the tiles alone."""
        from PIL import Image

        self.page.evaluate(_ONLY_TILES, True)
        x0, y0 = max(0, int(around[0]) - 100), max(0, int(around[1]) - 100)
        clip = {"x": x0, "y": y0, "width": 200, "height": 200}
        for _ in range(50):  # on a loaded machine the tile may paint a few frames later
            shot = self.page.screenshot(clip=clip, path=str(artifacts / f"tiles-{name}-only.png"))
            img = Image.open(io.BytesIO(shot)).convert("RGB")
            red = [(x, y) for y in range(img.height) for x in range(img.width)
                   if (p := img.getpixel((x, y)))[0] > 200 and p[1] < 80 and p[2] < 80]  # type: ignore[index]
            if len(red) >= (SQUARE - 2) ** 2:
                break
            self.page.wait_for_timeout(200)
        self.page.evaluate(_ONLY_TILES, False)
        assert len(red) >= (SQUARE - 2) ** 2, f"no red square in the screenshot ({len(red)} px)"
        # pixel centres (+0.5) back to page coordinates
        return (x0 + sum(x for x, _ in red) / len(red) + 0.5,
                y0 + sum(y for _, y in red) / len(red) + 0.5)

    def outside(self) -> list[str]:
        host = urlsplit(self.base).netloc
        return [u for u in self.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                and urlsplit(u).netloc != host]


def test_gcj02_tiles_lie_under_the_wgs84_data_on_the_home_map(
        browser: Any, gcj_console: str, tiles: dict[str, Any], artifacts: Path) -> None:
    visit = Visit(browser, gcj_console, "/")
    try:
        got = visit.measure(tiles, shifted=True)
        dx, dy = tiles["shift"]
        assert got["zoom"] == Z
        assert got["margins"] == [f"{round(dx, 2)}px", f"{round(dy, 2)}px"]
        assert got["box_error"] <= 2.0, got
        assert abs(got["box_error"] - tiles["expected_error"]) < 0.05, (got, tiles)
        seen = visit.red_square_on_screen(got["data"], "gcj02", artifacts)
        pixel_error = math.dist(seen, got["data"])
        assert pixel_error <= 2.0, (seen, got)
        visit.page.screenshot(path=str(artifacts / "tiles-gcj02-home.png"))
        print(f"gcj02 home: box error {got['box_error']:.2f} px (whole-pixel rounding alone: "
              f"{tiles['expected_error']:.2f}), screenshot error {pixel_error:.2f} px, "
              f"shift ({dx:.2f}, {dy:.2f}) px")
        assert got["tile_requests"], "the map asked the console for its tiles"
        assert visit.outside() == []
        assert visit.errors == []
    finally:
        visit.context.close()


@pytest.mark.parametrize("path", ["/desk", "/wall"])
def test_the_desk_and_the_wall_draw_the_same_shifted_tiles(
        browser: Any, gcj_console: str, tiles: dict[str, Any], artifacts: Path, path: str) -> None:
    visit = Visit(browser, gcj_console, path)
    try:
        got = visit.measure(tiles, shifted=True)
        assert got["shift"] and got["box_error"] <= 2.0, got
        visit.page.screenshot(path=str(artifacts / f"tiles-gcj02-{path.strip('/')}.png"))
        print(f"gcj02 {path}: box error {got['box_error']:.2f} px")
        assert visit.outside() == []
        assert visit.errors == []
    finally:
        visit.context.close()


def test_unshifted_the_same_tiles_are_off_by_the_whole_gcj02_offset(
        browser: Any, settings: Settings, demo_engine: Engine, tiles: dict[str, Any],
        artifacts: Path) -> None:
    """FQ_TILE_CRS=wgs84 on GCJ-02 tiles: the square misses the data by tens of pixels."""
    offset = math.hypot(*tiles["shift"])
    assert 30 < offset < 120  # the test is only meaningful with a visible offset
    with tile_console(settings, demo_engine, tiles["dir"], "wgs84") as base:
        visit = Visit(browser, base, "/")
        try:
            got = visit.measure(tiles, shifted=False)
            assert got["shift"] is None and got["margins"] == ["", ""]
            assert abs(got["box_error"] - offset) <= 2.0, (got, offset)
            seen = visit.red_square_on_screen(got["square"], "wgs84", artifacts)
            assert abs(math.dist(seen, got["data"]) - offset) <= 2.0
            visit.page.screenshot(path=str(artifacts / "tiles-wgs84-home.png"))
            print(f"wgs84 home: off by {got['box_error']:.2f} px (offset {offset:.2f} px)")
            assert visit.outside() == []
        finally:
            visit.context.close()


def test_a_tile_whose_shift_cannot_be_had_stays_hidden(
        browser: Any, gcj_console: str, tiles: dict[str, Any]) -> None:
    """Never a GCJ-02 tile drawn unmoved (~200 m off): a failed shift leaves it hidden."""
    tx, ty = tiles["tile"]

    def refuse_ours(route: Any) -> None:
        if f"x={tx}&y={ty}" in route.request.url and f"z={Z}" in route.request.url:
            route.fulfill(status=500, body="{}", content_type="application/json")
        else:
            route.continue_()

    visit = Visit(browser, gcj_console, "/", route=refuse_ours)
    try:
        page = visit.page
        with page.expect_console_message(lambda m: "瓦片偏移获取失败" in m.text,
                                         timeout=60_000):
            page.wait_for_function(_SET_VIEW, arg=[tiles["lat"], tiles["lon"], Z],
                                   timeout=60_000)
        suffix = f"/tiles/{Z}/{tx}/{ty}"
        state = page.wait_for_function("([suffix]) => {" + _FIND + """
          const el = findMap(document)
          const img = [...el._lm.map.getPanes().tilePane.querySelectorAll('img')]
            .find((i) => i.src.endsWith(suffix))
          if (!img || !img.complete || img.naturalWidth !== 256) { return false }
          return { visibility: img.style.visibility, shift: img.dataset.shift || null }
        }""", arg=[suffix], timeout=60_000).json_value()
        assert state == {"visibility": "hidden", "shift": None}
        # its neighbours got their shifts and are drawn
        neighbour = f"/tiles/{Z}/{tx + 1}/{ty}"
        page.wait_for_function(_PLACED, arg=[neighbour, True], timeout=60_000)
    finally:
        visit.context.close()
