"""Territory and dispatch schema, PostGIS and pg_trgm, append-only audit log.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 21:41:06.353995
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


AUDIT_GUARD = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # pgRouting is the peer our own router is checked against; optional on foreign servers.
    op.execute("""
        DO $$ BEGIN
          IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') THEN
            CREATE EXTENSION IF NOT EXISTS pgrouting;
          END IF;
        END $$""")
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=True),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_entity', 'audit_log', ['entity', 'entity_id'], unique=False)
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_geospatial_table('districts',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('illustrative', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('ST_IsValid(geom)', name=op.f('ck_districts_geom_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('code', name=op.f('uq_districts_code'))
    )
    op.create_geospatial_index('idx_districts_geom', 'districts', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('road_nodes',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ext_id', sa.String(length=120), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_road_nodes')),
    sa.UniqueConstraint('ext_id', name=op.f('uq_road_nodes_ext_id'))
    )
    op.create_geospatial_index('idx_road_nodes_geom', 'road_nodes', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('road_edges',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ext_id', sa.String(length=120), nullable=True),
    sa.Column('source', sa.BigInteger(), nullable=False),
    sa.Column('target', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('road_class', sa.String(length=20), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('speed_mps', sa.Float(), nullable=False),
    sa.Column('cost_s', sa.Float(), nullable=False),
    sa.Column('reverse_cost_s', sa.Float(), nullable=False),
    sa.Column('illustrative', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('cost_s >= 0 OR reverse_cost_s >= 0', name=op.f('ck_road_edges_passable')),
    sa.CheckConstraint('length_m >= 0 AND speed_mps > 0', name=op.f('ck_road_edges_positive')),
    sa.ForeignKeyConstraint(['source'], ['road_nodes.id'], name=op.f('fk_road_edges_source_road_nodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target'], ['road_nodes.id'], name=op.f('fk_road_edges_target_road_nodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_road_edges'))
    )
    op.create_geospatial_index('idx_road_edges_geom', 'road_edges', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_road_edges_source'), 'road_edges', ['source'], unique=False)
    op.create_index(op.f('ix_road_edges_target'), 'road_edges', ['target'], unique=False)
    op.create_geospatial_table('streets',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('illustrative', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('ST_IsValid(geom)', name=op.f('ck_streets_geom_valid')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_streets_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_streets')),
    sa.UniqueConstraint('code', name=op.f('uq_streets_code'))
    )
    op.create_geospatial_index('idx_streets_geom', 'streets', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_streets_district_id'), 'streets', ['district_id'], unique=False)
    op.create_geospatial_table('addr_roads',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('aliases', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTILINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_addr_roads_street_id_streets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addr_roads'))
    )
    op.create_geospatial_index('idx_addr_roads_geom', 'addr_roads', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_addr_roads_name'), 'addr_roads', ['name'], unique=False)
    op.create_geospatial_table('communities',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('illustrative', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('ST_IsValid(geom)', name=op.f('ck_communities_geom_valid')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_communities_street_id_streets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communities')),
    sa.UniqueConstraint('code', name=op.f('uq_communities_code'))
    )
    op.create_geospatial_index('idx_communities_geom', 'communities', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_communities_street_id'), 'communities', ['street_id'], unique=False)
    op.create_geospatial_table('compounds',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('aliases', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('road_id', sa.Integer(), nullable=True),
    sa.Column('door_no', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('ST_IsValid(geom)', name=op.f('ck_compounds_geom_valid')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_compounds_community_id_communities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['road_id'], ['addr_roads.id'], name=op.f('fk_compounds_road_id_addr_roads'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compounds'))
    )
    op.create_geospatial_index('idx_compounds_geom', 'compounds', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_compounds_name'), 'compounds', ['name'], unique=False)
    op.create_geospatial_table('door_ranges',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('road_id', sa.Integer(), nullable=False),
    sa.Column('first_no', sa.Integer(), nullable=False),
    sa.Column('last_no', sa.Integer(), nullable=False),
    sa.Column('parity', sa.String(length=4), nullable=False),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("parity IN ('odd','even')", name=op.f('ck_door_ranges_parity')),
    sa.CheckConstraint('first_no > 0 AND last_no >= first_no', name=op.f('ck_door_ranges_numbers')),
    sa.ForeignKeyConstraint(['road_id'], ['addr_roads.id'], name=op.f('fk_door_ranges_road_id_addr_roads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_door_ranges'))
    )
    op.create_geospatial_index('idx_door_ranges_geom', 'door_ranges', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_door_ranges_road_id'), 'door_ranges', ['road_id'], unique=False)
    op.create_geospatial_table('facilities',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('illustrative', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("kind IN ('governance_centre','mediation_room','mediation_studio','police_station','police_office','judge_workstation','circuit_court','legal_aid')", name=op.f('ck_facilities_kind')),
    sa.CheckConstraint("level IS NULL OR level IN ('city','district','street','community')", name=op.f('ck_facilities_level')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_facilities_community_id_communities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_facilities_district_id_districts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_facilities_street_id_streets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('code', name=op.f('uq_facilities_code'))
    )
    op.create_geospatial_index('idx_facilities_geom', 'facilities', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_facilities_kind'), 'facilities', ['kind'], unique=False)
    op.create_geospatial_table('police_grids',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('station', sa.String(length=120), nullable=True),
    sa.Column('illustrative', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('ST_IsValid(geom)', name=op.f('ck_police_grids_geom_valid')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_police_grids_community_id_communities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_police_grids_street_id_streets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_police_grids')),
    sa.UniqueConstraint('code', name=op.f('uq_police_grids_code'))
    )
    op.create_geospatial_index('idx_police_grids_geom', 'police_grids', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_police_grids_street_id'), 'police_grids', ['street_id'], unique=False)
    op.create_geospatial_table('buildings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), server_default='1', nullable=False),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_buildings_compound_id_compounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings'))
    )
    op.create_geospatial_index('idx_buildings_geom', 'buildings', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_buildings_compound_id'), 'buildings', ['compound_id'], unique=False)
    op.create_geospatial_table('grids',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('police_grid_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), server_default='general', nullable=False),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('illustrative', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('ST_IsValid(geom)', name=op.f('ck_grids_geom_valid')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_grids_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['police_grid_id'], ['police_grids.id'], name=op.f('fk_grids_police_grid_id_police_grids'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grids')),
    sa.UniqueConstraint('code', name=op.f('uq_grids_code'))
    )
    op.create_geospatial_index('idx_grids_geom', 'grids', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_grids_community_id'), 'grids', ['community_id'], unique=False)
    op.create_index(op.f('ix_grids_police_grid_id'), 'grids', ['police_grid_id'], unique=False)
    op.create_geospatial_table('places',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('aliases', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_places_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_places'))
    )
    op.create_geospatial_index('idx_places_geom', 'places', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_places_name'), 'places', ['name'], unique=False)
    op.create_geospatial_table('micro_grids',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('illustrative', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('ST_IsValid(geom)', name=op.f('ck_micro_grids_geom_valid')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_micro_grids_grid_id_grids'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_grids')),
    sa.UniqueConstraint('code', name=op.f('uq_micro_grids_code'))
    )
    op.create_geospatial_index('idx_micro_grids_geom', 'micro_grids', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_micro_grids_grid_id'), 'micro_grids', ['grid_id'], unique=False)
    op.create_geospatial_table('units',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('unit_type', sa.String(length=24), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('skills', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('languages', postgresql.ARRAY(sa.Text()), server_default='{mandarin}', nullable=False),
    sa.Column('full_time', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('level', sa.String(length=12), server_default='community', nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('home_grid_id', sa.Integer(), nullable=True),
    sa.Column('police_grid_id', sa.Integer(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='available', nullable=False),
    sa.Column('capacity', sa.SmallInteger(), server_default='1', nullable=False),
    sa.Column('active_load', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('on_foot', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('shift', sa.String(length=10), server_default='day', nullable=False),
    sa.Column('shift_start', sa.Time(), nullable=True),
    sa.Column('shift_end', sa.Time(), nullable=True),
    sa.Column('last_geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("shift IN ('day','night','24h','on_call')", name=op.f('ck_units_shift')),
    sa.CheckConstraint("status IN ('available','assigned','en_route','on_scene','off_duty')", name=op.f('ck_units_status')),
    sa.CheckConstraint("unit_type IN ('grid_worker','mediator','community_police','auxiliary_police','lawyer','judge','procurator','psychologist')", name=op.f('ck_units_unit_type')),
    sa.CheckConstraint('capacity >= 1 AND active_load >= 0 AND active_load <= capacity', name=op.f('ck_units_load')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_units_community_id_communities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_units_facility_id_facilities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['home_grid_id'], ['grids.id'], name=op.f('fk_units_home_grid_id_grids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['police_grid_id'], ['police_grids.id'], name=op.f('fk_units_police_grid_id_police_grids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_units_street_id_streets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('code', name=op.f('uq_units_code'))
    )
    op.create_geospatial_index('idx_units_last_geom', 'units', ['last_geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_units_home_grid_id'), 'units', ['home_grid_id'], unique=False)
    op.create_index(op.f('ix_units_street_id'), 'units', ['street_id'], unique=False)
    op.create_index(op.f('ix_units_unit_type'), 'units', ['unit_type'], unique=False)
    op.create_geospatial_table('addresses',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('full_address', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('road_id', sa.Integer(), nullable=True),
    sa.Column('door_no', sa.Integer(), nullable=True),
    sa.Column('compound_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('micro_grid_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("level IN ('building','door','compound','place','road')", name=op.f('ck_addresses_level')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_addresses_building_id_buildings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_addresses_community_id_communities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_addresses_compound_id_compounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_addresses_grid_id_grids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['micro_grid_id'], ['micro_grids.id'], name=op.f('fk_addresses_micro_grid_id_micro_grids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_addresses_place_id_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['road_id'], ['addr_roads.id'], name=op.f('fk_addresses_road_id_addr_roads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_addresses_street_id_streets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addresses'))
    )
    op.create_geospatial_index('idx_addresses_geom', 'addresses', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.SmallInteger(), server_default='3', nullable=False),
    sa.Column('difficulty', sa.String(length=10), server_default='normal', nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('state', sa.String(length=14), server_default='registered', nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('satisfaction', sa.SmallInteger(), nullable=True),
    sa.Column('risk_level', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('language', sa.String(length=20), nullable=True),
    sa.Column('caller_name', sa.String(length=60), nullable=True),
    sa.Column('caller_phone', sa.String(length=30), nullable=True),
    sa.Column('parties', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('micro_grid_id', sa.Integer(), nullable=True),
    sa.Column('police_grid_id', sa.Integer(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sign_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=60), nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("category IN ('neighbour','family','marriage','property','labour','debt','traffic','construction','land','finance','medical','consumer','other')", name=op.f('ck_incidents_category')),
    sa.CheckConstraint("channel IN ('hotline','walk_in','grid_report','app','referral')", name=op.f('ck_incidents_channel')),
    sa.CheckConstraint("difficulty IN ('simple','normal','complex')", name=op.f('ck_incidents_difficulty')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('mediated','litigation','arbitration','withdrawn','failed')", name=op.f('ck_incidents_outcome')),
    sa.CheckConstraint("state IN ('registered','located','assigned','acknowledged','on_scene','mediating','escalated','resolved','followed_up','closed')", name=op.f('ck_incidents_state')),
    sa.CheckConstraint('priority BETWEEN 1 AND 4', name=op.f('ck_incidents_priority')),
    sa.CheckConstraint('satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5', name=op.f('ck_incidents_satisfaction')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_incidents_community_id_communities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_incidents_grid_id_grids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['micro_grid_id'], ['micro_grids.id'], name=op.f('fk_incidents_micro_grid_id_micro_grids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['police_grid_id'], ['police_grids.id'], name=op.f('fk_incidents_police_grid_id_police_grids'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_incidents_street_id_streets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('code', name=op.f('uq_incidents_code'))
    )
    op.create_geospatial_index('idx_incidents_geom', 'incidents', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_incidents_category'), 'incidents', ['category'], unique=False)
    op.create_index(op.f('ix_incidents_grid_id'), 'incidents', ['grid_id'], unique=False)
    op.create_index('ix_incidents_open', 'incidents', ['state'], unique=False, postgresql_where=sa.text("state NOT IN ('resolved','followed_up','closed')"))
    op.create_index(op.f('ix_incidents_reported_at'), 'incidents', ['reported_at'], unique=False)
    op.create_index(op.f('ix_incidents_street_id'), 'incidents', ['street_id'], unique=False)
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), server_default='lead', nullable=False),
    sa.Column('state', sa.String(length=10), server_default='active', nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_by', sa.String(length=60), nullable=True),
    sa.CheckConstraint("role IN ('lead','pair','support')", name=op.f('ck_assignments_role')),
    sa.CheckConstraint("state IN ('active','released','declined')", name=op.f('ck_assignments_state')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_assignments_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_assignments_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    op.create_index(op.f('ix_assignments_incident_id'), 'assignments', ['incident_id'], unique=False)
    op.create_index(op.f('ix_assignments_unit_id'), 'assignments', ['unit_id'], unique=False)
    op.create_index('uq_assignments_active', 'assignments', ['incident_id', 'unit_id'], unique=True, postgresql_where=sa.text("state = 'active'"))
    op.execute(AUDIT_GUARD)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index('uq_assignments_active', table_name='assignments', postgresql_where=sa.text("state = 'active'"))
    op.drop_index(op.f('ix_assignments_unit_id'), table_name='assignments')
    op.drop_index(op.f('ix_assignments_incident_id'), table_name='assignments')
    op.drop_table('assignments')
    op.drop_index(op.f('ix_incidents_street_id'), table_name='incidents')
    op.drop_index(op.f('ix_incidents_reported_at'), table_name='incidents')
    op.drop_index('ix_incidents_open', table_name='incidents', postgresql_where=sa.text("state NOT IN ('resolved','followed_up','closed')"))
    op.drop_index(op.f('ix_incidents_grid_id'), table_name='incidents')
    op.drop_index(op.f('ix_incidents_category'), table_name='incidents')
    op.drop_geospatial_index('idx_incidents_geom', table_name='incidents', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('incidents')
    op.drop_geospatial_index('idx_addresses_geom', table_name='addresses', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('addresses')
    op.drop_index(op.f('ix_units_unit_type'), table_name='units')
    op.drop_index(op.f('ix_units_street_id'), table_name='units')
    op.drop_index(op.f('ix_units_home_grid_id'), table_name='units')
    op.drop_geospatial_index('idx_units_last_geom', table_name='units', postgresql_using='gist', column_name='last_geom')
    op.drop_geospatial_table('units')
    op.drop_index(op.f('ix_micro_grids_grid_id'), table_name='micro_grids')
    op.drop_geospatial_index('idx_micro_grids_geom', table_name='micro_grids', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('micro_grids')
    op.drop_index(op.f('ix_places_name'), table_name='places')
    op.drop_geospatial_index('idx_places_geom', table_name='places', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('places')
    op.drop_index(op.f('ix_grids_police_grid_id'), table_name='grids')
    op.drop_index(op.f('ix_grids_community_id'), table_name='grids')
    op.drop_geospatial_index('idx_grids_geom', table_name='grids', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('grids')
    op.drop_index(op.f('ix_buildings_compound_id'), table_name='buildings')
    op.drop_geospatial_index('idx_buildings_geom', table_name='buildings', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('buildings')
    op.drop_index(op.f('ix_police_grids_street_id'), table_name='police_grids')
    op.drop_geospatial_index('idx_police_grids_geom', table_name='police_grids', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('police_grids')
    op.drop_index(op.f('ix_facilities_kind'), table_name='facilities')
    op.drop_geospatial_index('idx_facilities_geom', table_name='facilities', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('facilities')
    op.drop_index(op.f('ix_door_ranges_road_id'), table_name='door_ranges')
    op.drop_geospatial_index('idx_door_ranges_geom', table_name='door_ranges', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('door_ranges')
    op.drop_index(op.f('ix_compounds_name'), table_name='compounds')
    op.drop_geospatial_index('idx_compounds_geom', table_name='compounds', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('compounds')
    op.drop_index(op.f('ix_communities_street_id'), table_name='communities')
    op.drop_geospatial_index('idx_communities_geom', table_name='communities', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('communities')
    op.drop_index(op.f('ix_addr_roads_name'), table_name='addr_roads')
    op.drop_geospatial_index('idx_addr_roads_geom', table_name='addr_roads', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('addr_roads')
    op.drop_index(op.f('ix_streets_district_id'), table_name='streets')
    op.drop_geospatial_index('idx_streets_geom', table_name='streets', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('streets')
    op.drop_index(op.f('ix_road_edges_target'), table_name='road_edges')
    op.drop_index(op.f('ix_road_edges_source'), table_name='road_edges')
    op.drop_geospatial_index('idx_road_edges_geom', table_name='road_edges', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('road_edges')
    op.drop_geospatial_index('idx_road_nodes_geom', table_name='road_nodes', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('road_nodes')
    op.drop_geospatial_index('idx_districts_geom', table_name='districts', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('districts')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_index('ix_audit_entity', table_name='audit_log')
    op.drop_table('audit_log')
