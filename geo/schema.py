"""Territory tables (admin hierarchy, grids, facilities, roads, gazetteer) on one MetaData."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

SRID = 4326

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


_PLURAL = {"district": "districts", "street": "streets", "community": "communities",
           "grid": "grids"}


def _area(name: str, *extra: Column, parent: str | None = None) -> Table:
    """An area table: id, unique code, name, optional parent, valid MultiPolygon."""
    cols: list[Column] = [
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("code", String(40), nullable=False, unique=True),
        Column("name", String(120), nullable=False),
    ]
    if parent:
        cols.append(
            Column(f"{parent}_id", Integer, ForeignKey(f"{_PLURAL[parent]}.id", ondelete="CASCADE"),
                   nullable=False, index=True)
        )
    cols.extend(extra)
    cols.append(Column("illustrative", Boolean, nullable=False, server_default="false"))
    cols.append(Column("geom", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True),
                       nullable=False))
    return Table(name, metadata, *cols,
                 CheckConstraint("ST_IsValid(geom)", name="geom_valid"))


districts = _area("districts")
streets = _area("streets", parent="district")
communities = _area("communities", Column("households", Integer), parent="street")
police_grids = _area(
    "police_grids",
    Column("community_id", Integer, ForeignKey("communities.id", ondelete="SET NULL")),
    Column("station", String(120)),
    parent="street",
)
grids = _area(
    "grids",
    Column("police_grid_id", Integer, ForeignKey("police_grids.id", ondelete="SET NULL"),
           index=True),
    Column("kind", String(20), nullable=False, server_default="general"),
    Column("households", Integer),
    parent="community",
)
micro_grids = _area("micro_grids", Column("households", Integer), parent="grid")

FACILITY_KINDS = (
    "governance_centre",  # 综治中心 / 矛调中心, one per level
    "mediation_room",  # 社区调解室
    "mediation_studio",  # 调解工作室 (a named mediator's studio)
    "police_station",  # 派出所
    "police_office",  # 社区警务室
    "judge_workstation",  # 法官工作室
    "circuit_court",  # 巡回审判点
    "legal_aid",  # 法律援助工作站
)
LEVELS = ("city", "district", "street", "community")

facilities = Table(
    "facilities", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("kind", String(30), nullable=False, index=True),
    Column("level", String(12)),
    Column("district_id", Integer, ForeignKey("districts.id", ondelete="SET NULL")),
    Column("street_id", Integer, ForeignKey("streets.id", ondelete="SET NULL")),
    Column("community_id", Integer, ForeignKey("communities.id", ondelete="SET NULL")),
    Column("address", Text),
    Column("phone", String(30)),
    Column("illustrative", Boolean, nullable=False, server_default="false"),
    Column("geom", Geometry("POINT", srid=SRID, spatial_index=True), nullable=False),
    Column("hours", Text),  # 0011: opening hours and a contact line, as the centre's list says
    Column("contact", Text),
    CheckConstraint("kind IN (" + ",".join(f"'{k}'" for k in FACILITY_KINDS) + ")", name="kind"),
    CheckConstraint("level IS NULL OR level IN (" + ",".join(f"'{v}'" for v in LEVELS) + ")",
                    name="level"),
)

ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary", "residential",
                "service", "living_street", "unclassified", "footway", "path")

road_nodes = Table(
    "road_nodes", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("ext_id", String(120), unique=True),
    Column("geom", Geometry("POINT", srid=SRID, spatial_index=True), nullable=False),
)

# pgRouting's shape: one row a segment, cost_s forward, reverse_cost_s backward (< 0 = one-way).
road_edges = Table(
    "road_edges", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("ext_id", String(120)),
    Column("source", BigInteger, ForeignKey("road_nodes.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("target", BigInteger, ForeignKey("road_nodes.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("name", String(120)),
    Column("road_class", String(20), nullable=False),
    Column("length_m", Float, nullable=False),
    Column("speed_mps", Float, nullable=False),
    Column("cost_s", Float, nullable=False),
    Column("reverse_cost_s", Float, nullable=False),
    Column("illustrative", Boolean, nullable=False, server_default="false"),
    Column("geom", Geometry("LINESTRING", srid=SRID, spatial_index=True), nullable=False),
    CheckConstraint("length_m >= 0 AND speed_mps > 0", name="positive"),
    CheckConstraint("cost_s >= 0 OR reverse_cost_s >= 0", name="passable"),
)

# The gazetteer: named roads with door-number ranges, compounds with buildings, named places.
addr_roads = Table(
    "addr_roads", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(120), nullable=False, index=True),
    Column("aliases", ARRAY(Text), nullable=False, server_default="{}"),
    Column("street_id", Integer, ForeignKey("streets.id", ondelete="SET NULL")),
    Column("geom", Geometry("MULTILINESTRING", srid=SRID, spatial_index=True), nullable=False),
    # 0011: library = the centre's address library; network = derived from the road network's
    # names (a road-level, approximate fallback)
    Column("source", String(10), nullable=False, server_default="library"),
    CheckConstraint("source IN ('library','network')", name="source"),
)

door_ranges = Table(
    "door_ranges", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("road_id", Integer, ForeignKey("addr_roads.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("first_no", Integer, nullable=False),
    Column("last_no", Integer, nullable=False),
    Column("parity", String(4), nullable=False),
    # numbers run from first_no at the line's start to last_no at its end, on its left
    # (odd) or right (even) side as the road's numbering direction goes
    Column("geom", Geometry("LINESTRING", srid=SRID), nullable=False),
    CheckConstraint("parity IN ('odd','even')", name="parity"),
    CheckConstraint("first_no > 0 AND last_no >= first_no", name="numbers"),
)

compounds = Table(
    "compounds", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(120), nullable=False, index=True),
    Column("aliases", ARRAY(Text), nullable=False, server_default="{}"),
    Column("road_id", Integer, ForeignKey("addr_roads.id", ondelete="SET NULL")),
    Column("door_no", Integer),
    Column("community_id", Integer, ForeignKey("communities.id", ondelete="SET NULL")),
    Column("geom", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False),
    CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
)

buildings = Table(
    "buildings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("compound_id", Integer, ForeignKey("compounds.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("units", Integer, nullable=False, server_default="1"),
    Column("floors", Integer),
    Column("geom", Geometry("POINT", srid=SRID, spatial_index=True), nullable=False),
)

places = Table(
    "places", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(120), nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("aliases", ARRAY(Text), nullable=False, server_default="{}"),
    Column("address", Text),
    Column("facility_id", Integer, ForeignKey("facilities.id", ondelete="CASCADE")),
    Column("geom", Geometry("POINT", srid=SRID, spatial_index=True), nullable=False),
)

# The flat list of standard addresses that geocoding searches and the API lists.
ADDRESS_LEVELS = ("building", "door", "compound", "place", "road")
addresses = Table(
    "addresses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("full_address", Text, nullable=False),
    Column("level", String(10), nullable=False),
    Column("road_id", Integer, ForeignKey("addr_roads.id", ondelete="CASCADE")),
    Column("door_no", Integer),
    Column("compound_id", Integer, ForeignKey("compounds.id", ondelete="CASCADE")),
    Column("building_id", Integer, ForeignKey("buildings.id", ondelete="CASCADE")),
    Column("place_id", Integer, ForeignKey("places.id", ondelete="CASCADE")),
    Column("street_id", Integer, ForeignKey("streets.id", ondelete="SET NULL")),
    Column("community_id", Integer, ForeignKey("communities.id", ondelete="SET NULL")),
    Column("grid_id", Integer, ForeignKey("grids.id", ondelete="SET NULL")),
    Column("micro_grid_id", Integer, ForeignKey("micro_grids.id", ondelete="SET NULL")),
    Column("geom", Geometry("POINT", srid=SRID, spatial_index=True), nullable=False),
    CheckConstraint("level IN (" + ",".join(f"'{v}'" for v in ADDRESS_LEVELS) + ")",
                    name="level"),
)

# Geocoder: the indexes its lookups need, and the derived name table that
# geo.geocoder.rebuild_search fills after a territory load. Its foreign keys make the
# loader's TRUNCATE … CASCADE empty it, so a stale name table is never searched.
Index("ix_addresses_road_door", addresses.c.road_id, addresses.c.door_no)
Index("ix_addresses_compound_id", addresses.c.compound_id)
Index("ix_addresses_building_id", addresses.c.building_id)
Index("ix_addresses_place_id", addresses.c.place_id)
Index("ix_addresses_full_address_trgm", addresses.c.full_address, postgresql_using="gin",
      postgresql_ops={"full_address": "gin_trgm_ops"})

SEARCH_KINDS = ("district", "street", "community", "road", "compound", "place")
search_names = Table(
    "search_names", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", Text, nullable=False),  # geo.address.key(name or variant)
    Column("kind", String(12), nullable=False),
    Column("ref_id", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("variant", Boolean, nullable=False, server_default="false"),
    Column("district_id", Integer, ForeignKey("districts.id", ondelete="CASCADE")),
    Column("street_id", Integer, ForeignKey("streets.id", ondelete="CASCADE")),
    Column("community_id", Integer, ForeignKey("communities.id", ondelete="CASCADE")),
    CheckConstraint("kind IN (" + ",".join(f"'{k}'" for k in SEARCH_KINDS) + ")", name="kind"),
)
Index("ix_search_names_key", search_names.c.key)
Index("ix_search_names_key_trgm", search_names.c.key, postgresql_using="gin",
      postgresql_ops={"key": "gin_trgm_ops"})

search_meta = Table(
    "search_meta", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Text, nullable=False),
    Column("names", Integer, nullable=False),
    Column("built_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    CheckConstraint("id = 1", name="single_row"),
)

# a counter per table, bumped in the writing transaction by a statement-level trigger on every
# INSERT, UPDATE, DELETE and TRUNCATE (migration 0026): a cache's cheap and exact change stamp
table_changes = Table(
    "table_changes", metadata,
    Column("table_name", Text, primary_key=True),
    Column("changes", BigInteger, nullable=False, server_default=text("0"),
           info={"kept_by_trigger": True}),
)

TERRITORY_TABLES = (districts, streets, communities, police_grids, grids, micro_grids,
                    facilities, road_nodes, road_edges, addr_roads, door_ranges, compounds,
                    buildings, places, addresses)
