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
    with demo_copy.begin() as conn:  # a renumbered unit: its old id is gone as if deleted
        new_id = conn.scalar(text("UPDATE units SET id = id + 1000 WHERE id = :i RETURNING id"),
                             {"i": new_id})
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


def _capacity(engine, unit_id, delta, *, trigger=True, replica=False):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        if not trigger:
            conn.execute(text("ALTER TABLE units DISABLE TRIGGER units_mark_change"))
        if replica:  # the bulk loader's mode: ordinary triggers do not fire
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("UPDATE units SET capacity = capacity + :d WHERE id = :i"),
                     {"d": delta, "i": unit_id})
        if not trigger:
            conn.execute(text("ALTER TABLE units ENABLE ALWAYS TRIGGER units_mark_change"))


def test_an_import_and_a_replica_mode_update_are_seen_and_missed_without_the_trigger(demo_copy):
    cache = UnitCache()
    unit = _fresh(demo_copy)[0]
    assert _cached(cache, demo_copy) == _fresh(demo_copy)
    with demo_copy.begin() as conn:  # the roster import's statement: an upsert by code
        conn.execute(text(
            "INSERT INTO units (id, code, name, unit_type) SELECT id, code, '导入改名', "
            "unit_type FROM units WHERE id = :i ON CONFLICT (code) DO UPDATE SET "
            "name = EXCLUDED.name, version = units.version + 1"), {"i": unit.id})
    assert next(u for u in _cached(cache, demo_copy) if u.id == unit.id).name == "导入改名"
    _capacity(demo_copy, unit.id, 1, replica=True)
    assert _cached(cache, demo_copy) == _fresh(demo_copy)
    # the same change with the trigger off is missed: the cache's answer rests on it
    _capacity(demo_copy, unit.id, 1, trigger=False)
    assert _cached(cache, demo_copy) != _fresh(demo_copy)
    _capacity(demo_copy, unit.id, -2)
    assert _cached(cache, demo_copy) == _fresh(demo_copy)


def test_a_change_committed_after_a_later_one_is_seen(demo_copy):
    """Transaction A writes a unit and stays open; the cache checks; B writes another unit
    and commits; the cache checks again; only then A commits: the cache still finds A's row
    (its snapshots saw A running, so A is asked for by its id)."""
    cache = UnitCache()
    a_unit, b_unit = (u.id for u in _fresh(demo_copy)[:2])
    assert _cached(cache, demo_copy) == _fresh(demo_copy)
    with demo_copy.connect() as a:
        a.execute(text("UPDATE units SET name = '甲改' WHERE id = :i"), {"i": a_unit})
        assert _cached(cache, demo_copy) == _fresh(demo_copy)
        with demo_copy.begin() as b:
            b.execute(text("UPDATE units SET name = '乙改' WHERE id = :i"), {"i": b_unit})
        assert _cached(cache, demo_copy) == _fresh(demo_copy)
        a.commit()
    got = {u.id: u.name for u in _cached(cache, demo_copy)}
    assert (got[a_unit], got[b_unit]) == ("甲改", "乙改")
    assert _cached(cache, demo_copy) == _fresh(demo_copy)


def test_a_transactions_own_unit_writes_are_shown_to_it_and_never_kept(demo_copy):
    """Within a transaction that wrote units (the scheduler reassigns, then recommends again
    in the same transaction) the cache answers as that transaction sees them, and keeps
    nothing of it: after a rollback everyone sees the rows as they are."""
    cache = UnitCache()
    unit = _fresh(demo_copy)[0]
    assert _cached(cache, demo_copy) == _fresh(demo_copy)
    with demo_copy.connect() as conn:
        conn.execute(text("SELECT pg_current_xact_id()"))  # an id before the cache looks
        assert cache.candidates(conn) == UnitRepository(conn).candidates()
        conn.execute(text("UPDATE units SET name = '未提交' WHERE id = :i"), {"i": unit.id})
        mine = {u.id: u.name for u in cache.candidates(conn)}
        assert mine[unit.id] == "未提交"
        conn.rollback()
    assert _cached(cache, demo_copy) == _fresh(demo_copy)
    assert next(u for u in _cached(cache, demo_copy) if u.id == unit.id).name == unit.name
    with demo_copy.connect() as conn:  # and a commit after the cache looked inside is seen
        conn.execute(text("UPDATE units SET name = '已提交' WHERE id = :i"), {"i": unit.id})
        assert {u.id: u.name for u in cache.candidates(conn)}[unit.id] == "已提交"
        conn.commit()
    assert {u.id: u.name for u in _cached(cache, demo_copy)}[unit.id] == "已提交"
    assert _cached(cache, demo_copy) == _fresh(demo_copy)


def test_pruned_tombstones_make_an_older_cache_read_every_unit(demo_copy):
    """The rule of pruning (migration 0026): a cache whose last snapshot's xmin lies below the
    horizon of pruned tombstones may have missed a deletion, and reads every unit again (before
    the rule it kept the deleted unit: its tombstone was gone)."""
    from dispatch.adapters.unit_cache import prune_tombstones

    with demo_copy.begin() as conn:
        unit = conn.scalar(text(
            "INSERT INTO units (id, code, name, unit_type, status, capacity, active_load) "
            "SELECT (SELECT max(id) + 1 FROM units), code || 'P', name || '丙', unit_type, "
            "'available', 2, 0 FROM units ORDER BY id LIMIT 1 RETURNING id"))
    older = UnitCache()
    assert unit in {u.id for u in _cached(older, demo_copy)}
    with demo_copy.begin() as conn:
        conn.execute(text("DELETE FROM units WHERE id = :i"), {"i": unit})
    with demo_copy.begin() as conn:
        # the prune an hour ago recorded a horizon later than the deletion (this transaction's
        # id: a real prune records the xmin of its time, which other sessions of the shared
        # cluster may hold back)
        conn.execute(text("UPDATE unit_tombstone_horizon SET next_below = pg_current_xact_id(), "
                          "pruned_at = now() - interval '2 hours'"))
    with demo_copy.begin() as conn:
        done = prune_tombstones(conn)
        assert done is not None and done[1] >= 1
        assert prune_tombstones(conn) is None  # not due again within the hour
        assert conn.scalar(text("SELECT count(*) FROM unit_tombstones WHERE unit_id = :i"),
                           {"i": unit}) == 0
    rebuilds = older.rebuilds
    assert unit not in {u.id for u in _cached(older, demo_copy)}  # read whole: the unit is gone
    assert older.rebuilds == rebuilds + 1 and _cached(older, demo_copy) == _fresh(demo_copy)


def test_orm_matches_migration_0025(empty_engine):
    from .conftest import drift

    with empty_engine.connect() as conn:
        assert drift(conn, {"units", "unit_tombstones", "unit_tombstone_horizon",
                            "table_changes"}) == []
        triggers = set(conn.execute(text(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'units'::regclass "
            "AND NOT tgisinternal")).all())
    assert {("units_mark_change", "A"), ("units_mark_delete", "A"),
            ("units_mark_truncate", "A")} <= triggers
