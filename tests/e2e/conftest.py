"""E2E fixtures: a real Panel server with a fake territory API, and Debian's chromium."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Fake territory around (45.60, 84.87): 2 streets x 2 communities x 4 grids x 4 micro-grids.
LON0, LAT0, LON1, LAT1 = 84.835, 45.585, 84.905, 45.615
FACILITY_KINDS = ("governance_centre", "mediation_room", "mediation_studio", "police_station",
                  "police_office", "judge_workstation", "circuit_court", "legal_aid")


def _rect(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


def _feature(fid: str, name: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": geometry,
            "properties": {"id": fid, "name": name, "code": fid, "illustrative": True, **props}}


def _split(x0: float, y0: float, x1: float, y1: float, nx: int, ny: int) -> list[tuple[float, ...]]:
    dx, dy = (x1 - x0) / nx, (y1 - y0) / ny
    return [(x0 + i * dx, y0 + j * dy, x0 + (i + 1) * dx, y0 + (j + 1) * dy)
            for j in range(ny) for i in range(nx)]


def fake_territory() -> dict[str, dict[str, Any]]:
    """Small nested GeoJSON layers keyed by layer name, codes mimicking the real scheme."""
    layers: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "streets", "communities", "grids", "micro_grids", "police_grids", "facilities", "roads")}
    for s, sbox in enumerate(_split(LON0, LAT0, LON1, LAT1, 2, 1), start=1):
        scode = f"650203{s:03d}"
        layers["streets"].append(_feature(scode, f"示例街道{s}", _rect(*sbox)))
        layers["police_grids"].append(_feature(f"JG{s:02d}", f"示例警格{s}", _rect(*sbox)))
        for c, cbox in enumerate(_split(*sbox, 1, 2), start=1):
            ccode = f"{scode}{c:03d}"
            layers["communities"].append(_feature(ccode, f"示例社区{s}-{c}", _rect(*cbox)))
            for g, gbox in enumerate(_split(*cbox, 2, 2), start=1):
                gcode = f"{ccode}{g:02d}"
                layers["grids"].append(_feature(gcode, f"第{g}网格", _rect(*gbox)))
                for m, mbox in enumerate(_split(*gbox, 2, 2), start=1):
                    layers["micro_grids"].append(
                        _feature(f"{gcode}{m:02d}", f"第{g}网格{m}号微网格", _rect(*mbox)))
    for i, kind in enumerate(FACILITY_KINDS):
        lon = LON0 + 0.006 + i * (LON1 - LON0 - 0.012) / (len(FACILITY_KINDS) - 1)
        lat = LAT0 + 0.009 + (i % 3) * 0.006
        layers["facilities"].append(_feature(
            f"F{i:03d}", f"示例设施{i}", {"type": "Point", "coordinates": [lon, lat]},
            kind=kind, address=f"示例路{i + 1}号"))
    roads = [("primary", [[LON0, 45.600], [LON1, 45.600]]),
             ("secondary", [[84.870, LAT0], [84.870, LAT1]]),
             ("residential", [[84.850, LAT0], [84.852, LAT1]]),
             ("service", [[84.885, 45.590], [84.900, 45.610]])]
    for i, (cls, coords) in enumerate(roads):
        layers["roads"].append(_feature(f"R{i}", f"示例路{i}", {
            "type": "LineString", "coordinates": coords}, road_class=cls))
    return {k: {"type": "FeatureCollection", "features": v} for k, v in layers.items()}


def fake_health(territory: dict[str, dict[str, Any]]) -> dict[str, Any]:
    counts = {k: len(v["features"]) for k, v in territory.items() if k != "roads"}
    counts.update(districts=1, units=42, road_edges=len(territory["roads"]["features"]),
                  addresses=1234)
    return {"status": "ok", "database": "ok", "territory": counts}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


class ServedPages(list[Any]):
    """Page objects the in-process test server created, oldest first (one per session)."""


@pytest.fixture(scope="session")
def served_pages() -> ServedPages:
    return ServedPages()


@pytest.fixture(scope="session")
def console_url(served_pages: ServedPages) -> Iterator[str]:
    """Base URL of a console serving the home page at ``/``.

    With ``FQ_E2E_BASE_URL`` set, use that running console (the real API); otherwise start
    a Panel server in a thread with a fake API serving a small territory.
    """
    external = os.environ.get("FQ_E2E_BASE_URL")
    if external:
        yield external.rstrip("/")
        return

    import panel as pn
    from tornado.web import RequestHandler

    from console.map import STATIC_DIRS
    from console.pages.home import create_home

    territory = fake_territory()
    health = fake_health(territory)

    class LayerHandler(RequestHandler):
        def get(self, name: str) -> None:
            if name not in territory:
                self.send_error(404)
                return
            self.set_header("Content-Type", "application/geo+json; charset=utf-8")
            self.write(json.dumps(territory[name], ensure_ascii=False))

    class HealthHandler(RequestHandler):
        def get(self) -> None:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.write(json.dumps(health, ensure_ascii=False))

    def app() -> Any:
        page = create_home()
        served_pages.append(page)
        return page

    port = _free_port()
    server = pn.serve(
        {"/": app}, port=port, address="127.0.0.1", threaded=True, show=False,
        static_dirs=STATIC_DIRS, websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"],
        extra_patterns=[(r"/api/v1/layers/([a-z_]+)\.geojson", LayerHandler),
                        (r"/api/v1/health", HealthHandler)],
        title="枫桥式矛盾纠纷调处指挥平台",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/api/v1/health")
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """The run's one Playwright driver: its sync API keeps an event loop running on the main
    thread while it lives, so a second ``sync_playwright()`` (or ``asyncio.run``) there fails;
    every browser launches from this one."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package to run e2e tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield LoggedInBrowser(chromium)
    finally:
        chromium.close()


def login_cookie(user: str = "duty") -> list[dict[str, Any]]:
    """The session cookie of a demo user for the test consoles on 127.0.0.1 and localhost."""
    from tests.conftest import TOKENS

    return [{"name": "fq_session", "value": TOKENS[user], "domain": host, "path": "/",
             "httpOnly": True, "sameSite": "Strict"} for host in ("127.0.0.1", "localhost")]


class LoggedInBrowser:
    """The browser, whose new pages and contexts carry a demo user's session cookie
    (``duty`` unless ``user=`` names another; ``user=None`` for a logged-out page)."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)

    def new_context(self, *args: Any, user: str | None = "duty", **kwargs: Any) -> Any:
        ctx = self._browser.new_context(*args, **kwargs)
        if user is not None:
            ctx.add_cookies(login_cookie(user))
        return ctx

    def new_page(self, *args: Any, user: str | None = "duty", **kwargs: Any) -> Any:
        page = self._browser.new_page(*args, **kwargs)
        if user is not None:
            page.context.add_cookies(login_cookie(user))
        return page


@pytest.fixture()
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
