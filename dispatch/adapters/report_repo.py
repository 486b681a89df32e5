"""Writes of the 研判 report archive (migration 0016): a report and its audit row, one transaction."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from dispatch.adapters.accounts import audit
from dispatch.stats_scope import Scope


def add_report(conn: Connection, *, kind: str, start: date, end: date, scope: Scope,
               area_name: str, requested_by: str, figures: dict[str, Any], pdf: bytes,
               xlsx: bytes) -> int | None:
    """Store a report and audit it (``report_made``); the new id, or None when a weekly report
    of that period and area is already there (nothing stored, nothing audited)."""
    rid = conn.execute(text(
        "INSERT INTO reports (kind, period_start, period_end, area_level, area_id, district_id, "
        "street_id, community_id, grid_id, area_name, requested_by, figures, pdf, xlsx) VALUES "
        "(:kind, :a, :b, :level, :area, :district, :street, :community, :grid, :name, :who, "
        "CAST(:figures AS jsonb), :pdf, :xlsx) ON CONFLICT (period_start, period_end, area_level, "
        "(COALESCE(area_id, 0))) WHERE kind = 'weekly' DO NOTHING RETURNING id"),
        {"kind": kind, "a": start, "b": end, "level": scope.level, "area": scope.area_id,
         "district": scope.district, "street": scope.street, "community": scope.community,
         "grid": scope.grid, "name": area_name[:120], "who": requested_by[:60],
         "figures": json.dumps(figures, ensure_ascii=False, default=str), "pdf": pdf,
         "xlsx": xlsx}).scalar()
    if rid is None:
        return None
    audit(conn, actor=requested_by, action="report_made", entity="report", entity_id=int(rid),
          detail={"kind": kind, "from": start.isoformat(), "to": end.isoformat(),
                  "area": scope.as_dict(), "pdf_bytes": len(pdf), "xlsx_bytes": len(xlsx)})
    return int(rid)


def audit_download(conn: Connection, *, actor: str, report_id: int, fmt: str) -> None:
    """A report's file handed out (``report_read``)."""
    audit(conn, actor=actor, action="report_read", entity="report", entity_id=report_id,
          detail={"format": fmt})
