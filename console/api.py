"""JSON HTTP API under /api/v1 (Tornado handlers on Panel's server): health and layers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
from sqlalchemy import Connection, text
from tornado.web import RequestHandler

from console.bootstrap import App
from dispatch.queries import available_unit_points, incident_features, unit_features
from geo.queries import TERRITORY_LAYERS, territory_counts, territory_layer
from geo.routing_cover import coverage
from layers.coverage import coverage_features
from layers.registry import LAYERS, feature_collection


class ApiHandler(RequestHandler):
    """Base: JSON out, Chinese errors that name the field, database work off the event loop."""

    def initialize(self, app: App) -> None:
        self.app = app

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
        if name in TERRITORY_LAYERS:
            feats = await self.in_db(territory_layer, name)
        elif name == "units":
            feats = await self.in_db(unit_features)
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

        def run(conn: Connection) -> dict[str, Any]:
            drive, walk = available_unit_points(conn)
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
