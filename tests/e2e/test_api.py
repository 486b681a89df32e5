"""The HTTP API of the real server over the demo territory."""

import json
import urllib.error
import urllib.request

import pytest

from geo.queries import TERRITORY_LAYERS


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.headers, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers, json.loads(err.read())


def test_health_reports_the_demo_counts(live_server):
    status, headers, body = get(f"{live_server}/api/v1/health")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert body["status"] == "ok" and body["database"] == "ok"
    t = body["territory"]
    assert set(t) == {"districts", "streets", "communities", "grids", "micro_grids",
                      "police_grids", "facilities", "units", "road_edges", "addresses"}
    assert t["districts"] == 1 and t["streets"] >= 4 and t["communities"] >= 40
    assert t["grids"] >= 250 and t["micro_grids"] >= 1200 and t["units"] >= 500
    assert t["police_grids"] > 0 and t["facilities"] > 0 and t["road_edges"] > 0
    assert t["addresses"] > 0


@pytest.mark.parametrize("name", [*TERRITORY_LAYERS, "units", "incidents"])
def test_every_layer_is_geojson_naming_ids_and_parents(live_server, name):
    status, headers, body = get(f"{live_server}/api/v1/layers/{name}.geojson")
    assert status == 200 and headers["Content-Type"].startswith("application/geo+json")
    assert body["type"] == "FeatureCollection" and body["features"]
    props = body["features"][0]["properties"]
    assert {"id", "code", "name"} <= set(props)
    parents = {"streets": {"district_id"}, "communities": {"street_id"},
               "grids": {"street_id", "community_id"},
               "micro_grids": {"street_id", "community_id", "grid_id"},
               "police_grids": {"street_id"}, "units": {"street_id", "grid_id"},
               "incidents": {"street_id", "community_id", "grid_id"},
               "roads": {"source", "target", "length_m", "cost_s", "reverse_cost_s"}}
    assert parents.get(name, set()) <= set(props)
    lon, lat = _first_coordinate(body["features"][0]["geometry"])
    assert 84.5 < lon < 85.3 and 45.3 < lat < 45.9


def test_roads_merged_by_class_are_the_same_network_in_a_few_lines(live_server):
    _, _, edges = get(f"{live_server}/api/v1/layers/roads.geojson")
    status, _, merged = get(f"{live_server}/api/v1/layers/roads.geojson?merge=class")
    assert status == 200
    classes = {f["properties"]["road_class"] for f in edges["features"]}
    assert [f["id"] for f in merged["features"]] == sorted(classes)
    assert sum(f["properties"]["edges"] for f in merged["features"]) == len(edges["features"])
    assert len(merged["features"]) < len(edges["features"]) / 20
    for f in merged["features"]:
        assert f["geometry"]["type"] in ("LineString", "MultiLineString")
    n_points = sum(len(p) for f in merged["features"] for p in (
        f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiLineString"
        else [f["geometry"]["coordinates"]]))
    assert n_points <= sum(len(f["geometry"]["coordinates"]) for f in edges["features"])
    for bad in ("roads.geojson?merge=name", "grids.geojson?merge=class"):
        status, _, body = get(f"{live_server}/api/v1/layers/{bad}")
        assert status == 400 and body["error"]["field"] == "merge"


def _first_coordinate(geometry):
    coords = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords[0], coords[1]


def test_incident_layer_carries_no_personal_data(live_server):
    _, _, body = get(f"{live_server}/api/v1/layers/incidents.geojson?state=all&days=30")
    assert body["features"]
    for f in body["features"][:200]:
        assert not {"caller_name", "caller_phone", "parties"} & set(f["properties"])


def test_unknown_layer_and_bad_parameters_get_chinese_errors(live_server):
    status, _, body = get(f"{live_server}/api/v1/layers/secrets.geojson")
    assert status == 404 and body["error"]["field"] == "name" and "图层" in body["error"]["message"]
    status, _, body = get(f"{live_server}/api/v1/layers/incidents.geojson?days=abc")
    assert status == 400 and body["error"]["field"] == "days"


def test_pages_and_static_files_come_from_the_server(live_server):
    with urllib.request.urlopen(f"{live_server}/", timeout=60) as resp:
        html = resp.read().decode()
    assert resp.status == 200
    for host in ("cdn.", "unpkg", "jsdelivr", "googleapis", "cdnjs"):
        assert host not in html
    with urllib.request.urlopen(f"{live_server}/assets/vendor/leaflet/leaflet.js") as resp:
        assert resp.status == 200


def test_coverage_layer_colours_roads_by_minutes_to_the_nearest_free_unit(live_server):
    status, headers, body = get(f"{live_server}/api/v1/layers/coverage.geojson?minutes=10")
    assert status == 200 and headers["Content-Type"].startswith("application/geo+json")
    assert body["units"]["drive"] + body["units"]["walk"] > 100
    assert body["features"], "available units reach some roads within 10 minutes"
    minutes = [f["properties"]["minutes"] for f in body["features"]]
    assert max(minutes) <= 10 and min(minutes) == 0  # units stand on some roads
    assert {"colour", "band", "source", "target"} <= set(body["features"][0]["properties"])
    _, _, wider = get(f"{live_server}/api/v1/layers/coverage.geojson?minutes=30")
    assert len(wider["features"]) >= len(body["features"])
    status, _, err = get(f"{live_server}/api/v1/layers/coverage.geojson?minutes=999")
    assert status == 400 and err["error"]["field"] == "minutes"
