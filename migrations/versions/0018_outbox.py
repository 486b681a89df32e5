"""Notifications and webhooks through an outbox; cases from other platforms keep their ids.

Revision ID: 0018
Revises: 0017

``outbox`` rows are written in the same transaction as the event that causes them (issue 17,
items 4-6) and delivered at least once by the console's workers (``FOR UPDATE SKIP LOCKED``);
``webhook_subscriptions`` say who hears which events of which area; ``incidents`` gain
``external_source``/``external_id`` (unique together: the same 12345 id twice is one case) and
``units`` an ``email`` beside the roster's phone.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
ALTER TABLE incidents ADD COLUMN external_source varchar(40);
ALTER TABLE incidents ADD COLUMN external_id varchar(80);
CREATE UNIQUE INDEX uq_incidents_external ON incidents (external_source, external_id)
  WHERE external_id IS NOT NULL;
ALTER TABLE units ADD COLUMN email varchar(120);

CREATE TABLE webhook_subscriptions (
  id serial CONSTRAINT pk_webhook_subscriptions PRIMARY KEY,
  name varchar(60) NOT NULL,
  url text NOT NULL,
  secret varchar(80) NOT NULL,
  event_types text[] NOT NULL DEFAULT '{}',
  district_id integer,
  street_id integer,
  source varchar(40),
  trusted boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by varchar(60) NOT NULL
);

CREATE TABLE outbox (
  id bigserial CONSTRAINT pk_outbox PRIMARY KEY,
  key uuid NOT NULL CONSTRAINT uq_outbox_key UNIQUE,
  channel varchar(10) NOT NULL,
  recipient text NOT NULL,
  event_type varchar(40) NOT NULL,
  incident_id integer,
  subscription_id integer CONSTRAINT fk_outbox_subscription_id_webhook_subscriptions
    REFERENCES webhook_subscriptions (id) ON DELETE SET NULL,
  template varchar(40),
  payload jsonb NOT NULL,
  state varchar(10) NOT NULL DEFAULT 'pending',
  attempts smallint NOT NULL DEFAULT 0,
  next_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  last_status integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX ix_outbox_due ON outbox (next_at) WHERE state = 'pending';
CREATE INDEX ix_outbox_subscription_id ON outbox (subscription_id);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS outbox;
DROP TABLE IF EXISTS webhook_subscriptions;
ALTER TABLE units DROP COLUMN IF EXISTS email;
DROP INDEX IF EXISTS uq_incidents_external;
ALTER TABLE incidents DROP COLUMN IF EXISTS external_id;
ALTER TABLE incidents DROP COLUMN IF EXISTS external_source;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
