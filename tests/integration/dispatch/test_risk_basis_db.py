"""Migration 0014: incident_flow (with ``risk_basis``) matches the ORM, and login attempts
have the index their pruning uses. (Registrations storing the basis: test_sec_sideways.)"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import text

from dispatch.adapters import orm
from geo.schema import metadata


def test_orm_matches_migration_0014(empty_engine):
    ours = orm.incident_flow.name
    with empty_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": alembic_helpers.include_object})
        diff = compare_metadata(ctx, metadata)
        assert conn.scalar(text(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_login_attempts_at'")) == 1

    def touches(op: object) -> bool:
        for part in op if isinstance(op, tuple) else (op,):
            for obj in (part, getattr(part, "table", None)):
                if getattr(obj, "name", None) == ours:
                    return True
        return False

    assert not [d for d in diff if touches(d)]
