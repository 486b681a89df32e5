"""街道吹哨、部门报到 and 会商: whistles, the departments they call, consultations.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE whistles (
  id serial CONSTRAINT pk_whistles PRIMARY KEY,
  incident_id integer NOT NULL
    CONSTRAINT fk_whistles_incident_id_incidents REFERENCES incidents (id) ON DELETE CASCADE,
  street_id integer
    CONSTRAINT fk_whistles_street_id_streets REFERENCES streets (id) ON DELETE SET NULL,
  blown_at timestamptz NOT NULL,
  blown_by varchar(60) NOT NULL,
  reason text NOT NULL,
  report_by timestamptz NOT NULL,
  closed_at timestamptz,
  CONSTRAINT ck_whistles_deadline CHECK (report_by > blown_at)
);
CREATE INDEX ix_whistles_incident_id ON whistles (incident_id);
-- one open whistle per case: two duty officers blowing at once, one of them is refused
CREATE UNIQUE INDEX uq_whistles_open ON whistles (incident_id) WHERE closed_at IS NULL;

CREATE TABLE whistle_calls (
  id serial CONSTRAINT pk_whistle_calls PRIMARY KEY,
  whistle_id integer NOT NULL
    CONSTRAINT fk_whistle_calls_whistle_id_whistles REFERENCES whistles (id) ON DELETE CASCADE,
  department varchar(24) NOT NULL,
  reported_at timestamptz,
  reported_by varchar(60),
  note text,
  CONSTRAINT uq_whistle_calls_department UNIQUE (whistle_id, department),
  CONSTRAINT ck_whistle_calls_reported CHECK ((reported_at IS NULL) = (reported_by IS NULL))
);

CREATE TABLE consultations (
  id serial CONSTRAINT pk_consultations PRIMARY KEY,
  incident_id integer NOT NULL
    CONSTRAINT fk_consultations_incident_id_incidents REFERENCES incidents (id)
    ON DELETE CASCADE,
  whistle_id integer
    CONSTRAINT fk_consultations_whistle_id_whistles REFERENCES whistles (id) ON DELETE SET NULL,
  held_at timestamptz NOT NULL,
  recorded_by varchar(60) NOT NULL,
  participants jsonb NOT NULL,
  outcome text NOT NULL,
  CONSTRAINT ck_consultations_participants
    CHECK (jsonb_typeof(participants) = 'array' AND jsonb_array_length(participants) >= 2)
);
CREATE INDEX ix_consultations_incident_id ON consultations (incident_id);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS consultations, whistle_calls, whistles;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
