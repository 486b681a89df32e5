"""Imports through the real path on real PostGIS: all or nothing, with a readable report."""

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from console.importing import import_areas, import_roads
from geo.errors import ImportRejected
from tests.conftest import SHARED_DATA

CHENGDU = SHARED_DATA / "chengdu_wuhou_roads.geojson"


def _count(engine, table):
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {table}"))


def test_chengdu_roads_import_and_route_with_pgrouting(empty_engine):
    with empty_engine.begin() as conn:
        counts = import_roads(conn, CHENGDU)
    assert counts["road_nodes"] == 459 and counts["road_edges"] == _count(empty_engine, "road_edges")
    with empty_engine.connect() as conn:
        ends = conn.execute(text(
            "SELECT min(source), max(target) FROM road_edges")).one()
        cost = conn.scalar(text(
            "SELECT agg_cost FROM pgr_dijkstraCost("
            "'SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost "
            "FROM road_edges', :a, :b, true)"), {"a": ends[0], "b": ends[1]})
        layer_ok = conn.scalar(text("SELECT bool_and(ST_IsValid(geom)) FROM road_edges"))
    assert cost is not None and cost > 0
    assert layer_ok


def test_bad_roads_file_leaves_the_previous_network(empty_engine, tmp_path):
    with empty_engine.begin() as conn:
        import_roads(conn, CHENGDU)
    before = _count(empty_engine, "road_edges")
    bad = gpd.read_file(CHENGDU).head(30)
    bad.loc[3, "highway"] = "spaceway"
    bad.loc[7, "speed_mps"] = -5
    path = tmp_path / "bad.gpkg"
    bad.to_file(path, driver="GPKG")
    with pytest.raises(ImportRejected) as err, empty_engine.begin() as conn:
        import_roads(conn, path)
    report = err.value.report()
    assert "spaceway" in report and "速度" in report and "未写入任何数据" in report
    assert _count(empty_engine, "road_edges") == before


def _squares(tmp_path, *, gap=False, overlap=False):
    """Two streets of two communities, each community one grid; in degrees near Karamay."""
    x0, y0, d = 84.86, 45.59, 0.01
    box = shapely.box
    streets = gpd.GeoDataFrame({"code": ["S1", "S2"], "name": ["甲街道", "乙街道"]},
                               geometry=[box(x0, y0, x0 + d, y0 + 2 * d),
                                         box(x0 + d, y0, x0 + 2 * d, y0 + 2 * d)], crs=4326)
    comms = gpd.GeoDataFrame({
        "code": ["C1", "C2", "C3", "C4"], "name": ["一社区", "二社区", "三社区", "四社区"],
        "street_code": ["S1", "S1", "S2", "S2"]}, geometry=[
        box(x0, y0, x0 + d, y0 + d), box(x0, y0 + d, x0 + d, y0 + 2 * d),
        box(x0 + d, y0, x0 + 2 * d, y0 + d),
        box(x0 + d, y0 + d + (0.001 if gap else 0), x0 + 2 * d, y0 + 2 * d)], crs=4326)
    grids = comms.rename(columns={"street_code": "s"}).assign(
        code=lambda f: f.code + "G1", name=lambda f: f.name + "第1网格",
        community_code=["C1", "C2", "C3", "C4"])
    if overlap:
        grids.loc[0, "geometry"] = box(x0, y0, x0 + d, y0 + d * 1.2)
    files = {}
    for level, frame in (("streets", streets), ("communities", comms), ("grids", grids)):
        files[level] = tmp_path / f"{level}.geojson"
        frame.to_file(files[level], driver="GeoJSON")
    return files


def test_areas_import_good_files(empty_engine, tmp_path):
    with empty_engine.begin() as conn:
        counts = import_areas(conn, _squares(tmp_path), district=("650203", "克拉玛依区"))
    assert counts == {"districts": 1, "streets": 2, "communities": 4, "grids": 4}
    with empty_engine.connect() as conn:
        inside = conn.scalar(text(
            "SELECT bool_and(ST_CoveredBy(g.geom, c.geom)) FROM grids g "
            "JOIN communities c ON c.id = g.community_id"))
    assert inside


@pytest.mark.parametrize(("fault", "kind"), [("gap", "gap"), ("overlap", "overlap")])
def test_areas_with_topology_faults_are_rejected_whole(empty_engine, tmp_path, fault, kind):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    with empty_engine.begin() as conn:
        import_areas(conn, _squares(good))
    with pytest.raises(ImportRejected) as err, empty_engine.begin() as conn:
        import_areas(conn, _squares(bad, **{fault: True}))
    assert kind in {p.kind for p in err.value.problems}
    located = [p for p in err.value.problems if p.kind == kind]
    assert located[0].lon is not None and located[0].area_m2 and located[0].area_m2 > 1
    assert _count(empty_engine, "communities") == 4  # the earlier import is untouched
