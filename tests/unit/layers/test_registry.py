from geo.schema import FACILITY_KINDS
from layers.registry import FACILITY_LABELS, LAYERS, feature_collection


def test_every_facility_kind_has_a_chinese_label_and_colour():
    assert set(FACILITY_LABELS) == set(FACILITY_KINDS)
    assert set(LAYERS["facilities"].colours) == set(FACILITY_KINDS)


def test_point_features_get_their_colour_by_attribute():
    feats = [{"type": "Feature", "properties": {"kind": "police_office"}, "geometry": None},
             {"type": "Feature", "properties": {"kind": "??"}, "geometry": None}]
    fc = feature_collection("facilities", feats)
    assert fc["type"] == "FeatureCollection" and fc["label"] == "服务设施"
    assert fc["features"][0]["properties"]["colour"] == LAYERS["facilities"].colours["police_office"]
    assert fc["features"][1]["properties"]["colour"].startswith("#")


def test_micro_grids_only_from_a_zoom_level():
    assert LAYERS["micro_grids"].min_zoom and LAYERS["micro_grids"].min_zoom >= 14
