"""The home map's dispute layers on the real console: open cases clustered where they crowd,
overdue ones pulsing, the heat of historical disputes, a legend entry for each; all local."""

import json
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_api_dispatch import call

pytestmark = pytest.mark.e2e

_STATUS = """() => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList && el.classList.contains('lm-root')) { return el }
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) { return f } }
    }
    return null
  }
  const el = find(document)
  return el && el.dataset.layers ? el.dataset.layers : null
}"""


def _layers(page):
    raw = page.evaluate(_STATUS)
    return json.loads(raw) if raw else {}


def _wait_loaded(page, name):
    page.wait_for_function(_STATUS.replace("return el && el.dataset.layers ? el.dataset.layers "
                                           ": null", f"""if (!el || !el.dataset.layers) {{ return false }}
  const st = JSON.parse(el.dataset.layers)['{name}']
  return Boolean(st && st.status === 'loaded')"""), timeout=60_000)


def test_open_cases_cluster_and_pulse_and_the_heat_shows(live_server, browser, artifacts):
    _, cases = call("GET", f"{live_server}/api/v1/map/incidents.geojson")
    assert cases["features"], "the demo has open located cases"
    props = cases["features"][0]["properties"]
    assert "name" not in props and "phone" not in props and "address" not in props
    overdue = sum(bool(f["properties"]["overdue"]) for f in cases["features"])

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(f"{live_server}/", wait_until="domcontentloaded")
    _wait_loaded(page, "incidents")
    st = _layers(page)["incidents"]
    assert st["clustered"] and st["features"] == len(cases["features"])
    assert st["overdue"] == overdue
    assert page.locator(".marker-cluster").count() >= 1
    if overdue:
        assert page.locator(".lm-cluster-overdue, .lm-pulse").count() >= 1

    page.get_by_text("历史纠纷热力", exact=False).first.click()
    _wait_loaded(page, "heat")
    assert _layers(page)["heat"]["features"] > 0
    legend = page.locator(".lm-legend").inner_text()
    for words in ("超时未签收/未办结（闪烁）", "聚合", "纠纷多", "紧急事件", "在办事件"):
        assert words in legend, words
    assert "示意" in page.locator(".lm-badge").inner_text()
    page.screenshot(path=str(artifacts / "home-dispute-layers.png"))
    assert page.locator(".lm-export", has_text="导出视图").count() == 1
    street = page.locator("select.ex-street")
    street.locator("option").nth(1).wait_for(state="attached", timeout=15_000)
    street.select_option(index=1)
    assert "/api/v1/export/street/" in page.locator("a.ex-go").get_attribute("href")
    assert page.locator("a.ex-wall").get_attribute("href").endswith("/api/v1/export/wall.png")

    # zoomed right in, the cluster opens into single markers
    f = next(f for f in cases["features"] if f["properties"]["overdue"]) if overdue else \
        cases["features"][0]
    lon, lat = f["geometry"]["coordinates"]
    page.evaluate("""([lon, lat]) => {
      const find = (root) => { for (const el of root.querySelectorAll('*')) {
        if (el.classList && el.classList.contains('lm-root')) { return el }
        if (el.shadowRoot) { const x = find(el.shadowRoot); if (x) { return x } } } return null }
      find(document)._lm.map.setView([lat, lon], 19, { animate: false })
    }""", [lon, lat])
    (page.locator(".lm-pulse") if overdue else page.locator(".lm-pt")).first.wait_for(
        timeout=15_000)
    page.screenshot(path=str(artifacts / "home-overdue-pulse.png"))
    hosts = {urlsplit(u).hostname for u in seen if urlsplit(u).scheme in ("http", "https")}
    assert hosts <= {"127.0.0.1"}, hosts
    context.close()


def test_heat_parameters_are_checked(live_server):
    status, err = call("GET", f"{live_server}/api/v1/map/heat.geojson?cell=5")
    assert status == 400 and err["error"]["field"] == "cell" and "cell" in err["error"]["message"]
    status, heat = call("GET", f"{live_server}/api/v1/map/heat.geojson?days=30&cell=500")
    assert status == 200 and heat["cell_m"] == 500 and heat["days"] == 30
    assert sum(f["properties"]["count"] for f in heat["features"]) == heat["cases"]
