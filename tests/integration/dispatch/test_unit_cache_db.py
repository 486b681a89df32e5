"""The process's unit cache on real PostGIS: every kind of change is seen, only changed rows
are re-read, and the recommendation through it equals one over the units read whole."""

from __future__ import annotations

from sqlalchemy import text

from dispatch.adapters.unit_cache import UnitCache
from dispatch.adapters.unit_repo import UnitRepository
from dispatch.bootstrap import bootstrap
from dispatch.commands import Party, RegisterIncident, ReportPosition, SetUnitStatus
from dispatch.eta import StraightLineEta

from .conftest import grid_point


def _fresh(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return UnitRepository(conn).candidates()


def _cached(cache, engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return cache.candidates(conn)


def test_cache_sees_every_change_and_rereads_only_changed_rows(demo_copy, app):
    cache = UnitCache()
    assert _cached(cache, demo_copy) == _fresh(demo_copy)
    first_reads = cache.reads
    assert _cached(cache, demo_copy) == _fresh(demo_copy) and cache.reads == first_reads
    units = [u for u in _fresh(demo_copy) if u.active_load == 0 and u.status == "available"]
    a, b = units[0], units[1]
    # a position ping through the domain (no version bump, only last_geom/last_seen_at)
    app.handle(ReportPosition(unit_id=a.id, lon=(a.lon or 84.86) + 1e-4, lat=a.lat or 45.6))
    got = _cached(cache, demo_copy)
    assert got == _fresh(demo_copy) and cache.reads == first_reads + 1
    # a status change through the domain: the unit leaves the candidates
    app.handle(SetUnitStatus(unit_id=b.id, status="off_duty", actor="测试"))
    got = _cached(cache, demo_copy)
    assert b.id not in {u.id for u in got} and got == _fresh(demo_copy)
    # an edit in plain SQL that bumps nothing: capacity and skills
    with demo_copy.begin() as conn:
        conn.execute(text("UPDATE units SET capacity = capacity + 3, skills = '{labour}' "
                          "WHERE id = :i"), {"i": a.id})
    got = _cached(cache, demo_copy)
    assert got == _fresh(demo_copy)
    assert next(u for u in got if u.id == a.id).skills == ("labour",)
    # a new unit and a deleted one
    with demo_copy.begin() as conn:
        new_id = conn.scalar(text(
            "INSERT INTO units (id, code, name, unit_type, status, capacity, active_load) "
            "SELECT (SELECT max(id) + 1 FROM units), code || 'X', name || '乙', unit_type, "
            "'available', 2, 0 FROM units WHERE id = :i RETURNING id"), {"i": a.id})
    assert new_id in {u.id for u in _cached(cache, demo_copy)}
    assert _cached(cache, demo_copy) == _fresh(demo_copy)
    with demo_copy.begin() as conn:
        conn.execute(text("DELETE FROM units WHERE id = :i"), {"i": new_id})
    assert _cached(cache, demo_copy) == _fresh(demo_copy)


def test_recommendation_through_the_cache_equals_the_uncached_one(demo_copy, clock):
    cached = bootstrap(demo_copy, clock=clock, eta=StraightLineEta(), policy_check_s=0)
    plain = bootstrap(demo_copy, clock=clock, eta=StraightLineEta(), policy_check_s=0)
    plain.unit_cache = None
    ids = []
    for k in range(4):
        lon, lat = grid_point(demo_copy, k)
        ids.append(cached.handle(RegisterIncident(
            category=("family", "labour", "neighbour", "debt")[k], channel="hotline",
            actor="测试", lon=lon, lat=lat, address=f"缓存路{k}号", auto_dispatch=False,
            parties=(Party(f"甲{k}", f"1370000{k:04d}"),))).incident_id)
    for iid in ids:
        a, b = cached.recommend(iid), plain.recommend(iid)
        assert a.as_dict(50) == b.as_dict(50)
        assert a.best_unit_ids


def test_recommender_etas_are_geo_routing_times_on_the_shared_graphs(demo_copy):
    import numpy as np

    from dispatch.adapters.road_eta import LazyRoadEta, road_graph_caches
    from geo.routing import travel_times_to

    graphs = road_graph_caches()
    eta = LazyRoadEta(demo_copy, graphs=graphs)
    units = [u for u in _fresh(demo_copy) if u.lon is not None and u.lat is not None][:300]
    pts = np.array([(u.lon, u.lat) for u in units], dtype=float)
    foot = np.array([u.on_foot for u in units], dtype=bool)
    dest = (float(pts[:, 0].mean()), float(pts[:, 1].mean()))
    cols = eta.eta_columns(pts, foot, dest)
    assert cols.seconds.shape == (len(units),) and np.isfinite(cols.seconds).any()
    listed = eta.etas_to([tuple(p) for p in pts.tolist()], foot.tolist(), dest)
    assert [e.seconds for e in listed] == cols.seconds.tolist()
    with demo_copy.connect() as conn:
        for profile, rows in (("drive", ~foot), ("walk", foot)):
            graph = graphs[profile].get(conn)  # the very graph the recommender used
            want = travel_times_to(graph, pts[rows], dest)
            assert np.array_equal(cols.seconds[rows], want.seconds)
            assert list(cols.method[rows]) == list(want.method)


def test_signature_reads_the_same_xmin_as_its_text(demo_copy, app):
    """age() arithmetic gives each row's xmin exactly: the signature equals the one summed over
    ``xmin::text`` (before and after rows change, new xmins among old, frozen or not)."""
    from dispatch.adapters.unit_cache import ROW_KEY, SIGNATURE_SQL

    by_text = text(f"SELECT count(*), sum(hashint8extended({ROW_KEY}, 7)) FROM units")
    for _ in range(2):
        with demo_copy.connect() as conn:
            assert tuple(conn.execute(SIGNATURE_SQL).one()) == tuple(conn.execute(by_text).one())
        with demo_copy.begin() as conn:
            conn.execute(text("UPDATE units SET capacity = capacity WHERE id IN "
                              "(SELECT id FROM units ORDER BY id LIMIT 5)"))
