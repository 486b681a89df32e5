"""The desk's triage queue of resident reports (扫码说事: 待审核 → 受理 or 不予受理) and the
administrator's QR posters per community and mediation room."""

from __future__ import annotations

import asyncio
import dataclasses
import html
from typing import Any, ClassVar

from console.api.dispatch import DispatchHandler
from console.api.intake_place import place_by_address
from console.api.resident import qr_svg
from console.api.schemas_resident import AcceptIn, RejectIn
from console.api.triage_scope import check_report, masked_report
from console.api.triage_stream import TriageStreamHandler
from console.bootstrap import App
from dispatch.access import scope_of
from dispatch.commands_resident import AcceptResidentReport
from dispatch.errors import InvalidCommand
from dispatch.views_resident import place, poster_places, triage_queue

STATUSES = ("pending", "accepted", "rejected")


class TriageListHandler(DispatchHandler):
    """GET ``?status=pending|accepted|rejected``: the reports, oldest waiting first."""

    actions: ClassVar[dict[str, str]] = {"GET": "desk"}

    async def get(self) -> None:
        status = self.get_query_argument("status", "pending")

        def work() -> Any:
            if status not in STATUSES:
                raise InvalidCommand("参数 status 只能是 pending、accepted 或 rejected",
                                     field="status")
            with self.app.engine.connect() as conn:
                rows = triage_queue(conn, status=status, scope=scope_of(self.who))
            return {"items": [masked_report(self.who, r) for r in rows]}
        await self.run(work)


class TriageDecision(DispatchHandler):
    """A decision on one report, refused (403, audited) outside the reader's jurisdiction."""

    def check(self, report_id: int) -> dict[str, Any]:
        with self.app.engine.connect() as conn:
            return check_report(conn, self.who, report_id, self.required_action())


class TriageAcceptHandler(TriageDecision):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.create"}

    async def post(self, report_id: str) -> None:
        def work() -> Any:
            cmd = self.body(AcceptIn).to_command(report_id=int(report_id), actor=self.actor())
            return self.accept(cmd, self.check(int(report_id)))
        await self.run(work, status=201)

    def accept(self, cmd: AcceptResidentReport, row: dict[str, Any]) -> Any:
        """An address-only report is geocoded first (the intake's rule: the best candidate,
        unambiguous and fine enough); otherwise the domain refuses it (audited) and the refusal
        carries the candidates for the dispatcher to confirm one or pick on the map."""
        if row["lon"] is not None or cmd.lon is not None or not row.get("address"):
            return self.handle(cmd)
        _, found = place_by_address(self.app.engine, {"address": row["address"]})
        top = found["candidates"][0] if found["candidates"] else None
        if found["used"] and top is not None:
            return self.handle(dataclasses.replace(cmd, lon=top["lon"], lat=top["lat"]))
        try:
            return self.handle(cmd)
        except InvalidCommand as err:
            err.detail["candidates"] = [{k: c.get(k) for k in ("address", "lon", "lat", "level",
                                                              "confidence")}
                                        for c in found["candidates"]]
            raise


class TriageRejectHandler(TriageDecision):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.create"}

    async def post(self, report_id: str) -> None:
        def work() -> Any:
            cmd = self.body(RejectIn).to_command(report_id=int(report_id), actor=self.actor())
            self.check(int(report_id))
            return self.handle(cmd)
        await self.run(work)


class PosterPlacesHandler(DispatchHandler):
    """GET (admin): the communities and mediation rooms a poster can be printed for."""

    async def get(self) -> None:
        await self.run(lambda: {"items": self.read(poster_places)})


POSTER_CSS = """
@page{size:A4;margin:0}
body{margin:0;font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#14263d}
.sheet{width:210mm;height:297mm;box-sizing:border-box;padding:22mm 20mm;display:flex;
flex-direction:column;align-items:center;text-align:center}
h1{font-size:40pt;margin:0 0 4mm;color:#b3261e} h2{font-size:20pt;margin:0 0 10mm;font-weight:500}
.qr svg{width:120mm;height:120mm} .steps{font-size:15pt;margin:8mm 0 4mm}
.url{font-family:monospace;font-size:12pt;color:#445} .note{font-size:12pt;color:#556;margin-top:6mm}
@media screen{body{background:#888}.sheet{background:#fff;margin:10mm auto}}
"""


class PosterHandler(DispatchHandler):
    """GET (admin) ``/api/v1/admin/posters/{at}``: a printable A4 page (print CSS) with the
    QR code of ``/report?at=…`` on this server."""

    async def get(self, at: str) -> None:
        found = await self.in_db(place, at)
        if found is None:
            self.send_error_json(404, "not_found", f"场所 “{at}” 不存在（community-ID 或 room-ID）",
                                 "at")
            return
        url = f"{self.request.protocol}://{self.request.host}/report?at={at}"
        svg = await asyncio.to_thread(qr_svg, url, scale=10)
        name = html.escape(f"{found.get('parent') or ''} {found['name']}".strip())
        page = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
                f"<title>扫码说事 · {name}</title><style>{POSTER_CSS}</style></head><body>"
                "<div class='sheet'><h1>扫码说事</h1>"
                f"<h2>{name}</h2><div class='qr'>{svg}</div>"
                "<div class='steps'>手机扫码 → 说明情况 → 记下查询码 → 随时查看进度</div>"
                "<div class='steps'>受理 → 分派 → 处置 → 办结 → 回访</div>"
                f"<div class='url'>{html.escape(url)}</div>"
                "<div class='note'>可匿名反映；紧急情况请拨打 110。</div></div></body></html>")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(page)


def triage_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/triage/reports", TriageListHandler, args),
        (r"/api/v1/triage/stream", TriageStreamHandler, args),
        (r"/api/v1/triage/reports/([0-9]{1,9})/accept", TriageAcceptHandler, args),
        (r"/api/v1/triage/reports/([0-9]{1,9})/reject", TriageRejectHandler, args),
        (r"/api/v1/admin/posters", PosterPlacesHandler, args),
        (r"/api/v1/admin/posters/((?:community|room)-[0-9]{1,9})", PosterHandler, args),
    ]

