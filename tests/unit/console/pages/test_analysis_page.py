"""The 研判 page's tab registry: every entry has its browser module exporting mount(el, ctx),
keys are unique, a reader sees the tabs their role may open; the map's hotspot layer follows
the chosen period."""

from __future__ import annotations

import re

from console.map import STATIC_DIR, validate_layers
from console.pages.analysis import TABS, hotspot_url, labels, tabs_for
from dispatch.access import Principal
from layers.hotspots import hotspot_map_layers


def test_every_tab_has_its_module_exporting_mount() -> None:
    keys = [t.key for t in TABS]
    assert len(keys) == len(set(keys)) and keys[0] == "figures"
    for tab in TABS:
        assert re.fullmatch(r"[a-z_]+", tab.key) and tab.label
        path = STATIC_DIR / "analysis" / f"{tab.key}.js"
        assert path.is_file(), path
        assert re.search(r"^export (async )?function mount\(el, ctx\)", path.read_text("utf-8"),
                         re.M), path
        assert tab.module == f"fq/analysis/{tab.key}.js"


def test_readers_see_the_tabs_their_role_may_open() -> None:
    leader = Principal(name="l", role="leader")
    field = Principal(name="f", role="field", unit_id=1)
    assert [t["key"] for t in tabs_for(leader)] == [t.key for t in TABS]
    assert tabs_for(field) == []  # a field account reads no figures (and the page refuses it)
    assert tabs_for(leader)[0]["module"] == "fq/analysis/figures.js"
    assert set(labels()["rank_by"]) <= set(labels()["breakdowns"])


def test_the_hotspot_layer_is_the_chosen_periods() -> None:
    url = hotspot_url("/api/v1/", {"from": "2026-11-01", "to": "2026-11-30"}, "family")
    assert url == "/api/v1/analysis/hotspots?from=2026-11-01&to=2026-11-30&category=family"
    layers = hotspot_map_layers(url)
    validate_layers(layers)
    hot = next(layer for layer in layers if layer["name"] == "hotspots")
    assert hot["url"] == url and hot["style"]["by"] == "class"
    assert set(hot["style"]["classes"]) == {"3", "2", "1", "0", "-1", "-2", "-3"}
    assert hot["style"]["classes"]["0"]["fillOpacity"] == 0.0
