"""Geocoder search structures: lookup indexes on addresses and the derived name table.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_addresses_road_door", "addresses", ["road_id", "door_no"])
    op.create_index("ix_addresses_compound_id", "addresses", ["compound_id"])
    op.create_index("ix_addresses_building_id", "addresses", ["building_id"])
    op.create_index("ix_addresses_place_id", "addresses", ["place_id"])
    op.create_index("ix_addresses_full_address_trgm", "addresses", ["full_address"],
                    postgresql_using="gin", postgresql_ops={"full_address": "gin_trgm_ops"})
    op.create_table(
        "search_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("variant", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('district','street','community','road','compound','place')",
                           name=op.f("ck_search_names_kind")),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], ondelete="CASCADE",
                                name=op.f("fk_search_names_district_id_districts")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], ondelete="CASCADE",
                                name=op.f("fk_search_names_street_id_streets")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE",
                                name=op.f("fk_search_names_community_id_communities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_names")),
    )
    op.create_index("ix_search_names_key", "search_names", ["key"])
    op.create_index("ix_search_names_key_trgm", "search_names", ["key"],
                    postgresql_using="gin", postgresql_ops={"key": "gin_trgm_ops"})
    op.create_table(
        "search_meta",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("names", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_search_meta_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_meta")),
    )


def downgrade() -> None:
    op.drop_table("search_meta")
    op.drop_index("ix_search_names_key_trgm", table_name="search_names")
    op.drop_index("ix_search_names_key", table_name="search_names")
    op.drop_table("search_names")
    op.drop_index("ix_addresses_full_address_trgm", table_name="addresses")
    op.drop_index("ix_addresses_place_id", table_name="addresses")
    op.drop_index("ix_addresses_building_id", table_name="addresses")
    op.drop_index("ix_addresses_compound_id", table_name="addresses")
    op.drop_index("ix_addresses_road_door", table_name="addresses")
