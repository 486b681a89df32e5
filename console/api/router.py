"""JSON HTTP API under /api/v1 (Tornado handlers on Panel's server): health and layers."""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import numpy as np
from sqlalchemy import Connection
from tornado import httputil
from tornado.web import RequestHandler, stream_request_body

from console.api import request_guard
from console.api.auth_scope import (
    filter_incidents,
    filter_units,
    label_case_features,
    own_incident_ids,
)
from console.api.faults import RETRY_AFTER_S, DatabaseFaults
from console.auth import COOKIE, audit_access, is_public
from console.bootstrap import App
from dispatch.access import (
    Principal,
    area_filter,
    face_refusal,
    may,
    reaches,
    refusal,
    scope_of,
)
from dispatch.queries import available_unit_points, incident_features, unit_features
from geo.queries import (
    TERRITORY_LAYERS,
    ping,
    postgis_version,
    road_basemap,
    territory_counts,
    territory_layer,
)
from geo.routing_cover import coverage
from layers.coverage import coverage_features
from layers.registry import LAYERS, feature_collection

# All an account whose password was reset may call before it changes it.
CHANGE_FIRST = frozenset({"/api/v1/auth/me", "/api/v1/auth/logout", "/api/v1/auth/password"})



@stream_request_body
class ApiHandler(DatabaseFaults, RequestHandler):
    """Base: who is calling and may it, JSON out, Chinese errors, database work off the loop.

    Every request but the public ones (:data:`console.auth.PUBLIC_PATHS`) must carry
    credentials (401 otherwise) whose role or scopes allow the handler's action for the method
    (403 with the reason, audited). ``actions`` maps HTTP methods to :mod:`dispatch.access`
    actions; a method not listed needs ``read`` for GET and ``admin`` otherwise, so a new
    route is closed until someone says who may use it.

    The body streams in only after :meth:`prepare` said yes: a ``Content-Length`` above the
    route's :attr:`max_body` gets 413 before a byte is read or a credential looked up, and a
    write carried by the session cookie must come from the console's own pages
    (:func:`console.api.request_guard.cross_site_refusal`, 403, audited).
    """

    actions: ClassVar[dict[str, str]] = {}
    principal: Principal | None = None
    max_body = request_guard.JSON_BODY  # JSON and form bodies; uploads raise it on their handler
    body_types: ClassVar[tuple[str, ...]] = request_guard.JSON_TYPES  # for cookie-carried writes

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("post", "put", "patch", "delete"):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_with_body", False):
                setattr(cls, name, _after_body(method))

    def initialize(self, app: App) -> None:
        self.app = app
        self._chunks: list[bytes] = []
        self._received = 0

    def required_action(self) -> str:
        method = self.request.method or "GET"
        if self.request.path.startswith("/api/v1/admin/"):
            return "admin"  # the admin faces, reads included, are the administrator's
        return self.actions.get(method, "read" if method in ("GET", "HEAD") else "admin")

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if not self._finished and self._received <= self.max_body:
            self._chunks.append(chunk)

    def body_arrived(self) -> None:
        """The streamed body as ``request.body`` and its form fields and files (idempotent)."""
        if not self._chunks:
            return
        req = self.request
        req.body = b"".join(self._chunks)
        self._chunks = []
        httputil.parse_body_arguments(req.headers.get("Content-Type", ""), req.body,
                                      req.body_arguments, req.files, req.headers)
        for k, v in req.body_arguments.items():
            req.arguments.setdefault(k, []).extend(v)

    async def prepare(self) -> None:
        too_large = request_guard.size_refusal(self.request.headers, self.max_body)
        if too_large is not None:
            self.principal = None
            self.send_error_json(too_large.status, too_large.code, too_large.message, "body")
            return
        self.principal = await self.app.auth.of_request_async(self.app.engine, self)
        if is_public(self.request.path):
            self._open_body()
            return
        if self.principal is None:
            self.set_header("WWW-Authenticate", 'Bearer realm="fengqiao"')
            self.send_error_json(401, "not_authenticated",
                                 "未登录或登录已过期：请先登录（Authorization: Bearer 令牌、"
                                 "X-API-Key 或登录页的会话）")
            return
        if self.principal.must_change_password and self.request.path not in CHANGE_FIRST:
            self.send_error_json(403, "password_change_required",
                                 "密码已被重置：请先修改密码（POST /api/v1/auth/password）")
            return
        if not reaches(self.principal, self.request.path):  # a key beyond its face
            await self.deny("face", face_refusal(self.principal, self.request.path))
            return
        if self.by_cookie():
            refused = request_guard.cross_site_refusal(
                self.request.method or "GET", self.request.headers, self.app.served.origins,
                body=self._body_expected(), body_types=self.body_types)
            if refused is not None:
                await self.refuse_cross_site(refused)
                return
        action = self.required_action()
        if not may(self.principal, action):
            await self.deny(action)
            return
        self._open_body()

    def _open_body(self) -> None:
        """Let the body in up to :attr:`max_body`; a refused request's body is never read (the
        connection closes at the server's 1 MB ceiling), a chunked one is cut at the limit."""
        self.request.connection.set_max_body_size(self.max_body)  # type: ignore[union-attr]

    async def refuse_cross_site(self, err: request_guard.CrossSite) -> None:
        """403 for a cookie-carried write from elsewhere; the refusal goes to the audit log."""
        h = self.request.headers
        await audit_access(self.app.engine, actor=self.who.actor, action="permission_denied",
                           reason="csrf",
                           detail={"method": self.request.method, "path": self.request.path,
                                   "role": self.who.role, "kind": self.who.kind,
                                   "origin": (h.get("Origin") or h.get("Referer") or "")[:120],
                                   "content_type": (h.get("Content-Type") or "")[:80]})
        self.send_error_json(err.status, err.code, err.message)

    def by_cookie(self) -> bool:
        """Whether the session cookie (not a bearer token or key) authenticated this request."""
        return (self.principal is not None and bool(self.get_cookie(COOKIE))
                and not self.request.headers.get("X-API-Key")
                and (self.request.headers.get("Authorization") or "")[:7].lower() != "bearer ")

    def _body_expected(self) -> bool:
        length = self.request.headers.get("Content-Length")
        if length is not None:
            return length.strip() not in ("", "0")
        return "chunked" in (self.request.headers.get("Transfer-Encoding") or "").lower()

    async def audit_refusal(self, err: Any) -> None:
        """Audit a jurisdiction refusal the domain side raised (:class:`Forbidden`)."""
        d = err.detail
        entity, eid = (("incident", d["incident_id"]) if "incident_id" in d
                       else ("unit", d["unit_id"]) if "unit_id" in d
                       else ("resident_report", d["report_id"]) if "report_id" in d
                       else ("access", None))
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

    async def in_read_db(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """:meth:`in_db` on the read side (``console.read_side``): the replica while it keeps up,
        else the primary; the ``X-FQ-Read`` header says which answered."""
        engine = self.app.read_engine()
        self.set_header("X-FQ-Read", "primary" if engine is self.app.engine else "replica")

        def work() -> Any:
            with engine.connect() as conn:
                return fn(conn, *args, **kwargs)
        return await asyncio.to_thread(work)


def _after_body(method: Any) -> Any:
    """Wrap a write method so it runs with the streamed body in place."""
    import functools

    @functools.wraps(method)
    def run(self: ApiHandler, *args: Any, **kwargs: Any) -> Any:
        try:
            self.body_arrived()
        except httputil.HTTPInputError:  # what Tornado answers 400 for on other routes
            self.send_error_json(400, "bad_body", "请求体无法解析（表单或上传格式无效）", "body")
            return None
        return method(self, *args, **kwargs)
    run._with_body = True  # type: ignore[attr-defined]
    return run


class HealthHandler(ApiHandler):
    """Public: load balancers and the test fixtures poll it without credentials.

    Anonymous callers (and API keys) learn up or down only; a logged-in account also gets the
    PostGIS version and the territory counts (the home page's side panel shows them)."""

    async def get(self) -> None:
        detailed = self.principal is not None and self.principal.kind == "account"
        try:
            if not detailed:
                await self.in_db(ping)
                self.send_json({"status": "ok"})
                return
            counts = await self.in_db(territory_counts)
            version = await self.in_db(postgis_version)
        except Exception as exc:  # the database is down: say so, stay up
            self.set_header("Retry-After", str(RETRY_AFTER_S))
            self.send_json({"status": "degraded"} if not detailed else
                           {"status": "degraded", "database": f"error: {type(exc).__name__}",
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

        area = area_filter(self.who)  # other streets' free units: not this reader's to see

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
    from console.api.analysis import analysis_routes  # 研判 (it builds on this module's handler)
    from console.api.analysis_periods import period_routes  # 研判: figures over a period
    from console.api.people import people_routes  # people's records and 个案补贴
    from console.api.reports import report_routes  # 研判报告 (the same)

    args = {"app": app}
    return [
        (r"/api/v1/health", HealthHandler, args),
        (r"/api/v1/layers/([A-Za-z0-9_\-]+)\.geojson", LayerHandler, args),
        *analysis_routes(app),
        *period_routes(app),
        *people_routes(app),
        *report_routes(app),
    ]
