"""The case list's files (console/exports/case_list.py): the CSV for Excel and the workbook."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from console.exports import case_list

ROW = {"id": 7, "code": "2026-000007", "title": "=HYPERLINK(\"x\")", "category": "neighbour",
       "state": "resolved", "channel": "hotline", "priority": 2, "outcome": "mediated",
       "street_name": "天山路街道", "community_name": "宏远社区", "grid_name": "一网格",
       "address": "天山路*号", "reported_at": datetime(2026, 12, 6, 16, 30, tzinfo=UTC),
       "close_deadline": None, "resolved_at": datetime(2026, 12, 7, 1, 0, tzinfo=UTC),
       "units": ["网格员甲", "调解员乙"], "risk_level": 1, "masked": True}
HEAD = case_list.header_lines(actor="值班长", at=datetime(2026, 12, 7, 4, 0, tzinfo=UTC),
                              filters=[("类别", "邻里纠纷"), ("关键词", "-1+1")], rows=1)


def test_the_csv_opens_in_excel_with_names_beijing_times_and_no_formulas() -> None:
    text = case_list.csv_text([ROW], head=HEAD)
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert lines[0] == ["案件列表导出"] and ["导出人", "值班长"] in lines
    assert ["导出时间（北京时间）", "2026-12-07 12:00:00"] in lines
    assert ["关键词", "'-1+1"] in lines  # a filter Excel would compute is text
    gap = lines.index([])
    table = [dict(zip(lines[gap + 1], r, strict=True)) for r in lines[gap + 2:]]
    assert len(table) == 1
    row = table[0]
    assert row["标题"].startswith("'=")
    assert row["类别"] == "邻里纠纷" and row["状态"] == "已办结" and row["紧急程度"] == "较急"
    assert row["受理时间"] == "2026-12-07 00:30" and row["办结时限"] == ""
    assert row["处置力量"] == "网格员甲、调解员乙" and row["个人信息已遮蔽"] == "是"
    assert row["办结结果"] == "调解成功"


def test_the_workbook_holds_dates_numbers_and_text_that_never_runs() -> None:
    book = load_workbook(io.BytesIO(case_list.xlsx_bytes([ROW], head=HEAD)))
    sheet = book.active
    assert sheet.title == "案件列表"
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    gap = next(i for i, r in enumerate(values) if all(v is None for v in r))
    names, row = values[gap + 1], dict(zip(values[gap + 1], values[gap + 2], strict=True))
    assert names[0] == "案件编号"
    assert row["受理时间"] == datetime(2026, 12, 7, 0, 30)  # Beijing wall time, a real date
    assert row["风险等级"] == 1 and row["系统编号"] == 7
    assert row["标题"] == "=HYPERLINK(\"x\")"
    cells = {c.value: c for c in sheet[gap + 3]}
    assert cells["=HYPERLINK(\"x\")"].data_type == "s"  # text, not a formula
    assert cells[datetime(2026, 12, 7, 0, 30)].number_format == "yyyy-mm-dd hh:mm"


def test_the_file_name_says_case_list_in_chinese_and_ascii() -> None:
    got = case_list.disposition(datetime(2026, 12, 7, 4, 0, tzinfo=UTC), "xlsx")
    assert got.startswith('attachment; filename="cases-20261207-1200.xlsx"')
    assert "filename*=UTF-8''%E6%A1%88%E4%BB%B6" in got
