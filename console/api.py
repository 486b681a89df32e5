"""JSON HTTP API under /api/v1 (Tornado handlers on Panel's server): health and layers."""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import numpy as np
from sqlalchemy import Connection, text
from tornado.web import RequestHandler

from console.auth import audit_access, is_public
from console.auth_scope import (
    filter_incidents,
    filter_units,
    label_case_features,
    own_incident_ids,
)
from console.bootstrap import App
from dispatch.access import (
    Principal,
    area_floor,
    face_refusal,
    may,
    reaches,
    refusal,
    scope_of,
)
from dispatch.queries import available_unit_points, incident_features, unit_features
from geo.queries import TERRITORY_LAYERS, road_basemap, territory_counts, territory_layer
from geo.routing_cover import coverage
from layers.coverage import coverage_features
from layers.registry import LAYERS, feature_collection


class ApiHandler(RequestHandler):
    """Base: who is calling and may it, JSON out, Chinese errors, database work off the loop.

    Every request but the public ones (:data:`console.auth.PUBLIC_PATHS`) must carry
    credentials (401 otherwise) whose role or scopes allow the handler's action for the method
    (403 with the reason, audited). ``actions`` maps HTTP methods to :mod:`dispatch.access`
    actions; a method not listed needs ``read`` for GET and ``admin`` otherwise, so a new
    route is closed until someone says who may use it.
    """

    actions: ClassVar[dict[str, str]] = {}
    principal: Principal | None = None

    def initialize(self, app: App) -> None:
        self.app = app

    def required_action(self) -> str:
        method = self.request.method or "GET"
        if self.request.path.startswith("/api/v1/admin/"):
            return "admin"  # the admin faces, reads included, are the administrator's
        return self.actions.get(method, "read" if method in ("GET", "HEAD") else "admin")

    max_body = 1024 * 1024  # JSON and form bodies; uploads raise it on their own handler

    async def prepare(self) -> None:
        if len(self.request.body or b"") > self.max_body:
            self.principal = None
            self.send_error_json(413, "too_large",
                                 f"请求体过大（上限 {self.max_body // 1024} KB）", "body")
            return
        self.principal = await self.app.auth.of_request_async(self.app.engine, self)
        if is_public(self.request.path):
            return
        if self.principal is None:
            self.set_header("WWW-Authenticate", 'Bearer realm="fengqiao"')
            self.send_error_json(401, "not_authenticated",
                                 "未登录或登录已过期：请先登录（Authorization: Bearer 令牌、"
                                 "X-API-Key 或登录页的会话）")
            return
        if not reaches(self.principal, self.request.path):  # a key beyond its face
            await self.deny("face", face_refusal(self.principal, self.request.path))
            return
        action = self.required_action()
        if not may(self.principal, action):
            await self.deny(action)

    async def audit_refusal(self, err: Any) -> None:
        """Audit a jurisdiction refusal the domain side raised (:class:`Forbidden`)."""
        d = err.detail
        entity, eid = (("incident", d["incident_id"]) if "incident_id" in d
                       else ("unit", d["unit_id"]) if "unit_id" in d else ("access", None))
        await audit_access(self.app.engine, actor=self.who.actor, action="permission_denied",
                           entity=entity, entity_id=eid,
                           reason=str(d.get("action") or self.required_action()),
                           detail={"method": self.request.method, "path": self.request.path,
                                   "role": self.who.role, "kind": self.who.kind})

    @property
    def who(self) -> Principal:
        """The authenticated principal (set by :meth:`prepare` for every non-public route)."""
        assert self.principal is not None
        return self.principal

    async def deny(self, action: str, message: str | None = None, *,
                   entity: str = "access", entity_id: int | None = None) -> None:
        """403 with the Chinese reason; the refusal goes to the audit log."""
        p = self.who
        await audit_access(self.app.engine, actor=p.actor, action="permission_denied",
                           entity=entity, entity_id=entity_id, reason=action,
                           detail={"method": self.request.method, "path": self.request.path,
                                   "role": p.role, "kind": p.kind})
        self.send_error_json(403, "forbidden", message or refusal(p, action))

    def send_json(self, payload: Any, *, status: int = 200,
                  content_type: str = "application/json") -> None:
        self.set_status(status)
        self.set_header("Content-Type", f"{content_type}; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":")))

    def send_error_json(self, status: int, code: str, message: str,
                        field: str | None = None) -> None:
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        if field:
            body["error"]["field"] = field
        self.send_json(body, status=status)

    async def in_db(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        def work() -> Any:
            with self.app.engine.connect() as conn:
                return fn(conn, *args, **kwargs)
        return await asyncio.to_thread(work)


class HealthHandler(ApiHandler):
    """Public: load balancers and the test fixtures poll it without credentials."""

    async def get(self) -> None:
        try:
            counts = await self.in_db(territory_counts)
            version = await self.in_db(
                lambda c: c.execute(text("SELECT postgis_lib_version()")).scalar())
        except Exception as exc:  # the database is down: say so, stay up
            self.send_json({"status": "degraded", "database": f"error: {type(exc).__name__}",
                            "territory": None}, status=503)
            return
        self.send_json({"status": "ok", "database": "ok", "postgis": version,
                        "territory": counts})


class LayerHandler(ApiHandler):
    async def get(self, name: str) -> None:
        if name not in LAYERS:
            self.send_error_json(404, "unknown_layer",
                                 f"图层 “{name}” 不存在；可用图层：{'、'.join(LAYERS)}", "name")
            return
        if name == "coverage":
            await self.coverage()
            return
        merge = self.get_query_argument("merge", None)
        if merge is not None and (name != "roads" or merge != "class"):
            self.send_error_json(400, "bad_value", "参数 merge 只用于道路图层，取值 class", "merge")
            return
        if merge is not None:
            feats = await self.in_db(road_basemap)
        elif name in TERRITORY_LAYERS:
            feats = await self.in_db(territory_layer, name)
        elif name == "units":
            feats = filter_units(self.who, await self.in_db(unit_features))
        else:
            state = self.get_query_argument("state", "open")
            if state not in ("open", "all"):
                self.send_error_json(400, "bad_value", "参数 state 只能是 open 或 all", "state")
                return
            days_arg = self.get_query_argument("days", None)
            try:
                days = int(days_arg) if days_arg is not None else None
                if days is not None and not 1 <= days <= 3660:
                    raise ValueError
            except ValueError:
                self.send_error_json(400, "bad_value", "参数 days 须为 1 到 3660 的整数", "days")
                return
            feats = await self.in_db(incident_features, open_only=state == "open", days=days)
            if not scope_of(self.who).unrestricted:
                own = await self.in_db(own_incident_ids, self.who)
                feats = filter_incidents(self.who, feats, own)
            feats = label_case_features(self.who, feats)  # a title may name the parties
        self.send_json(feature_collection(name, feats), content_type="application/geo+json")


    async def coverage(self) -> None:
        """Roads the available units reach within ``minutes`` (drivers by road, walkers on foot)."""
        raw = self.get_query_argument("minutes", "15")
        try:
            within = float(raw)
            if not 1 <= within <= 120:
                raise ValueError
        except ValueError:
            self.send_error_json(400, "bad_value", "参数 minutes 须为 1 到 120 之间的数字",
                                 "minutes")
            return

        area = area_floor(self.who)  # other streets' free units: not this reader's to see
        if not area and not scope_of(self.who).unrestricted:
            area = {"street_id": -1}

        def run(conn: Connection) -> dict[str, Any]:
            drive, walk = available_unit_points(conn, area=area)
            minutes: dict[int, float] = {}
            counts = {"drive": len(drive), "walk": len(walk)}
            for profile, pts in (("drive", drive), ("walk", walk)):
                if not pts:
                    continue
                graph = self.app.graphs[profile].get(conn)
                arr = np.asarray(pts, dtype=float)
                cov = coverage(graph, arr[:, 0], arr[:, 1])
                for edge_id, seconds in zip(graph.edge_ids, cov.edge_s, strict=True):
                    if np.isfinite(seconds):
                        m = float(seconds) / 60.0
                        minutes[int(edge_id)] = min(m, minutes.get(int(edge_id), m))
            feats = coverage_features(territory_layer(conn, "roads"), minutes, within=within)
            fc = feature_collection("coverage", feats)
            fc["units"] = counts
            fc["minutes"] = within
            return fc
        self.send_json(await self.in_db(run), content_type="application/geo+json")


def api_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/health", HealthHandler, args),
        (r"/api/v1/layers/([A-Za-z0-9_\-]+)\.geojson", LayerHandler, args),
    ]
