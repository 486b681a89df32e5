"""Chinese address text as people write it: normalise it, then parse it into levels and numbers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from geo.geocode_lexicon import Entry, Lexicon

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_RUN = re.compile("[零〇一二三四五六七八九十百千]+")
_LIANG = re.compile("两(?=[单号栋幢座层楼])")

# After NFKC: dashes and tildes people type between numbers ("3-2-501", "3—2—501").
_DASHES = str.maketrans({"—": "-", "–": "-", "~": "-", "－": "-", "‐": "-", "―": "-"})
_KEEP = re.compile(r"[^0-9a-z#\-\u3400-\u4dbf\u4e00-\u9fff]")

# (pattern, replacement) applied in order to the cleaned text.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in (
    (r"(\d+)(?:号楼|栋楼|栋|幢|座|#楼|#|号院楼)", r"\1号楼"),
    (r"(\d+)楼(?![层0-9])", r"\1号楼"),
    (r"(\d+)(?:号房|室|户)", r"\1室"),
    (r"(\d+)(?:楼层|层)", r"\1层"),
    (r"社区居民委员会|社区居委会|社区居委", "社区"),
    (r"居民委员会|居委会|居委", "社区"),
    (r"村民委员会|村委会", "村"),
    (r"街道办事处|街道办", "街道"),
    (r"(?<!街道)办事处", "街道"),
    (r"#", ""),
    (r"(?<!\d)-|-(?!\d)", ""),
))

# Words after a place that mean "near it": stripped, but the result is flagged approximate.
_NEAR_TAIL = tuple(sorted((
    "附近", "对面", "斜对面", "对门", "门口", "大门口", "大门", "旁边", "旁", "边上", "隔壁", "周边",
    "周围", "一带", "东侧", "西侧", "南侧", "北侧", "东边", "西边", "南边", "北边", "东面", "西面",
    "南面", "北面", "东门", "西门", "南门", "北门", "后面", "后边", "后门", "前面", "楼下", "院内",
    "里面", "那边", "这边", "跟前", "处", "的", "交叉口", "十字路口", "背后",
), key=len, reverse=True))
_NEAR_HEAD = ("靠近", "临近", "接近", "近")
_AT_HEAD = ("位于", "地址是", "地址", "在")
_OFFSET_TAIL = re.compile(r"(?:往|向)?[东南西北]{1,2}(?:方向)?(?:约)?\d+(?:米|m)$")

# Left-over words that carry no place: dropped without counting as unknown.
FILLERS = frozenset({"小区", "院", "号院", "大院", "市", "省", "区", "县", "镇", "乡", "街道", "社区",
                     "村", "路", "街", "的", "里", "内", "楼", "家", "楼下", "门", "中国",
                     "与", "和", "及", "交"})
_PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
              "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
              "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
              "澳门")
_PREFIX = re.compile(
    r"(?:中国)?(?:(?:" + "|".join(_PROVINCES) + r")[\u4e00-\u9fff]{0,6}?(?:省|自治区|市)?)?"
    r"(?:[\u4e00-\u9fff]{2,8}?(?:市|地区|州|盟))?")


def cn_to_int(run: str) -> int:
    """Chinese numerals to an int: 一百零八 → 108, 十二 → 12, 五零一 → 501 (digit by digit)."""
    if not any(c in _CN_UNIT for c in run):
        return int("".join(str(_CN_DIGIT[c]) for c in run))
    total = cur = 0
    for c in run:
        if c in _CN_UNIT:
            total += (cur or 1) * _CN_UNIT[c]
            cur = 0
        else:
            cur = _CN_DIGIT[c]
    return total + cur


def convert_numerals(text: str) -> str:
    """Runs of Chinese numerals as Arabic digits (names too: 纬二路 → 纬2路, on both sides).

    A lone 百/千 is a word (百合, 千禧), not a number. A run touching Arabic digits keeps a
    "|" between them, so 三期 with 期 dropped ("三11号楼") does not become building 311.
    """
    text = _LIANG.sub("2", text)

    def sub(m: re.Match[str]) -> str:
        run = m.group()
        if not any(c in _CN_DIGIT for c in run) and run != "十":
            return run
        out = str(cn_to_int(run))
        if m.start() > 0 and text[m.start() - 1].isdigit():
            out = "|" + out
        if m.end() < len(text) and text[m.end()].isdigit():
            out += "|"
        return out

    return _CN_RUN.sub(sub, text)


def key(text: str) -> str:
    """The comparison form shared by queries and gazetteer names.

    Full-width → half-width (NFKC), lower case, Chinese numerals → digits, unit words made
    canonical (栋/幢/座 → 号楼, 号房/户 → 室, 居委会 → 社区, 街道办事处 → 街道), spaces and
    punctuation dropped.
    """
    s = unicodedata.normalize("NFKC", text).translate(_DASHES).lower()
    s = _KEEP.sub("", s)
    s = convert_numerals(s)
    for pattern, repl in _REWRITES:
        s = pattern.sub(repl, s)
    return s


@dataclass(frozen=True)
class Normalised:
    """A query in comparison form, and what was stripped from its ends."""

    text: str
    approximate: bool = False
    stripped: tuple[str, ...] = ()


def normalise(text: str) -> Normalised:
    """:func:`key`, then strip "near" words (附近, 对面, 门口, 东侧, 往东50米…) and flag them."""
    s = key(text)
    stripped: list[str] = []
    approximate = False
    changed = True
    while changed and s:
        changed = False
        m = _OFFSET_TAIL.search(s)
        if m and m.start() > 0:
            stripped.append(s[m.start():])
            s, approximate, changed = s[:m.start()], True, True
            continue
        if s.endswith("路口") and len(s) > 3:  # 天山路口: the junction is on 天山路
            stripped.append("口")
            s, approximate, changed = s[:-1], True, True
            continue
        for w in _NEAR_TAIL:
            if s.endswith(w) and len(s) > len(w) + 1:
                stripped.append(w)
                s, changed = s[: -len(w)], True
                approximate = approximate or w not in ("的", "处")
                break
    for heads, near in ((_AT_HEAD, False), (_NEAR_HEAD, True)):
        for w in heads:
            if s.startswith(w) and len(s) > len(w) + 1:
                stripped.append(w)
                s = s[len(w):]
                approximate = approximate or near
                break
    return Normalised(s, approximate, tuple(stripped))


@dataclass(frozen=True)
class NameMatch:
    """A stretch of the query matched to gazetteer names (``edits`` > 0: a fuzzy match)."""

    start: int
    end: int
    text: str
    key: str
    entries: tuple[Entry, ...]
    edits: int = 0

    def of(self, kind: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == kind)


@dataclass
class ParsedAddress:
    """What a query says, level by level; names as :class:`NameMatch`, numbers as ints."""

    text: str
    approximate: bool = False
    names: list[NameMatch] = field(default_factory=list)
    door_no: int | None = None
    building_no: int | None = None
    unit_no: int | None = None
    room: str | None = None
    leftover: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def entries(self, kind: str) -> list[tuple[Entry, NameMatch]]:
        """Every (entry, match) of ``kind``, in query order."""
        return [(e, m) for m in self.names for e in m.of(kind)]

    def has(self, kind: str) -> bool:
        return any(m.of(kind) for m in self.names)

    def kinds(self) -> set[str]:
        return {e.kind for m in self.names for e in m.entries}

    def as_dict(self) -> dict[str, object]:
        """The structured parse: first name per level, numbers, leftover."""
        out: dict[str, object] = {}
        for kind in ("district", "street", "community", "road", "compound", "place"):
            found = self.entries(kind)
            out[kind] = found[0][0].name if found else None
        out.update(door_no=self.door_no, building_no=self.building_no, unit_no=self.unit_no,
                   room=self.room, leftover=list(self.leftover), approximate=self.approximate)
        return out


_NUMBER = re.compile(r"(\d+)(?:-(\d+))?(?:-(\d+))?(号楼|单元|室|层|号)?")


Piece = NameMatch | re.Match[str] | str
# Segmentation gains: a character covered by a name or number scores 1. A name one edit away
# costs a little under one character, so "奎屯路街" reads as 奎屯南街 with a typo rather than
# 奎屯路 and a stray 街; a variant (天山路街 for 天山路街道) loses ties to a real name.
_EDIT_COST = 0.9
_VARIANT_COST = 0.1


def _tokens(text: str, lexicon: Lexicon, focus: set[int] | None = None) -> list[Piece]:
    """Best segmentation: most characters covered by names and numbers, fuzzy names cost more."""
    n = len(text)
    # best[i] = (score, -pieces, back pointer, piece)
    best: list[tuple[float, int, int, object] | None] = [None] * (n + 1)
    best[0] = (0.0, 0, -1, None)
    options = lexicon.fuzzy_spans(text, focus) if focus else {}

    def relax(i: int, j: int, gain: float, piece: object) -> None:
        cur = best[i]
        assert cur is not None
        cand = (cur[0] + gain, cur[1] - 1, i, piece)
        old = best[j]
        if old is None or (cand[0], cand[1]) > (old[0], old[1]):
            best[j] = cand

    for i in range(n):
        if best[i] is None:
            continue
        relax(i, i + 1, 0.0, text[i])
        for j, entries in lexicon.exact_at(text, i):
            k = text[i:j]
            gain = (j - i) - (_VARIANT_COST if k in lexicon.variants else 0.0)
            relax(i, j, gain, NameMatch(i, j, k, k, entries))
        for j, keys in options.get(i, ()):
            # an extra character in the query gains nothing: it must not pull a neighbour in
            gains = {k: min(j - i, len(k)) - _EDIT_COST
                     - (_VARIANT_COST if k in lexicon.variants else 0.0) for k in keys}
            top = max(gains.values())  # the span's worth; every key on it is as likely
            first = min(keys, key=lambda k: (-gains[k], k))
            entries = tuple(dict.fromkeys(e for k in keys for e in lexicon.exact(k)))
            relax(i, j, top, NameMatch(i, j, text[i:j], first, entries, 1))
        if text[i].isdigit() and (i == 0 or not text[i - 1].isdigit()):
            m = _NUMBER.match(text, i)
            if m:  # a bare number says less than a name of the same length
                relax(i, m.end(), (m.end() - i) * (1.0 if m.group(4) else 0.5), m)
    pieces: list[Piece] = []
    j = n
    while j > 0:
        cell = best[j]
        assert cell is not None
        pieces.append(cell[3])  # type: ignore[arg-type]
        j = cell[2]
    pieces.reverse()
    # merge runs of unmatched characters
    out: list[Piece] = []
    for p in pieces:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        else:
            out.append(p)
    return out


def _unknown(piece: str, first: bool) -> bool:
    """Whether unmatched text names something we do not know (not a filler or a known prefix)."""
    if piece in FILLERS or not re.search(r"[\u4e00-\u9fffa-z]", piece):
        return False
    return not (first and _PREFIX.fullmatch(piece) and len(piece) >= 2)


def _numbers(parsed: ParsedAddress, pieces: list[Piece]) -> None:
    """Give each number its role from its unit word and the name it follows."""
    ctx: set[str] = set()
    pending: list[int] = []
    for p in pieces:
        if isinstance(p, NameMatch):
            kinds = {e.kind for e in p.entries} & {"compound", "road", "place"}
            ctx = kinds or ctx
            continue
        if not isinstance(p, re.Match):
            continue
        a, b, c, unit = int(p.group(1)), p.group(2), p.group(3), p.group(4)
        inside = bool(ctx & {"building", "unit"})
        if unit == "号楼":
            parsed.building_no = parsed.building_no if parsed.building_no is not None else a
            ctx = {"building"}
        elif unit == "单元":
            parsed.unit_no = a
            ctx = {"unit"}
        elif unit == "室":
            parsed.room = p.group(0)[:-1]
        elif unit == "层":
            continue
        elif b is not None and unit is None and ("compound" in ctx or inside):
            if "compound" in ctx:
                parsed.building_no = a
                parsed.unit_no, parsed.room = (int(b), c) if c else (parsed.unit_no, b)
            else:
                parsed.unit_no, parsed.room = (a, b) if c is None else (a, f"{b}-{c}")
        elif inside and parsed.room is None:
            parsed.room = str(a)
        else:
            first = ("road", "compound") if unit == "号" else ("compound", "road")
            for kind in first:
                if kind in ctx and kind == "road" and parsed.door_no is None:
                    parsed.door_no = a
                    break
                if kind in ctx and kind == "compound" and parsed.building_no is None:
                    parsed.building_no = a
                    break
            else:
                pending.append(a)
    for a in pending:
        if parsed.door_no is None and parsed.has("road"):
            parsed.door_no = a
        elif parsed.building_no is None and parsed.has("compound"):
            parsed.building_no = a
        elif parsed.door_no is None and not parsed.has("compound"):
            parsed.door_no = a


def _road_not_street(pieces: list[Piece], lexicon: Lexicon) -> list[Piece]:
    """天山路街128号: 街 for 街道 names no street office before a door number; the road does."""
    out = list(pieces)
    for i, p in enumerate(out[:-1]):
        nxt = out[i + 1]
        if (isinstance(p, NameMatch) and isinstance(nxt, re.Match) and p.key.endswith("街")
                and p.key in lexicon.variants and {e.kind for e in p.entries} == {"street"}):
            road = lexicon.exact(p.key[:-1])
            if any(e.kind == "road" for e in road):
                out[i] = NameMatch(p.start, p.end - 1, p.text[:-1], p.key[:-1], road)
                out.insert(i + 1, "街")
    return out


MAX_CHARS = 80  # longer text is cut: no address is longer, and parsing time grows with it


def parse(text: str, lexicon: Lexicon) -> ParsedAddress:
    """Normalise ``text`` and segment it against the gazetteer's names (exact, then fuzzy)."""
    norm = normalise(text[: 4 * MAX_CHARS])
    if len(norm.text) > MAX_CHARS:
        norm = Normalised(norm.text[:MAX_CHARS], norm.approximate, norm.stripped)
    pieces = _tokens(norm.text, lexicon)
    focus: set[int] = set()
    pos = 0
    for i, p in enumerate(pieces):
        size = len(p) if isinstance(p, str) else p.end() - p.start() if isinstance(
            p, re.Match) else p.end - p.start
        # a lone filler character right after a name may be a typo inside it (奎屯路街)
        stray = size == 1 and i > 0 and isinstance(pieces[i - 1], NameMatch)
        if isinstance(p, str) and (_unknown(p, i == 0) or "|" in p or stray):
            focus.update(range(pos, pos + size))
        pos += size
    if focus:
        pieces = _tokens(norm.text, lexicon, focus)
    pieces = _road_not_street(pieces, lexicon)
    parsed = ParsedAddress(norm.text, norm.approximate)
    parsed.dropped.extend(norm.stripped)
    for i, p in enumerate(pieces):
        if isinstance(p, NameMatch):
            parsed.names.append(p)
        elif isinstance(p, str):
            (parsed.leftover if _unknown(p, i == 0) else parsed.dropped).append(p)
    _numbers(parsed, pieces)
    return parsed


__all__ = ["Entry", "NameMatch", "Normalised", "ParsedAddress", "cn_to_int", "convert_numerals",
           "key", "normalise", "parse"]
