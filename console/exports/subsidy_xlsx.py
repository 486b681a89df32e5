"""The monthly 个案补贴 statement as an Excel workbook: one row per case, a total per person, and
the amounts used; numbers stored as numbers, text never read as a formula. A statement not
priced (the amounts not set) has no money column, and says 补贴标准未设置 where amounts would be."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from analysis.subsidy import UNSET
from dispatch.vocab import DIFFICULTIES

CASE_COLUMNS = (("unit_code", "人员编号"), ("unit_name", "姓名"), ("role_label", "身份"),
                ("code", "案件编号"), ("category", "纠纷类别"), ("resolved_at", "办结时间"),
                ("recorded_difficulty", "登记难易"), ("risk_level", "风险等级"),
                ("sessions", "调解次数"), ("grade_label", "补贴难度"),
                ("outcome_label", "结果（有据）"), ("amount_yuan", "补贴（元）"))
PEOPLE_COLUMNS = (("unit_code", "人员编号"), ("unit_name", "姓名"), ("role_label", "身份"),
                  ("cases", "补贴案件数"), ("success", "调解成功（有据）"),
                  ("failed", "调解不成（有记录）"), ("amount_yuan", "补贴合计（元）"))
GRADES = ("simple", "normal", "complex")


def _put(ws: Worksheet, row: int, col: int, value: Any) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # a roster name is text, never a formula


def _head(ws: Worksheet, title: str, meta: Mapping[str, Any]) -> int:
    """The sheet's heading lines; returns the next free row."""
    lines = [(title, None), ("统计月份", meta["month"]), ("统计区域", meta["area"]),
             ("补贴标准", meta["scheme"]), ("校验码", meta.get("fingerprint"))]
    for n, (label, value) in enumerate(lines, 1):
        _put(ws, n, 1, label)
        if value is not None:
            _put(ws, n, 2, value)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    return len(lines) + 2


def _table(ws: Worksheet, top: int, columns: Sequence[tuple[str, str]],
           rows: Sequence[Mapping[str, Any]]) -> int:
    for c, (_, label) in enumerate(columns, 1):
        _put(ws, top, c, label)
        ws.cell(row=top, column=c).font = Font(bold=True)
    for r, row in enumerate(rows, top + 1):
        for c, (key, _) in enumerate(columns, 1):
            _put(ws, r, c, row.get(key))
    for c in range(1, len(columns) + 1):
        ws.column_dimensions[ws.cell(row=top, column=c).column_letter].width = 14
    return top + len(rows) + 1


def subsidy_workbook(data: Mapping[str, Any], meta: Mapping[str, Any]) -> bytes:
    """``data`` as :func:`analysis.subsidy.statement` gives it; ``meta``: ``month``, ``area``
    (its name), ``scheme`` (the pricing in words) and ``amounts`` (the policy's Subsidy as a
    dict)."""
    priced = bool(data.get("priced", True))
    money = () if priced else ("amount_yuan",)
    case_cols = tuple(c for c in CASE_COLUMNS if c[0] not in money)
    people_cols = tuple(c for c in PEOPLE_COLUMNS if c[0] not in money)
    wb = Workbook()
    cases = wb.active
    assert cases is not None
    cases.title = "个案明细"
    end = _table(cases, _head(cases, "个案补贴明细", meta), case_cols, data["cases"])
    _put(cases, end, 1, "合计")
    _put(cases, end, 2 if not priced else len(case_cols),
         int(data["total_yuan"]) if priced else f"{len(data['cases'])} 件（{UNSET}，不计金额）")

    people = wb.create_sheet("人员合计")
    end = _table(people, _head(people, "个案补贴人员合计", meta), people_cols,
                 data["people"])
    _put(people, end, 1, "合计")
    for c, key in enumerate((k for k, _ in people_cols), 1):
        if key in ("cases", "success", "failed", "amount_yuan"):
            _put(people, end, c, sum(int(p[key]) for p in data["people"]))

    rates = wb.create_sheet("补贴标准")
    top = _head(rates, "所用补贴标准（元/件）", meta)
    amounts = meta["amounts"]
    for c, label in enumerate(("补贴难度", "调解成功（有据）", "调解不成（有记录）"), 1):
        _put(rates, top, c, label)
    for r, g in enumerate(GRADES, top + 1):
        _put(rates, r, 1, DIFFICULTIES[g])
        for c, o in ((2, "success"), (3, "failed")):
            v = amounts.get(f"{o}_{g}")
            _put(rates, r, c, UNSET if v is None else int(v))
    _put(rates, top + 5, 1, "风险升档等级")
    _put(rates, top + 5, 2, int(amounts["risk_up"]))
    _put(rates, top + 6, 1, "调解次数升档")
    _put(rates, top + 6, 2, int(amounts["sessions_up"]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
