"""Demo units: grid workers, police, mediators and the 三官一律, placed on a territory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from demo.names import HAN, KAZAKH, UYGHUR, fake_phones, person_names
from demo.spatial import frame, geoms, points_inside
from dispatch.roster import ROSTER_EXTRA, SHIFT_TIMES, UNIT_COLUMNS
from geo.territory import Territory

ID_COLUMNS = ("street_id", "community_id", "home_grid_id", "police_grid_id", "facility_id")
CODE_PREFIX = {"grid_worker": "GW", "community_police": "CP", "auxiliary_police": "AP",
               "mediator": "MD", "lawyer": "LW", "judge": "JG", "procurator": "PC",
               "psychologist": "PS"}

# How often mediators list each speciality (婚姻家庭 and 邻里 are every mediator's bread).
SKILL_WEIGHTS: dict[str, float] = {
    "neighbour": 0.27, "family": 0.14, "marriage": 0.11, "property": 0.08, "labour": 0.08, "debt": 0.07,
    "traffic": 0.06, "consumer": 0.05, "construction": 0.04, "land": 0.03, "finance": 0.03,
    "medical": 0.02, "other": 0.02,
}
EXPERT_SKILLS = ("labour", "construction", "medical", "finance", "traffic", "land", "debt")
# Hometown mediators' second language (Karamay's migrants and its Uyghur/Kazakh residents).
HOMETOWN_LANGS: dict[str, float] = {
    "uyghur": 0.32, "kazakh": 0.16, "henan": 0.13, "sichuan": 0.12, "gansu": 0.10,
    "shandong": 0.09, "hebei": 0.08,
}


@dataclass(frozen=True)
class SizePlan:
    """How many people of each kind a territory of this size gets."""

    mediators_per_community: tuple[int, int]  # inclusive range
    mediators_per_street: tuple[int, int]
    experts_per_district: int
    units_per_grid_floor: float  # top up with volunteer mediators to at least this ratio
    min_units: int


SIZES: dict[str, SizePlan] = {
    "demo": SizePlan((2, 3), (9, 11), 5, 2.0, 500),
    "city": SizePlan((6, 9), (12, 16), 8, 1.45, 2000),
}


def _block(n: int, unit_type: str, **cols: object) -> pd.DataFrame:
    data: dict[str, object] = {"unit_type": [unit_type] * n}
    for k, v in cols.items():
        data[k] = v if isinstance(v, (np.ndarray, list, pd.Series)) else [v] * n
    return pd.DataFrame(data)


def _skills(rng: np.random.Generator, n: int, *, expert: bool = False) -> list[list[str]]:
    """1-3 distinct specialities each (Gumbel top-k over the weights)."""
    names = np.array(list(SKILL_WEIGHTS))
    w = np.array(list(SKILL_WEIGHTS.values()))
    if expert:
        w = np.where(np.isin(names, EXPERT_SKILLS), w * 6, w * 0.3)
    keys = np.log(w)[None, :] + rng.gumbel(size=(n, len(w)))
    order = np.argsort(-keys, axis=1)
    k = rng.choice([1, 2, 3], size=n, p=[0.3, 0.45, 0.25] if not expert else [0.5, 0.4, 0.1])
    return [names[order[i, : k[i]]].tolist() for i in range(n)]


def _languages(rng: np.random.Generator, n: int, share: float,
               pool: dict[str, float]) -> np.ndarray:
    """Second language per person ('' for Mandarin only)."""
    langs = np.array(list(pool))
    p = np.array(list(pool.values()))
    extra = langs[rng.choice(len(langs), size=n, p=p / p.sum())]
    return np.where(rng.random(n) < share, extra, "")


def _by(facilities: pd.DataFrame | None, kind: str, key: str,
        level: str | None = None) -> dict[int, pd.Series]:
    """First facility of ``kind`` per value of ``key`` (street_id, community_id, district_id)."""
    if facilities is None:
        return {}
    f = facilities[facilities["kind"] == kind]
    if level is not None:
        f = f[f["level"] == level]
    f = f.dropna(subset=[key]).sort_values("id").drop_duplicates(key)
    return {int(row[key]): row for _, row in f.iterrows()}


def _all(facilities: pd.DataFrame | None, kind: str,
         level: str | None = None) -> pd.DataFrame:
    if facilities is None:
        return pd.DataFrame(columns=["id", "street_id", "geom"])
    f = facilities[facilities["kind"] == kind]
    if level is not None:
        f = f[f["level"] == level]
    return f.sort_values("id")


def _station(rng: np.random.Generator, n: int, fac: pd.Series) -> dict[str, Any]:
    """Columns for ``n`` people at one facility: facility id, street, a point at the door."""
    g = fac["geom"]
    jitter = rng.normal(0, 0.0002, size=(2, n))
    fid: Any = fac["id"]
    sid: Any = fac["street_id"]
    return {"facility_id": int(fid) if pd.notna(fid) else None,
            "street_id": int(sid) if pd.notna(sid) else None,
            "x": g.x + jitter[0], "y": g.y + jitter[1]}


def _level(fac: pd.Series, default: str) -> str:
    lv = fac.get("level")
    return str(lv) if isinstance(lv, str) and lv in ("community", "street", "district", "city") \
        else default


def _grid_workers(rng: np.random.Generator, grids: pd.DataFrame,
                  comm_street: pd.Series) -> pd.DataFrame:
    n = len(grids)
    x, y = points_inside(rng, geoms(grids))
    return _block(n, "grid_worker", street_id=comm_street.reindex(grids["community_id"]).to_numpy(),
                  community_id=grids["community_id"].to_numpy(),
                  home_grid_id=grids["id"].to_numpy(),
                  police_grid_id=grids["police_grid_id"].to_numpy(),
                  lang2=_languages(rng, n, 0.16, {"uyghur": 0.75, "kazakh": 0.25}),
                  on_foot=rng.random(n) < 0.85, shift="day", capacity=3, full_time=True,
                  level="community", x=x, y=y)


def _police(rng: np.random.Generator, pgs: pd.DataFrame,
            offices: dict[int, pd.Series], stations: dict[int, pd.Series]) -> pd.DataFrame:
    x, y = points_inside(rng, geoms(pgs))
    fac = [offices.get(int(c)) if pd.notna(c) else None for c in pgs["community_id"]]
    fac = [f if f is not None else stations.get(int(s)) for f, s in zip(fac, pgs["street_id"],
                                                                       strict=True)]
    fac_id = [int(f["id"]) if f is not None else None for f in fac]
    n = len(pgs)
    lang = {"uyghur": 0.75, "kazakh": 0.25}
    cops = _block(n, "community_police", street_id=pgs["street_id"].to_numpy(),
                  community_id=pgs["community_id"].to_numpy(),
                  police_grid_id=pgs["id"].to_numpy(), facility_id=fac_id,
                  lang2=_languages(rng, n, 0.2, lang),
                  shift=rng.choice(["day", "24h", "night"], size=n, p=[0.55, 0.3, 0.15]),
                  capacity=2, level="community", x=x, y=y)
    # 辅警: about one for every two police grids
    pick = np.sort(rng.choice(n, size=(n + 1) // 2, replace=False))
    m = len(pick)
    aux = cops.iloc[pick].reset_index(drop=True).copy()
    aux["unit_type"] = "auxiliary_police"
    aux["lang2"] = _languages(rng, m, 0.2, lang)
    aux["shift"] = rng.choice(["night", "24h", "day"], size=m, p=[0.45, 0.3, 0.25])
    ax, ay = points_inside(rng, geoms(pgs.iloc[pick]))
    aux["x"], aux["y"] = ax, ay
    return pd.concat([cops, aux], ignore_index=True)


def _mediators(rng: np.random.Generator, n: int, *, expert: bool = False,
               full_time_share: float, **cols: object) -> pd.DataFrame:
    full = rng.random(n) < (1.0 if expert else full_time_share)
    cap = np.where(full, rng.integers(3, 5, n), 2)
    return _block(n, "mediator", skills=_skills(rng, n, expert=expert),
                  lang2=_languages(rng, n, 0.22, HOMETOWN_LANGS), full_time=full,
                  shift=np.where(full, "day", "on_call"), capacity=cap, **cols)


def _community_mediators(rng: np.random.Generator, comms: pd.DataFrame, counts: np.ndarray,
                         rooms: dict[int, pd.Series], share: float) -> pd.DataFrame:
    rep = np.repeat(np.arange(len(comms)), counts)
    c = comms.iloc[rep]
    x, y = points_inside(rng, geoms(c))
    fac_id: list[int | None] = []
    for i, cid in enumerate(c["id"].to_numpy()):
        room = rooms.get(int(cid))
        fac_id.append(int(room["id"]) if room is not None else None)
        if room is not None:  # at the community's mediation room
            x[i], y[i] = room["geom"].x, room["geom"].y
    jitter = rng.normal(0, 0.0002, size=(2, len(rep)))
    return _mediators(rng, len(rep), full_time_share=share, street_id=c["street_id"].to_numpy(),
                      community_id=c["id"].to_numpy(), facility_id=fac_id, level="community",
                      x=x + jitter[0], y=y + jitter[1])


def _centre_staff(rng: np.random.Generator, streets: pd.DataFrame,
                  facilities: pd.DataFrame | None, plan: SizePlan) -> list[pd.DataFrame]:
    """Mediators and 三官一律 at street, district and city centres, studios and workstations."""
    out: list[pd.DataFrame] = []
    centres = _by(facilities, "governance_centre", "street_id", "street")
    lo, hi = plan.mediators_per_street
    for sid, poly in zip(streets["id"].astype(int), geoms(streets), strict=True):
        fac = centres.get(sid)
        if fac is None:  # no centre on the map: a point in the street stands in
            px, py = points_inside(rng, np.array([poly], dtype=object))
            fac = pd.Series({"id": None, "street_id": sid, "geom": shapely.Point(px[0], py[0])})
        n = int(rng.integers(lo, hi + 1))
        out.append(_mediators(rng, n, full_time_share=0.6, level="street",
                              **_station(rng, n, fac)))
        out.append(_block(1, "lawyer", skills=[["labour", "debt", "construction"]],
                          level="street", capacity=3, **_station(rng, 1, fac)))
        if rng.random() < 0.35:
            out.append(_block(1, "psychologist", skills=[["family", "marriage", "neighbour"]],
                              level="street", capacity=2, **_station(rng, 1, fac)))
    for level in ("district", "city"):
        k = plan.experts_per_district if level == "district" else 3
        for _, fac in _all(facilities, "governance_centre", level).iterrows():
            out.append(_mediators(rng, k, expert=True, full_time_share=1.0, level=level,
                                  **_station(rng, k, fac)))
            out.append(_block(2, "lawyer", skills=[["labour", "finance"], ["debt", "construction"]],
                              level=level, capacity=3, **_station(rng, 2, fac)))
            out.append(_block(1, "psychologist", skills=[["family", "marriage", "neighbour"]], level=level,
                              capacity=2, **_station(rng, 1, fac)))
            out.append(_block(1, "procurator", skills=[["finance", "land"]], level=level,
                              capacity=2, **_station(rng, 1, fac)))
    for _, fac in _all(facilities, "legal_aid").iterrows():
        out.append(_block(2, "lawyer", skills=[["labour", "marriage"], ["debt", "traffic"]],
                          level=_level(fac, "street"), capacity=3, **_station(rng, 2, fac)))
    for kind in ("judge_workstation", "circuit_court"):
        for _, fac in _all(facilities, kind).iterrows():
            out.append(_block(1, "judge", skills=[["family", "debt", "land"]],
                              level=_level(fac, "community"), capacity=3,
                              community_id=fac.get("community_id"), **_station(rng, 1, fac)))
    for _, fac in _all(facilities, "mediation_studio").iterrows():
        k = int(rng.integers(1, 3))
        out.append(_mediators(rng, k, expert=True, full_time_share=1.0,
                              level=_level(fac, "community"),
                              community_id=fac.get("community_id"), **_station(rng, k, fac)))
    return out


def build_units(territory: Territory, rng: np.random.Generator, plan: SizePlan) -> gpd.GeoDataFrame:
    """All demo units of a territory, columns as the ``units`` table, ``last_geom`` active."""
    grids, comms, streets = territory["grids"], territory["communities"], territory["streets"]
    pgs, facilities = frame(territory, "police_grids"), frame(territory, "facilities")
    comm_street = comms.set_index("id")["street_id"]
    blocks = [_grid_workers(rng, grids.sort_values("id"), comm_street)]
    if pgs is not None:
        blocks.append(_police(rng, pgs.sort_values("id"),
                              _by(facilities, "police_office", "community_id"),
                              _by(facilities, "police_station", "street_id")))
    comms = comms.sort_values("id").reset_index(drop=True)
    lo, hi = plan.mediators_per_community
    counts = rng.integers(lo, hi + 1, len(comms))
    rooms = _by(facilities, "mediation_room", "community_id")
    blocks.append(_community_mediators(rng, comms, counts, rooms, 0.25))
    blocks += _centre_staff(rng, streets.sort_values("id"), facilities, plan)
    total = sum(len(b) for b in blocks)
    need = max(plan.min_units, int(np.ceil(plan.units_per_grid_floor * len(grids)))) - total
    if need > 0:  # volunteers (调解志愿者) where the grids are, to reach the plan's floor
        per = grids.groupby("community_id").size().reindex(comms["id"]).fillna(0).to_numpy()
        extra = rng.multinomial(need, per / per.sum()) if per.sum() else rng.multinomial(
            need, np.full(len(comms), 1 / len(comms)))
        blocks.append(_community_mediators(rng, comms, extra, rooms, 0.0))
    return _finish(rng, pd.concat(blocks, ignore_index=True))


def _finish(rng: np.random.Generator, df: pd.DataFrame) -> gpd.GeoDataFrame:
    """Names, phones, codes, languages, shifts and status; the table's columns in order."""
    n = len(df)
    lang2 = df["lang2"].fillna("").to_numpy(dtype=object)
    styles = np.full(n, HAN, dtype=np.int8)
    own_name = rng.random(n) < 0.8  # most speakers of Uyghur/Kazakh are Uyghur/Kazakh
    styles[(lang2 == "uyghur") & own_name] = UYGHUR
    styles[(lang2 == "kazakh") & own_name] = KAZAKH
    female = np.where(df["unit_type"].isin(["community_police", "auxiliary_police"]), 0.2, 0.55)
    names = person_names(rng, n, styles=styles, female_share=female)
    types = df["unit_type"].to_numpy(dtype=object)
    seq = df.groupby("unit_type").cumcount().to_numpy() + 1
    codes = [f"{CODE_PREFIX[t]}{i:05d}" for t, i in zip(types, seq, strict=True)]
    skills = [list(v) if isinstance(v, list) else [] for v in df.get("skills", [None] * n)]
    langs = [["mandarin", lg] if lg else ["mandarin"] for lg in lang2]
    shift = df["shift"].fillna("day").to_numpy(dtype=object)
    full_time = df["full_time"].fillna(True).astype(bool).to_numpy()
    off = rng.random(n) < np.where(shift == "on_call", 0.12, 0.05)
    out = pd.DataFrame({
        "id": np.arange(1, n + 1), "code": codes, "name": names, "unit_type": types,
        "phone": fake_phones(rng, n, unique=True), "skills": skills, "languages": langs,
        "full_time": full_time, "level": df["level"].fillna("community").to_numpy(dtype=object),
    })
    for col in ID_COLUMNS:
        v = df[col] if col in df else pd.Series([None] * n)
        out[col] = pd.array(pd.to_numeric(v, errors="coerce").to_numpy(), dtype="Int64")
    out["status"] = np.where(off, "off_duty", "available")
    out["capacity"] = pd.to_numeric(df["capacity"]).fillna(2).astype(np.int16).to_numpy()
    out["active_load"] = np.zeros(n, dtype=np.int16)
    out["on_foot"] = df["on_foot"].fillna(False).astype(bool).to_numpy()
    out["shift"] = shift
    out["shift_start"] = np.array([SHIFT_TIMES[s][0] for s in shift], dtype=object)
    out["shift_end"] = np.array([SHIFT_TIMES[s][1] for s in shift], dtype=object)
    out["last_geom"] = np.asarray(shapely.points(df["x"].to_numpy(float),
                                                 df["y"].to_numpy(float)), dtype=object)
    out["last_seen_at"] = pd.Series([pd.NaT] * n, dtype="datetime64[ns, UTC]")
    out["version"] = 0
    out["last_seq"] = pd.array([None] * n, dtype="Int64")
    out["email"] = None  # the demo's units have phones only (notices go by SMS)
    return gpd.GeoDataFrame(out[[*UNIT_COLUMNS, *ROSTER_EXTRA]], geometry="last_geom",
                            crs="EPSG:4326")
