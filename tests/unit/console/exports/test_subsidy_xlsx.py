"""The 个案补贴 workbook: three sheets, numbers as numbers, the heading names month, area and
amounts, and a roster name that looks like a formula stays text."""

from __future__ import annotations

import io
from dataclasses import asdict

from openpyxl import load_workbook

from console.exports.subsidy_xlsx import subsidy_workbook
from dispatch.policy import Subsidy

SET = Subsidy(success_simple=50, success_normal=100, success_complex=300, failed_simple=0,
              failed_normal=30, failed_complex=80)


def test_workbook_round_trips_the_statement() -> None:
    case = {"unit_code": "M1", "unit_name": "=HYPERLINK(\"x\")", "role_label": "人民调解员",
            "code": "2026-000001", "category": "邻里纠纷", "resolved_at": "2026-11-01 10:00",
            "recorded_difficulty": "一般", "risk_level": 2, "sessions": 1, "grade_label": "疑难复杂",
            "outcome_label": "调解成功（有据）", "amount_yuan": 300}
    person = {"unit_code": "M1", "unit_name": case["unit_name"], "role_label": "人民调解员",
              "cases": 1, "success": 1, "failed": 0, "amount_yuan": 300}
    data = {"cases": [case], "people": [person], "total_yuan": 300, "count": 1, "priced": True}
    meta = {"month": "2026-11", "area": "示例街道", "scheme": "按月统计……",
            "amounts": asdict(SET), "fingerprint": "0123abcd"}
    wb = load_workbook(io.BytesIO(subsidy_workbook(data, meta)))
    assert wb.sheetnames == ["个案明细", "人员合计", "补贴标准"]
    ws = wb["个案明细"]
    assert [ws.cell(r, 2).value for r in (2, 3, 5)] == ["2026-11", "示例街道", "0123abcd"]
    assert ws.cell(7, 12).value == "补贴（元）" and ws.cell(8, 12).value == 300
    assert isinstance(ws.cell(8, 12).value, int) and ws.cell(8, 2).data_type == "s"
    assert ws.cell(8, 2).value == "=HYPERLINK(\"x\")" and ws.cell(9, 1).value == "合计"
    people = wb["人员合计"]
    assert people.cell(8, 7).value == 300 and people.cell(9, 7).value == 300
    rates = wb["补贴标准"]
    assert [rates.cell(r, 2).value for r in (8, 9, 10)] == [50, 100, 300]


def test_an_unpriced_statement_has_no_money_anywhere() -> None:
    # the amounts not set: the cases are listed, no column, total or rate holds a yuan figure
    case = {"unit_code": "M1", "unit_name": "甲", "role_label": "人民调解员",
            "code": "2026-000001", "category": "邻里纠纷", "resolved_at": "2026-11-01 10:00",
            "recorded_difficulty": "一般", "risk_level": 2, "sessions": 1, "grade_label": "疑难复杂",
            "outcome_label": "调解成功（有据）", "amount_yuan": None}
    person = {"unit_code": "M1", "unit_name": "甲", "role_label": "人民调解员",
              "cases": 1, "success": 1, "failed": 0, "amount_yuan": None}
    data = {"cases": [case], "people": [person], "total_yuan": None, "count": 1,
            "priced": False}
    meta = {"month": "2026-11", "area": "示例街道", "scheme": "补贴标准未设置：……",
            "amounts": asdict(Subsidy()), "fingerprint": "0123abcd"}
    wb = load_workbook(io.BytesIO(subsidy_workbook(data, meta)))
    cells = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any("元" in str(v) and "补贴标准" not in str(v) and "元/件" not in str(v)
                   for v in cells)
    ws = wb["个案明细"]
    assert ws.cell(4, 2).value.startswith("补贴标准未设置")
    assert ws.cell(7, 11).value == "结果（有据）" and ws.cell(7, 12).value is None
    assert ws.cell(9, 1).value == "合计" and "补贴标准未设置" in ws.cell(9, 2).value
    people = wb["人员合计"]
    assert people.cell(7, 6).value == "调解不成（有记录）" and people.cell(7, 7).value is None
    assert people.cell(9, 4).value == 1
    rates = wb["补贴标准"]
    assert [rates.cell(r, 2).value for r in (8, 9, 10)] == ["补贴标准未设置"] * 3
    assert not any(isinstance(v, int) and v > 10 for v in cells)
