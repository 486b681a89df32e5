"""Tables of migration 0009 (the mediator's record) on the territory's MetaData."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from dispatch.adapters import orm  # noqa: F401  (incidents, units, for the foreign keys)
from geo.schema import metadata


def _fk(table: str, ondelete: str = "CASCADE") -> ForeignKey:
    return ForeignKey(f"{table}.id", ondelete=ondelete)


mediation_steps = Table(
    "mediation_steps", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, _fk("incidents"), nullable=False, index=True),
    Column("step", String(10), nullable=False),
    Column("note", Text, nullable=False),
    Column("happened_at", DateTime(timezone=True), nullable=False),
    Column("unit_id", Integer, _fk("units", "SET NULL")),
    Column("recorded_by", String(60), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("step IN ('listen','check','discuss','mediate','settle')", name="step"),
    CheckConstraint("length(note) > 0", name="note"),
)

mediation_sessions = Table(
    "mediation_sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, _fk("incidents"), nullable=False, index=True),
    Column("facility_id", Integer, _fk("facilities", "SET NULL")),
    Column("place", String(200), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("mode", String(10), nullable=False),
    Column("participants", JSONB, nullable=False),
    Column("note", Text),
    Column("booked_by", String(60), nullable=False),
    Column("booked_at", DateTime(timezone=True), nullable=False),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancelled_by", String(60)),
    CheckConstraint("ends_at > starts_at", name="span"),
    CheckConstraint("mode IN ('joint','separate')", name="mode"),
    CheckConstraint("jsonb_typeof(participants) = 'array'", name="participants"),
)
Index("ix_mediation_sessions_facility_id", mediation_sessions.c.facility_id,
      mediation_sessions.c.starts_at)

agreements = Table(
    "agreements", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, _fk("incidents"), nullable=False),
    Column("version", SmallInteger, nullable=False),
    Column("number", String(40), nullable=False),
    Column("committee", String(120), nullable=False),
    Column("parties", JSONB, nullable=False),
    Column("mediators", JSONB, nullable=False),
    Column("facts", Text, nullable=False),
    Column("terms", Text, nullable=False),
    Column("performance", Text, nullable=False),
    Column("correction", Text),
    Column("created_by", String(60), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("incident_id", "version", name="uq_agreements_incident_id"),
    CheckConstraint("version >= 1", name="version"),
    CheckConstraint("version = 1 OR correction IS NOT NULL", name="correction"),
)

judicial_confirmations = Table(
    "judicial_confirmations", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, _fk("incidents"), nullable=False, index=True),
    Column("agreement_id", Integer, _fk("agreements", "SET NULL")),
    Column("status", String(10), nullable=False),
    Column("court", String(120), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("note", Text),
    Column("recorded_by", String(60), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('applied','confirmed','refused')", name="status"),
)

attachment_blobs = Table(
    "attachment_blobs", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="digest"),
    CheckConstraint("size = octet_length(content)", name="size"),
)

attachments = Table(
    "attachments", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, _fk("incidents"), nullable=False, index=True),
    Column("sha256", String(64), ForeignKey("attachment_blobs.sha256"), nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("filename", String(120)),
    Column("unit_id", Integer, _fk("units", "SET NULL")),
    Column("uploaded_by", String(60), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("content_type IN ('image/jpeg','image/png','image/webp','application/pdf')",
                    name="type"),
)

case_extensions = Table(
    "case_extensions", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, _fk("incidents"), nullable=False, index=True),
    Column("days", SmallInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", String(60), nullable=False),
    Column("requested_role", String(20), nullable=False),
    Column("unit_id", Integer, _fk("units", "SET NULL")),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("decided_by", String(60)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_note", Text),
    Column("deadline_before", DateTime(timezone=True)),
    Column("deadline_after", DateTime(timezone=True)),
    CheckConstraint("days BETWEEN 1 AND 30", name="days"),
    CheckConstraint("status IN ('pending','approved','refused')", name="status"),
    CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided"),
)
Index("uq_case_extensions_pending", case_extensions.c.incident_id, unique=True,
      postgresql_where=text("status = 'pending'"))

RECORD_TABLES = (mediation_steps, mediation_sessions, agreements, judicial_confirmations,
                 attachment_blobs, attachments, case_extensions)
