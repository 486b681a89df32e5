"""Resident reports (扫码说事): the desk's triage queue, tracking codes, single-use challenges.

Revision ID: 0017
Revises: 0016

A resident's report is not a case until a dispatcher accepts it (待审核 → 受理): it has no
code, no clock and no place in the statistics, so it lives in ``resident_reports`` and the case
lifecycle stays as it is. Accepting registers a case through the normal intake and links it here
(``incident_id``). ``tracking_code`` (12 Crockford base32 characters, 60 random bits) is what
the resident follows the report by; it is kept in plain text under a unique index because the
notifications of 受理 and 办结 must carry it back to the resident. Photos are the case file's
blobs (``attachment_blobs``), listed here until acceptance copies them to ``attachments``.
``resident_challenges`` holds the proof-of-work nonces, deleted when spent (single use).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE resident_reports (
  id serial CONSTRAINT pk_resident_reports PRIMARY KEY,
  tracking_code char(12) NOT NULL CONSTRAINT uq_resident_reports_tracking_code UNIQUE,
  status varchar(10) NOT NULL DEFAULT 'pending',
  category varchar(20) NOT NULL,
  description text NOT NULL,
  address varchar(200),
  lon double precision,
  lat double precision,
  place varchar(40),
  name varchar(60),
  phone varchar(30),
  device_hash char(64),
  photos jsonb NOT NULL DEFAULT '[]'::jsonb,
  submitted_at timestamptz NOT NULL,
  decided_at timestamptz,
  decided_by varchar(60),
  reject_reason text,
  incident_id integer CONSTRAINT uq_resident_reports_incident_id UNIQUE
    CONSTRAINT fk_resident_reports_incident_id_incidents REFERENCES incidents (id)
    ON DELETE SET NULL,
  rating smallint,
  rating_note text,
  rated_at timestamptz,
  CONSTRAINT ck_resident_reports_status CHECK (status IN ('pending','accepted','rejected')),
  CONSTRAINT ck_resident_reports_decided CHECK ((status = 'pending') = (decided_at IS NULL)),
  CONSTRAINT ck_resident_reports_rating CHECK (rating BETWEEN 1 AND 5)
);
CREATE INDEX ix_resident_reports_submitted_at ON resident_reports (submitted_at);
CREATE INDEX ix_resident_reports_status ON resident_reports (status);

CREATE TABLE resident_notes (
  id serial CONSTRAINT pk_resident_notes PRIMARY KEY,
  report_id integer NOT NULL
    CONSTRAINT fk_resident_notes_report_id_resident_reports REFERENCES resident_reports (id)
    ON DELETE CASCADE,
  text text NOT NULL,
  added_at timestamptz NOT NULL
);
CREATE INDEX ix_resident_notes_report_id ON resident_notes (report_id);

CREATE TABLE resident_challenges (
  nonce char(32) CONSTRAINT pk_resident_challenges PRIMARY KEY,
  bits smallint NOT NULL,
  issued_at timestamptz NOT NULL
);
CREATE INDEX ix_resident_challenges_issued_at ON resident_challenges (issued_at);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS resident_challenges;
DROP TABLE IF EXISTS resident_notes;
DROP TABLE IF EXISTS resident_reports;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
