"""Open311 public lookup tokens: a citizen follows a case by an unguessable token, not its code.

Revision ID: 0013
Revises: 0008

Case codes (``2026-000123``) are sequential: a public lookup by code let anyone walk through
every case (issue 14, item 4). Each case registered through Open311 gets a random token, given
once in the POST answer; only its SHA-256 is stored, as for sessions and API keys.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE open311_tokens (
  incident_id integer CONSTRAINT pk_open311_tokens PRIMARY KEY
    CONSTRAINT fk_open311_tokens_incident_id_incidents REFERENCES incidents (id)
    ON DELETE CASCADE,
  token_hash char(64) NOT NULL CONSTRAINT uq_open311_tokens_token_hash UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS open311_tokens;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
