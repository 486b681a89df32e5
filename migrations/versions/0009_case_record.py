"""The mediator's record: 五步 steps, mediation sessions, agreements, 司法确认, attachments, 延期.

Revision ID: 0009
Revises: 0008

Attachments' bytes live in the database (``attachment_blobs``, one row per distinct SHA-256),
so a case's files commit in the same transaction as their audit row and the database backup
carries them; there is no attachment directory on disk.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE mediation_steps (
  id serial CONSTRAINT pk_mediation_steps PRIMARY KEY,
  incident_id integer NOT NULL CONSTRAINT fk_mediation_steps_incident_id_incidents
    REFERENCES incidents (id) ON DELETE CASCADE,
  step varchar(10) NOT NULL,
  note text NOT NULL,
  happened_at timestamptz NOT NULL,
  unit_id integer CONSTRAINT fk_mediation_steps_unit_id_units
    REFERENCES units (id) ON DELETE SET NULL,
  recorded_by varchar(60) NOT NULL,
  recorded_at timestamptz NOT NULL,
  CONSTRAINT ck_mediation_steps_step
    CHECK (step IN ('listen','check','discuss','mediate','settle')),
  CONSTRAINT ck_mediation_steps_note CHECK (length(note) > 0)
);
CREATE INDEX ix_mediation_steps_incident_id ON mediation_steps (incident_id);

CREATE TABLE mediation_sessions (
  id serial CONSTRAINT pk_mediation_sessions PRIMARY KEY,
  incident_id integer NOT NULL CONSTRAINT fk_mediation_sessions_incident_id_incidents
    REFERENCES incidents (id) ON DELETE CASCADE,
  facility_id integer CONSTRAINT fk_mediation_sessions_facility_id_facilities
    REFERENCES facilities (id) ON DELETE SET NULL,
  place varchar(200) NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  mode varchar(10) NOT NULL,
  participants jsonb NOT NULL,
  note text,
  booked_by varchar(60) NOT NULL,
  booked_at timestamptz NOT NULL,
  cancelled_at timestamptz,
  cancelled_by varchar(60),
  CONSTRAINT ck_mediation_sessions_span CHECK (ends_at > starts_at),
  CONSTRAINT ck_mediation_sessions_mode CHECK (mode IN ('joint','separate')),
  CONSTRAINT ck_mediation_sessions_participants CHECK (jsonb_typeof(participants) = 'array')
);
CREATE INDEX ix_mediation_sessions_incident_id ON mediation_sessions (incident_id);
CREATE INDEX ix_mediation_sessions_facility_id ON mediation_sessions (facility_id, starts_at);

CREATE TABLE agreements (
  id serial CONSTRAINT pk_agreements PRIMARY KEY,
  incident_id integer NOT NULL CONSTRAINT fk_agreements_incident_id_incidents
    REFERENCES incidents (id) ON DELETE CASCADE,
  version smallint NOT NULL,
  number varchar(40) NOT NULL,
  committee varchar(120) NOT NULL,
  parties jsonb NOT NULL,
  mediators jsonb NOT NULL,
  facts text NOT NULL,
  terms text NOT NULL,
  performance text NOT NULL,
  correction text,
  created_by varchar(60) NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT uq_agreements_incident_id UNIQUE (incident_id, version),
  CONSTRAINT ck_agreements_version CHECK (version >= 1),
  CONSTRAINT ck_agreements_correction CHECK (version = 1 OR correction IS NOT NULL)
);

CREATE TABLE judicial_confirmations (
  id serial CONSTRAINT pk_judicial_confirmations PRIMARY KEY,
  incident_id integer NOT NULL CONSTRAINT fk_judicial_confirmations_incident_id_incidents
    REFERENCES incidents (id) ON DELETE CASCADE,
  agreement_id integer CONSTRAINT fk_judicial_confirmations_agreement_id_agreements
    REFERENCES agreements (id) ON DELETE SET NULL,
  status varchar(10) NOT NULL,
  court varchar(120) NOT NULL,
  on_date date NOT NULL,
  note text,
  recorded_by varchar(60) NOT NULL,
  recorded_at timestamptz NOT NULL,
  CONSTRAINT ck_judicial_confirmations_status CHECK (status IN ('applied','confirmed','refused'))
);
CREATE INDEX ix_judicial_confirmations_incident_id ON judicial_confirmations (incident_id);

CREATE TABLE attachment_blobs (
  sha256 varchar(64) CONSTRAINT pk_attachment_blobs PRIMARY KEY,
  content bytea NOT NULL,
  size integer NOT NULL,
  CONSTRAINT ck_attachment_blobs_digest CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  CONSTRAINT ck_attachment_blobs_size CHECK (size = octet_length(content))
);

CREATE TABLE attachments (
  id serial CONSTRAINT pk_attachments PRIMARY KEY,
  incident_id integer NOT NULL CONSTRAINT fk_attachments_incident_id_incidents
    REFERENCES incidents (id) ON DELETE CASCADE,
  sha256 varchar(64) NOT NULL CONSTRAINT fk_attachments_sha256_attachment_blobs
    REFERENCES attachment_blobs (sha256),
  content_type varchar(40) NOT NULL,
  size integer NOT NULL,
  filename varchar(120),
  unit_id integer CONSTRAINT fk_attachments_unit_id_units
    REFERENCES units (id) ON DELETE SET NULL,
  uploaded_by varchar(60) NOT NULL,
  uploaded_at timestamptz NOT NULL,
  CONSTRAINT ck_attachments_type
    CHECK (content_type IN ('image/jpeg','image/png','image/webp','application/pdf'))
);
CREATE INDEX ix_attachments_incident_id ON attachments (incident_id);

CREATE TABLE case_extensions (
  id serial CONSTRAINT pk_case_extensions PRIMARY KEY,
  incident_id integer NOT NULL CONSTRAINT fk_case_extensions_incident_id_incidents
    REFERENCES incidents (id) ON DELETE CASCADE,
  days smallint NOT NULL,
  reason text NOT NULL,
  requested_by varchar(60) NOT NULL,
  requested_role varchar(20) NOT NULL,
  unit_id integer CONSTRAINT fk_case_extensions_unit_id_units
    REFERENCES units (id) ON DELETE SET NULL,
  requested_at timestamptz NOT NULL,
  status varchar(10) NOT NULL DEFAULT 'pending',
  decided_by varchar(60),
  decided_at timestamptz,
  decision_note text,
  deadline_before timestamptz,
  deadline_after timestamptz,
  CONSTRAINT ck_case_extensions_days CHECK (days BETWEEN 1 AND 30),
  CONSTRAINT ck_case_extensions_status CHECK (status IN ('pending','approved','refused')),
  CONSTRAINT ck_case_extensions_decided CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX ix_case_extensions_incident_id ON case_extensions (incident_id);
-- one open request per case: a second one waits for the first decision
CREATE UNIQUE INDEX uq_case_extensions_pending ON case_extensions (incident_id)
  WHERE status = 'pending';
"""

DOWNGRADE = """
DROP TABLE IF EXISTS case_extensions, attachments, attachment_blobs, judicial_confirmations,
  agreements, mediation_sessions, mediation_steps;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
