"""Dispatch lifecycle, clocks and telemetry: codes, timers, supervision, links, follow-up, policy.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTY_KEYS = ("jsonb_path_query_array(parties, '$[*].phone') || "
              "jsonb_path_query_array(parties, '$[*].name')")

UPGRADE = f"""
CREATE TABLE incident_flow (
  incident_id integer CONSTRAINT pk_incident_flow PRIMARY KEY
    CONSTRAINT fk_incident_flow_incident_id_incidents REFERENCES incidents (id) ON DELETE CASCADE,
  level varchar(12) NOT NULL DEFAULT 'community',
  escalations smallint NOT NULL DEFAULT 0,
  one_case_plan boolean NOT NULL DEFAULT false,
  risk_reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
  auto_dispatch boolean,
  reopened smallint NOT NULL DEFAULT 0,
  agreement_holds boolean,
  merged_into integer
    CONSTRAINT fk_incident_flow_merged_into_incidents REFERENCES incidents (id) ON DELETE SET NULL,
  CONSTRAINT ck_incident_flow_level CHECK (level IN ('community','street','district','city'))
);
-- fastupdate off: a bulk load must not leave a pending list that every look-up scans
CREATE INDEX ix_incidents_party_keys ON incidents USING gin (({PARTY_KEYS}))
  WITH (fastupdate = off);
CREATE INDEX ix_incidents_address ON incidents (address);
CREATE INDEX ix_incidents_caller_phone ON incidents (caller_phone);

CREATE TABLE incident_code_counters (
  year smallint CONSTRAINT pk_incident_code_counters PRIMARY KEY,
  last integer NOT NULL
);

CREATE TABLE incident_timers (
  id bigserial CONSTRAINT pk_incident_timers PRIMARY KEY,
  incident_id integer NOT NULL
    CONSTRAINT fk_incident_timers_incident_id_incidents REFERENCES incidents (id) ON DELETE CASCADE,
  kind varchar(10) NOT NULL,
  stage varchar(8) NOT NULL,
  round smallint NOT NULL DEFAULT 0,
  due_at timestamptz NOT NULL,
  processed_at timestamptz,
  outcome varchar(10),
  CONSTRAINT ck_incident_timers_kind CHECK (kind IN ('sign','close','followup')),
  CONSTRAINT ck_incident_timers_stage CHECK (stage IN ('warn','yellow','red')),
  CONSTRAINT ck_incident_timers_outcome
    CHECK (outcome IS NULL OR outcome IN ('done','cancelled','skipped')),
  CONSTRAINT uq_incident_timers_stage UNIQUE (incident_id, kind, stage, round)
);
CREATE INDEX ix_incident_timers_incident_id ON incident_timers (incident_id);
CREATE INDEX ix_incident_timers_due ON incident_timers (due_at) WHERE processed_at IS NULL;

CREATE TABLE supervisions (
  id serial CONSTRAINT pk_supervisions PRIMARY KEY,
  incident_id integer NOT NULL
    CONSTRAINT fk_supervisions_incident_id_incidents REFERENCES incidents (id) ON DELETE CASCADE,
  kind varchar(10) NOT NULL,
  level varchar(6) NOT NULL,
  opened_at timestamptz NOT NULL,
  opened_by varchar(60) NOT NULL,
  reason text NOT NULL,
  closed_at timestamptz,
  CONSTRAINT ck_supervisions_kind CHECK (kind IN ('sign','close','followup')),
  CONSTRAINT ck_supervisions_level CHECK (level IN ('yellow','red'))
);
CREATE INDEX ix_supervisions_incident_id ON supervisions (incident_id);

CREATE TABLE incident_links (
  id serial CONSTRAINT pk_incident_links PRIMARY KEY,
  incident_id integer NOT NULL
    CONSTRAINT fk_incident_links_incident_id_incidents REFERENCES incidents (id) ON DELETE CASCADE,
  other_id integer NOT NULL
    CONSTRAINT fk_incident_links_other_id_incidents REFERENCES incidents (id) ON DELETE CASCADE,
  kind varchar(10) NOT NULL,
  score double precision,
  reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL,
  created_by varchar(60) NOT NULL,
  CONSTRAINT ck_incident_links_kind CHECK (kind IN ('probable','duplicate','merged','related')),
  CONSTRAINT ck_incident_links_distinct CHECK (incident_id <> other_id),
  CONSTRAINT uq_incident_links_pair UNIQUE (incident_id, other_id, kind)
);
CREATE INDEX ix_incident_links_incident_id ON incident_links (incident_id);
CREATE INDEX ix_incident_links_other_id ON incident_links (other_id);

CREATE TABLE followups (
  id serial CONSTRAINT pk_followups PRIMARY KEY,
  incident_id integer NOT NULL
    CONSTRAINT fk_followups_incident_id_incidents REFERENCES incidents (id) ON DELETE CASCADE,
  due_at timestamptz NOT NULL,
  done_at timestamptz,
  satisfaction smallint,
  agreement_holds boolean,
  neighbours_visited smallint NOT NULL DEFAULT 0,
  note text,
  actor varchar(60),
  CONSTRAINT ck_followups_satisfaction CHECK (satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5)
);
CREATE INDEX ix_followups_incident_id ON followups (incident_id);

CREATE TABLE unit_positions (
  id bigserial CONSTRAINT pk_unit_positions PRIMARY KEY,
  unit_id integer NOT NULL
    CONSTRAINT fk_unit_positions_unit_id_units REFERENCES units (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  geom geometry(POINT, 4326) NOT NULL,
  accuracy_m double precision,
  source_crs varchar(10) NOT NULL DEFAULT 'wgs84'
);
CREATE INDEX ix_unit_positions_unit_at ON unit_positions (unit_id, at);
CREATE INDEX idx_unit_positions_geom ON unit_positions USING gist (geom);

CREATE TABLE dispatch_settings (
  key varchar(40) CONSTRAINT pk_dispatch_settings PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by varchar(60) NOT NULL
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS dispatch_settings, unit_positions, followups, incident_links,
  supervisions, incident_timers, incident_code_counters, incident_flow;
DROP INDEX IF EXISTS ix_incidents_party_keys, ix_incidents_address, ix_incidents_caller_phone;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
