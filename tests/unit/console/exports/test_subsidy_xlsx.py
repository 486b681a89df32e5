"""The 个案补贴 workbook: three sheets, numbers as numbers, the heading names month, area and
amounts, and a roster name that looks like a formula stays text."""

from __future__ import annotations

import io
from dataclasses import asdict

from openpyxl import load_workbook

from console.exports.subsidy_xlsx import subsidy_workbook
from dispatch.policy import Subsidy


def test_workbook_round_trips_the_statement() -> None:
    case = {"unit_code": "M1", "unit_name": "=HYPERLINK(\"x\")", "role_label": "人民调解员",
            "code": "2026-000001", "category": "邻里纠纷", "resolved_at": "2026-11-01 10:00",
            "recorded_difficulty": "一般", "risk_level": 2, "sessions": 1, "grade_label": "疑难复杂",
            "outcome_label": "调解成功（有据）", "amount_yuan": 300}
    person = {"unit_code": "M1", "unit_name": case["unit_name"], "role_label": "人民调解员",
              "cases": 1, "success": 1, "failed": 0, "amount_yuan": 300}
    data = {"cases": [case], "people": [person], "total_yuan": 300, "count": 1}
    meta = {"month": "2026-11", "area": "示例街道", "scheme": "按月统计……",
            "amounts": asdict(Subsidy()), "fingerprint": "0123abcd"}
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
