"""A risk reason's earlier cases, and login attempts pruned by age.

Revision ID: 0014
Revises: 0013

``incident_flow.risk_basis``: for each risk reason that counts earlier disputes, the ids of the
cases it counts (``[{"reason": i, "kind": "parties", "level": 3, "ids": [...]}]``), so a reader
limited to a street is told the count of those it may see, not the city's (issue 14, residual).
Cases registered before this migration have none: their counts are withheld from such readers.

``ix_login_attempts_at``: login attempts older than the lockout needs are deleted as new ones
come in (``dispatch.adapters.accounts.record_attempt``); the index makes that a range scan.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
ALTER TABLE incident_flow ADD COLUMN risk_basis jsonb NOT NULL DEFAULT '[]'::jsonb;
CREATE INDEX ix_login_attempts_at ON login_attempts (at);
"""

DOWNGRADE = """
DROP INDEX IF EXISTS ix_login_attempts_at;
ALTER TABLE incident_flow DROP COLUMN IF EXISTS risk_basis;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
