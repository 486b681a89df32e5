"""Reading a centre's address text into parts, and the row checks that need no database."""

from pathlib import Path

import numpy as np

from geo.address_library import admin_stripper, cached_parse, parse_parts, read_library

STRIP = admin_stripper(["武侯区", "玉林街道", "玉林北路社区", "芳草街街道"])


def test_door_building_and_place_are_told_apart():
    p = parse_parts("四川省成都市武侯区玉林街道玉林北路社区人民南路四段12号锦华苑3栋2单元501室", STRIP)
    assert (p.road, p.door, p.compound, p.building, p.unit) == ("人民南路四段", 12, "锦华苑", 3, 2)
    assert p.stem.endswith("人民南路四段12号锦华苑")
    door = parse_parts("武侯区 玉林北路 １２号", STRIP)  # spaces, full-width digits
    assert (door.road, door.door, door.compound) == ("玉林北路", 12, None)
    assert parse_parts("芳草街街道锦华苑3幢", STRIP).compound == "锦华苑"
    assert parse_parts("武侯区玉林中学", STRIP).place == "玉林中学"
    assert parse_parts("成都市武侯区12345", STRIP) is None


def test_the_cache_keeps_each_units_number():
    parse = cached_parse(STRIP)
    a = parse("武侯区玉林北路12号锦华苑3栋1单元")
    b = parse("武侯区玉林北路12号锦华苑3栋2单元")
    assert (a.unit, b.unit) == (1, 2) and a.compound == b.compound == "锦华苑"


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_are_checked_and_named(tmp_path):
    def inside(lon, lat):
        return (np.asarray(lon) > 104.0) & (np.asarray(lon) < 104.1) & (np.asarray(lat) > 30.6) & (
            np.asarray(lat) < 30.7)

    path = _csv(tmp_path / "a.csv", "标准地址,经度,纬度,坐标系\n"
                "武侯区玉林北路1号,104.05,30.63,WGS84\n"
                "武侯区玉林北路3号,30.63,104.05,WGS84\n"
                "武侯区玉林北路5号,104.05,30.63,火星坐标\n"
                "武侯区玉林北路1号,104.05,30.63,WGS84\n"
                ",104.05,30.63,\n")
    rows, problems = read_library(path, crs=None, admin_names=["武侯区"], inside=inside)
    text = "\n".join(p.message for p in problems)
    assert "第3行 经度与纬度疑似填反" in text
    assert "第4行 坐标系 “火星坐标” 无法识别" in text
    assert "第5行 标准地址 “武侯区玉林北路1号” 与第2行重复" in text
    assert "第6行 缺少 标准地址" in text
    assert len(rows) == 1 and rows.road.iloc[0] == "玉林北路"


def test_gcj02_rows_are_stored_in_wgs84(tmp_path):
    from geo.coords import from_wgs84

    glon, glat = from_wgs84(104.05, 30.63, "gcj02")
    path = _csv(tmp_path / "g.csv", f"地址,经度,纬度\n玉林北路1号,{float(glon)},{float(glat)}\n")
    rows, problems = read_library(path, crs="gcj02", admin_names=[],
                                  inside=lambda lon, lat: np.ones(len(lon), dtype=bool))
    assert not problems
    assert abs(rows.lon.iloc[0] - 104.05) < 1e-7 and abs(rows.lat.iloc[0] - 30.63) < 1e-7


def test_unit_tail_is_read_only_at_the_end():
    from geo.address_library import _unit_tail

    assert _unit_tail("玉林北路12号锦华苑3栋2单元") == ("玉林北路12号锦华苑3栋", 2)
    assert _unit_tail("玉林北路12号锦华苑3栋12单元5层501室") == ("玉林北路12号锦华苑3栋", 12)
    assert _unit_tail("锦华苑３栋２单元") == ("锦华苑３栋", 2)  # full-width, as the file has it
    assert _unit_tail("玉林北路12号") is None
    assert _unit_tail("2单元") is None  # nothing before the number
    assert _unit_tail("锦华苑3栋单元") is None  # no number
    assert _unit_tail("锦华苑3栋2单元商铺") is None  # not the end of the address


def test_copy_columns_are_converted_whole():
    import pandas as pd

    from geo.loader import _column

    ints = _column(pd.Series(pd.array([1, None, 3], dtype="Int64")), "plain")
    assert ints == [1, None, 3] and all(type(v) is int for v in ints if v is not None)
    plain = _column(pd.Series(np.array([4, 5], dtype=np.int64)), "plain")
    assert plain == [4, 5] and all(type(v) is int for v in plain)
    assert _column(pd.Series(["a", None, float("nan")], dtype=object), "plain") == ["a", None, None]
    assert _column(pd.Series([1.5, float("nan")]), "plain") == [1.5, None]
    assert _column(pd.Series([["x"], []], dtype=object), "array") == [["x"], []]
