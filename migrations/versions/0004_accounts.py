"""Accounts, roles and jurisdiction; API keys with scopes; login sessions; login attempts.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE accounts (
  id serial CONSTRAINT pk_accounts PRIMARY KEY,
  username varchar(40) NOT NULL CONSTRAINT uq_accounts_username UNIQUE,
  display_name varchar(60),
  password_hash text NOT NULL,
  role varchar(12) NOT NULL,
  street_id integer
    CONSTRAINT fk_accounts_street_id_streets REFERENCES streets (id) ON DELETE SET NULL,
  community_id integer
    CONSTRAINT fk_accounts_community_id_communities REFERENCES communities (id)
    ON DELETE SET NULL,
  grid_id integer
    CONSTRAINT fk_accounts_grid_id_grids REFERENCES grids (id) ON DELETE SET NULL,
  unit_id integer
    CONSTRAINT fk_accounts_unit_id_units REFERENCES units (id) ON DELETE SET NULL,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ck_accounts_role CHECK (role IN ('admin','duty','dispatcher','field','leader')),
  CONSTRAINT ck_accounts_username CHECK (username ~ '^[A-Za-z0-9_.-]{2,40}$'),
  -- a dispatcher has a subtree, a field account a unit: without them the role means nothing
  CONSTRAINT ck_accounts_dispatcher_scope
    CHECK (role <> 'dispatcher' OR street_id IS NOT NULL OR community_id IS NOT NULL),
  CONSTRAINT ck_accounts_field_scope CHECK (role <> 'field' OR unit_id IS NOT NULL)
);

CREATE TABLE api_keys (
  id serial CONSTRAINT pk_api_keys PRIMARY KEY,
  name varchar(60) NOT NULL CONSTRAINT uq_api_keys_name UNIQUE,
  key_hash char(64) NOT NULL CONSTRAINT uq_api_keys_key_hash UNIQUE,
  scopes text[] NOT NULL DEFAULT '{}',
  street_id integer
    CONSTRAINT fk_api_keys_street_id_streets REFERENCES streets (id) ON DELETE SET NULL,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- opaque bearer tokens: only their SHA-256 is stored, so a leaked table opens no session
CREATE TABLE auth_sessions (
  id bigserial CONSTRAINT pk_auth_sessions PRIMARY KEY,
  token_hash char(64) NOT NULL CONSTRAINT uq_auth_sessions_token_hash UNIQUE,
  account_id integer NOT NULL
    CONSTRAINT fk_auth_sessions_account_id_accounts REFERENCES accounts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  client varchar(10) NOT NULL DEFAULT 'api',
  CONSTRAINT ck_auth_sessions_client CHECK (client IN ('api','page'))
);
CREATE INDEX ix_auth_sessions_account_id ON auth_sessions (account_id);

CREATE TABLE login_attempts (
  id bigserial CONSTRAINT pk_login_attempts PRIMARY KEY,
  username varchar(60) NOT NULL,
  ip varchar(64) NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  ok boolean NOT NULL
);
CREATE INDEX ix_login_attempts_key ON login_attempts (username, ip, at);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS login_attempts, auth_sessions, api_keys, accounts;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
