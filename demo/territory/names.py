"""Names for the illustrative territory: admin names from data/, invented road/compound/place names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

ADMIN_NAMES = Path(__file__).resolve().parents[2] / "data" / "admin_names.json"

# Arterials: names seen in Karamay first, then invented ones in the same style.
ARTERIAL_NAMES = (
    "天山路", "昆仑路", "胜利路", "准噶尔路", "友谊路", "迎宾路", "世纪大道", "塔河路", "长征路",
    "油建路", "南新路", "北新路", "和平路", "阿山路", "纬二路", "银河路", "百口泉路", "跃进路",
    "油田路", "石化大道", "黑油山路", "九龙潭路", "朝阳路", "金龙路", "古海路", "纬一路", "纬三路",
    "经一路", "经二路", "红山路", "白杨路", "雪莲路", "环城东路", "环城西路", "兴隆路", "西环路",
)
# Common misspellings and older names, for the geocoder's aliases.
ARTERIAL_ALIASES: dict[str, list[str]] = {
    "准噶尔路": ["准葛尔路"],
    "世纪大道": ["世纪路"],
    "石化大道": ["石化路"],
    "塔河路": ["塔河大道"],
    "迎宾路": ["迎宾大道"],
    "黑油山路": ["黑油山大道"],
}
_LOCAL_STEMS = (
    "青年", "文化", "育才", "石化", "油田", "红星", "柳树", "白杨", "雪莲", "团结", "光明", "幸福",
    "康乐", "安居", "新华", "建设", "人民", "民主", "前进", "东风", "工农", "向阳", "丰收", "碧水",
    "宁静", "吉祥", "如意", "平安", "永安", "和顺", "兴业", "富民", "惠民", "红柳", "胡杨", "沙枣",
    "榆树", "松林", "枫林", "丁香", "玫瑰", "葵花", "石榴", "葡萄", "天池", "博格达", "阿勒泰", "伊犁",
    "塔城", "哈密", "吐鲁番", "喀什", "和田", "库尔勒", "奎屯", "乌苏", "昌吉", "石河子", "北屯",
    "泉水", "清泉", "明珠", "银杏", "长青", "晨光", "月潭", "星光", "采油", "钻井", "炼化", "勘探",
)
_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三",
             "十四", "十五", "十六", "十七", "十八", "十九", "二十")
_LOCAL_SUFFIXES = ("路", "街", "巷", "东路", "西路", "南街", "北街", "一巷", "二巷", "三巷", "横街")

_COMPOUND_STEMS = (
    "友谊", "石油", "昆仑", "银河", "天山", "准噶尔", "白杨", "胡杨", "雪莲", "金泰", "紫金", "阳光",
    "康城", "碧水", "锦绣", "书香", "世纪", "明珠", "翰林", "金桥", "油城", "石化", "丝路", "博达",
    "华丰", "瑞祥", "福瑞", "和美", "西域", "天润", "金色", "绿洲", "宏远", "康乐", "泰和", "鑫苑",
    "锦华", "盛世", "富源", "兴业", "腾飞", "东城", "南湖", "北苑", "西苑", "百合", "玫瑰", "丁香",
    "紫薇", "梧桐", "银杏", "枫林", "青松", "长青", "晨光", "朝阳", "映山", "月潭", "九龙", "红光",
)
_COMPOUND_SUFFIXES = ("佳苑", "花园", "小区", "家园", "新村", "花苑", "雅苑", "名苑", "华庭",
                      "公寓", "嘉园", "丽景", "水岸", "新城", "御府", "雅居")
_PHASES = ("", "二期", "三期", "四期", "五期", "六期", "七期", "八期")

STUDIO_BRANDS = ("老赵", "舒情", "老马", "心连心", "石榴籽", "老兵", "春风", "知心大姐", "热合曼",
                 "阿依古丽", "老李", "和为贵", "贴心", "红柳", "老王", "暖心", "胡杨", "古丽",
                 "老张", "连心桥", "老刘", "金钥匙", "老孙", "邻里和", "老周")
SCHOOL_NAMES = tuple(f"克拉玛依市第{n}中学" for n in "一二三五六七九") + tuple(
    f"克拉玛依市第{n}小学" for n in ("一", "二", "三", "五", "六", "八", "九", "十", "十一", "十三",
                                   "十五", "十七", "十九", "二十", "二十一", "二十三"))
HOSPITAL_NAMES = ("克拉玛依市中心医院", "克拉玛依市人民医院", "克拉玛依区人民医院",
                  "克拉玛依市中医医院", "克拉玛依市妇幼保健院", "克拉玛依市第二人民医院",
                  "克拉玛依市独山子医院分院", "克拉玛依市口腔医院")
MARKET_STEMS = ("友谊", "胜利", "昆仑", "天山", "银河", "东湖", "南湖", "油城", "民主", "五一",
                "金龙", "迎宾", "古海", "红星", "九龙", "南苑")
PARK_NAMES = ("世纪公园", "九龙潭公园", "黑油山公园", "南湖公园", "东湖公园", "西湖公园", "友谊公园",
              "人民公园", "河滨公园", "胡杨公园", "石油文化公园", "劳动公园", "白杨公园", "雪莲公园")
SUPERMARKET_BRANDS = ("友好超市", "好家乡超市", "百花村超市", "华联超市", "便民超市")


@dataclass(frozen=True)
class StreetNames:
    """One street office with its communities' names, in roster order."""

    name: str
    communities: tuple[str, ...]

    @property
    def short(self) -> str:
        """The street's name without 街道, as police stations and centres use it."""
        return self.name.removesuffix("街道")


@dataclass(frozen=True)
class AdminNames:
    """The admin names the generator uses, read from data/admin_names.json."""

    city: str
    city_code: str
    district: str
    district_code: str
    streets: tuple[StreetNames, ...]

    def street(self, name: str) -> StreetNames:
        return next(s for s in self.streets if s.name == name)


@cache
def admin_names(path: Path = ADMIN_NAMES) -> AdminNames:
    """Read the copied jionlp names (see data/README.md for their attribution)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    streets = tuple(StreetNames(s["name"], tuple(s["communities"])) for s in raw["streets"])
    return AdminNames(city=raw["city"]["name"], city_code=raw["city"]["adcode"],
                      district=raw["district"]["name"], district_code=raw["district"]["adcode"],
                      streets=streets)


def local_road_names(count: int, *, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """``count`` distinct names for local roads (…路, …街, …巷), none in ``taken``."""
    combos = [s + x for x in _LOCAL_SUFFIXES for s in _LOCAL_STEMS]
    names = [combos[i] for i in rng.permutation(len(combos)) if combos[i] not in taken]
    lanes = [f"{s}{_NUMERALS[k]}巷" for k in range(3, len(_NUMERALS)) for s in _LOCAL_STEMS]
    names.extend(n for n in lanes if n not in taken)  # numbered lanes once plain names run out
    k = 2
    while len(names) < count:  # far beyond any size here; keeps the function total
        names.extend(f"{s}{k}号路" for s in _LOCAL_STEMS)
        k += 1
    return names[:count]


def compound_names(count: int, *, rng: np.random.Generator) -> list[str]:
    """``count`` distinct believable residential compound (小区) names."""
    combos = [s + x for s in _COMPOUND_STEMS for x in _COMPOUND_SUFFIXES]
    order = rng.permutation(len(combos))
    names: list[str] = []
    for phase in _PHASES:
        names.extend(combos[i] + phase for i in order)
        if len(names) >= count:
            break
    k = 9
    while len(names) < count:
        names.extend(f"{combos[i]}{k}期" for i in order)
        k += 1
    return names[:count]
