"""Table of migration 0013 (Open311 public lookup tokens) on the territory's MetaData."""

from __future__ import annotations

from sqlalchemy import CHAR, Column, DateTime, ForeignKey, Integer, Table, func

from dispatch.adapters import orm  # noqa: F401  (incidents, for the foreign key)
from geo.schema import metadata

open311_tokens = Table(
    "open311_tokens", metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           primary_key=True),
    Column("token_hash", CHAR(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
