"""A change counter per gazetteer table; the horizon below which unit tombstones are pruned.

Revision ID: 0026
Revises: 0025

1. The in-memory reverse geocoder (geo.geocode_memory) checked for changes by each table's row
   count and largest id only, so an edit in place (a road renamed, a door moved) was missed
   until a restart; that check cost a median 0.2-0.4 s at province scale and a full
   ``table_signature`` 3.4-6.2 s (bench/bench_gazetteer_check.py, load 8-22). Now each
   gazetteer table has a row in ``table_changes`` that a statement-level trigger bumps on every
   INSERT, UPDATE, DELETE and TRUNCATE, in the writing transaction: the counter moves exactly
   when the rows it stands for become visible (a sequence would move before the commit, and a
   check then could keep the old rows under the new stamp). The check reads six rows by key
   (a median 0.2-0.6 ms there).
   Only imports write these tables (a row lock per table and statement: no hot path waits).
   The triggers fire ALWAYS, also under ``session_replication_role = replica``.
2. ``unit_tombstones`` (0025) grew for ever. ``unit_tombstone_horizon`` (one row) says which
   were pruned: every tombstone written by a transaction below ``below`` is gone, so a unit
   cache whose last snapshot's xmin is below it must read every unit again
   (dispatch.adapters.unit_cache). Each prune (the one scheduler, hourly) moves ``below`` to
   the xmin it recorded the time before (``next_below``) and records the present one: a cache
   that checked within the last period never reloads.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GAZETTEER = ("compounds", "buildings", "places", "addresses", "door_ranges", "addr_roads")

UPGRADE = """
CREATE TABLE table_changes (
    table_name text CONSTRAINT pk_table_changes PRIMARY KEY,
    changes bigint NOT NULL DEFAULT 0
);
CREATE FUNCTION table_changes_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE table_changes SET changes = changes + 1 WHERE table_name = TG_TABLE_NAME;
    RETURN NULL;
END $$;

CREATE TABLE unit_tombstone_horizon (
    only_row boolean DEFAULT true CONSTRAINT pk_unit_tombstone_horizon PRIMARY KEY
        CONSTRAINT ck_unit_tombstone_horizon_single_row CHECK (only_row),
    below xid8 NOT NULL DEFAULT '0',
    next_below xid8 NOT NULL DEFAULT '0',
    pruned_at timestamptz
);
INSERT INTO unit_tombstone_horizon DEFAULT VALUES;
"""

TABLE = """
INSERT INTO table_changes (table_name) VALUES ('{t}');
CREATE TRIGGER {t}_count_change AFTER INSERT OR UPDATE OR DELETE ON {t}
    FOR EACH STATEMENT EXECUTE FUNCTION table_changes_bump();
ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_count_change;
CREATE TRIGGER {t}_count_truncate AFTER TRUNCATE ON {t}
    FOR EACH STATEMENT EXECUTE FUNCTION table_changes_bump();
ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_count_truncate;
"""

DOWNGRADE = """
DROP TRIGGER IF EXISTS {t}_count_truncate ON {t};
DROP TRIGGER IF EXISTS {t}_count_change ON {t};
"""


def upgrade() -> None:
    op.execute(UPGRADE + "".join(TABLE.format(t=t) for t in GAZETTEER))


def downgrade() -> None:
    op.execute("".join(DOWNGRADE.format(t=t) for t in GAZETTEER)
               + "DROP TABLE IF EXISTS unit_tombstone_horizon; "
               "DROP FUNCTION IF EXISTS table_changes_bump(); DROP TABLE IF EXISTS table_changes;")
