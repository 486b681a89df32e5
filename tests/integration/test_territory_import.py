"""A real centre's territory from its own files, on real PostGIS: Chengdu roads, hand-drawn areas."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from console.ops.import_audit import audited
from console.ops.importing import (
    import_addresses,
    import_areas,
    import_facilities,
    import_roads,
    import_units,
)
from geo.errors import ImportRejected
from geo.geocoder import geocode
from tests import chengdu_files as cd

pytestmark = pytest.mark.skipif(not cd.ROADS.exists(), reason="../shared/data is missing")


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {table}")))


@pytest.fixture
def territory(empty_engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    files = cd.make_areas(tmp_path)
    with empty_engine.begin() as conn:
        import_areas(conn, files, district=("510107", "武侯区"))
        import_roads(conn, cd.ROADS)
    return empty_engine, tmp_path


def test_roads_alone_answer_at_road_level_approximately(territory):
    engine, _ = territory
    with engine.connect() as conn:
        res = geocode(conn, "玉林北路")
        door = geocode(conn, "成都市武侯区玉林北路12号")
    assert res.candidates and res.candidates[0].level == "road"
    assert res.approximate and res.candidates[0].confidence < 0.6
    assert res.candidates[0].micro_grid_id is not None
    assert door.candidates and door.candidates[0].level == "road" and door.approximate


def test_address_library_geocodes_and_reports_counts(territory):
    engine, folder = territory
    rows = cd.address_rows(folder)
    path = cd.write_addresses(rows, folder / "addresses.csv")
    with engine.begin() as conn:
        counts = import_addresses(conn, path)
    assert counts["rows"] == len(rows)
    assert counts["buildings"] > 0 and counts["door_ranges"] > 0
    sample = [r for r in rows if "door" in r][::25] + [r for r in rows if "building" in r][::7]
    with engine.connect() as conn:
        from geo.locate import Locator

        loc = Locator.from_db(conn)
        hits = 0
        for r in sample:
            want = loc.ids([r["lon"]], [r["lat"]])[0]
            res = geocode(conn, str(r["text"]))
            hits += bool(res.candidates) and res.candidates[0].micro_grid_id == want
            assert not res.approximate or not res.candidates
        # a door between two stored doors is interpolated on a library road
        door = next(r for r in rows if "door" in r and r["door"] == 3)
        between = geocode(conn, f"{door['road']}4号")
    assert hits / len(sample) >= 0.98, (hits, len(sample))
    assert between.candidates and between.candidates[0].level == "door"


def test_bad_rows_are_named_and_nothing_is_written(territory):
    engine, folder = territory
    rows = cd.address_rows(folder, compounds=0)[:20]
    path = folder / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["标准地址", "经度", "纬度", "备注"])
        for r in rows[:5]:
            w.writerow([r["text"], r["lon"], r["lat"], ""])
        w.writerow([rows[5]["text"], rows[5]["lat"], rows[5]["lon"], ""])  # swapped
        w.writerow([rows[6]["text"], 116.39, 39.9, ""])  # Beijing: outside
        w.writerow([rows[0]["text"], rows[0]["lon"], rows[0]["lat"], ""])  # duplicate
        w.writerow(["成都市武侯区12345", rows[7]["lon"], rows[7]["lat"], ""])  # unparseable
        w.writerow([rows[8]["text"], "东经104度", rows[8]["lat"], ""])
    before = _count(engine, "addresses")
    with pytest.raises(ImportRejected) as err:
        audited(engine, actor="tester", kind="addresses", files=[path], dry_run=False,
                work=lambda conn: import_addresses(conn, path))
    report = err.value.report()
    for words in ("未知的列 “备注”", "第7行 经度与纬度疑似填反", "第8行 坐标（经度、纬度）不在已导入的辖区内",
                  "第9行 标准地址", "与第2行重复", "第10行 标准地址 “成都市武侯区12345” 无法解析",
                  "第11行 经度 “东经104度” 不是数字"):
        assert words in report, (words, report)
    assert _count(engine, "addresses") == before
    with engine.connect() as conn:
        row = conn.execute(text("SELECT actor, action, detail FROM audit_log "
                                "ORDER BY id DESC LIMIT 1")).one()
    assert row[0] == "tester" and row[1] == "import"
    assert row[2]["result"] == "rejected" and row[2]["problems"] == 6
    assert row[2]["files"][0]["name"] == "bad.csv" and len(row[2]["files"][0]["sha256"]) == 64


def test_dry_run_writes_nothing_but_is_audited(territory):
    engine, folder = territory
    path = cd.write_addresses(cd.address_rows(folder, compounds=3), folder / "a.csv")
    before = _count(engine, "addresses")
    counts = audited(engine, actor="tester", kind="addresses", files=[path], dry_run=True,
                     work=lambda conn: import_addresses(conn, path, dry_run=True))
    assert counts["rows"] > 0 and _count(engine, "addresses") == before
    with engine.connect() as conn:
        action, detail = conn.execute(text(
            "SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1")).one()
    assert action == "import_validate" and detail["result"] == "valid"
    assert detail["counts"]["rows"] == counts["rows"]


def test_facilities_and_roster_by_names(territory):
    engine, folder = territory
    fac = cd.write_facilities(folder, folder / "facilities.csv")
    roster = cd.write_roster(folder, folder / "units.csv")
    with engine.begin() as conn:
        f = import_facilities(conn, fac)
        u = import_units(conn, roster)
    assert f["facilities_added"] == 4 + 12 * 2 + 5
    assert u["units_added"] == 12 * 6
    with engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT kind, count(*) FROM facilities GROUP BY kind")).all())
        centre = conn.execute(text("SELECT level, street_id IS NOT NULL, hours FROM facilities "
                                   "WHERE name = '玉林街道综治中心'")).one()
        worker = conn.execute(text(
            "SELECT g.name, c.name FROM units u JOIN grids g ON g.id = u.home_grid_id "
            "JOIN communities c ON c.id = u.community_id WHERE u.code = 'W003'")).one()
        res = geocode(conn, "电信路社区调解室")
    assert kinds["governance_centre"] == 5 and kinds["judge_workstation"] == 1
    assert kinds["circuit_court"] == 1 and kinds["mediation_studio"] == 1
    assert centre == ("street", True, "周一至周五 9:00-17:30")
    assert worker == ("第3网格", "玉林北路社区")
    assert res.candidates and res.candidates[0].level == "place"


def test_roster_unknown_columns_and_ambiguous_names(territory):
    engine, folder = territory
    path = folder / "roster.csv"
    path.write_text("编号,姓名,类型,所属网格,籍贯\nW1,张三,网格员,第1网格,四川\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as err, engine.begin() as conn:
        import_units(conn, path)
    report = err.value.report()
    assert "未知的列 “籍贯”" in report
    assert "所属网格 “第1网格” 对应多个区域" in report


def test_replacing_the_areas_keeps_cases_units_accounts_and_addresses(territory):
    engine, folder = territory
    rows = cd.address_rows(folder, compounds=5)
    path = cd.write_addresses(rows, folder / "addresses.csv")
    with engine.begin() as conn:
        import_addresses(conn, path)
        import_facilities(conn, cd.write_facilities(folder, folder / "f.csv"))
        import_units(conn, cd.write_roster(folder, folder / "u.csv"))
        from dispatch.adapters.accounts import create_account

        street = conn.execute(text("SELECT id, code FROM streets ORDER BY id LIMIT 1")).one()
        create_account(conn, username="disp1", password="Disp-pass-2026", role="dispatcher",
                       street_id=street[0], display_name="调度员")
        door = next(r for r in rows if "door" in r)
        conn.execute(text("""
            INSERT INTO incidents (code, channel, category, title, state, geom, street_id,
                                   community_id, grid_id, micro_grid_id)
            SELECT '2026-000001', 'hotline', 'neighbour', '噪音', 'located',
                   ST_SetSRID(ST_MakePoint(:x, :y), 4326), m.street_id, m.community_id,
                   m.grid_id, m.micro_grid_id
            FROM (SELECT s.id AS street_id, c.id AS community_id, g.id AS grid_id,
                         mg.id AS micro_grid_id
                  FROM micro_grids mg JOIN grids g ON g.id = mg.grid_id
                  JOIN communities c ON c.id = g.community_id JOIN streets s ON s.id = c.street_id
                  WHERE ST_Covers(mg.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))) m"""),
                     {"x": door["lon"], "y": door["lat"]})
        old_chain = conn.execute(text(
            "SELECT g.code, mg.code FROM incidents i JOIN grids g ON g.id = i.grid_id "
            "JOIN micro_grids mg ON mg.id = i.micro_grid_id")).one()
        before = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in (
            "incidents", "units", "accounts", "addresses", "facilities", "buildings")}
    redrawn = folder / "redrawn"
    redrawn.mkdir()
    files = cd.make_areas(redrawn, seed=99)  # the same codes, the inner lines drawn anew
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as listen:
        listen.exec_driver_sql("LISTEN fq_dispatch")
        with engine.begin() as conn:
            report = import_areas(conn, files, district=("510107", "武侯区"))
        heard = [json.loads(n.payload) for n in
                 listen.connection.driver_connection.notifies(timeout=2.0, stop_after=1)]
    # live desks are told on commit (they drop what they placed by street)
    assert heard == [{"type": "areas_replaced", "actor": "import", "incidents": 1, "units": 72}]
    assert report["incidents_relocated"] == 1 and report["units_relocated"] == 72
    assert report["chains_kept"] == 1 and report["incidents_outside"] == 0
    assert sum(report["moved"]["unit"].values()) == 72  # type: ignore[union-attr]
    with engine.connect() as conn:
        after = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in before}
        assert after == before  # nothing deleted but the old areas
        assert conn.scalar(text("SELECT count(*) FROM streets")) == 4
        # the case's chain is where its point now falls; its former chain is kept
        now = conn.execute(text(
            "SELECT mg.id, ST_Covers(mg.geom, i.geom), g.code FROM incidents i "
            "JOIN micro_grids mg ON mg.id = i.micro_grid_id JOIN grids g ON g.id = i.grid_id"
        )).one()
        assert now[1] is True
        kept = conn.execute(text("SELECT chain FROM incident_area_history")).scalar_one()
        assert kept["grid"]["code"] == old_chain[0] and kept["micro_grid"]["code"] == old_chain[1]
        # the account follows its street by code; every unit keeps a home grid
        acc = conn.execute(text("SELECT s.code FROM accounts a JOIN streets s ON s.id = a.street_id "
                                "WHERE a.username = 'disp1'")).scalar_one()
        assert acc == street[1]
        assert conn.scalar(text("SELECT count(*) FROM units WHERE home_grid_id IS NULL "
                                "AND unit_type = 'grid_worker'")) == 0
        assert conn.scalar(text("SELECT count(*) FROM addresses WHERE micro_grid_id IS NULL")) == 0
        res = geocode(conn, str(door["text"]))
    assert res.candidates and res.candidates[0].level == "door"
