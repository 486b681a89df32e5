"""Read a roster of units from CSV or XLSX, check every row, and reject the file whole."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from dispatch import limits, vocab
from dispatch.roster import ROSTER_EXTRA, SHIFT_TIMES, UNIT_COLUMNS
from geo.errors import ImportRejected, Problem

LAYER = "units"

# field -> accepted headers (Chinese first); a trailing * or （必填） on a header is ignored
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("编号", "人员编号", "code"),
    "name": ("姓名", "name"),
    "unit_type": ("类型", "人员类型", "unit_type", "type"),
    "phone": ("电话", "联系电话", "手机", "phone"),
    "email": ("电子邮箱", "邮箱", "email"),
    "skills": ("专长", "调解专长", "skills"),
    "languages": ("语言", "languages"),
    "home_grid": ("所属网格", "网格", "home_grid"),
    "police_grid": ("所属警格", "警格", "police_grid"),
    "street": ("所属街道", "街道", "street"),
    "community": ("所属社区", "社区", "community"),
    "shift": ("班次", "shift"),
    "capacity": ("容量", "capacity"),
    "full_time": ("专职", "是否专职", "full_time"),
    "level": ("级别", "层级", "level"),
}
LABELS = {f: h[0] for f, h in HEADERS.items()}
REQUIRED = ("code", "name", "unit_type")
SEPARATORS = re.compile(r"[、,，;；/\s]+")

UNIT_ALIASES = {"调解员": "mediator", "老乡调解员": "mediator", "专职调解员": "mediator",
                "兼职调解员": "mediator", "民警": "community_police", "社区警": "community_police",
                "心理医生": "psychologist", "心理咨询": "psychologist"}
CATEGORY_ALIASES = {
    "邻里": "neighbour", "婚姻家庭": "family", "婚姻家庭纠纷": "family", "家庭": "family", "婚姻": "marriage",
    "物业": "property", "劳动": "labour", "劳动争议": "labour", "欠薪": "labour",
    "债务": "debt", "借贷": "debt", "交通事故": "traffic", "交通": "traffic",
    "工程款": "construction", "工程": "construction", "土地": "land", "金融": "finance",
    "医疗": "medical", "医患": "medical", "消费": "consumer", "其他": "other",
}
LANGUAGE_ALIASES = {
    "汉语": "mandarin", "国语": "mandarin", "维语": "uyghur", "维吾尔": "uyghur",
    "哈语": "kazakh", "哈萨克": "kazakh", "蒙语": "mongolian", "蒙古": "mongolian",
    "河南": "henan", "河南方言": "henan", "山东": "shandong", "山东方言": "shandong",
    "河北": "hebei", "河北方言": "hebei", "四川": "sichuan", "四川方言": "sichuan",
    "甘肃": "gansu", "甘肃方言": "gansu",
}
SHIFT_ALIASES = {"白天": "day", "日班": "day", "夜间": "night", "24小时": "24h", "全天": "24h",
                 "值守": "24h", "待命": "on_call", "随叫随到": "on_call"}
LEVEL_LABELS = {"社区": "community", "村": "community", "街道": "street", "乡镇": "street",
                "区": "district", "县": "district", "市": "city"}
TRUE_WORDS = {"是", "专职", "全职", "true", "yes", "y", "1"}
FALSE_WORDS = {"否", "兼职", "志愿者", "false", "no", "n", "0"}
DEFAULT_CAPACITY = {"grid_worker": 3, "mediator": 2, "community_police": 2,
                    "auxiliary_police": 2, "lawyer": 3, "judge": 3, "procurator": 2,
                    "psychologist": 2}
MAX_CAPACITY = limits.UNIT_CAPACITY
PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}\d{7,8}|[2-9]\d{6,7}")  # mobile, landline, local
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PARENTS = (("home_grid", "grids", "home_grid_id"), ("police_grid", "police_grids",
                                                     "police_grid_id"),
           ("street", "streets", "street_id"), ("community", "communities", "community_id"))
AMBIGUOUS = -1  # a name that several areas share: the roster must give the code


def _lookup(table: dict[str, str], aliases: dict[str, str]) -> Callable[[str], str | None]:
    """Code or Chinese label (or a common short form) -> code; None when unknown."""
    index = {code.lower(): code for code in table}
    index.update({label: code for code, label in table.items()})
    index.update(aliases)

    def find(text: str) -> str | None:
        return index.get(text) or index.get(text.lower())

    return find


find_type = _lookup(vocab.UNIT_TYPES, UNIT_ALIASES)
find_category = _lookup(vocab.CATEGORIES, CATEGORY_ALIASES)
find_language = _lookup(vocab.LANGUAGES, LANGUAGE_ALIASES)
find_shift = _lookup(vocab.SHIFTS, SHIFT_ALIASES)
find_level = _lookup({"community": "社区", "street": "街道", "district": "区(县)",
                      "city": "市"}, LEVEL_LABELS)


def _field_of(header: object) -> str | None:
    h = re.sub(r"[*＊]|[（(]必填[）)]", "", str(header)).strip().lower()
    for field, names in HEADERS.items():
        if h in (n.lower() for n in names):
            return field
    return None


def _read(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    if suffix == ".csv":
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:  # Excel on Chinese Windows saves CSV as GBK
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030")
    raise ValueError(f"不支持的文件类型 {suffix or '（无扩展名）'}，请使用 CSV 或 XLSX")


def _clean(v: object) -> str:
    s = "" if v is None else str(v).strip()
    return "" if s.lower() in ("nan", "none") else s


def _number_text(s: str) -> str:
    """Excel hands numbers over as '13900000001.0'; drop the decimal tail of an integer."""
    return s[:-2] if re.fullmatch(r"\d+\.0", s) else s


class _Checker:
    """Collects every problem of a file, each naming its row and field."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, kind: str, message: str, code: str | None = None) -> None:
        self.problems.append(Problem(kind=kind, message=message, layer=LAYER, code=code))

    def words(self, row: int, field: str, text: str, find: Callable[[str], str | None],
              what: str, code: str) -> list[str]:
        out: list[str] = []
        for word in (w for w in SEPARATORS.split(text) if w):
            found = find(word)
            if found is None:
                self.add("unknown_category",
                         f"第{row}行 {LABELS[field]} “{word}” 不是已知的{what}", code)
            elif found not in out:
                out.append(found)
        return out


def _row(ck: _Checker, row: int, rec: dict[str, str],
         territory_codes: dict[str, dict[str, int]]) -> dict[str, object]:
    code = rec.get("code", "")
    tag = code or None
    for field in REQUIRED:
        if not rec.get(field):
            ck.add("missing_field", f"第{row}行 缺少 {LABELS[field]}", tag)
    if len(code) > 40:
        ck.add("bad_value", f"第{row}行 编号 “{code}” 超过40个字符", tag)
    name = rec.get("name", "")
    if len(name) > 60:
        ck.add("bad_value", f"第{row}行 姓名 超过60个字符", tag)
    unit_type = None
    if rec.get("unit_type"):
        unit_type = find_type(rec["unit_type"])
        if unit_type is None:
            ck.add("unknown_category",
                   f"第{row}行 类型 “{rec['unit_type']}” 不是已知的人员类型", tag)
    phone = re.sub(r"[\s\-－()（）]", "", _number_text(rec.get("phone", "")))
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not PHONE.fullmatch(phone):
        ck.add("bad_value", f"第{row}行 电话 “{rec['phone']}” 格式不正确", tag)
    email = (rec.get("email") or "").strip()
    if email and (len(email) > 120 or not EMAIL.fullmatch(email)):
        ck.add("bad_value", f"第{row}行 电子邮箱 “{email[:60]}” 格式不正确", tag)
    skills = ck.words(row, "skills", rec.get("skills", ""), find_category, "纠纷类别", code)
    langs = ck.words(row, "languages", rec.get("languages", ""), find_language, "语言", code)
    ids: dict[str, int | None] = {}
    for field, layer, col in PARENTS:
        ref = _number_text(rec.get(field, ""))
        known = territory_codes.get(layer, {})
        found = known.get(ref) if ref else None
        if found in (None, AMBIGUOUS) and ref and field == "home_grid" and rec.get("community"):
            found = known.get(rec["community"] + ref, found)  # 玉林社区 + 第一网格
        ids[col] = found if found != AMBIGUOUS else None
        if ref and found is None:
            ck.add("unknown_parent", f"第{row}行 {LABELS[field]} “{ref}” 不存在",
                   tag)
        elif found == AMBIGUOUS:
            ck.add("unknown_parent", f"第{row}行 {LABELS[field]} “{ref}” 对应多个区域，请改填编码"
                   + ("或同时填写 所属社区" if field == "home_grid" else ""), tag)
    if unit_type == "grid_worker" and not rec.get("home_grid"):
        ck.add("missing_field", f"第{row}行 类型为网格员时 所属网格 必填", tag)
    if unit_type == "community_police" and not rec.get("police_grid"):
        ck.add("missing_field", f"第{row}行 类型为社区民警时 所属警格 必填", tag)
    shift = find_shift(rec["shift"]) if rec.get("shift") else "day"
    if shift is None:
        ck.add("bad_value", f"第{row}行 班次 “{rec['shift']}” 不是已知的班次"
                            f"（{'、'.join(vocab.SHIFTS.values())}）", tag)
    capacity: int | None = DEFAULT_CAPACITY.get(unit_type or "", 2)
    if rec.get("capacity"):
        text = _number_text(rec["capacity"])
        capacity = int(text) if text.isdigit() else None
        if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
            ck.add("bad_value",
                   f"第{row}行 容量 “{rec['capacity']}” 应为1至{MAX_CAPACITY}的整数", tag)
    full_time = True
    if rec.get("full_time"):
        word = rec["full_time"].lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            ck.add("bad_value", f"第{row}行 专职 “{rec['full_time']}” 应填“是”或“否”", tag)
        full_time = word in TRUE_WORDS
    level = find_level(rec["level"]) if rec.get("level") else (
        "community" if rec.get("home_grid") or rec.get("police_grid") or rec.get("community")
        else "street" if rec.get("street") else "district")
    if level is None:
        ck.add("bad_value", f"第{row}行 级别 “{rec['level']}” 应为社区、街道、区或市", tag)
    times = SHIFT_TIMES.get(shift or "day", SHIFT_TIMES["day"])
    return {"id": None, "code": code, "name": name, "unit_type": unit_type,
            "phone": phone or None, "skills": skills, "languages": langs or ["mandarin"],
            "full_time": full_time, "level": level, "street_id": ids["street_id"],
            "community_id": ids["community_id"], "home_grid_id": ids["home_grid_id"],
            "police_grid_id": ids["police_grid_id"], "facility_id": None,
            "status": "available", "capacity": capacity, "active_load": 0,
            "on_foot": unit_type == "grid_worker", "shift": shift, "shift_start": times[0],
            "shift_end": times[1], "last_geom": None, "last_seen_at": None, "version": 0,
            "last_seq": None, "email": email or None}


def read_units(path: Path, *, territory_codes: dict[str, dict[str, int]]) -> pd.DataFrame:
    """Units from a CSV or XLSX roster, with the ``units`` table's columns (``id`` None).

    Headers may be Chinese or English (编号/code, 姓名/name, 类型/unit_type, 电话/phone,
    专长/skills, 语言/languages, 所属网格/home_grid, 所属警格/police_grid, 所属街道/street,
    班次/shift, 容量/capacity; optional 专职/full_time and 级别/level); vocabulary cells
    take the code or the Chinese label, lists are separated by 、 , ; or spaces.
    ``territory_codes`` maps a layer (``grids``, ``police_grids``, ``streets``,
    ``communities``) to its ``{code or name: id}`` (:data:`AMBIGUOUS` for a name several areas
    share; grids also under community name + grid name). A column no field accepts is a
    problem. ``facility_id`` is left for the caller.

    Raises
    ------
    geo.errors.ImportRejected
        With every problem found (row numbers as the spreadsheet shows them, header = 1);
        nothing is returned then.
    """
    ck = _Checker()
    try:
        raw = _read(path)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:  # wrong type, broken
        ck.add("bad_value", f"无法读取文件：{exc}")
        raise ImportRejected(ck.problems, source=str(path)) from exc
    fields = {col: _field_of(col) for col in raw.columns}
    for col, field in fields.items():
        if field is None and str(col).strip() and not str(col).startswith("Unnamed:"):
            ck.add("unknown_column", f"未知的列 “{col}”（可用的列："
                   f"{'、'.join(h[0] for h in HEADERS.values())}）")
    present = set(fields.values())
    for field in REQUIRED:
        if field not in present:
            ck.add("missing_field", f"缺少必填列 “{LABELS[field]}”（或 {HEADERS[field][-1]}）")
    if any(p.kind == "missing_field" for p in ck.problems):
        raise ImportRejected(ck.problems, source=str(path))
    df = raw.rename(columns={c: f for c, f in fields.items() if f}).loc[
        :, [f for f in dict.fromkeys(fields.values()) if f]]
    rows: list[dict[str, object]] = []
    first_row: dict[str, int] = {}
    for i, values in enumerate(df.to_dict("records")):
        rec = {str(k): _clean(v) for k, v in values.items()}
        if not any(rec.values()):
            continue  # a blank line
        row = i + 2
        rec["code"] = _number_text(rec.get("code", ""))
        if rec["code"]:
            if rec["code"] in first_row:
                ck.add("duplicate_code", f"第{row}行 编号 “{rec['code']}” 与第"
                                         f"{first_row[rec['code']]}行重复", rec["code"])
            else:
                first_row[rec["code"]] = row
        rows.append(_row(ck, row, rec, territory_codes))
    if not rows:
        ck.add("empty", "文件中没有人员数据")
    if ck.problems:
        raise ImportRejected(ck.problems, source=str(path))
    out = pd.DataFrame(rows, columns=[*UNIT_COLUMNS, *ROSTER_EXTRA])
    for col in ("street_id", "home_grid_id", "police_grid_id", "community_id", "facility_id"):
        out[col] = pd.array(out[col].to_numpy(dtype=object), dtype="Int64")
    out["capacity"] = out["capacity"].astype(np.int16)
    out["active_load"] = out["active_load"].astype(np.int16)
    return out
