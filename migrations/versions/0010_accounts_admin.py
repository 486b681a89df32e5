"""Account administration: a district (区县) jurisdiction, forced password change, key lifecycle.

Revision ID: 0010
Revises: 0008

Accounts and API keys may be tied to a district (its streets are their jurisdiction); a reset
password must be changed at the next login (``must_change_password``); an API key keeps who made
it, a short prefix to recognise it by (never the key) and when it was revoked.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
ALTER TABLE accounts
  ADD COLUMN district_id integer
    CONSTRAINT fk_accounts_district_id_districts REFERENCES districts (id) ON DELETE SET NULL,
  ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
  DROP CONSTRAINT ck_accounts_dispatcher_scope,
  ADD CONSTRAINT ck_accounts_dispatcher_scope CHECK (role <> 'dispatcher'
    OR district_id IS NOT NULL OR street_id IS NOT NULL OR community_id IS NOT NULL);

ALTER TABLE api_keys
  ADD COLUMN district_id integer
    CONSTRAINT fk_api_keys_district_id_districts REFERENCES districts (id) ON DELETE SET NULL,
  ADD COLUMN key_prefix varchar(12),
  ADD COLUMN created_by varchar(60),
  ADD COLUMN revoked_at timestamptz,
  ADD COLUMN revoked_by varchar(60);
"""

DOWNGRADE = """
ALTER TABLE api_keys DROP COLUMN district_id, DROP COLUMN key_prefix, DROP COLUMN created_by,
  DROP COLUMN revoked_at, DROP COLUMN revoked_by;
ALTER TABLE accounts DROP CONSTRAINT ck_accounts_dispatcher_scope;
ALTER TABLE accounts DROP COLUMN district_id, DROP COLUMN must_change_password;
ALTER TABLE accounts ADD CONSTRAINT ck_accounts_dispatcher_scope
  CHECK (role <> 'dispatcher' OR street_id IS NOT NULL OR community_id IS NOT NULL);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
