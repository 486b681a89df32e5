"""The 研判 layers: Gi* classes and emerging patterns styled, the legend naming what is drawn."""

from __future__ import annotations

import numpy as np
from shapely.geometry import box

from analysis.gistar import gi_star
from analysis.hotspots import MicroGrids, features
from layers.hotspots import emerging_layer, hotspot_layer


def _answer() -> dict:
    polys = [box(i, j, i + 1, j + 1) for j in range(8) for i in range(8)]
    micro = MicroGrids.build(list(range(64)), polys)
    y = np.ones(64)
    y[[27, 28, 35, 36]] = 12
    return {"features": features(gi_star(y, micro.w), micro.geojson())}


def test_only_significant_areas_are_drawn_with_a_stronger_fill_for_stronger_classes():
    layer = hotspot_layer(_answer())
    classes = [f["properties"]["class"] for f in layer["features"]]
    assert classes and 0 not in classes
    by_class = {f["properties"]["class"]: f["properties"]["style"] for f in layer["features"]}
    assert by_class[3]["fillColor"] == "#b2182b"
    if 1 in by_class:
        assert by_class[1]["fillOpacity"] < by_class[3]["fillOpacity"]
    assert {e["class"] for e in layer["legend"]} == set(classes)
    assert len(hotspot_layer(_answer(), significant_only=False)["features"]) == 64


def test_the_emerging_layer_leaves_no_pattern_out():
    answer = {"features": [
        {"type": "Feature", "id": "1", "geometry": None, "properties": {"pattern": "hot_new"}},
        {"type": "Feature", "id": "2", "geometry": None, "properties": {"pattern": "none"}}]}
    layer = emerging_layer(answer)
    assert [f["id"] for f in layer["features"]] == ["1"]
    assert layer["legend"] == [{"pattern": "hot_new", "label": "新兴热点", "colour": "#ff7f00"}]
