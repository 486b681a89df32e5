"""A centre's files made at test time over real Chengdu roads: areas, addresses, facilities, roster.

Not the generator's territory: four street offices drawn by hand (irregular splits, no
generator code) over the OpenStreetMap roads of central Chengdu in ../shared/data, with real
Wuhou street and community names; the address library is made from those roads' names (doors
along each road, compounds of buildings and units behind some doors). The roads are
© OpenStreetMap contributors, ODbL 1.0: anything derived here (the address points) is made at
test time and never committed.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.coords import from_wgs84
from tests.conftest import SHARED_DATA

ROADS = SHARED_DATA / "chengdu_wuhou_roads.geojson"
STREETS = {  # street office -> three communities (real names, jionlp's Wuhou list)
    "玉林街道": ("玉林北路社区", "电信路社区", "黉门街社区"),
    "跳伞塔街道": ("棕北社区", "棕南社区", "新南路社区"),
    "芳草街街道": ("芳华社区", "紫竹社区", "神仙树社区"),
    "火车南站街道": ("桐梓林社区", "南站社区", "锦官新城社区"),
}
ROAD_END = ("路", "街", "巷", "道", "段")
# Compound (小区) names as Chengdu's run: a place's name, a developer's, a wish or a work unit's,
# then 花园/苑/家园/… and sometimes a phase; 2 to 9 characters, thousands of them. The place
# names are Wuhou's real communities (jionlp, Apache-2.0, as in ../shared/data); the rest are
# common words, not any real estate's name.
_BRANDS = ("万科", "保利", "中海", "龙湖", "华润", "蓝光", "置信", "招商", "绿地", "金地", "中铁",
           "华宇", "新希望", "交大", "合能", "朗基", "首创", "远大")
_WORDS = ("锦绣", "金色", "阳光", "幸福", "和平", "书香", "丽景", "盛世", "名都", "天府", "蓉城",
          "锦江", "浣花", "望江", "翡翠", "紫荆", "银杏", "芙蓉", "海棠", "香榭", "枫丹", "清水",
          "碧波", "绿洲", "金沙", "东方", "时代", "世纪", "假日", "凯旋", "凤凰", "丽都", "花语",
          "春天", "骏景", "御景", "君悦", "锦城", "南城", "西城", "华阳", "青城", "峨眉", "都江",
          "文殊", "草堂", "杜甫", "武侯", "少城", "宽窄", "梧桐", "玉兰", "桂花", "荷塘", "竹林",
          "听雨", "观澜", "逸景", "悦府", "瑞景", "雍景", "嘉和", "长乐", "永宁", "泰和", "天鹅",
          "星河", "月湾", "晨曦", "新世纪", "蓝色港湾", "城南一号", "金色海蓉", "心语")
_SUFFIXES = ("花园", "小区", "苑", "家园", "公寓", "新村", "大厦", "名城", "华府", "雅居", "上城",
             "广场", "嘉园", "佳苑", "园", "居", "府", "庭", "湾", "城", "里", "公馆", "雅苑",
             "水岸", "半岛", "香颂", "国际", "大院", "印象", "时光")
_UNITS = ("省建三公司", "电信局", "华西医院", "川大", "水利厅", "铁路局", "西南民大", "省农科院",
          "市建委", "烟草公司", "气象局", "地质队", "邮电", "财政厅", "供电局")
_PHASES = ("一期", "二期", "三期", "四期")
_SIDES = "东西南北"


def _places() -> list[str]:
    """Wuhou's community names without 社区/村/路 (少陵, 沈家桥, 桐梓林 …)."""
    import json

    data = json.loads((SHARED_DATA / "admin_roster.json").read_text(encoding="utf-8"))
    out: set[str] = set()
    for district in data["districts"]:
        if district["district"] != "武侯区":
            continue
        for street in district["streets"]:
            for name in street["communities"]:
                stem = name.removesuffix("社区").removesuffix("村")
                stem = stem[:-1] if stem[-1:] in "路街巷道段" else stem
                if 2 <= len(stem) <= 5 and not stem.endswith(_SUFFIXES):
                    out.add(stem)
    return sorted(out)


def compound_name(rng: random.Random, places: list[str]) -> str:
    """One compound name in one of Chengdu's usual shapes."""
    kind = rng.random()
    if kind < 0.35:
        name = rng.choice(places) + rng.choice(_SUFFIXES)
    elif kind < 0.45:
        name = rng.choice(places) + rng.choice(_SIDES) + rng.choice(("苑", "区", "院", "村"))
    elif kind < 0.7:
        name = rng.choice(_WORDS) + rng.choice(_SUFFIXES)
    elif kind < 0.92:
        name = rng.choice(_BRANDS) + rng.choice(_WORDS) + (
            rng.choice(_SUFFIXES) if rng.random() < 0.5 else "")
    else:
        name = rng.choice(_UNITS) + rng.choice(("宿舍", "家属院", "小区"))
    if rng.random() < 0.12 and not name.endswith(("宿舍", "家属院")):
        name += rng.choice(_PHASES)
    return name
_DEG_M = 1 / 111_000.0


def _split(lo: float, hi: float, n: int, rng: random.Random) -> list[float]:
    """n bands between lo and hi, the inner edges moved by hand (±15% of a band)."""
    step = (hi - lo) / n
    return [lo, *[lo + step * (k + rng.uniform(-0.15, 0.15)) for k in range(1, n)], hi]


def make_areas(folder: Path, *, seed: int = 7) -> dict[str, Path]:
    """Streets, communities, grids, micro-grids and police grids as GeoJSON files."""
    rng = random.Random(seed)
    x0, y0, x1, y1 = gpd.read_file(ROADS).total_bounds
    x0, y0, x1, y1 = x0 - 0.0006, y0 - 0.0006, x1 + 0.0006, y1 + 0.0006
    xm, ym = (x0 + x1) / 2 + 0.0021, (y0 + y1) / 2 - 0.0013  # off-centre, as drawn
    quads = [(x0, ym, xm, y1), (xm, ym, x1, y1), (x0, y0, xm, ym), (xm, y0, x1, ym)]
    levels: dict[str, list[dict[str, object]]] = {k: [] for k in (
        "streets", "communities", "grids", "micro_grids", "police_grids")}
    for s, ((name, comms), (a, b, c, d)) in enumerate(zip(STREETS.items(), quads, strict=True)):
        scode = f"5101070{s + 1:02d}"
        levels["streets"].append({"code": scode, "name": name, "geometry": shapely.box(a, b, c, d)})
        ys = _split(b, d, 3, rng)
        for k, cname in enumerate(comms):
            ccode = f"{scode}{k + 1:03d}"
            band = shapely.box(a, ys[k], c, ys[k + 1])
            levels["communities"].append({"code": ccode, "name": cname, "street_code": scode,
                                          "geometry": band})
            pcode = f"J{ccode}"
            levels["police_grids"].append({"code": pcode, "name": f"{cname}警格",
                                           "street_code": scode, "station": "玉林派出所",
                                           "geometry": band})
            gx = _split(a, c, 2, rng)
            gy = _split(ys[k], ys[k + 1], 2, rng)
            n = 0
            for i in range(2):
                for j in range(2):
                    n += 1
                    gcode = f"{ccode}{n:02d}"
                    levels["grids"].append({
                        "code": gcode, "name": f"第{n}网格", "community_code": ccode,
                        "police_grid_code": pcode,
                        "geometry": shapely.box(gx[i], gy[j], gx[i + 1], gy[j + 1])})
                    mx = _split(gx[i], gx[i + 1], 2, rng)
                    my = _split(gy[j], gy[j + 1], 2, rng)
                    for u in range(2):
                        for v in range(2):
                            m = u * 2 + v + 1
                            levels["micro_grids"].append({
                                "code": f"{gcode}{m}", "name": f"第{n}网格第{m}微网格",
                                "grid_code": gcode,
                                "geometry": shapely.box(mx[u], my[v], mx[u + 1], my[v + 1])})
    files = {}
    for level, recs in levels.items():
        files[level] = folder / f"{level}.geojson"
        gpd.GeoDataFrame(recs, crs=4326).to_file(files[level], driver="GeoJSON")
    return files


def _areas(folder: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    comms = gpd.read_file(folder / "communities.geojson")
    streets = gpd.read_file(folder / "streets.geojson")
    return streets, comms


def address_rows(folder: Path, *, door_step_m: float = 40.0, compounds: int = 60,
                 buildings: int = 6, units: int = 3, seed: int = 11) -> list[dict[str, object]]:
    """The library's rows: doors along each named road (odd left, even right) and compounds
    of buildings and units behind some doors. Each row: text, WGS-84 point, truth fields."""
    rng = random.Random(seed)
    roads = gpd.read_file(ROADS)
    roads = roads[roads.name.notna() & ~roads.id.astype(str).str.startswith("-")]
    streets, comms = _areas(folder)
    territory = shapely.union_all(streets.geometry.values)
    s_tree, c_tree = shapely.STRtree(streets.geometry.values), shapely.STRtree(comms.geometry.values)

    def prefix(pt: shapely.Point) -> str | None:
        s, c = s_tree.query(pt, predicate="intersects"), c_tree.query(pt, predicate="intersects")
        if not len(s) or not len(c):
            return None
        return f"四川省成都市武侯区{streets.name.iloc[min(s)]}{comms.name.iloc[min(c)]}"

    rows: list[dict[str, object]] = []
    doors: list[tuple[str, int, shapely.Point, np.ndarray]] = []
    for name, group in sorted(roads.groupby("name"), key=lambda kv: str(kv[0])):
        if not str(name).endswith(ROAD_END):
            continue  # 人南立交, 南门桥: left to the network's road-level fallback
        line = shapely.line_merge(shapely.union_all(group.geometry.values))
        parts = list(getattr(line, "geoms", [line]))
        part = max(parts, key=lambda g: g.length)
        length_m = part.length / _DEG_M
        for k in range(int(length_m // door_step_m)):
            at = (k + 0.5) * door_step_m * _DEG_M
            p0, p1 = part.interpolate(at), part.interpolate(at + 2 * _DEG_M)
            dx, dy = p1.x - p0.x, p1.y - p0.y
            norm = np.hypot(dx, dy) or 1.0
            left = np.array([-dy, dx]) / norm
            for side, number in ((1.0, 2 * k + 1), (-1.0, 2 * k + 2)):
                pt = shapely.Point(p0.x + side * left[0] * 12 * _DEG_M,
                                   p0.y + side * left[1] * 12 * _DEG_M)
                head = prefix(pt) if territory.contains(pt) else None
                if head is None:
                    continue
                rows.append({"text": f"{head}{name}{number}号", "lon": pt.x, "lat": pt.y,
                             "road": name, "door": number})
                doors.append((str(name), number, pt, side * left))
    taken: set[str] = set()
    places = _places()
    for door_name, number, pt, away in rng.sample(doors, min(compounds, len(doors))):
        while True:
            cname = compound_name(rng, places)
            if cname not in taken:
                taken.add(cname)
                break
        for b in range(1, buildings + 1):
            d = (25 + 12 * b) * _DEG_M
            side = (b % 3 - 1) * 10 * _DEG_M
            bp = shapely.Point(pt.x + away[0] * d - away[1] * side,
                               pt.y + away[1] * d + away[0] * side)
            head = prefix(bp) if territory.contains(bp) else None
            if head is None:
                continue
            for u in range(1, units + 1):
                rows.append({"text": f"{head}{door_name}{number}号{cname}{b}栋{u}单元",
                             "lon": bp.x, "lat": bp.y, "compound": cname, "building": b})
    return rows


def write_addresses(rows: list[dict[str, object]], path: Path, *, gcj_share: float = 0.3,
                    seed: int = 5) -> Path:
    """标准地址, 经度, 纬度, 坐标系 (a share of the rows in GCJ-02, as a phone map gives)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["标准地址", "经度", "纬度", "坐标系"])
        for r in rows:
            lon, lat, crs = float(r["lon"]), float(r["lat"]), "WGS84"  # type: ignore[arg-type]
            if rng.random() < gcj_share:
                glon, glat = from_wgs84(lon, lat, "gcj02")
                lon, lat, crs = float(glon), float(glat), "GCJ02"
            w.writerow([r["text"], f"{lon:.8f}", f"{lat:.8f}", crs])
    return path


def write_facilities(folder: Path, path: Path) -> Path:
    """A centre per street, a mediation room and a police office per community, and others."""
    streets, comms = _areas(folder)
    rows = []
    for s in streets.itertuples():
        p = s.geometry.representative_point()
        rows.append(["综治中心", f"{s.name}综治中心", "", p.x, p.y, "周一至周五 9:00-17:30",
                     "028-85550000"])
    for c in comms.itertuples():
        p = c.geometry.representative_point()
        rows.append(["调解室", f"{c.name}调解室", "", p.x + 0.0003, p.y, "9:00-17:00",
                     "13800000001"])
        rows.append(["警务室", f"{c.name}警务室", "", p.x - 0.0003, p.y, "24小时", "110"])
    p = comms.geometry.iloc[0].representative_point()
    rows += [["矛调中心", "武侯区矛调中心", "", p.x, p.y + 0.0004, "9:00-18:00", "028-85551234"],
             ["派出所", "玉林派出所", "", p.x + 0.0006, p.y, "24小时", "028-85552000"],
             ["法官工作室", "玉林法官工作室", "", p.x, p.y - 0.0004, "周三 14:00-17:00", "张法官"],
             ["巡回审判点", "芳草街巡回审判点", "", p.x - 0.0006, p.y, "每月第一个周五", ""],
             ["调解工作室", "老兵调解工作室", "", p.x, p.y + 0.0007, "9:00-17:00", "王调解员"]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["类型", "名称", "地址", "经度", "纬度", "开放时间", "联系电话"])
        w.writerows(rows)
    return path


def write_roster(folder: Path, path: Path, *, shift: str | None = None) -> Path:
    """A grid worker per grid and a police officer per community, by the NAMES the UI shows;
    with ``shift`` (a 班次 as a centre writes it, e.g. 24小时值守) every row gets that shift,
    so a test does not depend on the hour it runs at (a day shift is off duty after 17:30)."""
    comms = gpd.read_file(folder / "communities.geojson")
    rows = []
    for k, c in enumerate(comms.itertuples()):
        for g in range(1, 5):
            rows.append([f"W{k:02d}{g}", f"网格员{k}{g}", "网格员", f"1390000{k:02d}{g:02d}",
                         c.name, f"第{g}网格", "", "邻里、物业"])
        rows.append([f"P{k:02d}", f"民警{k}", "社区民警", f"1380000{k:02d}00", c.name, "",
                     f"{c.name}警格", ""])
        rows.append([f"M{k:02d}", f"调解员{k}", "调解员", f"1370000{k:02d}00", c.name, "",
                     "", "邻里、婚姻家庭、物业"])
    header = ["编号", "姓名", "类型", "电话", "所属社区", "所属网格", "所属警格", "专长"]
    if shift is not None:
        header.append("班次")
        rows = [[*r, shift] for r in rows]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path
