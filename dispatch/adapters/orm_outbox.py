"""Tables and columns of migration 0018 (outbox, webhook subscriptions, external ids, e-mail).

The two columns on ``incidents`` and the one on ``units`` are appended to those tables here,
beside the new tables (``orm.py`` imports this module, so they are always declared).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from dispatch.adapters import orm  # noqa: F401  (incidents and units, declared first)
from geo.schema import metadata

_incidents, _units = metadata.tables["incidents"], metadata.tables["units"]  # orm's (imported)
if "external_source" not in _incidents.c:
    _incidents.append_column(Column("external_source", String(40)))
    _incidents.append_column(Column("external_id", String(80)))
    Index("uq_incidents_external", _incidents.c.external_source, _incidents.c.external_id,
          unique=True, postgresql_where=_incidents.c.external_id.isnot(None))
if "email" not in _units.c:
    _units.append_column(Column("email", String(120)))

webhook_subscriptions = Table(
    "webhook_subscriptions", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", String(80), nullable=False),
    Column("event_types", ARRAY(Text), nullable=False, server_default="{}"),
    Column("district_id", Integer),
    Column("street_id", Integer),
    Column("source", String(40)),
    Column("trusted", Boolean, nullable=False, server_default="false"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", String(60), nullable=False),
)

outbox = Table(
    "outbox", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("key", UUID(as_uuid=False), nullable=False, unique=True),
    Column("channel", String(10), nullable=False),
    Column("recipient", Text, nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("incident_id", Integer),
    Column("subscription_id", Integer,
           ForeignKey("webhook_subscriptions.id", ondelete="SET NULL"), index=True),
    Column("template", String(40)),
    Column("payload", JSONB, nullable=False),
    Column("state", String(10), nullable=False, server_default="pending"),
    Column("attempts", SmallInteger, nullable=False, server_default="0"),
    Column("next_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
    Column("last_status", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("delivered_at", DateTime(timezone=True)),
)
Index("ix_outbox_due", outbox.c.next_at, postgresql_where=text("state = 'pending'"))
# migration 0021: a case's rows for one receiver go out in order (the worker's claim)
Index("ix_outbox_pending_case", outbox.c.incident_id, outbox.c.recipient, outbox.c.id,
      postgresql_where=text("state = 'pending'"))
