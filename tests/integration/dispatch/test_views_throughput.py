"""Read views for the API, concurrent registrations losing nothing, road ETAs in recommendations.

How many registrations a second is a figure for bench/bench_dispatch.py, not an assertion here."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from dispatch.bootstrap import bootstrap
from dispatch.commands import ChangeState, Party, RegisterIncident
from dispatch.views import incident_detail, list_incidents, list_units

from .conftest import grid_point


def test_detail_carries_the_audit_trail(app, demo_copy):
    lon, lat = grid_point(demo_copy, 50)
    reg = app.handle(RegisterIncident(category="medical", channel="referral", actor="法院移送",
                                      lon=lon, lat=lat, address="医院路1号", auto_dispatch=False))
    app.handle(ChangeState(incident_id=reg.incident_id, to="escalated", note="医疗纠纷疑难",
                           actor="值班员"))
    with demo_copy.connect() as conn:
        d = incident_detail(conn, reg.incident_id)
        listed = list_incidents(conn, state="escalated", limit=5)
        units = list_units(conn, status="available")
    assert d["code"] == reg.code and d["state_label"] == "已上报"
    assert [a["action"] for a in d["audit"]] == ["register", "locate", "transition"]
    assert d["level"] != reg.level  # one level up
    assert reg.incident_id in [r["id"] for r in listed]
    assert units and {"id", "type", "status", "capacity", "active_assignments", "lon", "lat",
                      "position_at"} <= set(units[0])


def test_concurrent_registrations_lose_nothing(app, demo_copy):
    points = [grid_point(demo_copy, k) for k in range(20)]

    def one(k: int) -> str:
        lon, lat = points[k % 20]
        return app.handle(RegisterIncident(
            category="neighbour", channel="app", actor="t", lon=lon, lat=lat,
            address=f"吞吐路{k}号", auto_dispatch=False,
            parties=(Party(f"吞{k}", f"1330{k:07d}"),))).code

    one(0)
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(one, range(1, 201)))
    assert len(set(codes)) == 200
    with demo_copy.connect() as conn:
        n = conn.scalar(text("SELECT count(*) FROM incidents WHERE code = ANY(:c)"), {"c": codes})
        audited = conn.scalar(text(
            "SELECT count(DISTINCT a.entity_id) FROM audit_log a JOIN incidents i "
            "ON a.entity = 'incident' AND a.entity_id = i.id AND a.action = 'register' "
            "WHERE i.code = ANY(:c)"), {"c": codes})
    assert n == 200 and audited == 200  # each acknowledged case stored with its audit row


def test_recommendation_uses_road_times(demo_copy, clock):
    with demo_copy.connect() as conn:  # the demo territory has its road network
        assert conn.scalar(text("SELECT count(*) FROM road_edges")) > 1000
    app = bootstrap(demo_copy, clock=clock)  # LazyRoadEta over road_edges
    lon, lat = grid_point(demo_copy, 60)
    reg = app.handle(RegisterIncident(category="labour", channel="hotline", actor="t", lon=lon,
                                      lat=lat, address="路网路1号", auto_dispatch=False))
    rec = app.recommend(reg.incident_id)
    methods = {c.eta_method for c in rec.candidates}
    assert "road" in methods
