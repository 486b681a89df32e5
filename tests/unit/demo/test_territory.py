"""The illustrative territory generator: sizes, determinism, tiling, households, roads, addresses."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from demo.territory import generate_territory
from demo.territory.names import ADMIN_NAMES
from geo import schema
from geo.territory import Territory
from geo.validate import validate_hierarchy

AREA_TABLES = ("districts", "streets", "communities", "police_grids", "grids", "micro_grids")


@pytest.fixture(scope="module")
def demo() -> Territory:
    return generate_territory(size="demo", seed=20261121)


def fingerprint(t: Territory) -> str:
    """A hash of every frame: its values and its geometries' exact bytes."""
    h = hashlib.sha256()
    for name, f in t.frames.items():
        h.update(name.encode())
        h.update(repr(f.drop(columns="geom").to_numpy().tolist()).encode())
        h.update(b"".join(shapely.to_wkb(np.asarray(f["geom"].values, dtype=object))))
    return h.hexdigest()


def test_demo_sizes(demo: Territory) -> None:
    c = demo.counts()
    assert c["districts"] == 1 and c["streets"] == 4
    assert c["communities"] >= 40
    assert c["grids"] >= 250
    assert c["micro_grids"] >= 1200
    for table in ("facilities", "road_nodes", "road_edges", "addr_roads", "door_ranges",
                  "compounds", "buildings", "places"):
        assert c[table] > 0, table
    assert 2_000 <= c["addresses"] <= 60_000


def test_frames_match_the_schema(demo: Territory) -> None:
    for table in schema.TERRITORY_TABLES:
        f = demo[table.name]
        assert list(f.columns) == [col.name for col in table.columns], table.name
        assert f.crs.to_epsg() == 4326
        assert f["id"].tolist() == list(range(1, len(f) + 1))
        if "illustrative" in f:
            assert f["illustrative"].all()
    for table in AREA_TABLES:
        geoms = np.asarray(demo[table]["geom"].values, dtype=object)
        assert set(shapely.get_type_id(geoms)) == {6}, table  # MultiPolygon
        assert shapely.is_valid(geoms).all(), table
        # with this seed every area is one piece of land (other seeds: nearly always)
        assert (shapely.get_num_geometries(geoms) == 1).all(), table
    assert set(demo["facilities"]["kind"]) == set(schema.FACILITY_KINDS)
    assert set(demo["facilities"]["level"].dropna()) <= set(schema.LEVELS)
    assert set(demo["addresses"]["level"]) == set(schema.ADDRESS_LEVELS)
    assert set(demo["road_edges"]["road_class"]) <= {"primary", "secondary", "tertiary",
                                                     "residential"}


def test_real_names_and_codes(demo: Territory) -> None:
    admin = json.loads(ADMIN_NAMES.read_text(encoding="utf-8"))
    assert "Apache-2.0" in admin["licence"]
    streets = {s["name"]: s["communities"] for s in admin["streets"]}
    assert set(demo["streets"]["name"]) == {"天山路街道", "昆仑路街道", "胜利路街道", "银河路街道"}
    for street_id, name in demo["communities"][["street_id", "name"]].itertuples(index=False):
        street = demo["streets"].set_index("id").loc[street_id, "name"]
        assert name in streets[street]
    assert demo["districts"]["code"].tolist() == ["650203"]
    assert demo["streets"]["code"].str.match(r"^650203\d{3}$").all()
    assert demo["communities"]["code"].str.len().eq(12).all()
    assert demo["grids"]["code"].str.len().eq(15).all()
    assert demo["micro_grids"]["code"].str.len().eq(17).all()
    assert demo["police_grids"]["code"].str.startswith("JG650203").all()
    for table in AREA_TABLES:
        assert demo[table]["code"].is_unique, table


def test_same_seed_same_territory_other_seed_other(demo: Territory) -> None:
    again = generate_territory(size="demo", seed=20261121)
    assert fingerprint(again) == fingerprint(demo)
    other = generate_territory(size="demo", seed=7)
    assert fingerprint(other) != fingerprint(demo)
    assert validate_hierarchy(other) == []


def test_hierarchy_tiles_without_gaps_or_overlaps(demo: Territory) -> None:
    assert validate_hierarchy(demo) == []


def test_households(demo: Territory) -> None:
    grids, micro = demo["grids"], demo["micro_grids"]
    assert grids["households"].between(300, 500).all()
    assert micro["households"].between(50, 100).all()
    per_grid = micro.groupby("grid_id")["households"].sum()
    assert (per_grid.sort_index().to_numpy() == grids.set_index("id")["households"].sort_index()
            .to_numpy()).all()
    per_comm = grids.groupby("community_id")["households"].sum()
    assert (per_comm.to_numpy() == demo["communities"].set_index("id").loc[per_comm.index,
                                                                            "households"]).all()
    assert (grids["kind"] == "special").sum() >= 1


def test_police_grids_are_unions_of_whole_grids(demo: Territory) -> None:
    grids, police = demo["grids"], demo["police_grids"]
    sizes = grids.groupby("police_grid_id").size()
    assert sizes.index.nunique() == len(police) and sizes.max() <= 8
    pcomm = police.set_index("id")["community_id"]
    assert (grids["community_id"].to_numpy() == pcomm.loc[grids["police_grid_id"]].to_numpy()).all()
    assert police["station"].str.endswith("派出所").all()


def test_road_graph(demo: Territory) -> None:
    nodes, edges = demo["road_nodes"], demo["road_edges"]
    n = len(nodes)
    g = coo_matrix((np.ones(len(edges)), (edges["source"] - 1, edges["target"] - 1)), shape=(n, n))
    count, _ = connected_components(g, directed=False)
    assert count == 1
    assert (edges["length_m"] > 0).all()
    assert np.allclose(edges["cost_s"], edges["length_m"] / edges["speed_mps"], atol=0.01)
    assert ((edges["reverse_cost_s"] == -1) | (edges["reverse_cost_s"] == edges["cost_s"])).all()
    assert (edges["reverse_cost_s"] == -1).any()
    # each edge runs from its source node to its target node
    geoms = np.asarray(edges["geom"].values, dtype=object)
    pts = np.asarray(nodes["geom"].values, dtype=object)
    start = shapely.get_point(geoms, 0)
    assert shapely.equals_exact(start, pts[edges["source"] - 1], tolerance=1e-9).all()
    assert edges["name"].notna().all()
    assert {"天山路", "世纪大道"} <= set(edges["name"])


def test_door_ranges(demo: Territory) -> None:
    doors = demo["door_ranges"]
    assert set(doors["parity"]) == {"odd", "even"}
    assert (doors["first_no"] <= doors["last_no"]).all()
    odd = doors[doors["parity"] == "odd"]
    assert ((odd["first_no"] % 2 == 1) & (odd["last_no"] % 2 == 1)).all()
    even = doors[doors["parity"] == "even"]
    assert ((even["first_no"] % 2 == 0) & (even["last_no"] % 2 == 0)).all()


def test_addresses_are_located(demo: Territory) -> None:
    addr = demo["addresses"]
    pts = np.asarray(addr["geom"].values, dtype=object)
    district = demo["districts"]["geom"].iloc[0]
    assert shapely.covers(district, pts).all()
    micro = np.asarray(demo["micro_grids"]["geom"].values, dtype=object)
    micro_of = addr["micro_grid_id"].to_numpy(dtype=int) - 1
    assert shapely.covers(micro[micro_of], pts).all()
    grid_of = demo["micro_grids"]["grid_id"].to_numpy()[micro_of]
    assert (addr["grid_id"].to_numpy() == grid_of).all()
    assert addr["full_address"].str.startswith("克拉玛依区").all()
    doors = addr[addr["level"] == "door"]
    assert doors["full_address"].str.endswith("号").all()
    buildings = addr[addr["level"] == "building"]
    assert buildings["full_address"].str.endswith("号楼").all()
    assert not addr["full_address"].duplicated().any()


def test_facilities_stand_in_their_community(demo: Territory) -> None:
    fac = demo["facilities"]
    comm = demo["communities"].set_index("id")
    geoms = np.asarray(comm.loc[fac["community_id"], "geom"].values, dtype=object)
    assert shapely.covers(geoms, np.asarray(fac["geom"].values, dtype=object)).all()
    assert fac["phone"].str.match(r"^0990-\d{7}$").all()
    assert fac["code"].is_unique
    n_comm = len(comm)
    by_kind = fac.groupby(["kind", "level"]).size()
    assert by_kind[("governance_centre", "city")] == 1
    assert by_kind[("governance_centre", "district")] == 1
    assert by_kind[("governance_centre", "street")] == 4
    assert by_kind[("governance_centre", "community")] == n_comm
    assert by_kind[("mediation_room", "community")] == n_comm
    assert (fac["kind"] == "police_office").sum() == len(demo["police_grids"])
    places = demo["places"]
    assert places["facility_id"].notna().sum() == len(fac)
    assert {"school", "hospital", "market", "park", "supermarket"} <= set(places["kind"])


def test_compounds_and_buildings(demo: Territory) -> None:
    comps, bld = demo["compounds"], demo["buildings"]
    cg = np.asarray(comps.set_index("id").loc[bld["compound_id"], "geom"].values, dtype=object)
    assert shapely.covers(cg, np.asarray(bld["geom"].values, dtype=object)).all()
    assert bld["units"].between(1, 6).all() and bld["floors"].between(5, 33).all()
    assert comps["road_id"].notna().all() and (comps["door_no"] > 0).all()
    assert comps["name"].is_unique


def test_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="规模"):
        generate_territory(size="huge")
