"""Migration 0014: incident_flow (with ``risk_basis``) matches the ORM, and login attempts
have the index their pruning uses. (Registrations storing the basis: test_sec_sideways.)"""

from __future__ import annotations

from sqlalchemy import text

from dispatch.adapters import orm

from .conftest import drift


def test_orm_matches_migration_0014(empty_engine):
    ours = orm.incident_flow.name
    with empty_engine.connect() as conn:
        assert drift(conn, {ours}) == []
        assert conn.scalar(text(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_login_attempts_at'")) == 1

