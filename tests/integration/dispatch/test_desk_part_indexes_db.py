"""Migration 0023 (a jurisdiction's desk indexes) and dispatch/adapters/orm.py agree."""

from __future__ import annotations

from sqlalchemy import Engine, text

from .conftest import drift


def test_orm_matches_migration_0023(empty_engine: Engine) -> None:
    with empty_engine.connect() as conn:
        assert drift(conn, {"incidents", "assignments"}) == []
        names = set(conn.scalars(text(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('incidents', 'assignments')")))
    assert {"ix_incidents_desk_street", "ix_incidents_desk_creator",
            "ix_assignments_active_unit"} <= names

