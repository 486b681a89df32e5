"""Topology validation on small hand-made territories: every defect found, a clean one passes."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from geo.territory import Territory
from geo.validate import utm_epsg, validate_codes, validate_hierarchy

# A 0.04° x 0.02° district near Karamay (about 3.1 km x 2.2 km), cut in halves at each level.
X0, Y0, X1, Y1 = 84.80, 45.56, 84.84, 45.58
XM, YM = 84.82, 45.57


def mp(geom: Polygon) -> MultiPolygon:
    return MultiPolygon([geom])


def gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geom", crs=4326)


def clean() -> Territory:
    """District -> 2 streets (west/east) -> 2 communities each (south/north) -> 2 grids each."""
    streets = [box(X0, Y0, XM, Y1), box(XM, Y0, X1, Y1)]
    comms, grids, police = [], [], []
    for s, st in enumerate(streets):
        x0, _, x1, _ = st.bounds
        police.append({"id": s + 1, "code": f"JG{s + 1}", "name": f"警格{s + 1}",
                       "street_id": s + 1, "geom": mp(st)})
        for y0, y1 in ((Y0, YM), (YM, Y1)):
            cid = len(comms) + 1
            comms.append({"id": cid, "code": f"C{cid}", "name": f"社区{cid}", "street_id": s + 1,
                          "geom": mp(box(x0, y0, x1, y1))})
            xm = (x0 + x1) / 2
            for g, (a, b) in enumerate(((x0, xm), (xm, x1))):
                grids.append({"id": len(grids) + 1, "code": f"C{cid}G{g + 1}",
                              "name": "网格", "community_id": cid, "police_grid_id": s + 1,
                              "geom": mp(box(a, y0, b, y1))})
    return Territory(frames={
        "districts": gdf([{"id": 1, "code": "650203", "name": "区", "geom": mp(
            box(X0, Y0, X1, Y1))}]),
        "streets": gdf([{"id": i + 1, "code": f"S{i + 1}", "name": "街道", "district_id": 1,
                         "geom": mp(g)} for i, g in enumerate(streets)]),
        "communities": gdf(comms),
        "police_grids": gdf(police),
        "grids": gdf(grids),
    })


def kinds(problems: list) -> list[str]:
    return sorted(p.kind for p in problems)


def test_clean_territory_has_no_problems() -> None:
    assert validate_hierarchy(clean()) == []


def test_utm_zone_of_karamay() -> None:
    assert utm_epsg(84.87, 45.60) == 32645
    assert utm_epsg(-70.0, -33.0) == 32719


def test_gap_is_found_with_its_place_and_size() -> None:
    t = clean()
    grids = t["grids"]
    # cut a 0.002° x 0.002° notch (~156 m x 222 m) out of grid C1G1's south-west corner
    notch = box(X0, Y0, X0 + 0.002, Y0 + 0.002)
    grids.loc[0, "geom"] = mp(box(X0, Y0, (X0 + XM) / 2, YM).difference(notch))
    problems = validate_hierarchy(t)
    gaps = [p for p in problems if p.kind == "gap" and p.layer == "社区"]
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.code == "C1"
    assert X0 < gap.lon < X0 + 0.002 and Y0 < gap.lat < Y0 + 0.002
    assert gap.area_m2 == pytest.approx(156 * 222, rel=0.05)
    assert "空隙" in gap.message and "C1" in gap.message


def test_overlap_between_siblings() -> None:
    t = clean()
    grids = t["grids"]
    # grid C1G1 grows 0.001° east into its sibling C1G2 (still inside community C1)
    x0, y0, x1, y1 = grids.loc[0, "geom"].bounds
    grids.loc[0, "geom"] = mp(box(x0, y0, x1 + 0.001, y1))
    problems = validate_hierarchy(t)
    overlaps = [p for p in problems if p.kind == "overlap"]
    assert [p.layer for p in overlaps] == ["网格"]
    assert "C1G1" in overlaps[0].message and "C1G2" in overlaps[0].message
    assert x1 < overlaps[0].lon < x1 + 0.001
    assert overlaps[0].area_m2 == pytest.approx(78 * 1110, rel=0.05)
    assert not [p for p in problems if p.kind in ("gap", "outside_parent")]


def test_child_sticking_out_of_its_parent() -> None:
    t = clean()
    grids = t["grids"]
    # grid C1G1 reaches 0.001° south, out of its community and the district
    x0, y0, x1, y1 = grids.loc[0, "geom"].bounds
    grids.loc[0, "geom"] = mp(box(x0, y0 - 0.001, x1, y1))
    problems = validate_hierarchy(t)
    out = [p for p in problems if p.kind == "outside_parent" and p.layer == "网格"]
    assert out and out[0].code == "C1G1"
    assert out[0].message == "网格 C1G1 超出所属社区 C1 的范围"
    assert y0 - 0.001 < out[0].lat < y0
    assert out[0].area_m2 == pytest.approx(780 * 111, rel=0.05)
    # the same bulge also leaves its police grid
    assert any(p.kind == "outside_parent" and "警格" in p.message for p in problems)


def test_invalid_bowtie_is_located() -> None:
    t = clean()
    grids = t["grids"]
    x0, y0, x1, y1 = grids.loc[0, "geom"].bounds
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    grids.loc[0, "geom"] = MultiPolygon([bowtie])
    problems = validate_hierarchy(t)
    bad = [p for p in problems if p.kind == "invalid_geometry"]
    assert len(bad) == 1 and bad[0].code == "C1G1"
    assert "自相交" in bad[0].message
    assert bad[0].lon == pytest.approx((x0 + x1) / 2) and bad[0].lat == pytest.approx((y0 + y1) / 2)


def test_duplicate_code_and_validate_codes() -> None:
    t = clean()
    t["grids"].loc[1, "code"] = "C1G1"
    problems = validate_hierarchy(t)
    dup = [p for p in problems if p.kind == "duplicate_code"]
    assert len(dup) == 1 and dup[0].code == "C1G1" and dup[0].layer == "网格"
    frame = t["communities"].copy()
    frame.loc[2, "code"] = None
    assert kinds(validate_codes(frame, "communities")) == ["missing_field"]


def test_unknown_parent() -> None:
    t = clean()
    t["communities"].loc[3, "street_id"] = 99
    problems = validate_hierarchy(t)
    unknown = [p for p in problems if p.kind == "unknown_parent"]
    assert len(unknown) == 1 and unknown[0].code == "C4" and "街道" in unknown[0].message
    # the community without a known street leaves a gap in street 2
    assert any(p.kind == "gap" and p.code == "S2" for p in problems)


def test_grid_in_the_wrong_police_grid() -> None:
    t = clean()
    t["grids"].loc[0, "police_grid_id"] = 2
    problems = validate_hierarchy(t)
    assert kinds(problems) == ["bad_value"]
    assert "JG2" in problems[0].message and "JG1" in problems[0].message


def test_tiny_slivers_are_ignored() -> None:
    t = clean()
    grids = t["grids"]
    x0, y0, x1, y1 = grids.loc[0, "geom"].bounds
    # 1e-8° is about a millimetre: far below the 1 m² tolerance
    grids.loc[0, "geom"] = mp(box(x0, y0, x1 + 1e-8, y1))
    assert validate_hierarchy(t) == []
    assert validate_hierarchy(t, tolerance_m2=1e-6) != []


def test_empty_and_non_areal_geometries() -> None:
    t = clean()
    t["grids"].loc[0, "geom"] = None
    t["grids"].loc[1, "geom"] = LineString([(X0, Y0), (XM, YM)])
    problems = validate_hierarchy(t)
    assert [p.code for p in problems if p.kind == "empty"] == ["C1G1"]
    assert [p.code for p in problems if p.kind == "bad_value"] == ["C1G2"]
    # the two missing grids leave their community uncovered
    assert any(p.kind == "gap" and p.code == "C1" for p in problems)
