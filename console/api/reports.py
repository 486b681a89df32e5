"""研判报告 faces (/api/v1/reports): the archive's list, making a report now, its PDF and Excel.

The list and the files are cut to the reader's jurisdiction as the figures are (a street's
reader sees its street's reports, a district's its district's and its streets', the whole
territory's readers all); a file outside it is refused (403, audited). ``POST`` makes a report
for a period and area (the area refused as :class:`console.api.stats.StatsHandler` refuses
it); its making and every download are audited. The scheduler's weekly job is
:func:`weekly_job` (wired by ``console.server.scheduler_jobs``).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import ValidationError

from analysis import periods
from analysis.report import week_before
from console.api.analysis import MAX_DAYS, party_key
from console.api.geo import BadInput
from console.api.router import ApiHandler
from console.api.schemas_reports import ReportIn
from console.api.stats import StatsHandler
from console.bootstrap import App
from console.exports.report_job import WeeklyReports, make_report
from dispatch.access import Principal, scope_of, sees_area
from dispatch.adapters.report_repo import audit_download
from dispatch.model import BEIJING
from dispatch.views_reports import list_reports, report_file, report_meta

KINDS = {"weekly": "周报", "on_demand": "即时生成"}
MEDIA = {"pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


LABELS = {"from": "统计期起", "to": "统计期止", "district": "区县", "street": "街道",
          "community": "社区", "grid": "网格"}


def readable(who: Principal, row: dict[str, Any]) -> bool:
    """Whether ``who`` may read a report of that area (as its figures)."""
    mine = scope_of(who)
    if mine.unrestricted:
        return True
    if row["area_level"] == "all":
        return False
    if row["area_level"] == "district":
        return mine.district_id == row["district_id"] and mine.street_id is None
    return sees_area(who, {"street_id": row["street_id"], "community_id": row["community_id"],
                           "grid_id": row["grid_id"]})


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "kind_label": KINDS.get(row["kind"], row["kind"]),
            "pdf": f"/api/v1/reports/{row['id']}.pdf", "xlsx": f"/api/v1/reports/{row['id']}.xlsx"}


class ReportsHandler(StatsHandler):
    """``GET``: the reports the reader may read, newest first. ``POST``: make one now."""

    actions: ClassVar[dict[str, str]] = {"GET": "wall", "POST": "wall"}
    _body: dict[str, Any] | None = None

    def get_query_argument(self, name: str, default: Any = None, strip: bool = True) -> Any:
        """On ``POST`` the area comes from the body, through the figures' one refusal path."""
        if self._body is not None:
            v = self._body.get(name)
            return default if v is None else str(v)
        return super().get_query_argument(name, default, strip)

    async def get(self) -> None:
        def work(conn: Any) -> dict[str, Any]:
            rows = [r for r in list_reports(conn) if readable(self.who, r)]
            return {"count": len(rows), "reports": [_shown(r) for r in rows]}
        self.send_json(await self.in_db(work))

    def _parse(self) -> tuple[date, date]:
        try:
            raw = json.loads(self.request.body or b"{}")
        except ValueError:
            raise BadInput("body", "请求体须为 JSON 对象") from None
        if not isinstance(raw, dict):
            raise BadInput("body", "请求体须为 JSON 对象")
        try:
            body = ReportIn.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            field = str(first["loc"][0]) if first["loc"] else "body"
            what = LABELS.get(field)
            msg = (f"{what}（{field}）取值无效" if what else f"未知的字段 {field}")
            if field in ("from", "to"):
                msg = f"{what}（{field}）须为日期 YYYY-MM-DD"
            raise BadInput(field, msg) from None
        self._body = {k: getattr(body, k) for k in ("district", "street", "community", "grid")}
        default = week_before(datetime.now(BEIJING).date())
        end = body.to or (default[1] if body.from_ is None else body.from_ + timedelta(days=6))
        start = body.from_ or (default[0] if body.to is None else end - timedelta(days=6))
        for name, d in (("from", start), ("to", end)):
            if not date(2000, 1, 1) <= d <= date(2099, 12, 31):
                raise BadInput(name, f"{LABELS[name]}（{name}）须在 2000-01-01 至 2099-12-31 之间")
        if start > end:
            raise BadInput("from", "统计期起（from）不能晚于统计期止（to）")
        if (end - start).days + 1 > MAX_DAYS:
            raise BadInput("from", f"统计期最长 {MAX_DAYS} 天（from 至 to）")
        try:  # the report compares 环比 and 同比: both base periods must be askable too
            chosen = periods.Period(start, end)
            chosen.previous()
            chosen.year_before()
        except periods.PeriodError as err:
            raise BadInput(err.field, f"统计期（{err.field}）的环比或同比对比期超出可查询范围"
                           f"（{periods.EARLIEST} 至 {periods.LATEST}）") from None
        return start, end

    async def post(self) -> None:
        got = await self.scoped(self._parse)
        if got is None:
            return
        (start, end), scope = got
        key = party_key(self.app.settings.state_dir)
        fonts = self.app.settings.state_dir / "cache" / "fonts"

        def work() -> tuple[dict[str, Any], dict[str, Any]]:
            rid, figures = make_report(self.app.engine, scope, start, end, kind="on_demand",
                                       who=self.who.actor, key=key, fonts=fonts)
            with self.app.engine.connect() as conn:
                meta = report_meta(conn, int(rid or 0))
            assert meta is not None  # an on-demand report is always stored
            return meta, figures
        meta, figures = await asyncio.to_thread(work)
        self.send_json({**_shown(meta), "figures": figures}, status=201)


class ReportFileHandler(ApiHandler):
    """A report's PDF or Excel file, for readers of its area; each download audited."""

    actions: ClassVar[dict[str, str]] = {"GET": "wall"}

    def initialize(self, app: App, fmt: str = "pdf") -> None:
        super().initialize(app)
        self.fmt = fmt

    async def get(self, report_id: str) -> None:
        fmt = self.fmt
        def meta(conn: Any) -> dict[str, Any] | None:
            return report_meta(conn, int(report_id))
        row = await self.in_db(meta)
        if row is None:
            self.send_error_json(404, "not_found", f"报告 {report_id} 不存在")
            return
        if not readable(self.who, row):
            await self.deny("wall", f"权限不足：报告 {report_id}（{row['area_name']}）不在您的辖区内",
                            entity="report", entity_id=int(report_id))
            return

        def read() -> bytes | None:
            with self.app.engine.begin() as conn:
                data = report_file(conn, int(report_id), fmt)
                audit_download(conn, actor=self.who.actor, report_id=int(report_id), fmt=fmt)
            return data
        data = await asyncio.to_thread(read)
        name = f"研判报告-{row['area_name']}-{row['period_start']}至{row['period_end']}.{fmt}"
        self.set_header("Content-Type", MEDIA[fmt])
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
        self.set_header("Cache-Control", "private, no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(data or b"")


def weekly_job(app: App) -> WeeklyReports:
    """The scheduler's weekly-report job for this deployment (policy read at each tick)."""
    state = app.settings.state_dir
    return WeeklyReports(app.engine, policy=app.dispatch.policy, key=lambda: party_key(state),
                         fonts=state / "cache" / "fonts")


def report_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/reports", ReportsHandler, args),
        (r"/api/v1/reports/(\d{1,9})\.pdf", ReportFileHandler, {**args, "fmt": "pdf"}),
        (r"/api/v1/reports/(\d{1,9})\.xlsx", ReportFileHandler, {**args, "fmt": "xlsx"}),
    ]
