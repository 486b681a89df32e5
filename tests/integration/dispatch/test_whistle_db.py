"""街道吹哨、部门报到、会商 on PostGIS: migration 0005 matches its tables, and the whole round
through the real server (logged in), each step audited, refusals writing nothing."""

from __future__ import annotations

from sqlalchemy import text

from dispatch.adapters import orm_whistle
from geo import db
from tests.conftest import SERVED

from .conftest import drift
from .test_supervise_db import call

OURS = {t.name for t in orm_whistle.WHISTLE_TABLES}


def test_orm_matches_migration_0005(empty_engine):
    with empty_engine.connect() as conn:
        assert drift(conn, OURS) == []
        assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE tablename = ANY(:t)"),
                           {"t": list(OURS)}) == 3



def test_whistle_report_consult_round_over_http(writable_server):
    base = writable_server
    engine = db.make_engine(SERVED[base])
    try:
        with engine.connect() as conn:
            lon, lat = conn.execute(text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                "ORDER BY id OFFSET 3 LIMIT 1) g")).one()
        status, reg = call("POST", f"{base}/api/v1/incidents", {
            "category": "labour", "channel": "hotline", "lon": lon, "lat": lat,
            "address": "吹哨路2号", "auto_dispatch": False,
            "parties": [{"name": "赵六", "phone": "13900004444"}]})
        assert status == 201, reg
        inc = f"{base}/api/v1/incidents/{reg['id']}"

        status, body = call("POST", f"{inc}/whistle", {"departments": ["nasa"], "reason": "x"})
        assert status == 422 and body["error"]["field"] == "departments"
        status, body = call("POST", f"{inc}/whistle/report", {"department": "court"})
        assert status == 409 and "没有进行中的吹哨" in body["error"]["message"]

        status, w = call("POST", f"{inc}/whistle", {
            "departments": ["judicial_office", "hrss_office"], "reason": "欠薪多方，社区未能化解",
            "report_within_h": 24})
        assert status == 200, w
        assert w["departments"] == ["judicial_office", "hrss_office"] and w["report_by"]
        status, body = call("POST", f"{inc}/whistle", {"departments": ["court"],
                                                        "reason": "再吹"})
        assert status == 409

        status, r = call("POST", f"{inc}/whistle/report", {"department": "judicial_office",
                                                           "note": "司法所到场"})
        assert status == 200 and r["late"] is False and r["waiting_for"] == ["hrss_office"]
        status, body = call("POST", f"{inc}/whistle/report", {"department": "judicial_office"})
        assert status == 409

        status, body = call("POST", f"{inc}/consultations", {"participants": ["一人"],
                                                             "outcome": "x"})
        assert status == 422 and body["error"]["field"] == "participants"
        status, m = call("POST", f"{inc}/consultations", {
            "participants": ["街道书记", {"name": "司法所长", "department": "judicial_office"}],
            "outcome": "企业三日内结清工资"})
        assert status == 201, m
        assert m["whistle_id"] == w["whistle_id"] and m["absent"] == ["hrss_office"]

        status, detail = call("GET", inc)
        assert status == 200
        (wh,) = detail["whistles"]
        assert wh["closed_at"] and [c["department"] for c in wh["calls"]] == [
            "judicial_office", "hrss_office"]
        assert wh["calls"][0]["reported_by"] and wh["calls"][1]["reported_at"] is None
        (cons,) = detail["consultations"]
        assert cons["participants"][1]["department_label"] == "司法所"
        actions = [a["action"] for a in detail["audit"] if a["action"] != "refused"]
        assert actions[-3:] == ["whistle", "whistle_report", "consultation"]
        refused = [a["reason"] for a in detail["audit"] if a["action"] == "refused"]
        for why in ("没有进行中的吹哨", "已有进行中的吹哨", "司法所已由"):  # each refusal audited
            assert sum(why in r for r in refused) == 1, (why, refused)
        assert all(a["actor"] for a in detail["audit"])
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM whistles WHERE incident_id = :i"),
                               {"i": reg["id"]}) == 1
    finally:
        engine.dispose()
