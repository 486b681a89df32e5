"""Resident reports keep their area: street, community and grid, located once at submission.

Revision ID: 0020
Revises: 0019

The desk's triage queue is cut to the reader's jurisdiction. Until now each read located every
report again (its point, else its poster's place) in batches of 500 over the whole decided
history; now the area is written with the report (:func:`dispatch.handlers_resident.submit`,
with the same locator the intake uses) and the scoped queue is one indexed query. Existing rows
are located here the way :mod:`geo.locate` does it: the point's micro-grid (else grid) by
``ST_Covers``, lowest id on a shared edge, its parents by their ids; a report whose point lies
outside the territory (or has none) takes its poster's place (a community's point on surface, a
mediation room's point); neither leaves it nowhere (NULL: whole-territory readers only).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
ALTER TABLE resident_reports
  ADD COLUMN street_id integer CONSTRAINT fk_resident_reports_street_id_streets
    REFERENCES streets (id) ON DELETE SET NULL,
  ADD COLUMN community_id integer CONSTRAINT fk_resident_reports_community_id_communities
    REFERENCES communities (id) ON DELETE SET NULL,
  ADD COLUMN grid_id integer CONSTRAINT fk_resident_reports_grid_id_grids
    REFERENCES grids (id) ON DELETE SET NULL;
CREATE INDEX ix_resident_reports_queue ON resident_reports (status, street_id, submitted_at);
"""

# the rows there are, located (tests/integration/dispatch/test_resident_db.py runs it on reports
# and compares with geo.locate)
BACKFILL = """
WITH pt AS (
  SELECT r.id, ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) AS g, r.place
  FROM resident_reports r
), spot AS (
  SELECT pt.id, COALESCE(
    CASE WHEN pt.g IS NOT NULL AND EXISTS (
      SELECT 1 FROM streets s WHERE ST_Covers(s.geom, pt.g)) THEN pt.g END,
    (SELECT ST_PointOnSurface(c.geom) FROM communities c
      WHERE pt.place = 'community-' || c.id),
    (SELECT f.geom FROM facilities f WHERE pt.place = 'room-' || f.id
      AND f.kind IN ('mediation_room', 'mediation_studio'))) AS g
  FROM pt
), cell AS (
  SELECT spot.id, spot.g, COALESCE(
    (SELECT m.grid_id FROM micro_grids m WHERE ST_Covers(m.geom, spot.g) ORDER BY m.id LIMIT 1),
    (SELECT g.id FROM grids g WHERE ST_Covers(g.geom, spot.g) ORDER BY g.id LIMIT 1)) AS grid_id
  FROM spot WHERE spot.g IS NOT NULL
), area AS (
  SELECT cell.id, cell.grid_id, COALESCE(
    (SELECT g.community_id FROM grids g WHERE g.id = cell.grid_id),
    (SELECT c.id FROM communities c WHERE ST_Covers(c.geom, cell.g) ORDER BY c.id LIMIT 1))
    AS community_id, cell.g
  FROM cell
)
UPDATE resident_reports r SET grid_id = area.grid_id, community_id = area.community_id,
  street_id = COALESCE(
    (SELECT c.street_id FROM communities c WHERE c.id = area.community_id),
    (SELECT s.id FROM streets s WHERE ST_Covers(s.geom, area.g) ORDER BY s.id LIMIT 1))
FROM area WHERE area.id = r.id;
"""

DOWNGRADE = """
DROP INDEX IF EXISTS ix_resident_reports_queue;
ALTER TABLE resident_reports DROP COLUMN IF EXISTS grid_id,
  DROP COLUMN IF EXISTS community_id, DROP COLUMN IF EXISTS street_id;
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute(DOWNGRADE)
