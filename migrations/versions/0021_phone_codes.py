"""Phone checks on the resident page: SMS codes (hashed) and whether a report's phone was verified.

Revision ID: 0021
Revises: 0020

``phone_codes`` holds one row per code sent: the phone, SHA-256 of ``phone:code`` (never the
code), when it was sent and expires, how many wrong tries it has had and when it was used. The
count of rows per phone in the last hour is the per-phone rate limit (every console process
sees it). ``resident_reports.phone_verified`` says the resident proved the phone with a code;
false for a report without a phone, from a deployment without an SMS gateway, or without a code.

``ix_outbox_pending_case`` serves the delivery worker's order rule: a case's row for a receiver
waits while an earlier row of the same case for the same receiver is still pending.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE phone_codes (
  id serial CONSTRAINT pk_phone_codes PRIMARY KEY,
  phone varchar(30) NOT NULL,
  code_hash char(64) NOT NULL,
  sent_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  tries smallint NOT NULL DEFAULT 0,
  used_at timestamptz
);
CREATE INDEX ix_phone_codes_phone_sent_at ON phone_codes (phone, sent_at);
ALTER TABLE resident_reports ADD COLUMN phone_verified boolean NOT NULL DEFAULT false;
CREATE INDEX ix_outbox_pending_case ON outbox (incident_id, recipient, id)
  WHERE state = 'pending';
"""

DOWNGRADE = """
DROP INDEX IF EXISTS ix_outbox_pending_case;
ALTER TABLE resident_reports DROP COLUMN IF EXISTS phone_verified;
DROP TABLE IF EXISTS phone_codes;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
