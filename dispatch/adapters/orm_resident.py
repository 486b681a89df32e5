"""Tables of migrations 0017, 0020 and 0021: resident reports (with their area), SMS codes."""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from geo.schema import metadata

resident_reports = Table(
    "resident_reports", metadata,
    Column("id", Integer, primary_key=True),
    Column("tracking_code", CHAR(12), nullable=False, unique=True),
    Column("status", String(10), nullable=False, server_default="pending", index=True),
    Column("category", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("address", String(200)),
    Column("lon", Float(53)),
    Column("lat", Float(53)),
    Column("place", String(40)),
    Column("name", String(60)),
    Column("phone", String(30)),
    Column("device_hash", CHAR(64)),
    Column("photos", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("submitted_at", DateTime(timezone=True), nullable=False, index=True),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", String(60)),
    Column("reject_reason", Text),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="SET NULL"),
           unique=True),
    Column("rating", SmallInteger),
    Column("rating_note", Text),
    Column("rated_at", DateTime(timezone=True)),
    # where it lies, located once at submission (0020): the triage queue's jurisdiction
    Column("street_id", Integer, ForeignKey("streets.id", ondelete="SET NULL")),
    Column("community_id", Integer, ForeignKey("communities.id", ondelete="SET NULL")),
    Column("grid_id", Integer, ForeignKey("grids.id", ondelete="SET NULL")),
    Column("phone_verified", Boolean, nullable=False, server_default=text("false")),  # 0021
    CheckConstraint("status IN ('pending','accepted','rejected')", name="status"),
    CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided"),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
)

phone_codes = Table(  # migration 0021: the resident page's SMS codes, hashed
    "phone_codes", metadata,
    Column("id", Integer, primary_key=True),
    Column("phone", String(30), nullable=False),
    Column("code_hash", CHAR(64), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("tries", SmallInteger, nullable=False, server_default=text("0")),
    Column("used_at", DateTime(timezone=True)),
    Index("ix_phone_codes_phone_sent_at", "phone", "sent_at"),
)

resident_notes = Table(
    "resident_notes", metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("resident_reports.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

resident_challenges = Table(
    "resident_challenges", metadata,
    Column("nonce", CHAR(32), primary_key=True),
    Column("bits", SmallInteger, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False, index=True),
)

Index("ix_resident_reports_queue", resident_reports.c.status, resident_reports.c.street_id,
      resident_reports.c.submitted_at)

RESIDENT_TABLES = (resident_reports, resident_notes, resident_challenges)
