"""Indexes that let a jurisdiction's figures read its own streets' cases, not the territory's.

Revision ID: 0022
Revises: 0021

The wall and the statistics cut to a district, street or community (dispatch.stats.Scope.where:
``street_id IN (the district's streets)`` or ``street_id = :s``) with every row a window figure
can count (dispatch.stats._recent: open, or touched in the last days). The indexes before were
on ``state`` (open cases) and on the touched time alone, so a district's refresh read every
recent case of the territory and dropped the other districts' afterwards: at province scale
(ten districts, 1,000,000 cases) ten times the rows it counts. With the street first, a
district's refresh reads its own streets' entries.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE INDEX ix_incidents_street_open ON incidents (street_id)
  WHERE state NOT IN ('resolved','followed_up','closed');
CREATE INDEX ix_incidents_street_touched ON incidents (street_id, greatest(reported_at,
  acknowledged_at, arrived_at, resolved_at, followed_up_at, close_deadline));
"""

DOWNGRADE = """
DROP INDEX IF EXISTS ix_incidents_street_touched;
DROP INDEX IF EXISTS ix_incidents_street_open;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
