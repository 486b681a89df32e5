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
