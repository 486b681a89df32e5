"""Dispatch tables (units, incidents, assignments, audit) on the territory's MetaData."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
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
    Time,
    UniqueConstraint,
    func,
    literal,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from dispatch import vocab
from geo.schema import SRID, metadata

# Handling levels, lowest first (社区 → 街道 → 区县 → 市).
LEVELS = ("community", "street", "district", "city")


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
    Column("last_seq", BigInteger),  # the device counter of the last accepted fix (0007)
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
# Every party's phone and name in one jsonb array, GIN-indexed for ``?|`` (migration 0003).
PARTY_KEYS_EXPR = func.jsonb_path_query_array(incidents.c.parties, literal("$[*].phone")).op("||")(
    func.jsonb_path_query_array(incidents.c.parties, literal("$[*].name")))
Index("ix_incidents_party_keys", PARTY_KEYS_EXPR, postgresql_using="gin",
      postgresql_with={"fastupdate": "off"})
Index("ix_incidents_address", incidents.c.address)
# 案件查询's text search, ILIKE '%…%' (migration 0019)
for _col in ("title", "address", "code"):
    Index(f"ix_incidents_{_col}_trgm", incidents.c[_col], postgresql_using="gin",
          postgresql_ops={_col: "gin_trgm_ops"})
Index("ix_incidents_caller_phone", incidents.c.caller_phone)
Index("ix_incidents_open", incidents.c.state,
      postgresql_where=text("state NOT IN ('resolved','followed_up','closed')"))
# When a case was last touched, for the wall's rolling windows (migration 0008, stats.TOUCHED).
Index("ix_incidents_touched", func.greatest(
    incidents.c.reported_at, incidents.c.acknowledged_at, incidents.c.arrived_at,
    incidents.c.resolved_at, incidents.c.followed_up_at, incidents.c.close_deadline))
# A jurisdiction's open and recently touched cases, its streets first (migration 0022).
Index("ix_incidents_street_open", incidents.c.street_id,
      postgresql_where=text("state NOT IN ('resolved','followed_up','closed')"))
Index("ix_incidents_street_touched", incidents.c.street_id, func.greatest(
    incidents.c.reported_at, incidents.c.acknowledged_at, incidents.c.arrived_at,
    incidents.c.resolved_at, incidents.c.followed_up_at, incidents.c.close_deadline))
# A jurisdiction's desk: its streets' and its reader's newest cases on the desk (migration 0023).
_DESK = ("state IN ('registered','located','assigned','acknowledged','on_scene','mediating',"
         "'escalated','resolved')")
Index("ix_incidents_desk_street", incidents.c.street_id, incidents.c.id,
      postgresql_where=text(_DESK))
Index("ix_incidents_desk_creator", incidents.c.created_by, incidents.c.id,
      postgresql_where=text(_DESK))

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
Index("ix_assignments_active_unit", assignments.c.unit_id,
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

# ---- migration 0003: codes, clocks, supervision, links, follow-up, telemetry, policy ----

# The dispatch state of a case beside its row (1:1; a case without a row has the defaults):
# handling level, escalations, risk reasons, 一事一策, auto-dispatch choice, reopenings, merge.
incident_flow = Table(
    "incident_flow", metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           primary_key=True, autoincrement=False),
    Column("level", String(12), nullable=False, server_default="community"),
    Column("escalations", SmallInteger, nullable=False, server_default="0"),
    Column("one_case_plan", Boolean, nullable=False, server_default="false"),
    Column("risk_reasons", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # migration 0014: per counting risk reason, the earlier cases it counts (ids)
    Column("risk_basis", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("auto_dispatch", Boolean),
    Column("reopened", SmallInteger, nullable=False, server_default="0"),
    Column("agreement_holds", Boolean),
    Column("merged_into", Integer, ForeignKey("incidents.id", ondelete="SET NULL")),
    # migration 0012: the priority the risk check proposed, until an officer decides
    Column("proposed_priority", SmallInteger),
    CheckConstraint(_in("level", LEVELS), name="level"),
)

# The last human code number handed out per year (2026-000123); one row per year.
incident_code_counters = Table(
    "incident_code_counters", metadata,
    Column("year", SmallInteger, primary_key=True, autoincrement=False),
    Column("last", Integer, nullable=False),
)

# Every deadline stage as a row; ``processed_at`` is set in the same transaction as its effect,
# so a restart processes a missed stage once (not twice, not never).
incident_timers = Table(
    "incident_timers", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("stage", String(8), nullable=False),
    Column("round", SmallInteger, nullable=False, server_default="0"),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True)),
    Column("outcome", String(10)),
    # migration 0007: a whistle's 报到 deadline is a stage row too, pointing at its whistle
    Column("whistle_id", Integer, ForeignKey("whistles.id", ondelete="CASCADE")),
    CheckConstraint("kind IN ('sign','close','followup','whistle')", name="kind"),
    CheckConstraint("(kind = 'whistle') = (whistle_id IS NOT NULL)", name="whistle"),
    CheckConstraint("stage IN ('warn','yellow','red')", name="stage"),
    CheckConstraint("outcome IS NULL OR outcome IN ('done','cancelled','skipped')",
                    name="outcome"),
    UniqueConstraint("incident_id", "kind", "stage", "round", name="uq_incident_timers_stage"),
)
Index("ix_incident_timers_due", incident_timers.c.due_at,
      postgresql_where=text("processed_at IS NULL"))

# 督办: a supervision record opened when a deadline passes (yellow, then red).
supervisions = Table(
    "supervisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("level", String(6), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", String(60), nullable=False),
    Column("reason", Text, nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    CheckConstraint("kind IN ('sign','close','followup','whistle')", name="kind"),
    CheckConstraint("level IN ('yellow','red')", name="level"),
)

# Probable duplicates (flagged), confirmed links and merges between two incidents.
incident_links = Table(
    "incident_links", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("other_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("score", Float),
    Column("reasons", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(60), nullable=False),
    CheckConstraint("kind IN ('probable','duplicate','merged','related')", name="kind"),
    CheckConstraint("incident_id <> other_id", name="distinct"),
    UniqueConstraint("incident_id", "other_id", "kind", name="uq_incident_links_pair"),
)

# 回访: one row per follow-up visit, scheduled at resolution, done when recorded.
followups = Table(
    "followups", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
    Column("satisfaction", SmallInteger),
    Column("agreement_holds", Boolean),
    Column("neighbours_visited", SmallInteger, nullable=False, server_default="0"),
    Column("note", Text),
    Column("actor", String(60)),
    Column("method", String(8)),  # 电话 phone | 上门 visit | 短信 sms (migration 0012)
    CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                    name="satisfaction"),
    CheckConstraint("method IS NULL OR method IN ('phone','visit','sms')", name="method"),
)

# Position history of units (WGS-84); the latest also sits on units.last_geom/last_seen_at.
unit_positions = Table(
    "unit_positions", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("unit_id", Integer, ForeignKey("units.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("geom", Geometry("POINT", srid=SRID, spatial_index=True), nullable=False),
    Column("accuracy_m", Float),
    Column("source_crs", String(10), nullable=False, server_default="wgs84"),
    Column("seq", BigInteger),  # the device's counter (migration 0007)
)
Index("ix_unit_positions_unit_at", unit_positions.c.unit_id, unit_positions.c.at)
# an exact replay (same unit, fix time and point) is stored once (migration 0007)
Index("uq_unit_positions_fix", unit_positions.c.unit_id, unit_positions.c.at,
      func.ST_X(unit_positions.c.geom), func.ST_Y(unit_positions.c.geom), unique=True)

# Administrators' settings as JSON (key "policy": dispatch.policy.Policy.to_dict()).
dispatch_settings = Table(
    "dispatch_settings", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", String(60), nullable=False),
)

DISPATCH_TABLES = (units, incidents, assignments, audit_log, incident_flow, incident_code_counters,
                   incident_timers, supervisions, incident_links, followups, unit_positions,
                   dispatch_settings)

# the whistle tables (incident_timers.whistle_id points at one) always beside these
from dispatch.adapters import (  # noqa: E402
    orm_closure,  # noqa: F401  (migration 0012: closure evidence, priority proposals)
    orm_history,  # noqa: F401  (migration 0011: a case's chain before each area replacement)
    orm_outbox,  # noqa: F401  (migration 0018: outbox, webhooks, external ids, units' e-mail)
    orm_record,  # noqa: F401  (migration 0009: the case record)
    orm_reports,  # noqa: F401  (migration 0016: the 研判 report archive)
    orm_resident,  # noqa: F401  (migration 0017: resident reports)
    orm_unit_changes,  # noqa: F401  (migration 0025: marks of unit changes for the unit cache)
    orm_whistle,  # noqa: F401
)
