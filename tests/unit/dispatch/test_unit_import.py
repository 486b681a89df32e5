"""Unit rosters from CSV and XLSX: good files read, bad files rejected whole with every problem."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dispatch.adapters.orm import units as units_table
from dispatch.unit_import import read_units
from geo.errors import ImportRejected, Problem

CODES = {
    "grids": {"G001": 1, "G002": 2, "101": 3},
    "police_grids": {"P01": 10, "P02": 11},
    "streets": {"S01": 100, "S02": 101},
}
CN_HEADER = ["编号", "姓名", "类型", "电话", "专长", "语言", "所属网格", "所属警格", "所属街道",
             "班次", "容量"]
EN_HEADER = ["code", "name", "unit_type", "phone", "skills", "languages", "home_grid",
             "police_grid", "street", "shift", "capacity"]
GOOD_ROWS = [
    ["WG001", "张伟", "网格员", "13900000001", "", "普通话", "G001", "P01", "S01", "白班", "3"],
    ["TJ001", "阿依古丽·买买提", "人民调解员", "139-0000-0002", "邻里纠纷、婚姻家庭纠纷",
     "普通话、维吾尔语", "", "", "S01", "on_call", "2"],
    ["TJ002", "王芳", "mediator", "13900000003", "labour, debt；工程款", "mandarin henan", "",
     "", "S02", "day", ""],
    ["MJ001", "李强", "社区民警", "0990-6231234", "", "", "", "P02", "S02", "24小时值守", "2"],
    ["LS001", "赵敏", "律师", "", "劳动 债务", "", "", "", "S02", "", ""],
]


def _csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    pd.DataFrame(rows, columns=header).to_csv(path, index=False, encoding=encoding)
    return path


def _xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _rejected(path: Path) -> list[Problem]:
    with pytest.raises(ImportRejected) as info:
        read_units(path, territory_codes=CODES)
    assert info.value.source == str(path)
    assert "未写入任何数据" in str(info.value)
    return info.value.problems


def _check_good(df: pd.DataFrame) -> None:
    # every column but the change marker its trigger keeps (migration 0025)
    assert list(df.columns) == [c.name for c in units_table.columns
                                if not c.info.get("kept_by_trigger")]
    assert df["id"].isna().all()
    assert df["code"].tolist() == ["WG001", "TJ001", "TJ002", "MJ001", "LS001"]
    assert df["unit_type"].tolist() == ["grid_worker", "mediator", "mediator",
                                        "community_police", "lawyer"]
    by = df.set_index("code")
    assert by.loc["WG001", "home_grid_id"] == 1 and by.loc["WG001", "police_grid_id"] == 10
    assert by.loc["WG001", "street_id"] == 100 and by.loc["WG001", "level"] == "community"
    assert by.loc["WG001", "on_foot"] and by.loc["WG001", "capacity"] == 3
    assert by.loc["TJ001", "skills"] == ["neighbour", "family"]
    assert by.loc["TJ001", "languages"] == ["mandarin", "uyghur"]
    assert by.loc["TJ001", "phone"] == "13900000002" and by.loc["TJ001", "shift"] == "on_call"
    assert by.loc["TJ001", "level"] == "street"
    assert by.loc["TJ002", "skills"] == ["labour", "debt", "construction"]
    assert by.loc["TJ002", "languages"] == ["mandarin", "henan"]
    assert by.loc["TJ002", "capacity"] == 2  # a mediator's default
    assert by.loc["MJ001", "shift"] == "24h" and by.loc["MJ001", "languages"] == ["mandarin"]
    assert by.loc["MJ001", "phone"] == "09906231234"
    assert by.loc["LS001", "skills"] == ["labour", "debt"] and by.loc["LS001", "capacity"] == 3
    assert by.loc["LS001", "shift_start"] == time(8, 30)
    assert (df["status"] == "available").all() and (df["active_load"] == 0).all()


def test_good_csv_with_chinese_headers(tmp_path: Path) -> None:
    _check_good(read_units(_csv(tmp_path / "u.csv", CN_HEADER, GOOD_ROWS),
                           territory_codes=CODES))


def test_good_gbk_csv_and_starred_headers(tmp_path: Path) -> None:
    header = ["编号*", "姓名（必填）", *CN_HEADER[2:]]
    path = _csv(tmp_path / "gbk.csv", header, GOOD_ROWS, encoding="gb18030")
    _check_good(read_units(path, territory_codes=CODES))


def test_good_xlsx_with_english_headers_and_number_cells(tmp_path: Path) -> None:
    rows: list[list[object]] = [list(r) for r in GOOD_ROWS]
    rows[0][3] = 13900000001  # Excel keeps phones and counts as numbers
    rows[0][10] = 3
    rows[1][10] = 2
    rows.insert(2, [None] * len(EN_HEADER))  # a blank line in the middle
    df = read_units(_xlsx(tmp_path / "u.xlsx", EN_HEADER, rows), territory_codes=CODES)
    _check_good(df)


def test_numeric_grid_code_from_excel(tmp_path: Path) -> None:
    rows: list[list[object]] = [["WG9", "刘洋", "grid_worker", "", "", "", 101, "", "", "", ""]]
    df = read_units(_xlsx(tmp_path / "n.xlsx", EN_HEADER, rows), territory_codes=CODES)
    assert df.loc[0, "home_grid_id"] == 3


def test_bad_csv_lists_every_problem_with_row_and_field(tmp_path: Path) -> None:
    rows = [
        GOOD_ROWS[0],
        ["TJ009", "钱多", "人民调解员", "13900000009", "邻里纠纷、钓鱼", "火星语", "", "", "S01",
         "", ""],
        ["WG001", "重复", "网格员", "12345", "", "", "G404", "P99", "S01", "早班", "0"],
        ["", "", "厨师", "", "", "", "", "", "", "", "多"],
        ["WG777", "孙丽", "grid_worker", "", "", "", "", "", "S09", "", "3"],
    ]
    problems = _rejected(_csv(tmp_path / "bad.csv", CN_HEADER, rows))
    messages = [p.message for p in problems]
    kinds = {p.kind for p in problems}
    assert kinds == {"unknown_category", "duplicate_code", "bad_value", "unknown_parent",
                     "missing_field"}
    assert "第3行 专长 “钓鱼” 不是已知的纠纷类别" in messages
    assert "第3行 语言 “火星语” 不是已知的语言" in messages
    assert "第4行 编号 “WG001” 与第2行重复" in messages
    assert any(m.startswith("第4行 电话 “12345”") for m in messages)
    assert "第4行 所属网格 “G404” 不存在" in messages
    assert "第4行 所属警格 “P99” 不存在" in messages
    assert any(m.startswith("第4行 班次 “早班”") for m in messages)
    assert any(m.startswith("第4行 容量 “0”") for m in messages)
    assert "第5行 缺少 编号" in messages and "第5行 缺少 姓名" in messages
    assert "第5行 类型 “厨师” 不是已知的人员类型" in messages
    assert any(m.startswith("第5行 容量 “多”") for m in messages)
    assert "第6行 所属街道 “S09” 不存在" in messages
    assert "第6行 类型为网格员时 所属网格 必填" in messages
    dup = next(p for p in problems if p.kind == "duplicate_code")
    assert dup.code == "WG001" and dup.layer == "units"
    assert len(problems) == 14


def test_bad_xlsx_is_rejected_too(tmp_path: Path) -> None:
    rows: list[list[object]] = [["MJ1", "周杰", "社区民警", 139, "", "", "", "", "S01", "", "x"]]
    problems = _rejected(_xlsx(tmp_path / "bad.xlsx", EN_HEADER, rows))
    assert [p.kind for p in problems] == ["bad_value", "missing_field", "bad_value"]
    assert problems[1].message == "第2行 类型为社区民警时 所属警格 必填"


def test_missing_required_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path / "cols.csv", ["编号", "电话"], [["A1", "13900000001"]])
    problems = _rejected(path)
    assert [p.kind for p in problems] == ["missing_field", "missing_field"]
    assert "姓名" in problems[0].message and "类型" in problems[1].message


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    empty = _csv(tmp_path / "empty.csv", CN_HEADER, [])
    assert [p.kind for p in _rejected(empty)] == ["empty"]
    txt = tmp_path / "units.txt"
    txt.write_text("编号,姓名\n", encoding="utf-8")
    assert "CSV 或 XLSX" in _rejected(txt)[0].message
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    assert _rejected(broken)[0].kind == "bad_value"


def test_a_roster_may_carry_each_units_email_for_the_notices(tmp_path: Path) -> None:
    rows = [[*GOOD_ROWS[0], "wg001@example.org"], [*GOOD_ROWS[1], ""]]
    df = read_units(_csv(tmp_path / "u.csv", [*CN_HEADER, "电子邮箱"], rows),
                    territory_codes=CODES)
    assert df["email"].iloc[0] == "wg001@example.org" and pd.isna(df["email"].iloc[1])
    with pytest.raises(ImportRejected) as err:
        read_units(_csv(tmp_path / "bad.csv", [*CN_HEADER, "邮箱"], [[*GOOD_ROWS[0], "不是邮箱"]]),
                   territory_codes=CODES)
    assert any("电子邮箱" in p.message for p in err.value.problems)
