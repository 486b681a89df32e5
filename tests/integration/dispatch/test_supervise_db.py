"""督办 through the real server (logged in) down to PostGIS: the supervision, its audit row and
the refusals, at ``POST /api/v1/incidents/{id}/supervise``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from sqlalchemy import text

from geo import db
from tests.conftest import SERVED, as_user


def call(method: str, url: str, body: Any = None, *, user: str = "duty") -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **as_user(user)})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_supervise_opens_an_audited_record_and_refuses_bad_input(writable_server):
    base = writable_server
    engine = db.make_engine(SERVED[base])
    try:
        with engine.connect() as conn:
            lon, lat = conn.execute(text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                "ORDER BY id LIMIT 1) g")).one()
        status, reg = call("POST", f"{base}/api/v1/incidents", {
            "category": "labour", "channel": "hotline", "lon": lon, "lat": lat,
            "address": "督办路1号", "auto_dispatch": False,
            "parties": [{"name": "王五", "phone": "13900003333"}]})
        assert status == 201, reg
        url = f"{base}/api/v1/incidents/{reg['id']}/supervise"

        status, body = call("POST", url, {"level": "orange", "reason": "超时"})
        assert status == 422 and body["error"]["field"] == "level"
        status, body = call("POST", url, {"level": "yellow", "reason": " "})
        assert status == 422 and body["error"]["field"] == "reason"
        status, body = call("POST", url, {"level": "yellow", "reason": "超时"}, user="anonymous")
        assert status == 401

        status, got = call("POST", url, {"level": "yellow", "reason": "受理后久未派单"})
        assert status == 200, got
        assert got["kind"] == "sign" and got["level"] == "yellow" and got["supervision_id"]
        status, again = call("POST", url, {"level": "yellow", "reason": "再催"})
        assert status == 409 and "黄牌" in again["error"]["message"]

        status, detail = call("GET", f"{base}/api/v1/incidents/{reg['id']}")
        assert status == 200
        (sup,) = detail["supervisions"]
        assert (sup["id"], sup["level"], sup["reason"]) == (got["supervision_id"], "yellow",
                                                             "受理后久未派单")
        audit = [a for a in detail["audit"] if a["action"] == "supervise_manual"]
        assert len(audit) == 1 and audit[0]["actor"] == sup["opened_by"]
        assert audit[0]["actor"] and audit[0]["actor"] != "api"

        with engine.begin() as conn:  # closed meanwhile: refused, nothing written
            conn.execute(text("UPDATE incidents SET state = 'closed' WHERE id = :i"),
                         {"i": reg["id"]})
        status, body = call("POST", url, {"level": "red", "reason": "已结案还督办"})
        assert status == 409 and "不能督办" in body["error"]["message"]
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM supervisions WHERE incident_id = :i"),
                               {"i": reg["id"]}) == 1
    finally:
        engine.dispose()
