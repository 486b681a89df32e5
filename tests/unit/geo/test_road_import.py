import json
from pathlib import Path

import pytest

from geo.road_import import normalise_class, read_roads
from tests.conftest import SHARED_DATA

CHENGDU = SHARED_DATA / "chengdu_wuhou_roads.geojson"


@pytest.fixture(scope="module")
def chengdu():
    if not CHENGDU.exists():
        pytest.skip(f"reference data missing: {CHENGDU}")
    return read_roads(CHENGDU)


def test_chengdu_roads_read_cleanly(chengdu):
    territory, problems = chengdu
    assert problems == []
    nodes, edges = territory["road_nodes"], territory["road_edges"]
    assert len(nodes) == 459
    raw = json.loads(CHENGDU.read_text())["features"]
    # each kept segment stands for one directed edge, or two when both directions exist
    directed = len(edges) + int((edges.reverse_cost_s >= 0).sum())
    assert directed == len(raw) == 852
    assert set(edges.source) | set(edges.target) <= set(nodes.id)
    assert (edges.cost_s > 0).all()
    assert abs(edges.length_m.sum() + edges.length_m[edges.reverse_cost_s >= 0].sum()
               - sum(f["properties"]["length_m"] for f in raw)) < 1.0


def test_classes_are_normalised():
    assert normalise_class("primary_link") == "primary"
    assert normalise_class("") == "unclassified"
    assert normalise_class(None) == "unclassified"
    assert normalise_class("spaceway") is None


def _write(tmp_path: Path, features: list[dict]) -> Path:
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _line(coords, **props):
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "LineString", "coordinates": coords}}


def test_plain_lines_are_noded_at_shared_ends_and_oneway_honoured(tmp_path):
    path = _write(tmp_path, [
        _line([[84.87, 45.60], [84.88, 45.60]], highway="primary", name="天山路"),
        _line([[84.88, 45.60], [84.88, 45.61]], highway="residential", oneway="yes"),
        _line([[84.88, 45.61], [84.87, 45.61]], highway="residential", oneway="-1"),
    ])
    territory, problems = read_roads(path)
    assert problems == []
    edges = territory["road_edges"]
    assert len(territory["road_nodes"]) == 4
    assert edges.source.iloc[1] == edges.target.iloc[0]
    assert edges.reverse_cost_s.iloc[1] == -1 and edges.cost_s.iloc[1] > 0
    assert edges.cost_s.iloc[2] == -1 and edges.reverse_cost_s.iloc[2] > 0
    assert 770 < edges.length_m.iloc[0] < 790  # 0.01° of longitude at 45.6°N


def test_bad_rows_are_all_reported(tmp_path):
    path = _write(tmp_path, [
        _line([[84.87, 45.60], [84.88, 45.60]], highway="spaceway", id="a"),
        _line([[84.88, 45.60], [84.88, 45.61]], highway="primary", speed_mps=0, id="b"),
        _line([[84.88, 45.61], [84.87, 45.61]], highway="primary", id="b"),
        {"type": "Feature", "properties": {"id": "c"},
         "geometry": {"type": "Point", "coordinates": [84.87, 45.6]}},
    ])
    _, problems = read_roads(path)
    kinds = sorted(p.kind for p in problems)
    assert kinds == ["bad_value", "bad_value", "duplicate_code", "unknown_category"]
    assert any("spaceway" in p.message for p in problems)


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json")
    _, problems = read_roads(path)
    assert problems and problems[0].kind == "unreadable"
