"""报到 deadline clock and ordered unit telemetry.

Revision ID: 0007
Revises: 0006

- The 报到 deadline of a whistle (街道吹哨) becomes a stage row in ``incident_timers`` (kind
  ``whistle``, pointing at its whistle), so the one scheduler processes it exactly once as it
  does the other clocks; its 督办 is a ``supervisions`` row of kind ``whistle``. Each call a
  department let pass is stamped ``overdue_at``. Whistles still open at upgrade get their row.
- Position pings carry an optional device counter (``unit_positions.seq``, the unit's
  ``last_seq``); an exact replay (same unit, fix time and point) is stored once, by a unique
  index (existing exact duplicates are removed first, keeping the earliest row).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
ALTER TABLE incident_timers DROP CONSTRAINT ck_incident_timers_kind;
ALTER TABLE incident_timers ADD CONSTRAINT ck_incident_timers_kind
  CHECK (kind IN ('sign','close','followup','whistle'));
ALTER TABLE supervisions DROP CONSTRAINT ck_supervisions_kind;
ALTER TABLE supervisions ADD CONSTRAINT ck_supervisions_kind
  CHECK (kind IN ('sign','close','followup','whistle'));
ALTER TABLE incident_timers ADD COLUMN whistle_id integer
  CONSTRAINT fk_incident_timers_whistle_id_whistles REFERENCES whistles (id) ON DELETE CASCADE;
ALTER TABLE incident_timers ADD CONSTRAINT ck_incident_timers_whistle
  CHECK ((kind = 'whistle') = (whistle_id IS NOT NULL));
ALTER TABLE whistle_calls ADD COLUMN overdue_at timestamptz;

INSERT INTO incident_timers (incident_id, kind, stage, round, due_at, whistle_id)
SELECT incident_id, 'whistle', 'yellow', rnd, report_by, id FROM (
  SELECT id, incident_id, report_by, closed_at,
         (row_number() OVER (PARTITION BY incident_id ORDER BY id) - 1)::smallint AS rnd
  FROM whistles) w
WHERE closed_at IS NULL;

ALTER TABLE units ADD COLUMN last_seq bigint;
ALTER TABLE unit_positions ADD COLUMN seq bigint;
DELETE FROM unit_positions a USING unit_positions b
 WHERE a.unit_id = b.unit_id AND a.at = b.at AND a.id > b.id
   AND ST_X(a.geom) = ST_X(b.geom) AND ST_Y(a.geom) = ST_Y(b.geom);
CREATE UNIQUE INDEX uq_unit_positions_fix
  ON unit_positions (unit_id, at, (ST_X(geom)), (ST_Y(geom)));
"""

DOWNGRADE = """
DROP INDEX IF EXISTS uq_unit_positions_fix;
ALTER TABLE unit_positions DROP COLUMN IF EXISTS seq;
ALTER TABLE units DROP COLUMN IF EXISTS last_seq;
ALTER TABLE whistle_calls DROP COLUMN IF EXISTS overdue_at;
DELETE FROM incident_timers WHERE kind = 'whistle';
DELETE FROM supervisions WHERE kind = 'whistle';
ALTER TABLE incident_timers DROP CONSTRAINT ck_incident_timers_whistle;
ALTER TABLE incident_timers DROP COLUMN whistle_id;
ALTER TABLE supervisions DROP CONSTRAINT ck_supervisions_kind;
ALTER TABLE supervisions ADD CONSTRAINT ck_supervisions_kind
  CHECK (kind IN ('sign','close','followup'));
ALTER TABLE incident_timers DROP CONSTRAINT ck_incident_timers_kind;
ALTER TABLE incident_timers ADD CONSTRAINT ck_incident_timers_kind
  CHECK (kind IN ('sign','close','followup'));
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
