"""Each case's evidence for 调解成功 and 满意度, kept on the case by trigger.

Revision ID: 0024
Revises: 0023

The wall's month figures tested, for every case of the month, whether its closure record holds
an agreement, whether the mediator recorded a 五步 entry, and whether its 回访 was recorded
(dispatch.stats_evidence: ``agreed``, ``mediation_record``, ``RECORDED_VISIT``): three index
probes per case, ≈ 40% of a district's refresh at province scale. The case now carries them:

- ``evidence_mediation``: ``agreed AND mediation_record`` (the evidence half of 调解成功; the
  case's own state and outcome are still tested where counted);
- ``evidence_visit``: ``RECORDED_VISIT``.

They are kept equal to the rows by triggers: on ``incidents`` (row, before: when
``resolved_at``/``followed_up_at`` change or a flag is written) and on ``incident_closures``,
``mediation_steps`` and ``followups`` (statement, after, with transition tables: one UPDATE per
statement however many rows a COPY brings; TRUNCATE recomputes every case). Only cases whose
flags change are written. ``incident_evidence_refresh(NULL)`` recomputes every case: the
backfill below, and the end of a bulk load (geo.loader, which sets ``fq.evidence_deferred``
for its transaction so the statement triggers wait, or skips triggers altogether). A test compares the
kept flags with the definitions after a mix of writes (tests/integration/test_stats.py).

The backfill writes every case with evidence (nearly all closed cases of the generated
territories): province scale, 1,000,000 cases, 227 s at load 4, the table's heap growing from
1.0 to 2.0 GB until VACUUM makes the old row versions reusable; run ``VACUUM (ANALYZE)
incidents`` after it (autovacuum will, later).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The definitions of dispatch/stats_evidence.py over a case ``{c}`` (frozen here as of 0024).
AGREED = ("EXISTS (SELECT 1 FROM incident_closures z WHERE z.incident_id = {c}.id AND "
          "z.at = {c}.resolved_at AND z.outcome = 'mediated' AND z.agreement IS NOT NULL)")
STEPS = "EXISTS (SELECT 1 FROM mediation_steps s WHERE s.incident_id = {c}.id)"
VISIT = ("EXISTS (SELECT 1 FROM followups v WHERE v.incident_id = {c}.id AND "
         "v.done_at = {c}.followed_up_at AND v.actor IS NOT NULL AND v.method IS NOT NULL)")


def _mediation(c: str) -> str:
    return f"({AGREED.format(c=c)} AND {STEPS.format(c=c)})"


# Make cases (``{cases}``, over ``k``) equal to their rows, writing only those that change.
_REFRESH = f"""    UPDATE incidents c SET evidence_mediation = e.m, evidence_visit = e.v FROM (
      SELECT x.id, x.m, x.v FROM (
        SELECT k.id, k.evidence_mediation AS was_m, k.evidence_visit AS was_v,
          {_mediation('k')} AS m, {VISIT.format(c='k')} AS v
        FROM incidents k WHERE {{cases}} OFFSET 0) x
      WHERE (x.was_m, x.was_v) IS DISTINCT FROM (x.m, x.v)) e
    WHERE c.id = e.id;"""
EVIDENCE_TABLES = ("incident_closures", "mediation_steps", "followups")

UPGRADE = f"""
ALTER TABLE incidents ADD COLUMN evidence_mediation boolean NOT NULL DEFAULT false,
  ADD COLUMN evidence_visit boolean NOT NULL DEFAULT false;

CREATE FUNCTION incident_evidence_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.evidence_mediation := {_mediation('NEW')};
  NEW.evidence_visit := {VISIT.format(c='NEW')};
  RETURN NEW;
END $$;

-- The cases ``ids`` (NULL: every case) made equal to their rows; returns how many changed.
CREATE FUNCTION incident_evidence_refresh(ids integer[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  IF ids IS NULL THEN
{_REFRESH.format(cases="TRUE")}
  ELSE  -- two statements, so the cached plan of this one probes the ids' index entries
    -- the cases locked first: a concurrent writer of another evidence row of one of them
    -- has committed once this returns, so the next statement's snapshot sees its row too
    -- (else two transactions adding a step and the closure could each leave it false)
    PERFORM 1 FROM incidents WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
{_REFRESH.format(cases="k.id = ANY(ids)")}
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

CREATE FUNCTION incident_evidence_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('fq.evidence_deferred', true) = 'on' THEN
    RETURN NULL;  -- a bulk load (geo.loader) computes every case once at its end
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM incident_evidence_refresh(ARRAY(SELECT DISTINCT incident_id FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM incident_evidence_refresh(ARRAY(SELECT DISTINCT incident_id FROM old_rows));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM incident_evidence_refresh(ARRAY(SELECT incident_id FROM new_rows
                                            UNION SELECT incident_id FROM old_rows));
  ELSE  -- TRUNCATE
    PERFORM incident_evidence_refresh(NULL);
  END IF;
  RETURN NULL;
END $$;

-- The backfill, before any trigger exists (a trigger would test each written case again):
-- only cases with evidence are written.
SELECT incident_evidence_refresh(NULL);

-- A new case has no evidence rows yet (they reference it): only a flag written true is tested.
CREATE TRIGGER incidents_evidence_insert BEFORE INSERT ON incidents FOR EACH ROW
  WHEN (NEW.evidence_mediation OR NEW.evidence_visit) EXECUTE FUNCTION incident_evidence_row();
CREATE TRIGGER incidents_evidence_update BEFORE UPDATE ON incidents FOR EACH ROW
  WHEN (OLD.resolved_at IS DISTINCT FROM NEW.resolved_at
        OR OLD.followed_up_at IS DISTINCT FROM NEW.followed_up_at
        OR OLD.evidence_mediation IS DISTINCT FROM NEW.evidence_mediation
        OR OLD.evidence_visit IS DISTINCT FROM NEW.evidence_visit OR OLD.id <> NEW.id)
  EXECUTE FUNCTION incident_evidence_row();

""" + "".join(f"""
CREATE TRIGGER {t}_evidence_insert AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION incident_evidence_changed();
CREATE TRIGGER {t}_evidence_update AFTER UPDATE ON {t}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION incident_evidence_changed();
CREATE TRIGGER {t}_evidence_delete AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION incident_evidence_changed();
CREATE TRIGGER {t}_evidence_truncate AFTER TRUNCATE ON {t}
  FOR EACH STATEMENT EXECUTE FUNCTION incident_evidence_changed();
""" for t in EVIDENCE_TABLES)

DOWNGRADE = "".join(f"""
DROP TRIGGER IF EXISTS {t}_evidence_{e} ON {t};""" for t in EVIDENCE_TABLES
                    for e in ("insert", "update", "delete", "truncate")) + """
DROP TRIGGER IF EXISTS incidents_evidence_update ON incidents;
DROP TRIGGER IF EXISTS incidents_evidence_insert ON incidents;
DROP FUNCTION IF EXISTS incident_evidence_changed();
DROP FUNCTION IF EXISTS incident_evidence_refresh(integer[]);
DROP FUNCTION IF EXISTS incident_evidence_row();
ALTER TABLE incidents DROP COLUMN IF EXISTS evidence_visit,
  DROP COLUMN IF EXISTS evidence_mediation;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
