"""Dispatch tables (units, incidents, assignments, audit) on the territory's MetaData."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from dispatch import vocab
from geo.schema import SRID, metadata


def _in(col: str, values: object) -> str:
    return f"{col} IN (" + ",".join(f"'{v}'" for v in values) + ")"  # type: ignore[attr-defined]


units = Table(
    "units", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(60), nullable=False),
    Column("unit_type", String(24), nullable=False, index=True),
    Column("phone", String(30)),
    Column("skills", ARRAY(Text), nullable=False, server_default="{}"),
    Column("languages", ARRAY(Text), nullable=False, server_default="{mandarin}"),
    Column("full_time", Boolean, nullable=False, server_default="true"),
    Column("level", String(12), nullable=False, server_default="community"),
    Column("street_id", Integer, ForeignKey("streets.id", ondelete="SET NULL"), index=True),
    Column("community_id", Integer, ForeignKey("communities.id", ondelete="SET NULL")),
    Column("home_grid_id", Integer, ForeignKey("grids.id", ondelete="SET NULL"), index=True),
    Column("police_grid_id", Integer, ForeignKey("police_grids.id", ondelete="SET NULL")),
    Column("facility_id", Integer, ForeignKey("facilities.id", ondelete="SET NULL")),
    Column("status", String(12), nullable=False, server_default="available"),
    Column("capacity", SmallInteger, nullable=False, server_default="1"),
    Column("active_load", SmallInteger, nullable=False, server_default="0"),
    Column("on_foot", Boolean, nullable=False, server_default="false"),
    Column("shift", String(10), nullable=False, server_default="day"),
    Column("shift_start", Time),
    Column("shift_end", Time),
    Column("last_geom", Geometry("POINT", srid=SRID, spatial_index=True)),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="0"),
    CheckConstraint(_in("unit_type", vocab.UNIT_TYPES), name="unit_type"),
    CheckConstraint(_in("status", vocab.UNIT_STATUSES), name="status"),
    CheckConstraint(_in("shift", vocab.SHIFTS), name="shift"),
    CheckConstraint("capacity >= 1 AND active_load >= 0 AND active_load <= capacity",
                    name="load"),
)

incidents = Table(
    "incidents", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("channel", String(20), nullable=False),
    Column("category", String(20), nullable=False, index=True),
    Column("priority", SmallInteger, nullable=False, server_default="3"),
    Column("difficulty", String(10), nullable=False, server_default="normal"),
    Column("title", String(200), nullable=False),
    Column("description", Text),
    Column("address", Text),
    Column("geom", Geometry("POINT", srid=SRID, spatial_index=True)),
    Column("state", String(14), nullable=False, server_default="registered"),
    Column("outcome", String(12)),
    Column("satisfaction", SmallInteger),
    Column("risk_level", SmallInteger, nullable=False, server_default="0"),
    Column("language", String(20)),
    Column("caller_name", String(60)),
    Column("caller_phone", String(30)),
    Column("parties", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("street_id", Integer, ForeignKey("streets.id", ondelete="SET NULL"), index=True),
    Column("community_id", Integer, ForeignKey("communities.id", ondelete="SET NULL")),
    Column("grid_id", Integer, ForeignKey("grids.id", ondelete="SET NULL"), index=True),
    Column("micro_grid_id", Integer, ForeignKey("micro_grids.id", ondelete="SET NULL")),
    Column("police_grid_id", Integer, ForeignKey("police_grids.id", ondelete="SET NULL")),
    Column("reported_at", DateTime(timezone=True), nullable=False, server_default=func.now(),
           index=True),
    Column("assigned_at", DateTime(timezone=True)),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("arrived_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("followed_up_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("sign_deadline", DateTime(timezone=True)),
    Column("close_deadline", DateTime(timezone=True)),
    Column("created_by", String(60)),
    Column("version", Integer, nullable=False, server_default="0"),
    CheckConstraint(_in("channel", vocab.CHANNELS), name="channel"),
    CheckConstraint(_in("category", vocab.CATEGORIES), name="category"),
    CheckConstraint(_in("state", vocab.INCIDENT_STATES), name="state"),
    CheckConstraint(_in("difficulty", vocab.DIFFICULTIES), name="difficulty"),
    CheckConstraint("outcome IS NULL OR " + _in("outcome", vocab.OUTCOMES), name="outcome"),
    CheckConstraint("priority BETWEEN 1 AND 4", name="priority"),
    CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"),
)
Index("ix_incidents_open", incidents.c.state,
      postgresql_where=text("state NOT IN ('resolved','followed_up','closed')"))

assignments = Table(
    "assignments", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("unit_id", Integer, ForeignKey("units.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("role", String(10), nullable=False, server_default="lead"),
    Column("state", String(10), nullable=False, server_default="active"),
    Column("assigned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("arrived_at", DateTime(timezone=True)),
    Column("released_at", DateTime(timezone=True)),
    Column("assigned_by", String(60)),
    CheckConstraint("role IN ('lead','pair','support')", name="role"),
    CheckConstraint("state IN ('active','released','declined')", name="state"),
)
# One active assignment of a unit to an incident at a time.
Index("uq_assignments_active", assignments.c.incident_id, assignments.c.unit_id, unique=True,
      postgresql_where=text("state = 'active'"))

# Append-only: the migration adds a trigger that refuses UPDATE, DELETE and TRUNCATE.
audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now(), index=True),
    Column("actor", String(60), nullable=False),
    Column("action", String(40), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("entity_id", BigInteger),
    Column("from_state", String(20)),
    Column("to_state", String(20)),
    Column("reason", Text),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
)
Index("ix_audit_entity", audit_log.c.entity, audit_log.c.entity_id)

DISPATCH_TABLES = (units, incidents, assignments, audit_log)
