"""Exports: HTML maps that open with the network cut off, and the wall as a PNG."""

import re
import struct
import urllib.request

import pytest

from console.map import STATIC_DIR
from tests.conftest import as_user
from tests.e2e.test_api_dispatch import call

pytestmark = pytest.mark.e2e

# What Leaflet's own source says in comments and constants; none is ever fetched.
NOT_FETCHED = {"http://www.w3.org/2000/svg", "https://leafletjs.com",
               "https://bugs.chromium.org/p/chromium/issues/detail?id=600120",
               "https://bugzilla.mozilla.org/show_bug.cgi?id=888319"}


def _get(url, user="duty"):
    req = urllib.request.Request(url, headers=as_user(user))
    with urllib.request.urlopen(req, timeout=120) as resp:
        return resp.status, dict(resp.headers), resp.read()


def _opens_offline(browser, html, artifacts, name):
    """Load the page with every request refused; return what it drew."""
    context = browser.new_context(viewport={"width": 1200, "height": 800}, user=None)
    asked: list[str] = []

    def refuse(route):
        asked.append(route.request.url)
        route.abort()
    context.route("**/*", refuse)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content(html, wait_until="load")
    page.locator(".leaflet-container").wait_for(timeout=15_000)
    drawn = page.evaluate("""() => ({
        paths: document.querySelectorAll('.leaflet-overlay-pane path, canvas').length,
        links: [...document.querySelectorAll('[src], link[href]')].map((e) => e.src || e.href),
        prefix: document.querySelector('.leaflet-control-attribution')?.innerHTML || ''})""")
    page.screenshot(path=str(artifacts / name))
    context.close()
    assert not errors, errors
    assert asked == [], asked
    assert drawn["paths"] > 0 and drawn["links"] == []
    assert "http" not in drawn["prefix"]


def _no_outside_urls(html):
    urls = set(re.findall(r"https?://[^\s\"'()<>]+", html))
    assert urls <= NOT_FETCHED, urls - NOT_FETCHED
    ours = html
    for name in ("leaflet.js", "leaflet.css"):  # inlined whole; URLs only in its comments
        leaflet = (STATIC_DIR / "vendor" / "leaflet" / name).read_text(encoding="utf-8")
        assert leaflet in ours, name
        ours = ours.replace(leaflet, "")
    assert not re.findall(r"https?://", ours), "an outside URL outside Leaflet's own source"
    for cdn in ("jsdelivr", "cdnjs", "bootstrapcdn", "code.jquery", "unpkg"):
        assert cdn not in html, cdn


def test_case_street_and_view_maps_are_self_contained(live_server, browser, artifacts):
    _, cases = call("GET", f"{live_server}/api/v1/map/incidents.geojson")
    case = cases["features"][0]
    status, headers, body = _get(f"{live_server}/api/v1/export/case/{case['id']}.html")
    html = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert case["properties"]["code"] in html and "示意" in html
    _no_outside_urls(html)
    _opens_offline(browser, html, artifacts, "export-case.png")

    street_id = case["properties"]["street_id"]
    _, _, body = _get(f"{live_server}/api/v1/export/street/{street_id}.html")
    html = body.decode()
    assert "在办案件分布" in html
    _no_outside_urls(html)
    _opens_offline(browser, html, artifacts, "export-street.png")

    lon, lat = case["geometry"]["coordinates"]
    box = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    _, _, body = _get(f"{live_server}/api/v1/export/view.html?bbox={box}")
    _no_outside_urls(body.decode())
    assert case["properties"]["code"] in body.decode()

    status, err = call("GET", f"{live_server}/api/v1/export/view.html?bbox=1,2,3")
    assert status == 400 and err["error"]["field"] == "bbox"
    status, err = call("GET", f"{live_server}/api/v1/export/street/999999.html")
    assert status == 404 and "999999" in err["error"]["message"]


def test_the_wall_exports_as_a_1920_by_1080_png(live_server, artifacts):
    status, headers, png = _get(f"{live_server}/api/v1/export/wall.png", user="leader")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1920, 1080)
    (artifacts / "export-wall.png").write_bytes(png)
    print(f"wall.png rendered in {headers['X-Render-Seconds']} s, {len(png) / 1e6:.2f} MB")
