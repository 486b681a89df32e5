"""Migration 0013 (Open311 lookup tokens) matches its table, and tokens are kept hashed."""

from __future__ import annotations

from sqlalchemy import text

from dispatch.adapters import orm_open311

from .conftest import drift


def test_orm_matches_migration_0013(empty_engine):
    ours = orm_open311.open311_tokens.name
    with empty_engine.connect() as conn:
        assert drift(conn, {ours}) == []
        assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE tablename = :t"),
                           {"t": ours}) == 1



def test_a_token_is_stored_as_its_hash_only(empty_engine):
    from dispatch.views_open311 import issue_token, open311_requests, token_hash

    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO incidents (code, category, channel, title, created_by) "
            "VALUES ('2026-000001', 'debt', 'app', 'Open311：债务纠纷', 'open311:x')"))
        iid = conn.scalar(text("SELECT id FROM incidents"))
        token = issue_token(conn, iid)
        stored = conn.scalar(text("SELECT token_hash FROM open311_tokens"))
        assert stored == token_hash(token) and token not in stored
        assert [r["code"] for r in open311_requests(conn, created_by=None, tokens=[token])] \
            == ["2026-000001"]
        assert open311_requests(conn, created_by=None, tokens=["0" * 32]) == []
