"""The audit log as CSV for Excel: UTF-8 with a BOM, Beijing times, Chinese headers, no formulas."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from dispatch.model import BEIJING

BOM = "\ufeff"
MAX_ROWS = 100_000
COLUMNS = (("at", "时间（北京时间）"), ("actor", "操作人"), ("action_label", "操作"),
           ("action", "操作代码"), ("entity_label", "对象"), ("entity_id", "对象编号"),
           ("code", "案件编号"), ("from_state", "原状态"), ("to_state", "新状态"),
           ("reason", "理由/说明"), ("detail", "详情"), ("id", "记录号"))
# A cell Excel would read as a formula (CSV injection): shown as text with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "at" and isinstance(value, datetime):
        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    if key == "detail":
        if not value:
            return ""
        value = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    out = str(value)
    return "'" + out if out.startswith(_FORMULA_START) else out


def _rows_text(rows: Iterable[Iterable[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def header() -> str:
    """The file's start: the BOM (so Excel reads UTF-8) and the header line."""
    return BOM + _rows_text([[label for _, label in COLUMNS]])


def rows_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """Audit rows (as :func:`dispatch.views_audit.mask_row` gives them) as CSV lines."""
    return _rows_text([_cell(k, r.get(k)) for k, _ in COLUMNS] for r in rows)


def cut_line(cap: int = MAX_ROWS) -> str:
    """The last line of an export cut at ``cap`` rows."""
    return _rows_text([[f"（已截断：仅导出最新的 {cap:,} 条，请缩小时间范围或增加筛选条件后分批导出）"]])


def broken_line(message: str) -> str:
    """The last line of an export that failed half way (the status line was already sent)."""
    return _rows_text([[f"（导出中断：{message}）"]])


def disposition(now: datetime) -> str:
    """``Content-Disposition`` with a dated name, ASCII for old clients and UTF-8 (RFC 6266)."""
    stamp = now.astimezone(BEIJING).strftime("%Y%m%d-%H%M")
    return (f'attachment; filename="audit-log-{stamp}.csv"; '
            f"filename*=UTF-8''{quote(f'审计日志-{stamp}.csv')}")
