"""Trigram indexes for the case list's text search (案件查询): code, title and address.

Revision ID: 0019
Revises: 0018

``GET /api/v1/incidents?q=…`` matches ``ILIKE '%q%'`` on the title and address and the code;
with these GIN trigram indexes a search of three characters or more reads the matching rows
instead of every case (the database's C.UTF-8 ctype keeps CJK characters in trigrams). On the
demo's 20,000 cases (machine under load 11) the list's count plus first page for 宏远小区,
2026-0187, 锦绣公寓11号楼 or 停车剐蹭 fell from 0.5-0.7 s to 30-70 ms; a two-character search
(天山) has no trigram and still scans (~0.3-0.5 s).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE INDEX ix_incidents_title_trgm ON incidents USING gin (title gin_trgm_ops);
CREATE INDEX ix_incidents_address_trgm ON incidents USING gin (address gin_trgm_ops);
CREATE INDEX ix_incidents_code_trgm ON incidents USING gin (code gin_trgm_ops);
"""

DOWNGRADE = """
DROP INDEX IF EXISTS ix_incidents_code_trgm;
DROP INDEX IF EXISTS ix_incidents_address_trgm;
DROP INDEX IF EXISTS ix_incidents_title_trgm;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
