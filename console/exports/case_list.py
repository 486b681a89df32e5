"""The case list as a file: CSV (UTF-8 with a BOM, for Excel) and Excel (real dates and numbers).

Rows arrive already cut to the reader's jurisdiction and masked as the list shows them
(:func:`console.api.auth_scope.case_list_rows`); this module only lays them out. Both files
open with the same header block: what was exported, by whom, when, and each filter.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from dispatch import vocab
from dispatch.model import BEIJING

BOM = "\ufeff"
# (key, header, kind): kind "time" is a Beijing time, "int" a number, "list" joined names
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("code", "案件编号", "text"), ("title", "标题", "text"),
    ("category_label", "类别", "text"), ("state_label", "状态", "text"),
    ("priority_label", "紧急程度", "text"), ("channel_label", "来源渠道", "text"),
    ("street_name", "街道", "text"), ("community_name", "社区", "text"),
    ("grid_name", "网格", "text"), ("address", "地址", "text"),
    ("reported_at", "受理时间", "time"), ("close_deadline", "办结时限", "time"),
    ("resolved_at", "办结时间", "time"), ("outcome_label", "办结结果", "text"),
    ("units", "处置力量", "list"), ("risk_level", "风险等级", "int"),
    ("masked", "个人信息已遮蔽", "bool"), ("id", "系统编号", "int"),
)
# A cell Excel would read as a formula (CSV injection): shown as text with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMAT = "%Y-%m-%d %H:%M"


def header_lines(*, actor: str, at: datetime, filters: list[tuple[str, str]],
                 rows: int) -> list[list[str]]:
    """The block above the table: title, who and when, each filter, the row count."""
    lines = [["案件列表导出"],
             ["导出人", actor],
             ["导出时间（北京时间）", at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")],
             *([name, value] for name, value in filters),
             ["案件数", str(rows)]]
    return lines


def _safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _text(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "time" and isinstance(value, datetime):
        return value.astimezone(BEIJING).strftime(TIME_FORMAT)
    if kind == "list":
        return "、".join(str(v) for v in value or ())
    if kind == "bool":
        return "是" if value else "否"
    return _safe(str(value))


def labelled(row: Mapping[str, Any]) -> dict[str, Any]:
    """A list row with the Chinese names of its codes (the file shows names, not codes)."""
    out = dict(row)
    out["category_label"] = vocab.CATEGORIES.get(str(row.get("category")), row.get("category"))
    out["state_label"] = vocab.INCIDENT_STATES.get(str(row.get("state")), row.get("state"))
    out["channel_label"] = vocab.CHANNELS.get(str(row.get("channel")), row.get("channel"))
    out["priority_label"] = vocab.PRIORITIES.get(row.get("priority") or 0, "")
    out["outcome_label"] = vocab.OUTCOMES.get(str(row.get("outcome")), None)
    return out


def csv_text(rows: Iterable[Mapping[str, Any]], *, head: list[list[str]]) -> str:
    """The CSV file: BOM, the header block, an empty line, the column names, the rows."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerows([[_safe(c) for c in line] for line in head])
    w.writerow([])
    w.writerow([label for _, label, _ in COLUMNS])
    for r in rows:
        lr = labelled(r)
        w.writerow([_text(kind, lr.get(key)) for key, _, kind in COLUMNS])
    return BOM + buf.getvalue()


def xlsx_bytes(rows: Iterable[Mapping[str, Any]], *, head: list[list[str]]) -> bytes:
    """The Excel workbook: one sheet, the header block, then the table with dates as dates
    (Beijing time, no zone: Excel has none), numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("案件列表")
    bold = Font(bold=True)
    for line in head:
        ws.append([_xtext(ws, c) for c in line])
    ws.append([])
    names = []
    for _, label, _ in COLUMNS:
        cell = WriteOnlyCell(ws, value=label)
        cell.font = bold
        names.append(cell)
    ws.append(names)
    for r in rows:
        lr = labelled(r)
        out: list[Any] = []
        for key, _, kind in COLUMNS:
            value = lr.get(key)
            if value is None:
                out.append(None)
            elif kind == "time" and isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value=value.astimezone(BEIJING).replace(tzinfo=None))
                cell.number_format = "yyyy-mm-dd hh:mm"
                out.append(cell)
            elif kind == "int":
                out.append(int(value))
            elif kind == "bool":
                out.append("是" if value else "否")
            elif kind == "list":
                out.append("、".join(str(v) for v in value or ()))
            else:
                out.append(_xtext(ws, str(value)))
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xtext(ws: Any, text: str) -> Any:
    """Text as a text cell: openpyxl would store ``=…`` as a formula Excel runs."""
    if not text.startswith("="):
        return text
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    return cell


def disposition(at: datetime, ext: str) -> str:
    """``attachment`` with an ASCII name and the Chinese one (RFC 5987)."""
    stamp = at.astimezone(BEIJING).strftime("%Y%m%d-%H%M")
    name = f"案件列表-{stamp}.{ext}"
    return (f'attachment; filename="cases-{stamp}.{ext}"; '
            f"filename*=UTF-8''{quote(name)}")
