"""Location faces over HTTP on the real server: locate, addresses, and their errors."""

from sqlalchemy import text

from geo.coords import from_wgs84
from tests.e2e.test_api import get


def _inside_point(demo_engine):
    with demo_engine.connect() as conn:
        return conn.execute(text(
            "SELECT ST_X(p), ST_Y(p), id FROM (SELECT ST_PointOnSurface(geom) p, id "
            "FROM micro_grids ORDER BY id LIMIT 1 OFFSET 77) x")).one()


def test_locate_gives_the_whole_chain(live_server, demo_engine):
    lon, lat, micro = _inside_point(demo_engine)
    status, _, body = get(f"{live_server}/api/v1/locate?lon={lon}&lat={lat}")
    assert status == 200 and body["inside"] is True
    assert body["micro_grid"]["id"] == micro
    for key in ("district", "street", "community", "grid", "micro_grid", "police_grid",
                "centre", "mediation_room"):
        assert set(body[key]) == {"id", "code", "name"}, key
    assert abs(body["lon"] - lon) < 1e-9 and abs(body["lat"] - lat) < 1e-9


def test_locate_converts_gcj02_and_bd09_at_the_door(live_server, demo_engine):
    lon, lat, micro = _inside_point(demo_engine)
    for crs in ("gcj02", "bd09"):
        x, y = from_wgs84(lon, lat, crs)
        status, _, body = get(f"{live_server}/api/v1/locate?lon={float(x)}&lat={float(y)}&crs={crs}")
        assert status == 200 and body["micro_grid"]["id"] == micro
        assert abs(body["lon"] - lon) < 1e-7 and abs(body["lat"] - lat) < 1e-7


def test_locate_outside_the_territory(live_server):
    status, _, body = get(f"{live_server}/api/v1/locate?lon=84.70&lat=45.60")
    assert status == 200 and body["inside"] is False
    assert body["nearest_grid"]["code"] and body["distance_m"] > 1000


def test_locate_errors_name_the_field_in_chinese(live_server):
    cases = {"lon=abc&lat=45.6": "lon", "lat=45.6": "lon", "lon=84.87&lat=95": "lat",
             "lon=84.87&lat=45.6&crs=mars": "crs", "lon=45.6&lat=84.87": "lon"}
    for query, field in cases.items():
        status, _, body = get(f"{live_server}/api/v1/locate?{query}")
        assert status == 400, query
        assert body["error"]["field"] == field, (query, body)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"])
    _, _, body = get(f"{live_server}/api/v1/locate?lon=45.6&lat=84.87")
    assert "颠倒" in body["error"]["message"]


def test_addresses_page_through_the_gazetteer(live_server, demo_engine):
    status, _, first = get(f"{live_server}/api/v1/addresses?limit=50")
    assert status == 200 and len(first["items"]) == 50
    with demo_engine.connect() as conn:
        assert first["total"] == conn.scalar(text("SELECT count(*) FROM addresses"))
    item = first["items"][0]
    assert {"address", "lon", "lat", "micro_grid_id", "grid_id", "community_id",
            "street_id"} <= set(item)
    assert item["address"].startswith("克拉玛依区")
    _, _, second = get(f"{live_server}/api/v1/addresses?limit=50&offset=50")
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    status, _, body = get(f"{live_server}/api/v1/addresses?limit=999999")
    assert status == 400 and body["error"]["field"] == "limit"


def test_route_between_two_addresses_by_road(live_server, demo_engine):
    with demo_engine.connect() as conn:
        (a_lon, a_lat), (b_lon, b_lat) = conn.execute(text(
            "SELECT ST_X(geom), ST_Y(geom) FROM addresses WHERE id IN (10, 5000) ORDER BY id"
        )).all()
    url = (f"{live_server}/api/v1/route?from_lon={a_lon}&from_lat={a_lat}"
           f"&to_lon={b_lon}&to_lat={b_lat}")
    status, _, drive = get(url)
    assert status == 200 and drive["method"] == "road" and drive["eta_s"] > 0
    assert drive["geometry"]["type"] == "LineString" and len(drive["geometry"]["coordinates"]) > 2
    _, _, walk = get(url + "&profile=walk")
    assert walk["eta_s"] > drive["eta_s"]  # 1.3 m/s against urban driving speeds
    status, _, body = get(url + "&profile=fly")
    assert status == 400 and body["error"]["field"] == "profile"
    status, _, body = get(url.replace(f"to_lat={b_lat}", "to_lat=999"))
    assert status == 400 and body["error"]["field"] == "to_lat"


def test_geocode_finds_a_standard_address_and_its_grid(live_server, demo_engine):
    from urllib.parse import quote

    with demo_engine.connect() as conn:
        address, micro = conn.execute(text(
            "SELECT full_address, micro_grid_id FROM addresses WHERE level = 'building' "
            "ORDER BY id LIMIT 1 OFFSET 300")).one()
    status, _, body = get(f"{live_server}/api/v1/geocode?q={quote(address)}&limit=3")
    assert status == 200 and body["candidates"]
    best = body["candidates"][0]
    assert best["micro_grid_id"] == micro and best["level"] == "building"
    assert {"address", "lon", "lat", "level", "confidence", "grid_id", "community_id",
            "street_id"} <= set(best)
    status, _, body = get(f"{live_server}/api/v1/geocode?q={quote('火星基地1号')}")
    assert status == 200 and body["candidates"] == []
    status, _, body = get(f"{live_server}/api/v1/geocode?q=")
    assert status == 400 and body["error"]["field"] == "q"


def test_reverse_labels_a_point_with_its_chain(live_server, demo_engine):
    lon, lat, micro = _inside_point(demo_engine)
    status, _, body = get(f"{live_server}/api/v1/reverse?lon={lon}&lat={lat}")
    assert status == 200 and body["label"] and body["micro_grid"]["id"] == micro
    assert body["police_grid"] and body["centre"]
