"""Indexes that let a jurisdiction's desk read its own cases and units, not the territory's.

Revision ID: 0023
Revises: 0022

A street's, district's or dispatcher's desk hub (console.live.desk_route) reads the newest
cases on the desk in its streets, and a dispatcher's also those it registered
(dispatch.views_desk: ``state IN (the desk's states) AND (street_id = ANY(:streets) OR
created_by = :creator) ORDER BY id DESC``), and its units' active assignments. Before, the
street arm walked every case the street ever had and the creator arm, with no index at all,
scanned the whole table (province scale, 1,000,000 cases: a dispatcher's street desk 1.6 s);
the active assignments of a street's units were found among every assignment they ever had.
The partial indexes hold the desk's cases only (open, or resolved awaiting 回访).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DESK = ("state IN ('registered','located','assigned','acknowledged','on_scene','mediating',"
        "'escalated','resolved')")
UPGRADE = f"""
CREATE INDEX ix_incidents_desk_street ON incidents (street_id, id) WHERE {DESK};
CREATE INDEX ix_incidents_desk_creator ON incidents (created_by, id) WHERE {DESK};
CREATE INDEX ix_assignments_active_unit ON assignments (unit_id) WHERE state = 'active';
"""

DOWNGRADE = """
DROP INDEX IF EXISTS ix_assignments_active_unit;
DROP INDEX IF EXISTS ix_incidents_desk_creator;
DROP INDEX IF EXISTS ix_incidents_desk_street;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
