"""Tables of migration 0012 (办结依据: how each resolution was evidenced) on the MetaData, and
migration 0024's evidence flags kept on each case by trigger."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    text,
)

from dispatch.adapters import orm  # noqa: F401  (incidents, for the foreign key)
from geo.schema import metadata

# One row per resolution (a reopened case resolved again has two): the evidence it rested on.
incident_closures = Table(
    "incident_closures", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("basis", String(12), nullable=False),  # on_scene | on_the_spot (当场化解)
    Column("note", Text, nullable=False),
    Column("mediator", String(60)),
    Column("spot_reason", Text),
    Column("agreement", String(8)),  # written | oral | NULL
    Column("oral_terms", Text),
    Column("referred_to", String(120)),
    CheckConstraint("basis IN ('on_scene','on_the_spot')", name="basis"),
    CheckConstraint("agreement IS NULL OR agreement IN ('written','oral')", name="agreement"),
    CheckConstraint("basis <> 'on_the_spot' OR (mediator IS NOT NULL AND spot_reason IS NOT "
                    "NULL)", name="spot"),
    CheckConstraint("agreement IS DISTINCT FROM 'oral' OR oral_terms IS NOT NULL", name="oral"),
)

CLOSURE_TABLES = (incident_closures,)

# Migration 0024: written by triggers only (dispatch.stats_evidence owns what they mean; the
# wall reads them); declared here so the schema-drift checks see the table as it is.
_incidents = metadata.tables["incidents"]
for _flag in ("evidence_mediation", "evidence_visit"):
    if _flag not in _incidents.c:
        _incidents.append_column(Column(_flag, Boolean, nullable=False, server_default=text(
            "false"), info={"kept_by_trigger": True}))
