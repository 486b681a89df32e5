"""The weekly 研判 report as an Excel workbook (openpyxl): one sheet per table, numbers as numbers.

The sheets are :func:`analysis.report_tables.tables` (the PDF's tables), in order, with a first
sheet naming the report, its area and period; written in write-only mode (streamed rows).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook  # loaded at the server's start anyway (subsidy_xlsx)

from analysis.report_tables import Table, tables


def render_report_xlsx(figures: Mapping[str, Any], tabs: Sequence[Table] | None = None) -> bytes:
    """The report (figures from :func:`analysis.report.assemble`) as .xlsx bytes; ``tabs`` its
    :func:`analysis.report_tables.tables` when already made (for the PDF too)."""
    wb = Workbook(write_only=True)
    info = wb.create_sheet("报告")
    p = figures["period"]
    for row in (("报告", figures["title"]), ("区域", figures["area"]["name"]),
                ("统计期起", p["from"]), ("统计期止", p["to"]), ("天数", p["days"]),
                ("生成时间", figures["made_at"]),
                ("说明", "不含当事人姓名、电话、身份证号；地址与事由已脱敏")):
        info.append(list(row))
    for t in tables(figures) if tabs is None else tabs:
        ws = wb.create_sheet(t.name[:31])
        ws.append(list(t.headers))
        for r in t.rows:
            ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
