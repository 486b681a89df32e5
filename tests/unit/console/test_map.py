"""LeafletMap and the home page without a browser: params, layer configs, messages, no CDN."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from bokeh.document import Document

from console.map import (
    ROAD_WIDTHS,
    STATIC_DIR,
    STATIC_DIRS,
    STATIC_URL,
    TERRITORY,
    LeafletMap,
    layer_config,
    territory_layers,
    validate_layers,
)
from console.pages.home import TerritoryStats, create_home
from geo.schema import FACILITY_KINDS, ROAD_CLASSES
from layers.registry import LAYERS

OWN_ASSETS = ["leaflet_map.js", "leaflet_map.css", "territory_stats.js", "territory_stats.css",
              "home.css"]
EXTERNAL = re.compile(r"(?:https?:|wss?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
FACILITY_NAMES = {
    "governance_centre": "综治中心", "mediation_room": "调解室", "mediation_studio": "调解工作室",
    "police_station": "派出所", "police_office": "警务室", "judge_workstation": "法官工作室",
    "circuit_court": "巡回审判点", "legal_aid": "法律援助",
}


class Recorder(LeafletMap):
    """LeafletMap that records what it would send to the browser."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.sent: list[Any] = []

    def _send_msg(self, data: Any) -> None:
        self.sent.append(data)


def test_defaults_fit_the_demo_territory_and_serve_locally() -> None:
    m = LeafletMap()
    assert m.center == (45.60, 84.87) and m.zoom == 13
    assert m.basemap_url is None
    assert m.badge.startswith("示意")
    assert m.static_url == STATIC_URL == "/assets"
    assert m.sizing_mode == "stretch_both"
    assert m.stylesheets[0] == "/assets/vendor/leaflet/leaflet.css"
    assert "/assets/leaflet_map.css" in m.stylesheets
    assert all(s.startswith("/assets/") for s in m.stylesheets)


def test_static_dirs_avoid_the_slug_bokeh_reserves() -> None:
    from panel.io.server import get_static_routes

    assert list(STATIC_DIRS.items()) == [("assets", str(STATIC_DIR))]
    routes = get_static_routes(STATIC_DIRS)
    assert routes[0][0] == "/assets/(.*)"
    with pytest.raises(ValueError, match="reserved"):
        get_static_routes({"static": str(STATIC_DIR)})


def test_static_prefix_moves_every_asset_url() -> None:
    m = LeafletMap(static_url="/console/assets/", stylesheets=["extra.css"])
    assert m.stylesheets[0] == "/console/assets/vendor/leaflet/leaflet.css"
    assert m.stylesheets[-1] == "extra.css" and "/console/assets/leaflet_map.css" in m.stylesheets
    assert all(s.startswith("/console/assets/") for s in m.stylesheets[:-1])


def test_vendored_leaflet_is_complete() -> None:
    vendor = STATIC_DIR / "vendor" / "leaflet"
    for name in ("leaflet-src.esm.js", "leaflet.js", "leaflet.css", "LICENSE",
                 "images/layers.png", "images/marker-icon.png"):
        assert (vendor / name).is_file(), name
    assert "BSD 2-Clause" in (vendor / "LICENSE").read_text()
    assert "1.9.4" in (STATIC_DIR / "vendor" / "README.md").read_text()
    # The stylesheet's images are relative, so they come from the same folder.
    css_urls = re.findall(r"url\(([^)]+)\)", (vendor / "leaflet.css").read_text())
    files = [u.strip("'\"") for u in css_urls if not u.startswith("#")]  # "#default#VML": IE
    assert files and all(u.startswith("images/") for u in files)


@pytest.mark.parametrize("name", OWN_ASSETS)
def test_own_assets_reference_no_outside_host(name: str) -> None:
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    assert not EXTERNAL.findall(text)


def test_layer_configs_reference_no_outside_host() -> None:
    assert not EXTERNAL.findall(json.dumps(territory_layers(), ensure_ascii=False))


def test_territory_layers_follow_the_registry_bottom_to_top() -> None:
    layers = territory_layers("/api/v1/")
    assert [cfg["name"] for cfg in layers] == list(TERRITORY)
    assert [cfg["label"] for cfg in layers] == [
        "道路", "街道", "社区", "网格", "微网格", "警格", "力量覆盖（15分钟）", "服务设施"]
    for cfg in layers:
        # the roads basemap is the edges merged by class: a few paths to draw, not thousands
        merged = "?merge=class" if cfg["name"] == "roads" else ""
        assert cfg["url"] == f"/api/v1/layers/{cfg['name']}.geojson{merged}"
        assert cfg["kind"] == LAYERS[cfg["name"]].kind
    validate_layers(layers)
    by_name = {cfg["name"]: cfg for cfg in layers}
    assert by_name["micro_grids"]["min_zoom"] == 15
    assert by_name["roads"]["kind"] == "line"
    assert {cfg["kind"] for cfg in layers
            if cfg["name"] not in ("roads", "coverage", "facilities")} == {"polygon"}
    assert by_name["coverage"]["kind"] == "line" and not by_name["coverage"]["visible"]
    assert by_name["coverage"]["style"]["classes"]["5分钟内"]["color"].startswith("#")


def test_facilities_are_coloured_by_kind_with_chinese_legend_labels() -> None:
    style = territory_layers()[-1]["style"]
    assert style["by"] == "kind"
    assert set(style["classes"]) == set(FACILITY_KINDS)
    assert {k: v["label"] for k, v in style["classes"].items()} == FACILITY_NAMES
    colours = [v["fillColor"] for v in style["classes"].values()]
    assert len(set(colours)) == len(colours)


def test_roads_are_drawn_by_class_width() -> None:
    style = territory_layers()[0]["style"]
    assert style["by"] == "road_class"
    assert set(style["classes"]) == set(ROAD_CLASSES) == set(ROAD_WIDTHS)
    assert ROAD_WIDTHS["motorway"] > ROAD_WIDTHS["residential"] > ROAD_WIDTHS["path"]


def test_layer_config_without_colours_has_no_classes() -> None:
    cfg = layer_config(LAYERS["communities"], api_base="/x")
    assert cfg["url"] == "/x/layers/communities.geojson"
    assert "by" not in cfg["style"] and cfg["style"]["color"].startswith("#")


@pytest.mark.parametrize(("bad", "message"), [
    ([{"name": "a", "label": "甲", "kind": "area"}], "kind"),
    ([{"name": "a", "kind": "point"}], "label"),
    ([{"label": "甲", "kind": "point"}], "name"),
    ([{"name": "a", "label": "甲", "kind": "point"}] * 2, "duplicate"),
    ([{"name": "a", "label": "甲", "kind": "point", "colour": "red"}], "unknown keys"),
    ([{"name": "a", "label": "甲", "kind": "point", "min_zoom": True}], "min_zoom"),
    ([{"name": "a", "label": "甲", "kind": "point", "url": 3}], "url"),
])
def test_bad_layer_configs_are_refused(bad: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LeafletMap(layers=bad)
    m = LeafletMap()
    with pytest.raises(ValueError, match=message):
        m.layers = bad


def test_model_carries_params_but_not_last_click() -> None:
    m = LeafletMap(layers=territory_layers(), basemap_url="/tiles/{z}/{x}/{y}.png")
    model = m.get_root(Document())
    data = model.data
    assert data.layers == territory_layers()
    assert list(data.center) == [45.60, 84.87]
    assert data.basemap_url == "/tiles/{z}/{x}/{y}.png"
    assert "last_click" not in data.properties()
    # the component composes map/: Leaflet from the vendored copy (loader), diffs heard (inbox)
    assert 'from "fq/map/loader.js"' in model.esm and 'from "fq/map/inbox.js"' in model.esm
    assert "leaflet-src.esm.js" in (STATIC_DIR / "map" / "loader.js").read_text(encoding="utf-8")
    assert "msg:custom" in (STATIC_DIR / "map" / "inbox.js").read_text(encoding="utf-8")


def test_update_features_sends_an_upsert_by_id() -> None:
    m = Recorder(layers=territory_layers())
    feature = {"type": "Feature", "id": 7, "properties": {"kind": "legal_aid"},
               "geometry": {"type": "Point", "coordinates": [84.87, 45.6]}}
    m.update_features("facilities", [feature])
    m.update_features("facilities", {"type": "FeatureCollection", "features": [feature]})
    m.update_features("facilities", [])
    assert m.sent == [{"type": "upsert", "layer": "facilities", "features": [feature]}] * 2


def test_update_features_refuses_unknown_layers_and_features_without_id() -> None:
    m = Recorder(layers=territory_layers())
    with pytest.raises(KeyError):
        m.update_features("nowhere", [])
    with pytest.raises(ValueError, match="id"):
        m.update_features("facilities", [{"type": "Feature", "properties": {}, "geometry": None}])
    assert m.update_features("facilities", [{"type": "Feature", "properties": {"id": 3},
                                             "geometry": None}]) is None
    assert len(m.sent) == 1


def test_remove_features_sends_ids_as_strings() -> None:
    m = Recorder(layers=territory_layers())
    m.remove_features("facilities", [1, "F2"])
    assert m.sent == [{"type": "remove", "layer": "facilities", "ids": ["1", "F2"]}]


def test_browser_clicks_land_in_last_click() -> None:
    m = LeafletMap()
    m._handle_msg({"type": "click", "lat": 45.6, "lon": 84.87,
                   "hits": [{"layer": "grids", "id": "1", "name": "第1网格", "code": "G1"}],
                   "junk": 1})
    assert m.last_click == {"lat": 45.6, "lon": 84.87, "hits": [
        {"layer": "grids", "id": "1", "name": "第1网格", "code": "G1"}]}
    m._handle_msg({"type": "other"})
    assert m.last_click is not None


def test_home_is_a_fresh_page_per_call() -> None:
    a, b = create_home(api_base="/api/v2"), create_home()
    map_a, map_b = a.select(LeafletMap), b.select(LeafletMap)
    assert len(map_a) == len(map_b) == 1 and map_a[0] is not map_b[0]
    assert map_a[0].layers[1]["url"] == "/api/v2/layers/streets.geojson"
    assert a.select(TerritoryStats)[0].health_url == "/api/v2/health"
    assert b.select(TerritoryStats)[0].health_url == "/api/v1/health"
    header = a.objects[0].object
    assert "枫桥式矛盾纠纷调处指挥平台" in header


def test_stats_panel_reads_keys_the_health_endpoint_reports() -> None:
    from geo.queries import COUNTED

    js = (STATIC_DIR / "territory_stats.js").read_text(encoding="utf-8")
    keys = re.findall(r'\["([a-z_]+)", "[^"]+"\]', js)
    assert keys and set(keys) <= set(COUNTED)


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
@pytest.mark.parametrize("name", ["leaflet_map.js", "territory_stats.js"])
def test_esm_parses(name: str, tmp_path: Path) -> None:
    module = tmp_path / (Path(name).stem + ".mjs")
    module.write_text((STATIC_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    proc = subprocess.run(["node", "--check", str(module)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_a_view_that_starts_listening_is_counted_for_the_page_to_push_again() -> None:
    m = LeafletMap()
    seen: list[int] = []
    m.param.watch(lambda e: seen.append(e.new), "listening")
    m._handle_msg({"type": "listening"})
    m._handle_msg({"type": "listening"})  # a second view, or the same one rendered again
    assert m.listening == 2 and seen == [1, 2]
    assert "listening" not in m._process_param_change({"listening": 2})  # never sent out
    inbox = (STATIC_DIR / "map" / "inbox.js").read_text(encoding="utf-8")
    assert inbox.index('model.on("msg:custom"') < inbox.index('send_msg({ type: "listening" })')
    js = (STATIC_DIR / "leaflet_map.js").read_text(encoding="utf-8")
    assert js.index("openInbox(model)") < js.index("= await ")  # registered, said, before the first wait
