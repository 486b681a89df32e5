"""Index of when each case was last touched, for the wall's rolling windows.

Revision ID: 0008
Revises: 0007

Every window figure of the wall (dispatch.stats: overview, trend, ranking, grid heat) reads only
cases that are open or were touched in the last 31 days: ``greatest(reported_at,
acknowledged_at, arrived_at, resolved_at, followed_up_at, close_deadline)``. Without an index on
that expression each read scanned every case (100,000 at city scale: a wall refresh took ~450 ms,
now ~160 ms). The expression must stay as ``dispatch.stats.TOUCHED`` writes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE INDEX ix_incidents_touched ON incidents
  ((greatest(reported_at, acknowledged_at, arrived_at, resolved_at, followed_up_at, close_deadline)));
ANALYZE incidents;
"""

DOWNGRADE = """
DROP INDEX IF EXISTS ix_incidents_touched;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
