"""The audit CSV: a BOM for Excel, Beijing times, Chinese headers, formulas defused, a dated name."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from urllib.parse import unquote

from console.exports.audit_csv import BOM, COLUMNS, cut_line, disposition, header, rows_csv

ROW = {"id": 9, "at": datetime(2026, 5, 1, 0, 30, tzinfo=UTC), "actor": "duty",
       "action": "transition", "action_label": "状态流转", "entity": "incident",
       "entity_label": "案件", "entity_id": 5, "code": "2026-000005", "from_state": "assigned",
       "to_state": "on_scene", "reason": "到场，\"调解\",\n第二行", "detail": {"unit_id": 3}}


def parse(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_header_and_rows_parse_back() -> None:
    rows = parse(header() + rows_csv([ROW, {**ROW, "id": 10, "detail": {}, "reason": None}]))
    assert rows[0] == [label for _, label in COLUMNS]
    first = dict(zip([k for k, _ in COLUMNS], rows[1], strict=True))
    assert first["at"] == "2026-05-01 08:30:00"  # Beijing time
    assert first["reason"] == "到场，\"调解\",\n第二行"
    assert first["detail"] == '{"unit_id":3}' and first["action_label"] == "状态流转"
    assert rows[2][COLUMNS.index(("reason", "理由/说明"))] == ""
    assert len(rows) == 3


def test_cells_that_excel_would_run_as_formulas_are_text() -> None:
    out = parse(header() + rows_csv([{**ROW, "reason": "=HYPERLINK(\"http://x\")",
                                      "actor": "@evil"}]))[1]
    keys = [k for k, _ in COLUMNS]
    assert out[keys.index("reason")] == "'=HYPERLINK(\"http://x\")"
    assert out[keys.index("actor")] == "'@evil"


def test_cut_line_and_dated_filename() -> None:
    assert "100,000" in cut_line()
    value = disposition(datetime(2026, 5, 1, 16, 5, tzinfo=UTC))
    assert value.startswith('attachment; filename="audit-log-20260502-0005.csv"')
    assert unquote(value.split("UTF-8''")[1]) == "审计日志-20260502-0005.csv"
