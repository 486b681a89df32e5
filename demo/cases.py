"""Deterministic demo data: the units of a territory and a year of historical disputes."""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from demo.assign import Cases, Roster, build_assignments, leads
from demo.history import (
    basics,
    categories_and_channels,
    cut_at,
    outcomes,
    parties,
    repeats,
    timeline,
)
from demo.text import titles_and_descriptions
from demo.units import SIZES, UNIT_COLUMNS, build_units
from demo.when import TZ, reported_times, to_seconds
from demo.where import sample_places, take
from geo.territory import Territory

__all__ = ["ASSIGNMENT_COLUMNS", "HISTORY_COUNTS", "INCIDENT_COLUMNS", "SIZES", "UNIT_COLUMNS",
           "generate_demo", "generate_history", "generate_units", "units_with_load"]

HISTORY_COUNTS = {"demo": 20_000, "city": 100_000}
INCIDENT_COLUMNS = (
    "id", "code", "channel", "category", "priority", "difficulty", "title", "description",
    "address", "geom", "state", "outcome", "satisfaction", "risk_level", "language",
    "caller_name", "caller_phone", "parties", "street_id", "community_id", "grid_id",
    "micro_grid_id", "police_grid_id", "reported_at", "assigned_at", "acknowledged_at",
    "arrived_at", "resolved_at", "followed_up_at", "closed_at", "sign_deadline",
    "close_deadline", "created_by", "version", "external_source", "external_id",
)
ASSIGNMENT_COLUMNS = ("id", "incident_id", "unit_id", "role", "state", "assigned_at",
                      "acknowledged_at", "arrived_at", "released_at", "assigned_by")
CREATED_BY = "demo"


def generate_units(territory: Territory, *, seed: int, size: str = "demo") -> gpd.GeoDataFrame:
    """The people a territory's command centre dispatches, as rows of the ``units`` table.

    One grid worker (网格员) per grid, one community police officer (社区民警) per police grid
    and an auxiliary (辅警) for about every second one, people's mediators (人民调解员) in every
    community room and street centre, experts, lawyers, judges, procurators and psychologists
    at the centres and workstations on the map. ``size`` is ``"demo"`` or ``"city"`` (more
    volunteer mediators, as in Karamay's 1,157). Ids run from 1; the active geometry is
    ``last_geom`` (EPSG:4326); every unit starts with ``active_load`` 0.
    """
    if size not in SIZES:
        raise ValueError(f"未知的规模 {size!r}，应为 {'、'.join(SIZES)}")
    for table in ("streets", "communities", "grids"):
        if table not in territory or not len(territory[table]):
            raise ValueError(f"辖区缺少 {table} 图层，无法生成演示人员")
    rng = np.random.default_rng([seed, 1])
    return build_units(territory, rng, SIZES[size])


def _ts(seconds: np.ndarray) -> pd.Series:
    s = pd.Series(np.round(seconds), dtype="float64")
    return pd.to_datetime(s, unit="s", utc=True).dt.tz_convert(TZ)


def generate_history(territory: Territory, units: gpd.GeoDataFrame, *, seed: int, count: int,
                     end: datetime) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """``count`` disputes reported in the 365 days before ``end``, and who handled them.

    Returns ``(incidents, assignments)`` with the columns of those tables (ids from 1 in
    report order, times tz-aware in Beijing time; a naive ``end`` is taken as Beijing time).
    Most disputes are closed; those of the last days are open in the state they would be in
    at ``end``. Active assignments respect each unit's capacity at ``end``; apply them to the
    units with :func:`units_with_load` (``units`` itself is not changed).
    """
    if count < 1:
        raise ValueError(f"count 应为正整数，收到 {count}")
    rng = np.random.default_rng([seed, 2])
    end_s = to_seconds(end)
    category, channel = categories_and_channels(rng, count)
    t = reported_times(rng, end_s, category, channel)
    order = np.argsort(t, kind="stable")
    t, category, channel = t[order], category[order], channel[order]
    root, depth = repeats(rng, t)
    category = category[root]
    where = take(sample_places(rng, territory, count), root)
    b = basics(rng, category, channel, root, depth)
    party_lists, caller_name, caller_phone = parties(rng, b, root)
    times = timeline(rng, t, b, end_s)
    state = cut_at(rng, times, b, end_s)
    ch = where.chain
    cases = Cases(category, channel, b.language, b.difficulty, b.priority, b.risk,
                  ch["street_id"], ch["community_id"], ch["grid_id"], ch["police_grid_id"],
                  state, times)
    lead = leads(rng, Roster(units), cases)
    a = build_assignments(rng, roster=Roster(units), c=cases, lead=lead, end_s=end_s)
    outcome, satisfaction = outcomes(rng, b, cases.state)
    # a grid worker's own report: the caller is the grid worker who took it
    final = a.loc[a["role"] == "lead"]
    lead = np.full(count, -1, dtype=np.int64)
    lead[final["incident"].to_numpy()] = final["unit"].to_numpy()
    by_id = units.set_index("id")
    reporter = np.flatnonzero((channel == "grid_report") & (lead >= 0))
    reporter = reporter[by_id["unit_type"].reindex(lead[reporter]).to_numpy() == "grid_worker"]
    caller_name[reporter] = by_id["name"].reindex(lead[reporter]).to_numpy()
    caller_phone[reporter] = by_id["phone"].reindex(lead[reporter]).to_numpy()
    title, description = titles_and_descriptions(rng, category, where.address, b.n_parties)
    local = _ts(t)
    year = local.dt.year.to_numpy()
    seq = pd.Series(year).groupby(year).cumcount().to_numpy() + 1
    inc = pd.DataFrame({
        "id": np.arange(1, count + 1),
        "code": [f"{y}-{s:06d}" for y, s in zip(year.tolist(), seq.tolist(), strict=True)],
        "channel": channel, "category": category, "priority": b.priority,
        "difficulty": b.difficulty, "title": title, "description": description,
        "address": where.address, "geom": shapely.points(where.x, where.y),
        "state": cases.state, "outcome": outcome,
        "satisfaction": pd.array(satisfaction, dtype="Int16"), "risk_level": b.risk,
        "language": b.language, "caller_name": caller_name, "caller_phone": caller_phone,
        "parties": party_lists,
    })
    for col, ids in ch.items():
        inc[col] = pd.array(np.where(ids >= 0, ids, 0), dtype="Int64")
        inc.loc[ids < 0, col] = pd.NA
    inc["reported_at"] = local
    for col in ("assigned_at", "acknowledged_at", "arrived_at", "resolved_at", "followed_up_at",
                "closed_at", "sign_deadline", "close_deadline"):
        inc[col] = _ts(times[col])
    inc["created_by"] = CREATED_BY
    inc["version"] = 0
    inc["external_source"] = inc["external_id"] = None  # no demo case came from 12345
    incidents = gpd.GeoDataFrame(inc[list(INCIDENT_COLUMNS)], geometry="geom", crs="EPSG:4326")
    return incidents, _assignment_frame(a)


def _assignment_frame(a: pd.DataFrame) -> pd.DataFrame:
    released = ~np.isnan(a["released_at"].to_numpy())
    out = pd.DataFrame({
        "id": np.arange(1, len(a) + 1), "incident_id": a["incident"].to_numpy() + 1,
        "unit_id": a["unit"].to_numpy(), "role": a["role"].to_numpy(dtype=object),
        "state": np.where(released, "released", "active"),
    })
    for col in ("assigned_at", "acknowledged_at", "arrived_at", "released_at"):
        out[col] = _ts(a[col].to_numpy())
    out["assigned_by"] = CREATED_BY
    return out[list(ASSIGNMENT_COLUMNS)]


def units_with_load(units: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame,
                    assignments: pd.DataFrame) -> gpd.GeoDataFrame:
    """A copy of ``units`` with ``active_load``, ``status``, ``last_geom`` and ``last_seen_at``
    set from the assignments: on scene where arrived (and at the incident), en route where
    acknowledged, assigned otherwise; units without active work keep their status."""
    out = units.copy()
    act = assignments[assignments["state"] == "active"]
    load = act.groupby("unit_id").size()
    out["active_load"] = (out["id"].map(load).fillna(0).astype(np.int16)).to_numpy()
    stage = np.where(act["arrived_at"].notna(), 3, np.where(act["acknowledged_at"].notna(), 2, 1))
    best = pd.Series(stage, index=act.index).groupby(act["unit_id"]).max()
    status = out["id"].map(best.map({1: "assigned", 2: "en_route", 3: "on_scene"}))
    out["status"] = status.fillna(out["status"]).to_numpy()
    geo = incidents.set_index("id")["geom"]
    there = act[act["arrived_at"].notna()].drop_duplicates("unit_id", keep="last")
    pos = out["id"].map(pd.Series(geo.reindex(there["incident_id"]).to_numpy(),
                                  index=there["unit_id"].to_numpy()))
    out["last_geom"] = np.where(pos.notna(), pos, out["last_geom"])
    seen = assignments[["assigned_at", "acknowledged_at", "arrived_at"]].max(axis=1)
    last = seen.groupby(assignments["unit_id"]).max()
    out["last_seen_at"] = out["id"].map(last).to_numpy()
    return gpd.GeoDataFrame(out, geometry="last_geom", crs=units.crs)


def generate_demo(territory: Territory, *, seed: int, end: datetime, size: str = "demo",
                  count: int | None = None,
                  ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Units (with their loads at ``end``), incidents and assignments in one go."""
    units = generate_units(territory, seed=seed, size=size)
    n = HISTORY_COUNTS[size] if count is None else count
    incidents, assignments = generate_history(territory, units, seed=seed, count=n, end=end)
    return units_with_load(units, incidents, assignments), incidents, assignments
