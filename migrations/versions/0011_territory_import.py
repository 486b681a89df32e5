"""A real centre's territory: where a gazetteer road came from, facility hours and contact.

Revision ID: 0011
Revises: 0008

``addr_roads.source`` tells a road of the centre's address library (``library``) from one the
geocoder derived from the imported road network's names (``network``: a road-level, approximate
fallback until the library has it). Facilities (综治中心, 调解室, 警务室 …) carry opening hours and
a contact line as the centre's own list gives them. Replacing the areas keeps each case's former
chain in ``incident_area_history``.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
ALTER TABLE addr_roads ADD COLUMN source varchar(10) NOT NULL DEFAULT 'library';
ALTER TABLE addr_roads ADD CONSTRAINT ck_addr_roads_source CHECK (source IN ('library','network'));
ALTER TABLE facilities ADD COLUMN hours text;
ALTER TABLE facilities ADD COLUMN contact text;
CREATE TABLE incident_area_history (
  id serial CONSTRAINT pk_incident_area_history PRIMARY KEY,
  incident_id integer NOT NULL CONSTRAINT fk_incident_area_history_incident_id_incidents
    REFERENCES incidents (id) ON DELETE CASCADE,
  replaced_at timestamptz NOT NULL DEFAULT now(),
  replaced_by text NOT NULL,
  chain jsonb NOT NULL
);
CREATE INDEX ix_incident_area_history_incident_id ON incident_area_history (incident_id);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS incident_area_history;
ALTER TABLE facilities DROP COLUMN IF EXISTS contact;
ALTER TABLE facilities DROP COLUMN IF EXISTS hours;
ALTER TABLE addr_roads DROP CONSTRAINT IF EXISTS ck_addr_roads_source;
ALTER TABLE addr_roads DROP COLUMN IF EXISTS source;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
