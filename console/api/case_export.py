"""The filtered case list as a download: ``GET /api/v1/export/incidents.csv`` and ``.xlsx``.

The same query as the list (:mod:`console.api.schemas_cases`; ``limit``/``offset`` ignored:
the whole filter, in the list's order), the same jurisdiction and the same masks
(:func:`console.api.auth_scope.case_list_rows`). A filter holding more than
:data:`dispatch.limits.EXPORT_ROWS` cases is refused (400, audited), never cut silently;
every export writes its audit row (who, which filters, how many rows) before a byte leaves.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from console.api.auth_scope import case_list_rows
from console.api.router import ApiHandler
from console.api.schemas_cases import parse_query
from console.bootstrap import App
from console.exports import case_list
from dispatch import limits
from dispatch.access import Principal, scope_of
from dispatch.adapters import accounts as audit_repo
from dispatch.errors import DispatchError
from dispatch.views_cases import CaseFilter, case_count, case_rows

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel"}


class TooMany(DispatchError):
    """The filter holds more cases than one export may carry (HTTP 400)."""

    status = 400
    code = "too_many_rows"


def _audit(engine: Engine, p: Principal, *, action: str, reason: str,
           detail: dict[str, Any]) -> None:
    with engine.begin() as conn:
        audit_repo.audit(conn, actor=p.actor, action=action, entity="access", reason=reason,
                         detail=detail)


def export_file(engine: Engine, p: Principal, wanted: CaseFilter, fmt: str, *,
                cap: int = limits.EXPORT_ROWS) -> tuple[bytes, int, datetime]:
    """The file's bytes, its row count and time; :class:`TooMany` past ``cap`` (audited)."""
    scope = scope_of(p)
    detail: dict[str, Any] = {"format": fmt, "filters": wanted.as_dict(), "cap": cap}
    with engine.connect() as conn:
        total = case_count(conn, wanted, scope)
        if total > cap:
            _audit(engine, p, action="case_export_refused", reason="案件导出超过上限",
                   detail={**detail, "rows": total})
            raise TooMany(f"符合条件的案件共 {total:,} 件，超过单次导出上限 {cap:,} 件：请缩小"
                          "受理时间范围（from/to）或增加筛选条件后分批导出", field="from",
                          rows=total, cap=cap)
        rows = case_list_rows(p, case_rows(conn, wanted, scope, limit=cap))
    at = datetime.now(UTC)
    masked = sum(1 for r in rows if r.get("masked"))
    # the audit row first: an export whose record could not be written does not leave
    _audit(engine, p, action="case_export", reason=f"导出案件列表（{FORMAT_LABELS[fmt]}）",
           detail={**detail, "rows": len(rows), "masked_rows": masked})
    head = case_list.header_lines(actor=p.display_name or p.actor, at=at,
                                  filters=wanted.labels(), rows=len(rows))
    if fmt == "csv":
        return case_list.csv_text(rows, head=head).encode("utf-8"), len(rows), at
    return case_list.xlsx_bytes(rows, head=head), len(rows), at


class CaseExportHandler(ApiHandler):
    """GET: the list's filter as a CSV or Excel file."""

    async def get(self, fmt: str) -> None:
        try:
            _, wanted = parse_query(self.request.query_arguments)
            body, rows, at = await asyncio.to_thread(export_file, self.app.engine, self.who,
                                                     wanted, fmt)
        except DispatchError as err:
            self.send_json({"error": {"code": err.code, "message": err.message,
                                      **({"field": err.detail["field"]}
                                         if "field" in err.detail else {}),
                                      "detail": {k: v for k, v in err.detail.items()
                                                 if k != "field"}}}, status=err.status)
            return
        self.set_header("Content-Type", MEDIA[fmt])
        self.set_header("Content-Disposition", case_list.disposition(at, fmt))
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("X-Rows", str(rows))
        self.finish(body)


def case_export_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    return [(r"/api/v1/export/incidents\.(csv|xlsx)", CaseExportHandler, {"app": app})]
