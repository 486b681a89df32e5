"""Demo units and history on a synthetic territory: counts, mixes, determinism, consistency."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box

from demo.cases import generate_demo, generate_history, generate_units, units_with_load
from demo.history import CATEGORY_MIX, CHANNEL_MIX
from dispatch import vocab
from dispatch.adapters.orm import assignments as assignments_table
from dispatch.adapters.orm import incidents as incidents_table
from dispatch.adapters.orm import units as units_table
from geo.territory import Territory

LON0, LAT0 = 84.85, 45.55  # Karamay-ish
GRID_DX, GRID_DY = 0.004, 0.003


def _gdf(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geom", crs="EPSG:4326")


def synthetic_territory(*, streets: int = 4, comm_side: tuple[int, int] = (2, 2),
                        grid_side: tuple[int, int] = (3, 3), buildings_per_grid: int = 4,
                        ) -> Territory:
    """Squares all the way down: streets in a row, communities, grids, 2x2 micro-grids.

    A police grid is one row of grids in a community; every grid holds one compound of
    ``buildings_per_grid`` buildings, each with a standard address.
    """
    ca, cb = comm_side
    ga, gb = grid_side
    s_rows, c_rows, pg_rows, g_rows, mg_rows, f_rows = [], [], [], [], [], []
    cp_rows, b_rows, a_rows = [], [], []
    ids = Counter[str]()

    def nid(t: str) -> int:
        ids[t] += 1
        return ids[t]

    def fac(kind: str, level: str | None, x: float, y: float, **kw: object) -> None:
        i = nid("f")
        f_rows.append({"id": i, "code": f"F{i:04d}", "name": f"{kind}{i}", "kind": kind,
                       "level": level, "district_id": 1, "street_id": kw.get("street_id"),
                       "community_id": kw.get("community_id"), "address": None,
                       "phone": None, "illustrative": True, "geom": Point(x, y)})

    sw, sh = ca * ga * GRID_DX, cb * gb * GRID_DY
    for s in range(streets):
        sid = nid("s")
        x0, y0 = LON0 + s * sw, LAT0
        s_rows.append({"id": sid, "code": f"S{sid:02d}", "name": f"第{sid}街道",
                       "district_id": 1, "illustrative": True,
                       "geom": MultiPolygon([box(x0, y0, x0 + sw, y0 + sh)])})
        fac("governance_centre", "street", x0 + sw / 2, y0 + sh / 2, street_id=sid)
        fac("police_station", None, x0 + sw / 3, y0 + sh / 3, street_id=sid)
        for ci in range(ca):
            for cj in range(cb):
                cid = nid("c")
                cx0, cy0 = x0 + ci * ga * GRID_DX, y0 + cj * gb * GRID_DY
                c_rows.append({"id": cid, "code": f"C{cid:03d}", "name": f"第{cid}社区",
                               "street_id": sid, "households": 3000, "illustrative": True,
                               "geom": MultiPolygon([box(cx0, cy0, cx0 + ga * GRID_DX,
                                                         cy0 + gb * GRID_DY)])})
                fac("mediation_room", "community", cx0 + GRID_DX / 3, cy0 + GRID_DY / 3,
                    street_id=sid, community_id=cid)
                fac("police_office", "community", cx0 + GRID_DX / 4, cy0 + GRID_DY / 2,
                    street_id=sid, community_id=cid)
                for gj in range(gb):
                    pid = nid("pg")
                    pg_rows.append({"id": pid, "code": f"P{pid:04d}", "name": f"警格{pid}",
                                    "street_id": sid, "community_id": cid, "station": None,
                                    "illustrative": True,
                                    "geom": MultiPolygon([box(cx0, cy0 + gj * GRID_DY,
                                                              cx0 + ga * GRID_DX,
                                                              cy0 + (gj + 1) * GRID_DY)])})
                    for gi in range(ga):
                        gid = nid("g")
                        gx0, gy0 = cx0 + gi * GRID_DX, cy0 + gj * GRID_DY
                        g_rows.append({"id": gid, "code": f"G{gid:05d}", "name": f"网格{gid}",
                                       "community_id": cid, "police_grid_id": pid,
                                       "kind": "general", "households": 400,
                                       "illustrative": True,
                                       "geom": MultiPolygon([box(gx0, gy0, gx0 + GRID_DX,
                                                                 gy0 + GRID_DY)])})
                        hx, hy = GRID_DX / 2, GRID_DY / 2
                        for mi in range(2):
                            for mj in range(2):
                                mid = nid("mg")
                                mg_rows.append({
                                    "id": mid, "code": f"M{mid:06d}", "name": f"微网格{mid}",
                                    "grid_id": gid, "households": 100, "illustrative": True,
                                    "geom": MultiPolygon([box(gx0 + mi * hx, gy0 + mj * hy,
                                                              gx0 + (mi + 1) * hx,
                                                              gy0 + (mj + 1) * hy)])})
                        cpid = nid("cp")
                        cp_rows.append({"id": cpid, "name": f"幸福{cpid}小区", "aliases": [],
                                        "road_id": None, "door_no": cpid,
                                        "community_id": cid,
                                        "geom": MultiPolygon([box(gx0, gy0, gx0 + GRID_DX,
                                                                  gy0 + GRID_DY)])})
                        for k in range(buildings_per_grid):
                            bid = nid("b")
                            bx = gx0 + GRID_DX * (0.15 + 0.7 * ((k * 0.37) % 1))
                            by = gy0 + GRID_DY * (0.15 + 0.7 * ((k * 0.61) % 1))
                            b_rows.append({"id": bid, "compound_id": cpid, "number": k + 1,
                                           "units": 3, "floors": 6, "geom": Point(bx, by)})
                            a_rows.append({
                                "id": bid,
                                "full_address": f"准噶尔路{cpid}号幸福{cpid}小区{k + 1}栋",
                                "level": "building", "road_id": None, "door_no": cpid,
                                "compound_id": cpid, "building_id": bid, "place_id": None,
                                "street_id": sid, "community_id": cid, "grid_id": gid,
                                "micro_grid_id": None, "geom": Point(bx, by)})
    x1 = LON0 + streets * sw
    fac("governance_centre", "district", x1 - sw / 2, LAT0 + sh / 4, street_id=streets)
    fac("governance_centre", "city", LON0 + sw / 2, LAT0 + sh / 4, street_id=1)
    fac("legal_aid", "district", x1 - sw / 3, LAT0 + sh / 5, street_id=streets)
    fac("judge_workstation", "community", LON0 + sw / 5, LAT0 + sh / 5, street_id=1,
        community_id=1)
    fac("mediation_studio", "street", LON0 + sw / 6, LAT0 + sh / 6, street_id=1)
    frames: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {
        "districts": _gdf([{"id": 1, "code": "D1", "name": "演示区", "illustrative": True,
                            "geom": MultiPolygon([box(LON0, LAT0, x1, LAT0 + sh)])}]),
        "streets": _gdf(s_rows), "communities": _gdf(c_rows), "police_grids": _gdf(pg_rows),
        "grids": _gdf(g_rows), "micro_grids": _gdf(mg_rows), "facilities": _gdf(f_rows),
        "compounds": _gdf(cp_rows), "buildings": _gdf(b_rows), "addresses": _gdf(a_rows),
    }
    return Territory(frames=frames, name="synthetic", illustrative=True)


END = datetime(2025, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=8)))
COUNT = 20_000


@pytest.fixture(scope="module")
def territory() -> Territory:
    return synthetic_territory(streets=6, comm_side=(2, 3), grid_side=(3, 3))  # 324 grids


@pytest.fixture(scope="module")
def demo(territory: Territory) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    return generate_demo(territory, seed=11, end=END, count=COUNT)


@pytest.fixture(scope="module")
def units(territory: Territory) -> gpd.GeoDataFrame:
    return generate_units(territory, seed=11)


def _by_id(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("id")


# ---------------------------------------------------------------- units


def test_units_have_the_table_columns_and_sane_values(units: gpd.GeoDataFrame,
                                                      territory: Territory) -> None:
    assert list(units.columns) == [c.name for c in units_table.columns if not c.info.get("kept_by_trigger")]
    assert units.geometry.name == "last_geom" and units.crs.to_epsg() == 4326
    assert len(territory["grids"]) >= 250 and len(units) >= 500
    assert units["id"].tolist() == list(range(1, len(units) + 1))
    assert units["code"].is_unique and units["phone"].is_unique
    assert units["phone"].str.fullmatch(r"139\d{8}").all()
    assert units["name"].str.len().min() >= 2
    assert set(units["unit_type"]) <= set(vocab.UNIT_TYPES)
    assert set(units["status"]) <= {"available", "off_duty"}
    assert (units["status"] == "available").mean() > 0.85
    assert set(units["shift"]) <= set(vocab.SHIFTS)
    assert set(units["level"]) <= {"community", "street", "district", "city"}
    assert (units["active_load"] == 0).all() and (units["capacity"] >= 1).all()
    assert units["shift_start"].notna().all() and units["shift_end"].notna().all()
    for skills in units["skills"]:
        assert set(skills) <= set(vocab.CATEGORIES)
    for langs in units["languages"]:
        assert langs[0] == "mandarin" and set(langs) <= set(vocab.LANGUAGES)


def test_one_grid_worker_per_grid_inside_it(units: gpd.GeoDataFrame,
                                            territory: Territory) -> None:
    grids = _by_id(territory["grids"])
    comms = _by_id(territory["communities"])
    gw = units[units["unit_type"] == "grid_worker"]
    assert sorted(gw["home_grid_id"].tolist()) == sorted(grids.index.tolist())
    g = grids.loc[gw["home_grid_id"].to_numpy()]
    assert (gw["community_id"].to_numpy() == g["community_id"].to_numpy()).all()
    assert (gw["police_grid_id"].to_numpy() == g["police_grid_id"].to_numpy()).all()
    assert (gw["street_id"].to_numpy()
            == comms.loc[g["community_id"], "street_id"].to_numpy()).all()
    assert shapely.contains(g["geom"].to_numpy(), gw.geometry.to_numpy()).all()
    assert set(gw["capacity"]) == {3} and gw["on_foot"].mean() > 0.7


def test_police_mediators_and_experts_mix(units: gpd.GeoDataFrame,
                                          territory: Territory) -> None:
    pgs = territory["police_grids"]
    types = units["unit_type"].value_counts()
    cops = units[units["unit_type"] == "community_police"]
    assert sorted(cops["police_grid_id"].tolist()) == sorted(pgs["id"].tolist())
    assert types["auxiliary_police"] == (len(pgs) + 1) // 2
    police = units[units["unit_type"].isin(["community_police", "auxiliary_police"])]
    assert set(police["capacity"]) == {2}
    assert {"night", "24h"} <= set(police["shift"])
    med = units[units["unit_type"] == "mediator"]
    per_comm = med[med["level"] == "community"].groupby("community_id").size()
    assert len(per_comm) == len(territory["communities"]) and per_comm.min() >= 2
    per_street = med[med["level"] == "street"].groupby("street_id").size()
    assert len(per_street) == len(territory["streets"]) and per_street.min() >= 9
    assert med["capacity"].between(2, 4).all()
    assert med["full_time"].any() and (~med["full_time"]).any()
    assert (med.loc[~med["full_time"], "shift"] == "on_call").all()
    n_skills = med["skills"].map(len)
    assert n_skills.between(1, 3).all()
    skills = Counter(s for ss in med["skills"] for s in ss)
    assert skills["family"] > skills["medical"] and skills["neighbour"] > skills["finance"]
    langs = Counter(lg for ls in med["languages"] for lg in ls)
    assert langs["uyghur"] > 0 and langs["kazakh"] > 0
    assert sum(langs[d] for d in ("henan", "shandong", "hebei", "sichuan", "gansu")) > 0
    assert {"lawyer", "judge", "psychologist"} <= set(types.index)
    assert set(med["level"]) == {"community", "street", "district", "city"}
    judge = units[units["unit_type"] == "judge"]
    kinds = _by_id(territory["facilities"]).loc[judge["facility_id"].astype(int), "kind"]
    assert set(kinds) == {"judge_workstation"}


def test_units_are_deterministic(territory: Territory, units: gpd.GeoDataFrame) -> None:
    again = generate_units(territory, seed=11)
    pd.testing.assert_frame_equal(pd.DataFrame(units), pd.DataFrame(again))
    other = generate_units(territory, seed=12)
    assert other["name"].tolist() != units["name"].tolist()


def test_city_size_has_thousands_of_units() -> None:
    big = synthetic_territory(streets=15, comm_side=(2, 4), grid_side=(3, 4),
                              buildings_per_grid=1)
    city = generate_units(big, seed=3, size="city")
    assert len(city) >= 2000
    assert (city["unit_type"] == "mediator").sum() > 900  # Karamay: 1,157 for 112 communities


def test_units_without_facilities_or_buildings() -> None:
    t = synthetic_territory(streets=2)
    bare = Territory(frames={k: v for k, v in t.frames.items()
                             if k in ("streets", "communities", "grids", "police_grids")})
    u = generate_units(bare, seed=1)
    assert u["facility_id"].isna().all() and len(u) >= 500
    inc, asg = generate_history(bare, u, seed=1, count=500, end=END)
    assert inc["community_id"].notna().all() and inc["micro_grid_id"].isna().all()
    assert inc["address"].str.endswith("辖区").all()
    assert len(asg) >= 490


# ---------------------------------------------------------------- history


def test_history_columns_ids_codes(demo: tuple[gpd.GeoDataFrame, ...]) -> None:
    _, inc, asg = demo
    assert list(inc.columns) == [c.name for c in incidents_table.columns
                                 if not c.info.get("kept_by_trigger")]
    assert list(asg.columns) == [c.name for c in assignments_table.columns]
    assert len(inc) == COUNT and inc["id"].tolist() == list(range(1, COUNT + 1))
    assert inc["code"].is_unique
    assert inc["code"].str.fullmatch(r"\d{4}-\d{6}").all()
    assert (inc["code"].str[:4].astype(int) == inc["reported_at"].dt.year).all()
    assert inc["reported_at"].is_monotonic_increasing
    assert inc["reported_at"].min() >= END - timedelta(days=365)
    assert inc["reported_at"].max() < END
    assert (inc["created_by"] == "demo").all()
    assert inc["title"].notna().all() and inc["description"].str.len().min() > 10
    json.dumps(inc["parties"].tolist(), ensure_ascii=False)


def test_category_channel_and_outcome_mix(demo: tuple[gpd.GeoDataFrame, ...]) -> None:
    _, inc, _ = demo
    share = inc["category"].value_counts(normalize=True)
    for cat, p in CATEGORY_MIX.items():
        assert abs(share[cat] - p) < 0.015, cat
    ch = inc["channel"].value_counts(normalize=True)
    for c, p in CHANNEL_MIX.items():
        assert abs(ch[c] - p) < 0.04, c
    assert (inc["language"] == "mandarin").mean() > 0.8
    done = inc[inc["outcome"].notna()]
    assert 0.96 < (done["outcome"] == "mediated").mean() < 0.995
    assert set(done["outcome"]) <= set(vocab.OUTCOMES)
    sat = inc["satisfaction"].dropna()
    assert sat.between(1, 5).all() and (sat == 5).mean() > 0.75
    assert set(inc["priority"]) <= {1, 2, 3, 4}
    assert set(inc["difficulty"]) == set(vocab.DIFFICULTIES)
    assert set(inc["risk_level"]) == {0, 1, 2, 3}


def test_time_profiles(demo: tuple[gpd.GeoDataFrame, ...]) -> None:
    _, inc, _ = demo
    local = inc["reported_at"]
    hours = local.dt.hour.value_counts()
    assert hours.get(10, 0) > 8 * hours.get(3, 0)
    dow = local.dt.day_of_week.value_counts()
    assert dow[0] > 1.4 * dow[6]  # Mondays busier than Sundays
    labour = inc[inc["category"] == "labour"]
    days_to_new_year = (local[labour.index].dt.tz_localize(None)
                        - pd.Timestamp("2025-01-29")).dt.days
    before = days_to_new_year.between(-28, -3).sum()
    # wage rows pile up before 春节: 2.4x the daily rate is drawn, about 2.2x the even share
    # arrives; 1.7x keeps clear of sampling noise and far from no pile-up at all (1.0x)
    assert before > 1.7 * len(labour) * 26 / 365


def test_timestamps_in_order_and_within_limits(demo: tuple[gpd.GeoDataFrame, ...]) -> None:
    _, inc, _ = demo
    steps = ["reported_at", "assigned_at", "acknowledged_at", "arrived_at", "resolved_at",
             "followed_up_at", "closed_at"]
    for a, b in pairwise(steps):
        both = inc[a].notna() & inc[b].notna()
        assert (inc.loc[both, a] <= inc.loc[both, b]).all(), (a, b)
        assert (inc[b].notna() <= inc[a].notna()).all(), (a, b)  # no gaps in the chain
    assert (inc[steps[1:]].max(axis=1).dropna() <= END).all()
    assert inc["sign_deadline"].notna().all() and inc["close_deadline"].notna().all()
    limit = inc["difficulty"].map({"simple": 3, "normal": 7, "complex": 15})
    assert ((inc["close_deadline"] - inc["reported_at"]).dt.days == limit).all()
    closed = inc[inc["state"] == "closed"]
    assert len(closed) / len(inc) > 0.97
    on_time = (closed["closed_at"] <= closed["close_deadline"]).mean()
    assert 0.96 < on_time < 1.0  # a few overdue
    signed = inc["acknowledged_at"].notna()
    late = (inc.loc[signed, "acknowledged_at"] > inc.loc[signed, "sign_deadline"]).mean()
    assert 0.005 < late < 0.05
    sign_minutes = (inc["acknowledged_at"] - inc["reported_at"]).dt.total_seconds() / 60
    assert sign_minutes.median() < 60


def test_states_at_the_end(demo: tuple[gpd.GeoDataFrame, ...]) -> None:
    _, inc, _ = demo
    assert set(inc["state"]) <= set(vocab.INCIDENT_STATES)
    open_ = inc[inc["state"].isin(vocab.OPEN_STATES)]
    assert {"registered", "assigned", "mediating"} <= set(open_["state"])
    assert len(open_) < 0.02 * len(inc)
    assert (open_["reported_at"] > END - timedelta(days=16)).all()
    assert open_["outcome"].isna().all() and open_["satisfaction"].isna().all()
    reg = inc[inc["state"] == "registered"]
    assert reg["assigned_at"].isna().all()
    closed = inc[inc["state"] == "closed"]
    assert closed["closed_at"].notna().all() and closed["satisfaction"].notna().all()


def test_located_chain_matches_geometry(demo: tuple[gpd.GeoDataFrame, ...],
                                       territory: Territory) -> None:
    _, inc, _ = demo
    grids = _by_id(territory["grids"])
    comms = _by_id(territory["communities"])
    mgs = _by_id(territory["micro_grids"])
    assert inc[["street_id", "community_id", "grid_id", "micro_grid_id",
                "police_grid_id"]].notna().all().all()
    sample = inc.sample(2000, random_state=0)
    g = grids.loc[sample["grid_id"].to_numpy()]
    assert shapely.covers(g["geom"].to_numpy(), sample.geometry.to_numpy()).all()
    m = mgs.loc[sample["micro_grid_id"].to_numpy()]
    assert shapely.covers(m["geom"].to_numpy(), sample.geometry.to_numpy()).all()
    assert (m["grid_id"].to_numpy() == sample["grid_id"].to_numpy()).all()
    assert (g["community_id"].to_numpy() == sample["community_id"].to_numpy()).all()
    assert (g["police_grid_id"].to_numpy() == sample["police_grid_id"].to_numpy()).all()
    assert (comms.loc[sample["community_id"], "street_id"].to_numpy()
            == sample["street_id"].to_numpy()).all()
    addr = _by_id(territory["addresses"])
    assert set(sample["address"]) <= set(addr["full_address"])


def test_hotspots_and_repeat_risk(demo: tuple[gpd.GeoDataFrame, ...]) -> None:
    _, inc, _ = demo
    per_comm = inc["community_id"].value_counts()
    assert per_comm.max() > 3 * per_comm.median()  # a heavy tail of busy communities
    first = inc["parties"].map(lambda p: p[0]["name"] + p[0]["phone"])
    again = first.duplicated(keep="first")  # the same applicant again: a repeat dispute
    assert again.mean() > 0.03
    assert inc.loc[again, "risk_level"].mean() > inc.loc[~again, "risk_level"].mean() + 0.5
    # a repeat is at the same address as its first round
    same = inc[again].groupby(first[again]).first()
    orig = inc[~again].groupby(first[~again]).first()
    assert (same["address"] == orig.loc[same.index, "address"]).mean() > 0.95


def test_parties_and_callers(demo: tuple[gpd.GeoDataFrame, ...]) -> None:
    units, inc, asg = demo
    assert inc["parties"].map(len).min() >= 2
    roles = Counter(p["role"] for ps in inc["parties"] for p in ps)
    assert set(roles) == {"applicant", "respondent", "third_party"}
    assert all(re.fullmatch(r"139\d{8}", p["phone"]) for p in inc["parties"].iloc[0])
    walk = inc[inc["channel"] != "grid_report"]
    assert (walk["caller_name"] == walk["parties"].map(lambda p: p[0]["name"])).all()
    lead = asg[asg["role"] == "lead"].set_index("incident_id")["unit_id"]
    gr = inc[(inc["channel"] == "grid_report") & inc["id"].isin(lead.index)]
    reporter = _by_id(units).loc[lead.loc[gr["id"]].to_numpy()]
    is_gw = (reporter["unit_type"] == "grid_worker").to_numpy()
    assert is_gw.mean() > 0.75
    assert (gr["caller_name"].to_numpy()[is_gw] == reporter["name"].to_numpy()[is_gw]).all()
    uy = inc[inc["language"] == "uyghur"]
    assert uy["caller_name"].str.contains("·").mean() > 0.85  # most, not all, use Uyghur names


# ---------------------------------------------------------------- assignments


def test_assignments_follow_incidents(demo: tuple[gpd.GeoDataFrame, ...]) -> None:
    units, inc, asg = demo
    assert asg["id"].tolist() == list(range(1, len(asg) + 1))
    assert asg["unit_id"].isin(units["id"]).all() and asg["incident_id"].isin(inc["id"]).all()
    assert set(asg["role"]) == {"lead", "pair", "support"}
    leads = asg[asg["role"] == "lead"]
    assert leads["incident_id"].is_unique
    assigned = inc[inc["assigned_at"].notna()]
    assert set(leads["incident_id"]) == set(assigned["id"])
    i = _by_id(inc).loc[asg["incident_id"].to_numpy()]
    assert (asg["assigned_at"].to_numpy() >= i["reported_at"].to_numpy()).all()
    lt = leads.set_index("incident_id")
    li = _by_id(inc).loc[lt.index]
    for col in ("assigned_at", "acknowledged_at", "arrived_at"):
        assert lt[col].equals(li[col].rename(col)) or (
            (lt[col].isna() == li[col].isna()).all()
            and (lt[col].dropna() == li[col].dropna()).all())
    for a, b in (("assigned_at", "acknowledged_at"), ("acknowledged_at", "arrived_at"),
                 ("arrived_at", "released_at")):
        both = asg[a].notna() & asg[b].notna()
        assert (asg.loc[both, a] <= asg.loc[both, b]).all(), (a, b)
    resolved = i["resolved_at"].notna().to_numpy()
    assert (asg["state"].to_numpy() == np.where(resolved, "released", "active")).all()
    assert (asg.loc[resolved, "released_at"].to_numpy()
            == i.loc[resolved, "resolved_at"].to_numpy()).all()
    assert set(i.loc[~resolved, "state"]) <= set(vocab.OPEN_STATES)


def test_plausible_units_for_each_case(demo: tuple[gpd.GeoDataFrame, ...]) -> None:
    units, inc, asg = demo
    u = _by_id(units)
    i = _by_id(inc)
    lead = asg[asg["role"] == "lead"]
    lu = u.loc[lead["unit_id"]]
    li = i.loc[lead["incident_id"]]
    assert set(lu["unit_type"]) <= {"grid_worker", "mediator"}
    gw = (lu["unit_type"] == "grid_worker").to_numpy()
    own_grid = lu["home_grid_id"].to_numpy()[gw] == li["grid_id"].to_numpy()[gw]
    mandarin = (li["language"] == "mandarin").to_numpy()[gw]
    assert own_grid[mandarin].mean() > 0.95
    med = ~gw
    skilled = [c in s for c, s in zip(li["category"].to_numpy()[med],
                                       lu["skills"].to_numpy()[med], strict=True)]
    assert np.mean(skilled) > 0.7
    foreign = (li["language"] != "mandarin").to_numpy()
    speaks = [lang in ls for lang, ls in zip(li["language"].to_numpy()[foreign],
                                             lu["languages"].to_numpy()[foreign], strict=True)]
    assert np.mean(speaks) > 0.7
    pair = asg[asg["role"] == "pair"]
    pu, pi = u.loc[pair["unit_id"]], i.loc[pair["incident_id"]]
    assert (pu["unit_type"] == "community_police").mean() > 0.95
    assert pu["unit_type"].isin(["community_police", "auxiliary_police"]).all()
    assert (pu["police_grid_id"].to_numpy() == pi["police_grid_id"].to_numpy()).mean() > 0.95
    assert (pu["street_id"].to_numpy() == pi["street_id"].to_numpy()).all()
    assert (pi["risk_level"].ge(1) | pi["priority"].eq(1)).all()
    sup = asg[asg["role"] == "support"]
    assert (i.loc[sup["incident_id"], "difficulty"] == "complex").all()


def test_loads_within_capacity(demo: tuple[gpd.GeoDataFrame, ...],
                               units: gpd.GeoDataFrame) -> None:
    loaded, _, asg = demo
    active = asg[asg["state"] == "active"].groupby("unit_id").size()
    assert len(active) > 0
    load = loaded.set_index("id")["active_load"]
    assert (load.reindex(active.index) == active).all()
    assert load.drop(active.index).eq(0).all()
    assert (loaded["active_load"] <= loaded["capacity"]).all()
    busy = loaded[loaded["active_load"] > 0]
    assert set(busy["status"]) <= {"assigned", "en_route", "on_scene"}
    assert loaded.loc[loaded["active_load"] == 0, "status"].isin(
        ["available", "off_duty"]).all()
    assert (units["active_load"] == 0).all()  # the input is left alone
    assert loaded.geometry.name == "last_geom"
    assert not asg.duplicated(["incident_id", "unit_id"]).any()


def test_history_is_deterministic(territory: Territory, units: gpd.GeoDataFrame) -> None:
    a = generate_history(territory, units, seed=5, count=2000, end=END)
    b = generate_history(territory, units, seed=5, count=2000, end=END)
    pd.testing.assert_frame_equal(pd.DataFrame(a[0]), pd.DataFrame(b[0]))
    pd.testing.assert_frame_equal(a[1], b[1])
    c = generate_history(territory, units, seed=6, count=2000, end=END)
    assert c[0]["code"].tolist() != a[0]["code"].tolist() or not c[0]["geom"].equals(a[0]["geom"])
    loaded = units_with_load(units, *a)
    assert (loaded["active_load"] <= loaded["capacity"]).all()


def test_bad_arguments(territory: Territory, units: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError):
        generate_history(territory, units, seed=1, count=0, end=END)
    with pytest.raises(ValueError):
        generate_units(territory, seed=1, size="huge")
    one, asg = generate_history(territory, units, seed=1, count=1, end=END)
    assert len(one) == 1 and len(asg) >= 1


def test_naive_end_is_beijing_time(territory: Territory, units: gpd.GeoDataFrame) -> None:
    inc, _ = generate_history(territory, units, seed=5, count=300,
                              end=datetime(2026, 3, 1, 9, 0))
    assert inc["reported_at"].max() < pd.Timestamp("2026-03-01 09:00", tz="Asia/Shanghai")
    assert str(inc["reported_at"].dt.tz) in ("UTC+08:00", "pytz.FixedOffset(480)")


def test_on_the_generated_territory() -> None:
    generator = pytest.importorskip("demo.territory")
    t = generator.generate_territory(size="demo", seed=20261121)
    units, inc, asg = generate_demo(t, seed=1, end=END, count=3000)
    assert len(units) >= 500 and len(inc) == 3000
    assert inc[["street_id", "community_id", "grid_id"]].notna().all().all()
    assert (units["active_load"] <= units["capacity"]).all()
    assert asg["unit_id"].isin(units["id"]).all()
