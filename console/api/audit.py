"""Administrators search and export the audit log: ``/api/v1/admin/audit`` and ``audit.csv``.

Both sit under ``/api/v1/admin/`` and so need the administrator's role (refusals are audited by
:class:`console.api.router.ApiHandler`). Rows come masked (names, phones, ID and door numbers). The CSV
is streamed from one server-side cursor in batches of :data:`dispatch.views_audit.MAX_PAGE`
rows, at most :data:`console.exports.audit_csv.MAX_ROWS` (the last line says when it was cut), and the
export itself is written to the audit log with its filter before the first byte leaves.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from tornado.iostream import StreamClosedError
from tornado.web import HTTPError

from console.api.dispatch import DispatchHandler
from console.auth import audit_access
from console.bootstrap import App
from console.exports import audit_csv
from dispatch.errors import DispatchError, InvalidCommand
from dispatch.views_audit import (
    AuditQuery,
    parse_cursor,
    parse_limit,
    parse_query,
    search_audit,
    stream_batches,
)


class AuditHandler(DispatchHandler):
    """Shared: the query string as the view's filter (bad values: 422 naming the field)."""

    def args(self) -> dict[str, list[str]]:
        try:
            return {k: self.get_query_arguments(k) for k in self.request.query_arguments}
        except HTTPError:  # undecodable bytes in the query string
            raise InvalidCommand("查询参数不是有效的 UTF-8", field="query") from None

    def query(self) -> AuditQuery:
        return parse_query(self.args())

    def refuse(self, err: DispatchError) -> None:
        self.send_error_json(err.status, err.code, err.message,
                             str(err.detail.get("field") or "") or None)


class AuditSearchHandler(AuditHandler):
    """GET: ``{"items", "total", "total_capped", "total_label", "next", "limit"}``."""

    async def get(self) -> None:
        def work() -> dict[str, Any]:
            args = self.args()
            query = parse_query(args)
            limit = parse_limit(args["limit"][-1] if args.get("limit") else None)
            cursor = parse_cursor(args["cursor"][-1] if args.get("cursor") else None)
            with self.app.engine.connect() as conn:
                return search_audit(conn, query, limit=limit, cursor=cursor)
        await self.run(work)


class AuditCsvHandler(AuditHandler):
    """GET: the filtered log as a CSV download, newest first, cut at ``cap`` rows."""

    cap = audit_csv.MAX_ROWS

    async def get(self) -> None:
        try:
            query = self.query()
            batches = stream_batches(self.app.engine.connect, query, cap=self.cap)
            # the first batch before any header: a refused or too broad filter gets its 4xx
            batch = await asyncio.to_thread(next, batches, None)
        except DispatchError as err:
            self.refuse(err)
            return
        try:
            await audit_access(self.app.engine, actor=self.who.actor, action="audit_export",
                               entity="access", reason="导出审计日志（CSV）",
                               detail={"filter": query.as_dict(), "format": "csv",
                                       "cap": self.cap})
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", audit_csv.disposition(datetime.now(UTC)))
            self.set_header("Cache-Control", "no-store")
            self.set_header("X-Content-Type-Options", "nosniff")
            self.write(audit_csv.header())
            while batch is not None:
                rows, cut = batch
                self.write(audit_csv.rows_csv(rows) + (audit_csv.cut_line(self.cap) if cut
                                                       else ""))
                await self.flush()
                batch = await asyncio.to_thread(next, batches, None)
        except StreamClosedError:
            return  # the browser went away
        except DispatchError as err:
            self.write(audit_csv.broken_line(err.message))
        finally:
            await asyncio.to_thread(batches.close)  # gives the connection back
        self.finish()


def audit_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/admin/audit", AuditSearchHandler, args),
        (r"/api/v1/admin/audit\.csv", AuditCsvHandler, args),
    ]
