"""Migration 0017 (resident reports) matches its tables; challenges are spent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.adapters import orm_resident
from dispatch.adapters.resident_repo import issue_challenge, spend_challenge

from .conftest import drift


def test_orm_matches_migration_0017(empty_engine):
    ours = {t.name for t in orm_resident.RESIDENT_TABLES}
    with empty_engine.connect() as conn:
        assert drift(conn, ours) == []


def test_a_challenge_is_spent_once_and_expires(empty_engine):
    now = datetime.now(UTC)
    with empty_engine.begin() as conn:
        issue_challenge(conn, nonce="a" * 32, bits=16, at=now, ttl_s=60)
        issue_challenge(conn, nonce="b" * 32, bits=16, at=now - timedelta(seconds=120), ttl_s=600)
        assert spend_challenge(conn, "a" * 32, at=now, ttl_s=60) == 16
        assert spend_challenge(conn, "a" * 32, at=now, ttl_s=60) is None
        assert spend_challenge(conn, "b" * 32, at=now, ttl_s=60) is None  # too old


def _backfill() -> str:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "migrations/versions/0020_resident_report_area.py"
    spec = importlib.util.spec_from_file_location("m0020", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.BACKFILL)


def test_migration_0020_locates_existing_reports_as_the_intake_does(own_copy):
    from sqlalchemy import text

    from dispatch.handlers_intake import chain_ids
    from geo.locate import Locator

    from .conftest import grid_point

    points = [grid_point(own_copy, k) for k in (0, 5, 17)]
    with own_copy.begin() as conn:
        community, c_street = conn.execute(text(
            "SELECT id, street_id FROM communities ORDER BY id LIMIT 1")).one()
        rows = [(lon, lat, None) for lon, lat in points] + [
            (0.0, 0.0, f"community-{community}"),  # outside: the poster's place decides
            (None, None, None)]  # nowhere
        for i, (lon, lat, at) in enumerate(rows):
            conn.execute(text(
                "INSERT INTO resident_reports (tracking_code, category, description, lon, lat, "
                "place, address, submitted_at) VALUES (:c, 'neighbour', 'x', :lon, :lat, :at, "
                "'某地', now())"), {"c": f"TEST{i:08d}", "lon": lon, "lat": lat, "at": at})
        conn.execute(text(_backfill()))
        got = conn.execute(text(
            "SELECT street_id, community_id, grid_id FROM resident_reports ORDER BY id")).all()
        locator = Locator.from_db(conn)
    for (lon, lat), row in zip(points, got[:3], strict=True):
        chain = chain_ids(locator.locate(lon, lat))
        assert tuple(row) == (chain["street"], chain["community"], chain["grid"])
    assert got[3][0] == c_street and got[3][1] == community
    assert tuple(got[4]) == (None, None, None)


def test_the_desks_rows_hold_each_areas_own_oldest_however_many_wait_elsewhere(own_copy):
    """A street with many old reports must not push another street's, community's or grid's
    newer ones out of the hub's rows (the desks cut them to their area afterwards)."""
    from sqlalchemy import text

    from dispatch.access import Scope
    from dispatch.views_resident import triage_queue

    with own_copy.begin() as conn:
        pick = ("SELECT c.street_id, g.community_id, g.id FROM grids g "
                "JOIN communities c ON c.id = g.community_id ORDER BY c.street_id {}, g.id LIMIT 1")
        a_street, a_comm, a_grid = conn.execute(text(pick.format("ASC"))).one()
        b_street, b_comm, b_grid = conn.execute(text(pick.format("DESC"))).one()
        assert a_street != b_street
        t0 = datetime(2026, 12, 1, tzinfo=UTC)
        rows = [(a_street, a_comm, a_grid, t0 + timedelta(minutes=k)) for k in range(5)]
        rows.append((b_street, b_comm, b_grid, t0 + timedelta(hours=1)))
        rows.append((None, None, None, t0 + timedelta(hours=2)))
        for i, (s, c, g, at) in enumerate(rows):
            conn.execute(text(
                "INSERT INTO resident_reports (tracking_code, category, description, "
                "street_id, community_id, grid_id, submitted_at) VALUES (:code, 'neighbour', "
                "'x', :s, :c, :g, :at)"), {"code": f"DESK{i:08d}", "s": s, "c": c, "g": g, "at": at})
        whole = triage_queue(conn, limit=2)
        rows_ = triage_queue(conn, limit=2, per_area=True)
        b_only = triage_queue(conn, limit=2, scope=Scope(street_id=b_street))
    assert [r["street_id"] for r in whole] == [a_street, a_street]  # a plain limit: B is cut
    assert [r["street_id"] for r in rows_] == [a_street, a_street, b_street, None]
    assert [r["id"] for r in rows_ if r["street_id"] == b_street] == [r["id"] for r in b_only]
