"""The home map's dispute layers over HTTP: ``/api/v1/map/heat.geojson`` (historical cases as
grid-cell heat) and ``/api/v1/map/incidents.geojson`` (open cases with their running deadline).
Both carry nothing personal: no title, name, phone or address."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from console.api.auth_scope import filter_incidents, own_incident_ids
from console.api.router import ApiHandler
from console.bootstrap import App
from dispatch.access import area_filter, scope_of
from dispatch.queries import incident_features
from dispatch.views_map import history_points
from layers.heat import heat_cells, with_deadlines
from layers.registry import feature_collection
from layers.tiles import tile_shift_px

HEAT_TTL_S = 60.0  # history changes slowly; one computation a minute per (days, cell) at most
PUBLIC_PROPS = ("id", "code", "category", "state", "priority", "risk_level", "street_id",
                "community_id", "grid_id", "micro_grid_id", "reported_at", "clock", "due",
                "overdue", "colour")


def _bounded_int(handler: ApiHandler, name: str, default: int, lo: int, hi: int) -> int | None:
    raw = handler.get_query_argument(name, str(default))
    try:
        value = int(raw)
        if not lo <= value <= hi:
            raise ValueError
    except ValueError:
        handler.send_error_json(400, "bad_value", f"参数 {name} 须为 {lo} 到 {hi} 的整数", name)
        return None
    return value


class HeatHandler(ApiHandler):
    """``?days=365&cell=250``: cells of ``cell`` metres with their case count and class."""

    cache: ClassVar[dict[tuple[Any, ...], tuple[float, dict[str, Any]]]] = {}

    async def get(self) -> None:
        days = _bounded_int(self, "days", 365, 1, 3660)
        if days is None:
            return
        cell = _bounded_int(self, "cell", 250, 50, 5000)
        if cell is None:
            return
        # an aggregate too: a street's reader gets its street's history only
        area = area_filter(self.who)  # a field account without a grid: none
        key = (id(self.app), days, cell, repr(sorted(area.items())))
        hit = self.cache.get(key)
        if hit is None or time.monotonic() - hit[0] > HEAT_TTL_S:
            points = await self.in_read_db(history_points, days=days, area=area)
            fc = heat_cells(points, cell_m=float(cell))
            fc["days"] = days
            fc["cases"] = len(points)
            hit = (time.monotonic(), fc)
            self.cache[key] = hit
        self.send_json(hit[1], content_type="application/geo+json")


class OpenCasesHandler(ApiHandler):
    """Open located cases, coloured by priority, with ``due`` and ``overdue``."""

    async def get(self) -> None:
        feats = await self.in_read_db(incident_features, open_only=True)
        if not scope_of(self.who).unrestricted:  # a street sees its own cases only
            own = await self.in_db(own_incident_ids, self.who)
            feats = filter_incidents(self.who, feats, own)
        fc = feature_collection("incidents", with_deadlines(feats, datetime.now(UTC)))
        for f in fc["features"]:
            props = f["properties"]
            f["properties"] = {k: props.get(k) for k in PUBLIC_PROPS}
        self.send_json(fc, content_type="application/geo+json")


class TileShiftHandler(ApiHandler):
    """``?z=&x=&y=``: pixels to move that GCJ-02 tile so it lies under our WGS-84 data."""

    async def get(self) -> None:
        z = _bounded_int(self, "z", 0, 0, 22)
        if z is None:
            return
        x = _bounded_int(self, "x", 0, 0, 2 ** z - 1)
        if x is None:
            return
        y = _bounded_int(self, "y", 0, 0, 2 ** z - 1)
        if y is None:
            return
        dx, dy = tile_shift_px(z, x, y)
        self.send_json({"z": z, "x": x, "y": y, "dx": round(dx, 2), "dy": round(dy, 2)})


def map_layer_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [(r"/api/v1/map/heat\.geojson", HeatHandler, args),
            (r"/api/v1/map/incidents\.geojson", OpenCasesHandler, args),
            (r"/api/v1/map/tile-shift", TileShiftHandler, args)]
