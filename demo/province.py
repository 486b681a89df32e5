"""The province size: prefectures made as moved, renamed and renumbered copies of the city (示意)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.schema import metadata
from geo.territory import Territory

# Invented prefecture names (the first keeps the city's own): every copy is illustrative.
PREFECTURES = ("克拉玛依", "金泉", "雪岭", "云杉", "星湖", "驼铃", "白桦", "玉岭", "绿原", "石泉")
PARTS = len(PREFECTURES)
COLUMNS = 5  # prefectures per row on the map
GAP = 1.15  # a prefecture's step as a multiple of its width and height
CITY_CODE = "6502"  # the adcode prefix every area and facility code of the city starts with
_YEAR_CODE = re.compile(r"^(\d{4}-)(\d+)$")
_AGREEMENT_NO = re.compile(r"^(（\d{4}）人调字第)(\d+)(号)$")
_DETAIL_IDS = {"street_id": "streets", "community_id": "communities", "grid_id": "grids",
               "unit_id": "units"}


def id_offsets(base: Territory) -> dict[str, int]:
    """Per table with ids, how far one prefecture's ids sit past the previous one's."""
    return {t: int(f["id"].max()) for t, f in base.frames.items()
            if "id" in f.columns and len(f)}


def _foreign_keys(table: str) -> dict[str, str]:
    """Column -> referenced table, from the schema (geo.schema and dispatch's tables)."""
    import dispatch.adapters.orm  # noqa: F401  (registers the dispatch tables on the metadata)

    return {c.name: next(iter(c.foreign_keys)).column.table.name
            for c in metadata.tables[table].columns if c.foreign_keys}


def layout(base: Territory, k: int) -> tuple[float, float]:
    """Prefecture ``k``'s shift in degrees: rows of :data:`COLUMNS`, west to east, then south."""
    x0, y0, x1, y1 = base.frames["districts"].total_bounds
    return (k % COLUMNS) * (x1 - x0) * GAP, -(k // COLUMNS) * (y1 - y0) * GAP


def _renumber(codes: pd.Series, pattern: re.Pattern[str], k: int, parts: int) -> pd.Series:
    """Year-numbered codes spread over the parts: number n of copy k becomes (n-1)*parts+k+1,
    so the province's numbers stay in the city's time order and never repeat."""
    parts_ = codes.str.extract(pattern)
    width = max(6, int(parts_[1].str.len().max()))
    n = (parts_[1].astype(np.int64) - 1) * parts + k + 1
    out = parts_[0] + n.map(lambda v: f"{v:0{width}d}")
    if parts_.shape[1] == 3:
        out = out + parts_[2]
    return out.where(codes.notna(), codes)


def _recode(codes: pd.Series, new_code: str) -> pd.Series:
    """The city's adcode prefix swapped for the prefecture's; a code without it is prefixed."""
    has = codes.str.contains(CITY_CODE, regex=False)
    return codes.str.replace(CITY_CODE, new_code, n=1, regex=False).where(
        has, new_code + "-" + codes)


def _shift_geoms(values: Any, dx: float, dy: float) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    out = np.empty(len(arr), dtype=object)
    some = np.array([g is not None for g in arr], dtype=bool)
    out[some] = shapely.transform(arr[some], lambda xy: xy + np.array([dx, dy]))
    out[~some] = None
    return out


def _detail(d: Any, off: dict[str, int], code: dict[str, str]) -> Any:
    if not isinstance(d, dict):
        return d
    new = dict(d)
    for key, table in _DETAIL_IDS.items():
        if isinstance(new.get(key), int | np.integer):
            new[key] = int(new[key]) + off[table]
    if isinstance(new.get("unit_ids"), list):
        new["unit_ids"] = [int(u) + off["units"] for u in new["unit_ids"]]
    if "code" in new and new["code"] in code:
        new["code"] = code[new["code"]]
    return new


def prefecture(base: Territory, k: int, *, parts: int = PARTS) -> Territory:
    """Copy ``k`` of the city ``base``: shifted east/south, ids past copy k-1's, its own
    prefecture (市) and district (区) names and codes, case and unit numbers that never repeat.

    The copy's history is the city's, case for case, at the same times: the province is a
    load test of ten cities side by side, not ten different years (示意)."""
    off = {t: k * n for t, n in id_offsets(base).items()}
    dx, dy = layout(base, k)
    name = PREFECTURES[k]
    new_code = f"65{int(CITY_CODE[2:]) + k:02d}"
    frames: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
    codes: dict[str, str] = {}
    for table, src in base.frames.items():
        f = src.copy()
        if "id" in f.columns and table in off:
            f["id"] = f["id"] + off[table]
        for col, ref in _foreign_keys(table).items():
            if col in f.columns and ref in off:
                f[col] = f[col] + off[ref]
            elif col in f.columns and f[col].notna().any():
                raise ValueError(f"{table}.{col} refers to {ref}, which the copy does not hold")
        for col in ("geom", "last_geom"):
            if col in f.columns:
                f[col] = gpd.GeoSeries(_shift_geoms(f[col].values, dx, dy), index=f.index,
                                       crs=4326)
        if k and "code" in f.columns and table != "incidents" and table != "units":
            f["code"] = _recode(f["code"], new_code)
        for col in f.columns:  # names and addresses: the prefecture's own city and district
            if k and col not in ("geom", "last_geom", "code") and f[col].dtype == "str":
                f[col] = (f[col].str.replace("克拉玛依市", f"{name}市", regex=False)
                          .str.replace("克拉玛依区", f"{name}区", regex=False))
        frames[table] = f
    if k and "districts" in frames:
        frames["districts"]["name"] = f"{name}区"
    if "units" in frames:
        u = frames["units"]
        u["code"] = u["code"].str[:2] + (u["code"].str[2:].astype(np.int64)
                                         + k * 10_000).map(lambda v: f"{v:05d}")
    if "incidents" in frames:
        inc = frames["incidents"]
        new = _renumber(inc["code"], _YEAR_CODE, k, parts)
        codes = dict(zip(base.frames["incidents"]["code"], new, strict=True))
        inc["code"] = new
    if "agreements" in frames:
        a = frames["agreements"]
        a["number"] = _renumber(a["number"], _AGREEMENT_NO, k, parts)
        a["mediators"] = pd.Series(
            [[{**m, "unit_id": int(m["unit_id"]) + off["units"]}
              if m.get("unit_id") is not None else m for m in (ms or [])]
             for ms in a["mediators"]], index=a.index, dtype=object)
    if "audit_log" in frames:
        log = frames["audit_log"]
        incident = log["entity"] == "incident"
        log.loc[incident, "entity_id"] = log.loc[incident, "entity_id"] + off["incidents"]
        log["detail"] = pd.Series([_detail(d, off, codes) for d in log["detail"]],
                                  index=log.index, dtype=object)
    check_references(frames)
    return Territory(frames=frames, name=f"{name}市（示意，省级规模第{k + 1}片）",
                     illustrative=True)


def check_references(frames: dict[str, gpd.GeoDataFrame | pd.DataFrame]) -> None:
    """Every foreign key of every frame names a row of the same copy (ValueError if not): what
    lets the loader skip the database's per-row FK checks for the province's 20M rows."""
    for table, f in frames.items():
        for col, ref in _foreign_keys(table).items():
            if col not in f.columns:
                continue
            used = f[col].dropna().to_numpy(dtype=np.int64)
            if ref not in frames:
                if len(used):
                    raise ValueError(f"{table}.{col} refers to {ref}, not in the copy")
                continue
            bad = ~np.isin(used, frames[ref]["id"].to_numpy(dtype=np.int64))
            if bad.any():
                raise ValueError(f"{table}.{col}: {int(bad.sum())} rows refer to no {ref}")


def province_parts(base: Territory, *, parts: int = PARTS) -> Iterator[Territory]:
    """The province one prefecture at a time, so only one copy is in memory beside the city."""
    if not 1 <= parts <= PARTS:
        raise ValueError(f"省级规模最多 {PARTS} 个地州（parts={parts}）")
    for k in range(parts):
        yield prefecture(base, k, parts=parts)
