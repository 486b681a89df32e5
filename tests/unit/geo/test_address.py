"""Address normalisation and parsing against a small hand-made gazetteer (no database)."""

from __future__ import annotations

import pytest

from geo.address import cn_to_int, convert_numerals, key, normalise, parse
from geo.geocode_lexicon import Entry, Lexicon, one_edit
from geo.geocode_search import district_abbreviations, name_keys

NAMES = [
    ("district", 1, "克拉玛依区", []),
    ("street", 1, "天山路街道", []),
    ("street", 2, "胜利路街道", []),
    ("street", 3, "金龙镇街道", []),
    ("street", 4, "小拐乡", []),
    ("community", 3, "和平社区", []),
    ("community", 1, "光明鸿雁社区", []),
    ("road", 1, "天山路", []),
    ("road", 2, "准噶尔路", ["准葛尔路"]),
    ("road", 3, "纬二路", []),
    ("road", 4, "葵花街", []),
    ("road", 5, "葵花巷", []),
    ("road", 6, "胜利路", []),
    ("road", 7, "友谊路", []),
    ("road", 8, "奎屯南街", []),
    ("road", 9, "奎屯路", []),
    ("compound", 1, "友谊佳苑", []),
    ("compound", 2, "友谊佳苑二期", []),
    ("compound", 3, "百合御府三期", []),
    ("compound", 4, "紫金小区", []),
    ("compound", 5, "南湖水岸三期", []),
    ("compound", 6, "南湖水岸", []),
    ("place", 1, "克拉玛依市中心医院", []),
    ("place", 2, "光明鸿雁社区警务室3", []),
    ("place", 3, "克拉玛依区人民法院小拐乡巡回审判点（二）", []),
]


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    items = []
    for kind, ref, name, aliases in NAMES:
        entry = Entry(kind, ref, name, 1, 1 if kind != "district" else None, None)
        items += [(k, entry, v) for k, v in name_keys(kind, name, aliases)]
    for name, ab in district_abbreviations(["克拉玛依区"]).items():
        items.append((ab, Entry("district", 1, name, 1), True))
    return Lexicon(items)


def names(p, kind):  # type: ignore[no-untyped-def]
    return [e.name for e, _ in p.entries(kind)]


# --- numerals ---------------------------------------------------------------------------

@pytest.mark.parametrize("run, value", [
    ("一百零八", 108), ("十二", 12), ("二十", 20), ("十", 10), ("一百一十", 110), ("五零一", 501),
    ("一千零五", 1005), ("二十三", 23), ("〇", 0), ("三百", 300), ("九", 9), ("两", 2),
])
def test_chinese_numerals_to_int(run, value):
    assert cn_to_int(run) == value


@pytest.mark.parametrize("text, out", [
    ("十二栋", "12栋"), ("一百零八号", "108号"), ("纬二路", "纬2路"), ("两单元", "2单元"),
    ("百合御府", "百合御府"), ("千禧花园", "千禧花园"), ("三11号楼", "3|11号楼"),
    ("东风六55号", "东风6|55号"), ("五零一室", "501室"),
])
def test_convert_numerals(text, out):
    assert convert_numerals(text) == out


# --- the comparison key -----------------------------------------------------------------

@pytest.mark.parametrize("text, out", [
    ("１２号楼", "12号楼"), ("友谊佳苑　３栋", "友谊佳苑3号楼"), ("3幢", "3号楼"), ("3座", "3号楼"),
    ("3#楼", "3号楼"), ("3#", "3号楼"), ("5楼", "5号楼"), ("501号房", "501室"), ("2户", "2室"),
    ("和平居委会", "和平社区"), ("和平社区居委会", "和平社区"), ("和平居民委员会", "和平社区"),
    ("团结村委会", "团结村"), ("天山路街道办事处", "天山路街道"), ("天山路办事处", "天山路街道"),
    ("天山路，128号!", "天山路128号"), ("天山路 128 号", "天山路128号"), ("3-2-501", "3-2-501"),
    ("友谊佳苑-3号楼", "友谊佳苑3号楼"), ("（二）", "2"), ("ＡＢ座", "ab座"), ("3层", "3层"),
    ("3—2—501", "3-2-501"),
])
def test_key(text, out):
    assert key(text) == out


def test_key_is_idempotent():
    for _, _, name, _ in NAMES:
        assert key(key(name)) == key(name)


# --- normalise: near words --------------------------------------------------------------

@pytest.mark.parametrize("text, out, approx", [
    ("天山路128号附近", "天山路128号", True), ("友谊佳苑门口", "友谊佳苑", True),
    ("克拉玛依市中心医院对面", "克拉玛依市中心医院", True), ("友谊佳苑东侧", "友谊佳苑", True),
    ("友谊佳苑3号楼旁边", "友谊佳苑3号楼", True), ("天山路128号往东50米", "天山路128号", True),
    ("天山路口", "天山路", True), ("在友谊佳苑", "友谊佳苑", False), ("靠近友谊佳苑", "友谊佳苑", True),
    ("友谊佳苑北门附近", "友谊佳苑", True), ("天山路128号", "天山路128号", False),
    ("友谊佳苑的", "友谊佳苑", False),
])
def test_normalise_strips_near_words(text, out, approx):
    n = normalise(text)
    assert (n.text, n.approximate) == (out, approx)


def test_normalise_keeps_a_bare_near_word():
    assert normalise("附近").text == "附近"


# --- name keys and variants -------------------------------------------------------------

def test_street_variants():
    assert ("天山路街", True) in name_keys("street", "天山路街道")
    assert ("金龙镇", True) in name_keys("street", "金龙镇街道")
    assert ("小拐乡街道", True) in name_keys("street", "小拐乡")


def test_compound_and_district_variants():
    assert ("友谊佳苑小区", True) in name_keys("compound", "友谊佳苑")
    assert name_keys("compound", "紫金小区") == [("紫金小区", False)]  # 紫金 alone: too short
    assert ("克拉玛依", True) in name_keys("district", "克拉玛依区")
    assert name_keys("road", "准噶尔路", ["准葛尔路"]) == [("准噶尔路", False), ("准葛尔路", True)]


def test_district_abbreviation_needs_a_unique_first_character():
    assert district_abbreviations(["克拉玛依区", "独山子区"]) == {"克拉玛依区": "克区",
                                                             "独山子区": "独区"}
    assert district_abbreviations(["白碱滩区", "白云区"]) == {}


def test_variant_never_hides_a_real_name():
    road = Entry("road", 1, "天山路街")
    street = Entry("street", 1, "天山路街道")
    lex = Lexicon([("天山路街", street, True), ("天山路街", road, False)])
    assert lex.exact("天山路街") == (road,)


# --- one edit ---------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, d", [
    ("天山路", "天山路", 0), ("天山陆", "天山路", 1), ("天山", "天山路", 1), ("天山路路", "天山路", 1),
    ("天陆路", "天山路", 1), ("山天路", "天山路", None), ("天", "天山路", None), ("ab", "ba", None),
])
def test_one_edit(a, b, d):
    assert one_edit(a, b) == d
    assert one_edit(b, a) == d


def test_near_finds_every_name_one_edit_away(lex):
    assert [k for k, _ in lex.near("葵花路")] == ["葵花巷", "葵花街"]
    assert lex.near("天陆路") == [("天山路", 1)]  # no shared bigram, still found
    assert lex.near("友谊佳苑") == [("友谊佳苑", 0)]
    assert lex.near("火星路") == []


# --- parse ------------------------------------------------------------------------------

def test_parse_a_standard_door_address(lex):
    p = parse("克拉玛依区天山路街道天山路128号", lex)
    assert names(p, "district") == ["克拉玛依区"]
    assert names(p, "street") == ["天山路街道"]  # not 天山路 + 街道
    assert names(p, "road") == ["天山路"]
    assert p.door_no == 128 and p.leftover == []


def test_parse_building_unit_room_with_abbreviations(lex):
    p = parse("克区天山路街和平居委会友谊佳苑十二栋二单元501室", lex)
    assert p.as_dict() | {} == {
        "district": "克拉玛依区", "street": "天山路街道", "community": "和平社区", "road": None,
        "compound": "友谊佳苑", "place": None, "door_no": None, "building_no": 12,
        "unit_no": 2, "room": "501", "leftover": [], "approximate": False}


def test_parse_extra_levels_and_full_width(lex):
    p = parse("新疆维吾尔自治区克拉玛依市友谊佳苑３号楼附近", lex)
    assert names(p, "compound") == ["友谊佳苑"] and p.building_no == 3
    assert p.approximate and p.leftover == []


def test_parse_number_before_name(lex):
    p = parse("１２８号天山路", lex)
    assert names(p, "road") == ["天山路"] and p.door_no == 128
    p = parse("3号楼友谊佳苑，天山路街道", lex)
    assert names(p, "compound") == ["友谊佳苑"] and p.building_no == 3


@pytest.mark.parametrize("text, building, unit, room", [
    ("友谊佳苑3-2-501", 3, 2, "501"), ("友谊佳苑3-501", 3, None, "501"),
    ("友谊佳苑3号楼2单元501", 3, 2, "501"), ("友谊佳苑3号", 3, None, None),
    ("友谊佳苑 3 栋", 3, None, None), ("友谊佳苑3号楼3层", 3, None, None),
])
def test_parse_building_notations(lex, text, building, unit, room):
    p = parse(text, lex)
    assert (p.building_no, p.unit_no, p.room) == (building, unit, room)


def test_parse_road_number_without_hao(lex):
    assert parse("天山路128", lex).door_no == 128


def test_parse_road_and_compound_together(lex):
    p = parse("天山路128号友谊佳苑3号楼", lex)
    assert p.door_no == 128 and p.building_no == 3
    assert names(p, "road") == ["天山路"] and names(p, "compound") == ["友谊佳苑"]


def test_parse_typo_in_road(lex):
    p = parse("天山陆一百零八号对面", lex)
    assert names(p, "road") == ["天山路"] and p.door_no == 108 and p.approximate
    assert p.names[0].edits == 1


def test_parse_typo_with_several_readings_keeps_them_all(lex):
    assert sorted(names(parse("葵花路12号", lex), "road")) == ["葵花巷", "葵花街"]


def test_parse_typo_in_street_name_is_not_cut_short(lex):
    p = parse("天山路街到和平社区", lex)
    assert names(p, "street") == ["天山路街道"] and names(p, "community") == ["和平社区"]


def test_parse_substitution_that_makes_a_shorter_name(lex):
    p = parse("奎屯路街12号", lex)  # 奎屯南街 with a typo (or 奎屯路 + a stray 街): both kept
    assert sorted(names(p, "road")) == ["奎屯南街", "奎屯路"]
    assert p.names[0].text == "奎屯路街" and p.leftover == []


def test_parse_deleted_phase_word_does_not_glue_numbers(lex):
    p = parse("南湖水岸三11号楼", lex)
    assert names(p, "compound") == ["南湖水岸三期"] and p.building_no == 11


def test_parse_lone_bai_is_a_word(lex):
    assert names(parse("百合御府三期5号楼", lex), "compound") == ["百合御府三期"]


def test_parse_place_with_digits_and_brackets(lex):
    assert names(parse("光明鸿雁社区警务室3", lex), "place") == ["光明鸿雁社区警务室3"]
    assert names(parse("光明鸿燕社区警务室3", lex), "place") == ["光明鸿雁社区警务室3"]
    p = parse("克拉玛依区人民法院小拐乡巡回审判点(二)", lex)
    assert names(p, "place") == ["克拉玛依区人民法院小拐乡巡回审判点（二）"]


def test_parse_alias_and_numbered_road(lex):
    assert names(parse("准葛尔路5号", lex), "road") == ["准噶尔路"]
    assert names(parse("纬2路5号", lex), "road") == ["纬二路"]


def test_parse_unknown_leaves_leftover(lex):
    p = parse("和平社区不存在小区5号楼", lex)
    assert names(p, "community") == ["和平社区"] and p.leftover == ["不存在小区"]
    assert parse("火星路99号", lex).leftover == ["火星路"]


def test_parse_fillers_are_not_unknown(lex):
    assert parse("友谊佳苑小区3号楼", lex).leftover == []
    assert parse("克拉玛依市克拉玛依区天山路128号", lex).leftover == []


def test_parse_intersection(lex):
    p = parse("天山路与胜利路交叉口", lex)
    assert names(p, "road") == ["天山路", "胜利路"] and p.leftover == [] and p.approximate


def test_parse_is_deterministic(lex):
    a = parse("克区天山路街友宜佳苑3栋附近", lex)
    b = parse("克区天山路街友宜佳苑3栋附近", lex)
    assert a == b and names(a, "compound") == ["友谊佳苑"]


def test_parse_empty_and_very_long_input(lex):
    assert parse("", lex).names == [] and parse("  ，。", lex).leftover == []
    long = "友谊佳苑" + "啊" * 5000
    p = parse(long, lex)
    assert names(p, "compound") == ["友谊佳苑"] and len(p.text) <= 80


def test_jie_before_a_door_number_is_the_road(lex):
    p = parse("天山路街128号", lex)
    assert names(p, "road") == ["天山路"] and names(p, "street") == [] and p.door_no == 128
    p = parse("天山路街和平社区", lex)
    assert names(p, "street") == ["天山路街道"]
