"""Migration 0003 and dispatch/adapters/orm.py describe the same tables."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

from dispatch.adapters import orm
from geo.schema import metadata

NEW = {"incident_code_counters", "incident_timers", "supervisions", "incident_links",
       "followups", "unit_positions", "dispatch_settings", "incidents"}


def test_orm_matches_the_migrated_database(empty_engine):
    assert orm.DISPATCH_TABLES
    with empty_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": alembic_helpers.include_object})
        diff = compare_metadata(ctx, metadata)

    def table_of(op: tuple) -> str | None:  # type: ignore[type-arg]
        for part in op:
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return str(table.name)
            if name in NEW:
                return str(name)
        return str(op[2]) if len(op) > 2 and isinstance(op[2], str) else None

    ours = [d for d in diff if isinstance(d, tuple) and table_of(d) in NEW]
    assert not ours, ours
