"""The wall's layers without a database or browser: classes, features, drill-down, fitting, diffs."""

from __future__ import annotations

import json
import math

import pytest

from console.map import validate_layers
from dispatch.stats import Scope
from layers.wall import (
    CASE_STYLES,
    OVERDUE_STYLES,
    case_features,
    case_places,
    case_tone,
    click_chain,
    density_breaks,
    density_class,
    density_labels,
    diff,
    drill,
    fit_view,
    focus_features,
    grid_features,
    overdue_class,
    wall_layers,
)


def _square(x: float, y: float, d: float = 0.01) -> dict:
    return {"type": "MultiPolygon",
            "coordinates": [[[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]]}


SHAPES = [{"type": "Feature", "id": i, "geometry": _square(84.8 + i * 0.01, 45.6),
           "properties": {"id": i, "name": f"第{i}网格", "code": f"G{i}", "community_id": 7,
                          "street_id": 1}} for i in range(1, 5)]


def test_density_breaks_split_positive_counts_at_quantiles():
    counts = [0] * 50 + list(range(1, 101))
    breaks = density_breaks(counts)
    assert breaks == (25, 50, 75)
    assert [density_class(n, breaks) for n in (0, 1, 25, 26, 50, 75, 76, 1000)] == [
        "0", "1", "1", "2", "2", "3", "4", "4"]


def test_density_breaks_stay_increasing_and_leave_the_top_class_non_empty():
    assert density_breaks([]) == ()
    assert density_breaks([0, 0]) == ()
    assert density_breaks([3, 3, 3, 3]) == ()  # one value: one class above "none"
    b = density_breaks([1, 1, 1, 1, 1, 1, 2, 9])
    assert list(b) == sorted(set(b)) and all(x < 9 for x in b)


def test_density_labels_cover_every_class_without_gaps():
    labels = density_labels((2, 5, 9))
    assert labels == {"0": "无案件", "1": "1–2 件", "2": "3–5 件", "3": "6–9 件",
                      "4": "10 件及以上"}
    assert density_labels((1, 3))["1"] == "1 件"
    assert density_labels(()) == {"0": "无案件", "1": "1 件及以上"}


def test_overdue_classes_and_case_tones():
    assert [overdue_class(n) for n in (0, 1, 2, 3, 9)] == [None, "1", "2", "3", "3"]
    assert set(OVERDUE_STYLES) == {"1", "2", "3"}
    assert case_tone({"overdue": True, "priority": 4}) == "overdue"
    assert case_tone({"overdue": False, "priority": 2}) == "urgent"
    assert case_tone({"overdue": False, "priority": 3}) == "open"
    assert set(CASE_STYLES) == {"overdue", "urgent", "open"}


def test_grid_features_density_for_all_and_overdue_only_where_overdue():
    heat = [{"id": 1, "intake": 0, "open": 0, "overdue": 0},
            {"id": 2, "intake": 7, "open": 2, "overdue": 1},
            {"id": 3, "intake": 30, "open": 5, "overdue": 4}]  # grid 4: no row at all
    density, overdue = grid_features(SHAPES, heat, (5, 10))
    assert set(density) == {"1", "2", "3", "4"}
    assert [density[k]["properties"]["heat"] for k in ("1", "2", "3", "4")] == ["0", "2", "3", "0"]
    assert set(overdue) == {"2", "3"}
    assert overdue["3"]["properties"]["heat"] == "3" and overdue["2"]["properties"]["heat"] == "1"
    assert density["2"]["geometry"] == SHAPES[1]["geometry"]
    assert density["2"]["properties"]["name"] == "第2网格"


def test_case_features_carry_nothing_personal():
    cases = [{"id": 5, "lon": 84.871, "lat": 45.602, "priority": 1, "overdue": False,
              "category_label": "邻里纠纷", "state_label": "调解中",
              # fields the query never returns, to prove they are not copied through
              "caller_name": "张三", "caller_phone": "13800000000", "address": "天山路1号"},
             {"id": 6, "lon": None, "lat": None, "priority": 3}]
    feats = case_features(cases)
    assert list(feats) == ["c5"]
    text = json.dumps(feats, ensure_ascii=False)
    for secret in ("张三", "13800000000", "天山路1号"):
        assert secret not in text
    props = feats["c5"]["properties"]
    assert props == {"id": "c5", "tone": "urgent", "name": "邻里纠纷 · 调解中"}


def test_focus_features_mask_and_outline_but_not_for_the_whole_territory():
    area = {"level": "street", "name": "天山路街道", "outline": _square(84.8, 45.6),
            "mask": _square(84.0, 45.0, 2.0)}
    feats = focus_features(area)
    assert [f["properties"]["role"] for f in feats] == ["mask", "outline"]
    assert focus_features({"level": "all", "outline": None}) == []


def test_wall_layers_are_valid_leaflet_configs_with_the_sessions_breaks():
    layers = wall_layers((2, 5, 9), api_base="/api/v1/")
    validate_layers(layers)
    by_name = {cfg["name"]: cfg for cfg in layers}
    assert list(by_name) == ["roads", "grids", "communities", "streets", "overdue", "focus",
                             "cases"]
    assert by_name["grids"]["url"] == "/api/v1/stats/heat.geojson?breaks=2,5,9"
    assert set(by_name["grids"]["style"]["classes"]) == {"0", "1", "2", "3", "4"}
    assert by_name["overdue"]["url"] is None and by_name["cases"]["url"] is None
    for cfg in layers:  # every request stays on our own origin
        assert cfg["url"] is None or cfg["url"].startswith("/api/v1/")


def _hits(street=None, community=None, grid=None, extra=()):
    out = list(extra)
    for layer, v in (("grids", grid), ("communities", community), ("streets", street)):
        if v is not None:
            out.append({"layer": layer, "id": str(v), "name": "x", "code": "y"})
    return out


def test_click_chain_reads_the_areas_a_click_fell_in():
    assert click_chain(_hits(1, 12, 130)) == Scope(1, 12, 130)
    assert click_chain(_hits(1)) == Scope(1)
    assert click_chain([]) == Scope()
    # a missing middle level cuts the chain; foreign layers and bad ids are ignored
    assert click_chain(_hits(1, None, 130)) == Scope(1)
    assert click_chain(_hits(1, 12, extra=[{"layer": "focus", "id": "mask"},
                                           {"layer": "grids", "id": "oops"}])) == Scope(1, 12)


@pytest.mark.parametrize(("scope", "hits", "expected"), [
    (Scope(), _hits(1, 12, 130), Scope(1)),  # all → the street
    (Scope(1), _hits(1, 12, 130), Scope(1, 12)),  # inside the street → its community
    (Scope(1, 12), _hits(1, 12, 130), Scope(1, 12, 130)),  # → the grid
    (Scope(1, 12, 130), _hits(1, 12, 130), None),  # the grid itself: stay
    (Scope(1), _hits(2, 20, 200), Scope(2)),  # another street: go there
    (Scope(1, 12), _hits(1, 13, 140), Scope(1, 13)),  # a sibling community
    (Scope(1, 12, 130), _hits(1, 12, 131), Scope(1, 12, 131)),  # a sibling grid
    (Scope(1, 12, 130), _hits(3, 30, 300), Scope(3, 30, 300)),  # a grid far away
    (Scope(1), [], None),  # outside every area
    (Scope(1), _hits(1), None),  # inside the street, but no community under the click
])
def test_drill(scope, hits, expected):
    assert drill(scope, hits) == expected


def _extent_px(bbox, zoom):
    def y(lat):
        s = math.sin(math.radians(lat))
        return 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
    scale = 256 * 2 ** zoom
    return (bbox[2] - bbox[0]) / 360 * scale, (y(bbox[1]) - y(bbox[3])) * scale


@pytest.mark.parametrize("bbox", [(84.82, 45.57, 84.91, 45.62), (84.85, 45.61, 84.86, 45.615),
                                  (116.0, 39.5, 117.0, 40.5)])
def test_fit_view_is_the_closest_zoom_that_shows_the_whole_box(bbox):
    (lat, lon), zoom = fit_view(bbox, 1000, 800, pad=0.05)
    w, h = _extent_px(bbox, zoom)
    assert w <= 900 and h <= 720
    w1, h1 = _extent_px(bbox, zoom + 1)
    assert w1 > 900 or h1 > 720
    assert (lat, lon) == pytest.approx(((bbox[1] + bbox[3]) / 2, (bbox[0] + bbox[2]) / 2))


def test_fit_view_keeps_the_legend_side_free():
    bbox = (84.82, 45.57, 84.91, 45.62)
    (_, lon_free), z_free = fit_view(bbox, 1000, 800)
    (_, lon), z = fit_view(bbox, 1000, 800, right_px=250)
    assert z <= z_free
    # the centre moves east by half the legend's width, so the box sits left of the legend
    assert (lon - lon_free) / 360 * 256 * 2 ** z == pytest.approx(125, abs=0.5)


def test_diff_sends_only_what_changed_and_removes_what_left():
    a = {"type": "Feature", "id": "1", "geometry": None, "properties": {"n": 1}}
    b = {"type": "Feature", "id": "2", "geometry": None, "properties": {"n": 2}}
    ups, gone, sigs = diff({}, {"1": a, "2": b})
    assert [f["id"] for f in ups] == ["1", "2"] and gone == []
    ups, gone, sigs2 = diff(sigs, {"1": a, "2": {**b, "properties": {"n": 3}}})
    assert [f["id"] for f in ups] == ["2"] and gone == []
    ups, gone, _ = diff(sigs2, {"2": {**b, "properties": {"n": 3}}})
    assert ups == [] and gone == ["1"]
    # a point that moves is a change even with the same properties
    p = {"type": "Feature", "id": "c1", "geometry": {"type": "Point", "coordinates": [1, 2]},
         "properties": {"t": "open"}}
    _, _, s = diff({}, {"c1": p})
    moved = {**p, "geometry": {"type": "Point", "coordinates": [1, 3]}}
    assert diff(s, {"c1": moved})[0] == [moved]


def test_a_click_on_a_case_point_drills_toward_the_cases_grid():
    places = case_places([{"id": 9, "street_id": 1, "community_id": 12, "grid_id": 130},
                          {"id": 10, "street_id": 2, "community_id": None, "grid_id": None}])
    assert places == {"c9": Scope(1, 12, 130), "c10": Scope(2)}
    point = [{"layer": "cases", "id": "c9", "name": "邻里纠纷 · 调解中", "code": None}]
    assert drill(Scope(), point, places) == Scope(1)
    assert drill(Scope(1), point, places) == Scope(1, 12)
    assert drill(Scope(2), point, places) == Scope(1)
    assert drill(Scope(), point) is None  # an unknown point: stay
