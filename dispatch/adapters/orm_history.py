"""The chain a case had before its areas were replaced (migration 0011): history kept, not rewritten."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from geo.schema import metadata

# One row per case each time the area hierarchy is replaced: the case's chain just before
# (each level's code and name), so the first row is the chain it was handled in.
incident_area_history = Table(
    "incident_area_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False),
    Column("replaced_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("replaced_by", Text, nullable=False),
    Column("chain", JSONB, nullable=False),
)
Index("ix_incident_area_history_incident_id", incident_area_history.c.incident_id)
