"""A centre's standard address library (标准地址库): read, parse each address, check every row.

A row gives the full address text and its point (lon/lat in WGS-84, GCJ-02 or BD-09: the
``--crs`` option or a ``坐标系`` column), and may give its parts (road, door number, compound,
building, unit); parts not given are read from the text after the administrative prefix
(省/市/区/街道/社区 names). Each problem names its row and field: a missing or unparseable
address, a coordinate that is not a number, longitude and latitude swapped, a point outside the
imported territory, the same address twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.coords import CRS_NAMES, to_wgs84
from geo.errors import Problem
from geo.tabular import map_columns, read_table, row_label

LABEL = "地址库"
HEADERS: dict[str, tuple[str, ...]] = {
    "address": ("标准地址", "地址", "详细地址", "地址全称", "address", "full_address"),
    "lon": ("经度", "lon", "lng", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "crs": ("坐标系", "crs"),
    "road": ("道路", "街路巷", "路名", "road"),
    "door": ("门牌号", "门牌", "door_no", "door"),
    "compound": ("小区", "小区名称", "院落", "compound"),
    "building": ("楼栋", "楼号", "栋", "building"),
    "unit": ("单元", "unit"),
    "code": ("地址编码", "编码", "code", "id"),
}
FIELD_LABELS = {f: h[0] for f, h in HEADERS.items()}
CRS_WORDS = {"wgs84": "wgs84", "wgs-84": "wgs84", "gps": "wgs84", "cgcs2000": "cgcs2000",
             "gcj02": "gcj02", "gcj-02": "gcj02", "火星": "gcj02", "高德": "gcj02",
             "bd09": "bd09", "bd-09": "bd09", "百度": "bd09"}

_ROAD_END = r"(?:大道|路|街|巷|道|段|胡同|弄|里|线)"
_DOOR_NO = re.compile(r"(\d+)号(?!楼)")
_ENDS_ROAD = re.compile(rf"{_ROAD_END}$")
_BUILDING = re.compile(r"^(?P<compound>\D*?)(?P<building>\d+)(?:栋|幢|号楼|座|#)"
                       r"(?:(?P<unit>\d+)单元)?(?:\d+(?:层|楼))?(?:\d+(?:室|号房|户|号))?$")
_TAIL_ONLY = re.compile(r"^(?:(?P<unit>\d+)单元)?(?:\d+(?:层|楼))?(?:\d+(?:室|号房|户))?$")
_FIRST_DIGIT = re.compile(r"\d")
_PROVINCE_CITY = re.compile(r"^(?:中国)?(?:[\u4e00-\u9fff]{2,7}?(?:省|自治区))?"
                            r"(?:[\u4e00-\u9fff]{2,7}?市)?")


_NOISE = re.compile(r"[\s,，、;；:：()（）\[\]【】\"'“”]")


def clean_text(s: str) -> str:
    """NFKC (full-width digits and letters), no spaces or punctuation people add."""
    s = unicodedata.normalize("NFKC", str(s))
    return _NOISE.sub("", s) if _NOISE.search(s) else s  # most rows are clean: search is cheaper


@dataclass(frozen=True)
class Parts:
    """An address's parts: a door on a road, a building in a compound, or a named place."""

    road: str | None = None
    door: int | None = None
    compound: str | None = None
    building: int | None = None
    unit: int | None = None
    place: str | None = None
    stem: str = ""  # the text up to and including the compound (or the door), for its address


def admin_stripper(names: Iterable[str]) -> Callable[[str], str]:
    """A function that drops the province, city and every known area name from the front."""
    known = sorted({clean_text(n) for n in names if n}, key=len, reverse=True)
    pattern = re.compile("^(?:" + "|".join(re.escape(n) for n in known) + ")") if known else None

    def strip_head(text: str) -> str:
        text = _PROVINCE_CITY.sub("", text, count=1) if not (
            pattern and pattern.match(text)) else text
        while pattern is not None:
            m = pattern.match(text)
            if not m or m.end() == len(text):
                break
            text = text[m.end():]
        return text

    done: dict[str, str] = {}

    def strip(text: str) -> str:
        # rows share their heads (省市区街道社区): strip the text before its first digit once
        m = _FIRST_DIGIT.search(text)
        head = text[: m.start()] if m else text
        found = done.get(head)
        if found is None:
            found = done[head] = strip_head(head)
        return found + text[len(head):]

    return strip


def parse_parts(text: str, strip: Callable[[str], str]) -> Parts | None:
    """Parts read from an address's text; None when it names neither door, building nor place."""
    full = clean_text(text)
    body = strip(full)
    lead = full[: len(full) - len(body)]
    m = next((m for m in _DOOR_NO.finditer(body)
              if m.start() >= 2 and _ENDS_ROAD.search(body, 0, m.start())), None)
    if m:
        road, door, rest = body[: m.start()], int(m.group(1)), body[m.end():]
        head = lead + body[: m.end()]
        if not rest or _TAIL_ONLY.match(rest):
            return Parts(road=road, door=door, stem=head)
        b = _BUILDING.match(rest)
        if b and b.group("compound"):
            return Parts(road=road, door=door, compound=b.group("compound"),
                         building=int(b.group("building")),
                         unit=int(b.group("unit")) if b.group("unit") else None,
                         stem=head + b.group("compound"))
        if not re.search(r"\d", rest):
            return Parts(road=road, door=door, compound=rest, stem=head + rest)
        return None
    b = _BUILDING.match(body)
    if b and len(b.group("compound")) >= 2:
        return Parts(compound=b.group("compound"), building=int(b.group("building")),
                     unit=int(b.group("unit")) if b.group("unit") else None,
                     stem=lead + b.group("compound"))
    if len(body) >= 2 and not re.search(r"\d", body):
        return Parts(place=body, stem=lead + body)
    return None


_AFTER_UNIT = re.compile(r"(?:\d+(?:层|楼))?(?:\d+(?:室|号房|户))?")


def _unit_tail(text: str) -> tuple[str, int] | None:
    """(text before the unit number, unit) when ``text`` ends in …N单元[N层][N室]; else None."""
    k = text.rfind("单元")
    if k < 0 or not _AFTER_UNIT.fullmatch(text, k + 2):
        return None
    j = k
    while j > 0 and text[j - 1].isdecimal():  # \d, as int() reads it
        j -= 1
    if j == k or j == 0:
        return None  # no number, or nothing before it
    return text[:j], int(text[j:k])


def cached_parse(strip: Callable[[str], str]) -> Callable[[str], Parts | None]:
    """:func:`parse_parts` remembering each building: a library lists every unit of it."""
    seen: dict[str, Parts | None] = {}

    def parse(text: str) -> Parts | None:
        tail = _unit_tail(text)
        if tail is None:
            return parse_parts(text, strip)
        base, unit = tail
        if base not in seen:
            seen[base] = parse_parts(base, strip)
        found = seen[base]
        if found is None or found.building is None:
            return parse_parts(text, strip)
        return Parts(found.road, found.door, found.compound, found.building, unit,
                     found.place, found.stem)

    return parse


def _numbers(values: list[str]) -> np.ndarray:
    """Each text as a float (NaN where it is not a finite number), vectorised."""
    out = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float, copy=True)
    out[~np.isfinite(out)] = np.nan
    return out


def _row_problem(where: str, t: str, lon: str, lat: str, crs: str, x: float,
                 y: float) -> Problem:
    """The first thing wrong with a row before its parse: no text, a coordinate, its CRS."""
    if not t:
        return Problem("missing_field", f"{where} 缺少 {FIELD_LABELS['address']}", LABEL)
    if x != x or y != y:
        bad, value = ("lon", lon) if x != x else ("lat", lat)
        return Problem("bad_value", f"{where} {FIELD_LABELS[bad]} “{value}” 不是数字", LABEL, t)
    return Problem("bad_value", f"{where} {FIELD_LABELS['crs']} “{crs}” 无法识别"
                   "（可用 WGS84、GCJ02、BD09）", LABEL, t)


def parse_number(s: str) -> float | None:
    try:
        v = float(s)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def read_library(path: Path, *, crs: str | None, admin_names: Iterable[str],
                 inside: Callable[[np.ndarray, np.ndarray], np.ndarray],
                 layer: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Rows (``row``, ``address``, ``lon``/``lat`` in WGS-84 and the parsed parts) and problems.

    ``inside(lon, lat)`` says which WGS-84 points fall in the imported territory.
    """
    problems: list[Problem] = []
    raw, unit = read_table(path, label=LABEL, problems=problems, layer=layer)
    if raw is None:
        return pd.DataFrame(), problems
    if raw.empty:
        problems.append(Problem("empty", f"文件 {path.name} 没有任何地址", LABEL))
        return pd.DataFrame(), problems
    cols = map_columns(raw, HEADERS, label=LABEL, problems=problems)
    if "_lon" in raw and "lon" not in cols:
        cols["lon"], cols["lat"] = "_lon", "_lat"
    for need in ("address", "lon", "lat"):
        if need not in cols:
            problems.append(Problem("missing_field", f"缺少必填列 {FIELD_LABELS[need]}", LABEL))
    if any(p.kind in ("missing_field", "duplicate_column") for p in problems):
        return pd.DataFrame(), problems

    def col(f: str) -> list[str]:
        return [v.strip() for v in raw[cols[f]].astype(str).tolist()] if f in cols else (
            [""] * len(raw))

    texts, lons, lats, crss = col("address"), col("lon"), col("lat"), col("crs")
    given = {f: col(f) for f in ("road", "door", "compound", "building", "unit")}
    has_given = [bool(r or c) for r, c in zip(given["road"], given["compound"], strict=True)]
    x_arr, y_arr = _numbers(lons), _numbers(lats)
    xs, ys = x_arr.tolist(), y_arr.tolist()
    strip = admin_stripper(admin_names)
    parse = cached_parse(strip)
    default_crs = (crs or "wgs84").lower()
    crs_of = {v: CRS_WORDS.get(v.lower(), v.lower()) if v else default_crs for v in set(crss)}
    keep: list[int] = []
    found: list[Parts] = []
    for i, t in enumerate(texts):  # the one per-row loop: checks in row order, then the parse
        x, y, row_crs = xs[i], ys[i], crs_of[crss[i]]
        if not t or x != x or y != y or row_crs not in CRS_NAMES:  # NaN != NaN
            problems.append(_row_problem(row_label(i, unit), t, lons[i], lats[i], crss[i],
                                         x, y))
            continue
        parts = parse(t)
        if has_given[i]:
            parts = _given_parts(given, i, t, strip, parts)
        if parts is None:
            problems.append(Problem("unparseable", f"{row_label(i, unit)} {FIELD_LABELS['address']}"
                                    f" “{t}” 无法解析：未能识别出“道路+门牌号”、“小区+楼栋”或地名",
                                    LABEL, t))
            continue
        keep.append(i)
        found.append(parts)
    rows = pd.DataFrame({
        "row": [row_label(i, unit) for i in keep], "i": keep,
        "address": [clean_text(texts[i]) for i in keep],
        "raw_lon": x_arr[keep], "raw_lat": y_arr[keep], "crs": [crs_of[crss[i]] for i in keep],
        **{f: [getattr(p, f) for p in found] for f in Parts.__dataclass_fields__}})
    if rows.empty:
        return rows, problems
    check_points(rows, inside, problems)
    _duplicates(rows, problems)
    return rows[rows.ok].drop(columns=["ok"]).reset_index(drop=True), problems


def _given_parts(given: dict[str, list[str]], i: int, text: str,
                 strip: Callable[[str], str], parsed: Parts | None) -> Parts | None:
    """The parts the file's own columns give, falling back to the parse for the ones left empty."""
    def num(f: str) -> int | None:
        m = re.search(r"\d+", clean_text(given[f][i]))
        return int(m.group()) if m else None

    p = parsed or Parts()
    road = clean_text(given["road"][i]) or p.road
    compound = clean_text(given["compound"][i]) or p.compound
    door = num("door") if given["door"][i] else p.door
    building = num("building") if given["building"][i] else p.building
    unit = num("unit") if given["unit"][i] else p.unit
    if not ((road and door) or (compound and (building or road))):
        return None
    head = p.stem or clean_text(text)
    return Parts(road=road if door else None, door=door if road else None, compound=compound,
                 building=building if compound else None, unit=unit, stem=head)


def check_points(rows: pd.DataFrame, inside: Callable[[np.ndarray, np.ndarray], np.ndarray],
                 problems: list[Problem]) -> None:
    """WGS-84 lon/lat per row; swapped or outside points become problems (``ok`` False)."""
    rows["lon"] = np.nan
    rows["lat"] = np.nan
    for name, idx in rows.groupby("crs").groups.items():
        lon, lat = to_wgs84(rows.loc[idx, "raw_lon"].to_numpy(float),
                            rows.loc[idx, "raw_lat"].to_numpy(float), str(name))
        rows.loc[idx, "lon"], rows.loc[idx, "lat"] = lon, lat
    lon, lat = rows.lon.to_numpy(float), rows.lat.to_numpy(float)
    valid = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    ok = np.zeros(len(rows), dtype=bool)
    ok[valid] = inside(lon[valid], lat[valid])
    swapped = np.zeros(len(rows), dtype=bool)
    check = ~ok & (np.abs(rows.raw_lat.to_numpy(float)) <= 180) & (np.abs(rows.raw_lon.to_numpy(float)) <= 90)
    if check.any():
        sub = rows[check]
        sw_lon, sw_lat = np.empty(len(sub)), np.empty(len(sub))
        for name, idx in sub.groupby("crs").groups.items():
            a, b = to_wgs84(sub.loc[idx, "raw_lat"].to_numpy(float),
                            sub.loc[idx, "raw_lon"].to_numpy(float), str(name))
            pos = sub.index.get_indexer(idx)
            sw_lon[pos], sw_lat[pos] = a, b
        swapped[np.flatnonzero(check)] = inside(sw_lon, sw_lat)
    r: Any
    for r in rows[~ok].itertuples():
        i = int(r.Index)
        if swapped[i]:
            problems.append(Problem("swapped", f"{r.row} 经度与纬度疑似填反（经度 {r.raw_lon}，纬度 "
                                    f"{r.raw_lat}；互换后落在辖区内）", LABEL, str(r.address)))
        else:
            problems.append(Problem("outside", f"{r.row} 坐标（经度、纬度）不在已导入的辖区内",
                                    LABEL, str(r.address), float(r.lon) if valid[i] else None,
                                    float(r.lat) if valid[i] else None))
    rows["ok"] = ok


def _duplicates(rows: pd.DataFrame, problems: list[Problem]) -> None:
    again = rows.address.duplicated(keep="first").to_numpy()
    if not again.any():
        return
    first = dict(zip(rows.address[~again], rows.row[~again], strict=True))
    for i in np.flatnonzero(again).tolist():
        a = str(rows.address.iat[i])
        problems.append(Problem("duplicate", f"{rows.row.iat[i]} {FIELD_LABELS['address']} “{a}” 与"
                                f"{first[a]}重复", LABEL, a))
    rows.loc[again, "ok"] = False
