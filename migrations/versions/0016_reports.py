"""The 研判 report archive: weekly and on-demand reports with their figures and files.

Revision ID: 0016
Revises: 0014

``reports``: one row per report made, its period (Beijing dates, inclusive), its area (the
whole territory, a district, street, community or grid), who asked (an account, or
``scheduler``), the figures as JSON and the PDF and Excel files as bytes (a weekly report of a
city is a few hundred KB; keeping them in the database keeps them in the backup and the
transaction). At most one weekly report per period and area (``uq_reports_weekly``): a
scheduler restarting in the middle of its run does not make a second one.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE reports (
    id serial PRIMARY KEY,
    kind varchar(10) NOT NULL CONSTRAINT ck_reports_kind CHECK (kind IN ('weekly', 'on_demand')),
    period_start date NOT NULL,
    period_end date NOT NULL,
    area_level varchar(10) NOT NULL
        CONSTRAINT ck_reports_level CHECK (area_level IN ('all', 'district', 'street',
                                                          'community', 'grid')),
    area_id integer,
    district_id integer,
    street_id integer,
    community_id integer,
    grid_id integer,
    area_name varchar(120) NOT NULL,
    requested_by varchar(60) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    figures jsonb NOT NULL,
    pdf bytea NOT NULL,
    xlsx bytea NOT NULL,
    CONSTRAINT ck_reports_period CHECK (period_end >= period_start)
);
CREATE UNIQUE INDEX uq_reports_weekly ON reports (period_start, period_end, area_level,
    COALESCE(area_id, 0)) WHERE kind = 'weekly';
CREATE INDEX ix_reports_created ON reports (created_at);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS reports;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
