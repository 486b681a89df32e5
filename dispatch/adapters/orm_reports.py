"""Table of migration 0016 (研判报告: the report archive) on the territory's MetaData."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from geo.schema import metadata

reports = Table(
    "reports", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),  # weekly | on_demand
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),  # inclusive (Beijing dates)
    Column("area_level", String(10), nullable=False),
    Column("area_id", Integer),
    Column("district_id", Integer),
    Column("street_id", Integer),
    Column("community_id", Integer),
    Column("grid_id", Integer),
    Column("area_name", String(120), nullable=False),
    Column("requested_by", String(60), nullable=False),  # an account, or 'scheduler'
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("figures", JSONB, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("xlsx", LargeBinary, nullable=False),
    CheckConstraint("kind IN ('weekly', 'on_demand')", name="kind"),
    CheckConstraint("area_level IN ('all', 'district', 'street', 'community', 'grid')",
                    name="level"),
    CheckConstraint("period_end >= period_start", name="period"),
)
Index("uq_reports_weekly", reports.c.period_start, reports.c.period_end, reports.c.area_level,
      func.coalesce(reports.c.area_id, 0), unique=True, postgresql_where=text("kind = 'weekly'"))
Index("ix_reports_created", reports.c.created_at)

REPORT_TABLES = (reports,)
