"""Exports for briefings: self-contained HTML maps of a case, a street or a view (folium with
our Leaflet inlined: they open offline), and a PNG of the map wall taken by Debian's chromium
from the server side (Playwright) from the server's own address, as the caller's account sees
it (a short-lived session of that account, never the caller's credentials: console.exports.wall_render).

``GET /api/v1/export/case/{id}.html``, ``/api/v1/export/street/{id}.html``,
``/api/v1/export/view.html?bbox=minlon,minlat,maxlon,maxlat``, ``/api/v1/export/wall.png``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from console.api.auth_scope import check_incident, filter_incidents, own_incident_ids
from console.api.router import ApiHandler
from console.bootstrap import App
from console.exports import wall_render
from console.exports.map import area_map, case_map
from console.exports.wall_render import WallRenderer
from dispatch.access import Principal, scope_of, sees_area
from dispatch.errors import DispatchError, Forbidden
from dispatch.privacy import mask_incident
from dispatch.queries import incident_features
from dispatch.views import incident_detail
from geo.queries import territory_layer


def _public(f: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "code", "category", "state", "priority")
    return {"type": "Feature", "geometry": f["geometry"],
            "properties": {k: f["properties"].get(k) for k in keep}}


def _visible(conn: Connection, p: Principal, feats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Case features the caller's jurisdiction covers (all of them for the whole territory)."""
    if scope_of(p).unrestricted:
        return feats
    return filter_incidents(p, feats, own_incident_ids(conn, p))


def case_html(conn: Connection, case_id: int, p: Principal) -> str:
    check_incident(conn, p, case_id)  # 404 / 403 outside the caller's jurisdiction
    case = incident_detail(conn, case_id)
    if case.get("lon") is None:
        raise LookupError("该案件尚未定位，无法导出地图")
    grid = [f for f in territory_layer(conn, "grids") if f["properties"]["id"] == case["grid_id"]]
    micro = [f for f in territory_layer(conn, "micro_grids")
             if f["properties"]["id"] == case["micro_grid_id"]]
    return case_map(mask_incident(case), grid=grid, micro_grid=micro)  # briefings: no parties


def street_html(conn: Connection, street_id: int, p: Principal) -> str:
    street = [f for f in territory_layer(conn, "streets") if f["properties"]["id"] == street_id]
    if not street:
        raise LookupError(f"街道 {street_id} 不存在")
    if not sees_area(p, {"street_id": street_id}):  # not an empty map titled with that street
        raise Forbidden(f"街道 {street_id} 不在您的辖区内，不能导出", street_id=street_id,
                        action="read")
    comms = [f for f in territory_layer(conn, "communities")
             if f["properties"].get("street_id") == street_id]
    cases = [_public(f) for f in _visible(conn, p, incident_features(conn, open_only=True))
             if f["properties"].get("street_id") == street_id]
    name = street[0]["properties"].get("name") or street_id
    return area_map(f"{name} 在办案件分布", outline=street, parts=comms, cases=cases)


def _inside(f: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if c and isinstance(c[0], int | float):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for sub in c:
                walk(sub)
    walk(f["geometry"]["coordinates"])
    return bool(xs) and max(xs) >= box[0] and min(xs) <= box[2] and max(ys) >= box[1] \
        and min(ys) <= box[3]


def view_html(conn: Connection, box: tuple[float, float, float, float], p: Principal) -> str:
    grids = [f for f in territory_layer(conn, "grids") if _inside(f, box)]
    cases = [_public(f) for f in _visible(conn, p, incident_features(conn, open_only=True))
             if _inside(f, box)]
    return area_map("当前视图 在办案件分布", outline=[], parts=grids, cases=cases,
                    parts_kind="grid", bounds=[[box[1], box[0]], [box[3], box[2]]])


class ExportHandler(ApiHandler):
    async def html(self, fn: Any, *args: Any, filename: str, read_side: bool = True) -> None:
        """``read_side``: from the replica while it keeps up (an area's map); a single case reads
        the primary (one just registered must export, not 404)."""
        try:
            page = await (self.in_read_db if read_side else self.in_db)(fn, *args)
        except (LookupError, DispatchError) as err:
            if isinstance(err, Forbidden):
                await self.audit_refusal(err)
            if isinstance(err, DispatchError):
                self.send_error_json(err.status, err.code, err.message, "id")
            else:
                self.send_error_json(404, "not_found", str(err), "id")
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Disposition", f'inline; filename="{filename}"')
        self.set_header("Cache-Control", "no-store")
        self.finish(page)


class CaseExport(ExportHandler):
    async def get(self, case_id: str) -> None:
        await self.html(case_html, int(case_id), self.who, filename=f"case-{case_id}.html",
                        read_side=False)


class StreetExport(ExportHandler):
    async def get(self, street_id: str) -> None:
        await self.html(street_html, int(street_id), self.who,
                        filename=f"street-{street_id}.html")


class ViewExport(ExportHandler):
    async def get(self) -> None:
        raw = self.get_query_argument("bbox", "")
        try:
            box = tuple(float(v) for v in raw.split(","))
            if len(box) != 4 or not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
                raise ValueError
        except ValueError:
            self.send_error_json(400, "bad_value", "参数 bbox 须为 最小经度,最小纬度,最大经度,最大纬度",
                                 "bbox")
            return
        await self.html(view_html, box, self.who, filename="view.html")


class WallPng(ApiHandler):
    """The wall as a PNG, rendered from this server's own address (console.exports.wall_render)."""

    def initialize(self, app: App, renderer: WallRenderer) -> None:  # type: ignore[override]
        super().initialize(app)
        self.renderer = renderer

    async def get(self) -> None:
        reason = wall_render.refusal(self.who)
        if reason is not None:
            await self.deny("read", reason)
            return
        missing = self.renderer.missing
        if missing is not None:
            self.send_error_json(503, "unavailable", f"服务器未安装 {missing}，无法导出大屏图片")
            return
        try:
            png, took = await self.renderer.render(self.who)
        except wall_render.Busy:
            self.set_header("Retry-After", str(wall_render.RETRY_AFTER_S))
            self.send_error_json(503, "busy", "大屏图片导出繁忙（同一时间只渲染一张），"
                                 f"请 {wall_render.RETRY_AFTER_S} 秒后再试")
            return
        except Exception as err:  # a page that never became ready: say so, stay up
            self.send_error_json(504, "timeout", f"大屏页面未能在 {self.renderer.limit_s:.0f} 秒"
                                 f"内完成绘制：{type(err).__name__}")
            return
        self.set_header("Content-Type", "image/png")
        self.set_header("Content-Disposition", 'inline; filename="wall.png"')
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Render-Seconds", f"{took:.2f}")
        self.finish(png)


def export_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    from console.api.case_export import case_export_routes  # the case list's CSV and Excel

    args = {"app": app}
    wall = {"app": app, "renderer": WallRenderer(app)}
    return [(r"/api/v1/export/case/([0-9]+)\.html", CaseExport, args),
            (r"/api/v1/export/street/([0-9]+)\.html", StreetExport, args),
            (r"/api/v1/export/view\.html", ViewExport, args),
            (r"/api/v1/export/wall\.png", WallPng, wall),
            *case_export_routes(app)]
