"""Imports through the real path on real PostGIS: all or nothing, with a readable report."""

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from console.ops.importing import import_areas, import_roads, import_units
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


def _roster(path, rows):
    header = "编号,姓名,类型,电话,专长,语言,所属网格,所属警格,所属街道,班次,容量\n"
    path.write_text(header + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_units_roster_adds_and_updates_by_code_and_rejects_bad_files(empty_engine, tmp_path):
    with empty_engine.begin() as conn:
        import_areas(conn, _squares(tmp_path))
    good = _roster(tmp_path / "units.csv", [
        ["WG001", "张伟", "网格员", "13900000001", "", "普通话", "C1G1", "", "", "白班", "3"],
        ["TJ001", "王芳", "人民调解员", "13900000002", "邻里纠纷、婚姻家庭纠纷", "普通话、河南话",
         "", "", "S2", "白班", "2"],
    ])
    with empty_engine.begin() as conn:
        assert import_units(conn, good) == {"units_added": 2, "units_updated": 0}
        conn.execute(text("UPDATE units SET status = 'on_scene', active_load = 1 "
                          "WHERE code = 'WG001'"))
    again = _roster(tmp_path / "again.csv", [
        ["WG001", "张伟", "网格员", "13900000009", "", "普通话", "C1G1", "", "", "白班", "3"]])
    with empty_engine.begin() as conn:
        assert import_units(conn, again) == {"units_added": 0, "units_updated": 1}
    with empty_engine.connect() as conn:
        row = conn.execute(text(
            "SELECT u.phone, u.status, u.active_load, u.community_id = g.community_id, "
            "u.street_id IS NOT NULL FROM units u JOIN grids g ON g.id = u.home_grid_id "
            "WHERE u.code = 'WG001'")).one()
        skills = conn.scalar(text("SELECT skills FROM units WHERE code = 'TJ001'"))
    assert tuple(row) == ("13900000009", "on_scene", 1, True, True)
    assert sorted(skills) == ["family", "neighbour"]
    bad = _roster(tmp_path / "bad.csv", [
        ["WG002", "李四", "网格员", "", "钓鱼", "", "NOPE", "", "", "", ""]])
    with pytest.raises(ImportRejected) as err, empty_engine.begin() as conn:
        import_units(conn, bad)
    assert "钓鱼" in err.value.report() and "NOPE" in err.value.report()
    assert _count(empty_engine, "units") == 2
