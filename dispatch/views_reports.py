"""Reads of the 研判 report archive: the list (without the files), one file, is a week done."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from dispatch.stats_scope import Scope

_META = ("id, kind, period_start, period_end, area_level, area_id, district_id, street_id, "
         "community_id, grid_id, area_name, requested_by, created_at, "
         "octet_length(pdf) AS pdf_bytes, octet_length(xlsx) AS xlsx_bytes")


def _row(r: Any) -> dict[str, Any]:
    d = dict(r)
    d["period_start"] = d["period_start"].isoformat()
    d["period_end"] = d["period_end"].isoformat()
    d["created_at"] = d["created_at"].isoformat()
    return d


def list_reports(conn: Connection, *, limit: int = 500) -> list[dict[str, Any]]:
    """The latest ``limit`` reports, newest first, without their files or figures."""
    rows = conn.execute(text(f"SELECT {_META} FROM reports ORDER BY created_at DESC, id DESC "
                             "LIMIT :lim"), {"lim": int(limit)}).mappings()
    return [_row(r) for r in rows]


def report_meta(conn: Connection, report_id: int) -> dict[str, Any] | None:
    row = conn.execute(text(f"SELECT {_META} FROM reports WHERE id = :i"),
                       {"i": int(report_id)}).mappings().first()
    return None if row is None else _row(row)


def report_file(conn: Connection, report_id: int, fmt: str) -> bytes | None:
    """The stored PDF or Excel file of a report."""
    if fmt not in ("pdf", "xlsx"):
        raise ValueError(fmt)
    got = conn.scalar(text(f"SELECT {fmt} FROM reports WHERE id = :i"), {"i": int(report_id)})
    return None if got is None else bytes(got)


def report_figures(conn: Connection, report_id: int) -> dict[str, Any] | None:
    return conn.scalar(text("SELECT figures FROM reports WHERE id = :i"), {"i": int(report_id)})


def weekly_done(conn: Connection, start: date, end: date, scope: Scope) -> bool:
    """Whether the weekly report of this period and area is already archived."""
    return bool(conn.scalar(text(
        "SELECT EXISTS (SELECT 1 FROM reports WHERE kind = 'weekly' AND period_start = :a "
        "AND period_end = :b AND area_level = :level AND COALESCE(area_id, 0) = :area)"),
        {"a": start, "b": end, "level": scope.level, "area": scope.area_id or 0}))
