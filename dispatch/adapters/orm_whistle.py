"""Tables of migration 0005 (街道吹哨、部门报到、会商) on the territory's MetaData."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from dispatch.adapters import orm  # noqa: F401  (incidents, for the foreign keys)
from geo.schema import metadata

whistles = Table(
    "whistles", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("street_id", Integer, ForeignKey("streets.id", ondelete="SET NULL")),
    Column("blown_at", DateTime(timezone=True), nullable=False),
    Column("blown_by", String(60), nullable=False),
    Column("reason", Text, nullable=False),
    Column("report_by", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    CheckConstraint("report_by > blown_at", name="deadline"),
)
Index("uq_whistles_open", whistles.c.incident_id, unique=True,
      postgresql_where=text("closed_at IS NULL"))

whistle_calls = Table(
    "whistle_calls", metadata,
    Column("id", Integer, primary_key=True),
    Column("whistle_id", Integer, ForeignKey("whistles.id", ondelete="CASCADE"),
           nullable=False),
    Column("department", String(24), nullable=False),
    Column("reported_at", DateTime(timezone=True)),
    Column("reported_by", String(60)),
    Column("note", Text),
    Column("overdue_at", DateTime(timezone=True)),  # the deadline passed unreported (0007)
    UniqueConstraint("whistle_id", "department", name="uq_whistle_calls_department"),
    CheckConstraint("(reported_at IS NULL) = (reported_by IS NULL)", name="reported"),
)

consultations = Table(
    "consultations", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("whistle_id", Integer, ForeignKey("whistles.id", ondelete="SET NULL")),
    Column("held_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(60), nullable=False),
    Column("participants", JSONB, nullable=False),
    Column("outcome", Text, nullable=False),
    CheckConstraint("jsonb_typeof(participants) = 'array' AND "
                    "jsonb_array_length(participants) >= 2", name="participants"),
)

WHISTLE_TABLES = (whistles, whistle_calls, consultations)
