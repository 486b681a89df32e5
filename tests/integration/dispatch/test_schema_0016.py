"""Migration 0016 and dispatch/adapters/orm_reports.py describe the same reports table."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

from dispatch.adapters import orm_reports
from geo.schema import metadata


def test_the_reports_table_matches_its_migration(empty_engine):
    assert orm_reports.REPORT_TABLES
    with empty_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": alembic_helpers.include_object})
        diff = compare_metadata(ctx, metadata)

    def about_reports(op: object) -> bool:
        parts = op if isinstance(op, tuple) else (op,)
        for part in parts:
            table = getattr(part, "table", None)
            if getattr(part, "name", None) == "reports" or getattr(table, "name", None) == "reports":
                return True
            if isinstance(part, str) and part == "reports":
                return True
        return False

    assert not [d for d in diff if about_reports(d) or (
        isinstance(d, list) and any(about_reports(x) for x in d))]
