"""Closure evidence (办结依据), follow-up method, proposed priority.

Revision ID: 0012
Revises: 0008

A case is resolved only with evidence (dispatch.lifecycle.check_closure): each resolution is
one ``incident_closures`` row saying on what basis (a unit reached the scene, or the officer
settled it at the window, 当场化解, as the mediator, with a reason), the outcome a person chose,
the result note, a recorded oral agreement's terms, or the body a case was referred to.
``followups.method`` records how the visit was made (电话/上门/短信); ``incident_flow``
keeps the priority the risk check proposed until an officer confirms or keeps their own.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE incident_closures (
  id serial CONSTRAINT pk_incident_closures PRIMARY KEY,
  incident_id integer NOT NULL
    CONSTRAINT fk_incident_closures_incident_id_incidents REFERENCES incidents (id)
    ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor varchar(60) NOT NULL,
  outcome varchar(12) NOT NULL,
  basis varchar(12) NOT NULL,
  note text NOT NULL,
  mediator varchar(60),
  spot_reason text,
  agreement varchar(8),
  oral_terms text,
  referred_to varchar(120),
  CONSTRAINT ck_incident_closures_basis CHECK (basis IN ('on_scene','on_the_spot')),
  CONSTRAINT ck_incident_closures_agreement
    CHECK (agreement IS NULL OR agreement IN ('written','oral')),
  CONSTRAINT ck_incident_closures_spot
    CHECK (basis <> 'on_the_spot' OR (mediator IS NOT NULL AND spot_reason IS NOT NULL)),
  CONSTRAINT ck_incident_closures_oral CHECK (agreement IS DISTINCT FROM 'oral' OR oral_terms IS NOT NULL)
);
CREATE INDEX ix_incident_closures_incident_id ON incident_closures (incident_id);

ALTER TABLE followups ADD COLUMN method varchar(8);
ALTER TABLE followups ADD CONSTRAINT ck_followups_method
  CHECK (method IS NULL OR method IN ('phone','visit','sms'));
ALTER TABLE incident_flow ADD COLUMN proposed_priority smallint;
"""

DOWNGRADE = """
ALTER TABLE incident_flow DROP COLUMN IF EXISTS proposed_priority;
ALTER TABLE followups DROP CONSTRAINT IF EXISTS ck_followups_method;
ALTER TABLE followups DROP COLUMN IF EXISTS method;
DROP TABLE IF EXISTS incident_closures;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
