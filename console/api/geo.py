"""Location faces of the API: locate, geocode, reverse geocode, the standard address list."""

from __future__ import annotations

import math
from typing import Any

import shapely.geometry
from sqlalchemy import Connection

from console.api.router import ApiHandler
from console.bootstrap import App
from geo.coords import CRS_NAMES, check_lon_lat
from geo.errors import CoordinateError
from geo.queries import address_page

MAX_PAGE = 5000


class BadInput(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def float_arg(handler: ApiHandler, name: str, label: str) -> float:
    raw = handler.get_query_argument(name, None)
    if raw is None or not raw.strip():
        raise BadInput(name, f"缺少参数 {name}（{label}）")
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(name, f"参数 {name}（{label}）须为数字，收到 “{raw[:40]}”") from None
    if not math.isfinite(value):
        raise BadInput(name, f"参数 {name}（{label}）须为有限数字")
    return value


def int_arg(handler: ApiHandler, name: str, default: int, low: int, high: int) -> int:
    raw = handler.get_query_argument(name, None)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(name, f"参数 {name} 须为整数") from None
    if not low <= value <= high:
        raise BadInput(name, f"参数 {name} 须在 {low} 到 {high} 之间")
    return value


def point_args(handler: ApiHandler) -> tuple[float, float, str]:
    """lon, lat and crs from the query, checked; the point is still in ``crs``."""
    crs = (handler.get_query_argument("crs", "wgs84") or "wgs84").lower()
    if crs not in CRS_NAMES:
        raise BadInput("crs", f"参数 crs 只能是 {'、'.join(CRS_NAMES)}，收到 “{crs[:20]}”")
    lon, lat = float_arg(handler, "lon", "经度"), float_arg(handler, "lat", "纬度")
    check_lon_lat(lon, lat)
    return lon, lat, crs


class GeoHandler(ApiHandler):
    """Turns input faults into 400s that name the field."""

    async def answer(self, work: Any) -> None:
        try:
            payload = await work()
        except BadInput as exc:
            self.send_error_json(400, "bad_value", str(exc), exc.field)
            return
        except CoordinateError as exc:
            self.send_error_json(400, "bad_coordinate", str(exc), exc.field)
            return
        except LookupError as exc:
            self.send_error_json(409, "no_territory", str(exc))
            return
        except RuntimeError as exc:  # the geocoder's name table is not built yet
            self.send_error_json(503, "not_ready", str(exc))
            return
        self.send_json(payload)


class LocateHandler(GeoHandler):
    async def get(self) -> None:
        async def work() -> dict[str, Any]:
            lon, lat, crs = point_args(self)

            def run(conn: Connection) -> dict[str, Any]:
                return self.app.locators.get(conn).locate(lon, lat, crs=crs).as_dict()
            return dict(await self.in_db(run))
        await self.answer(work)


class AddressesHandler(GeoHandler):
    async def get(self) -> None:
        async def work() -> dict[str, Any]:
            limit = int_arg(self, "limit", 100, 1, MAX_PAGE)
            offset = int_arg(self, "offset", 0, 0, 10**9)
            return dict(await self.in_db(address_page, limit=limit, offset=offset))
        await self.answer(work)


class GeocodeHandler(GeoHandler):
    """Ranked candidates for an address as people write it; [] with the deepest admin match."""

    async def get(self) -> None:
        async def work() -> dict[str, Any]:
            from geo.geocoder import geocode

            q = (self.get_query_argument("q", "") or "").strip()
            if not q:
                raise BadInput("q", "缺少参数 q（要查找的地址）")
            if len(q) > 200:
                raise BadInput("q", "参数 q 过长（上限 200 字）")
            limit = int_arg(self, "limit", 5, 1, 20)
            return dict(await self.in_db(lambda conn: geocode(conn, q, limit=limit).as_dict()))
        await self.answer(work)


class ReverseHandler(GeoHandler):
    """A human label for a point, with the whole location chain (as /locate gives it)."""

    async def get(self) -> None:
        async def work() -> dict[str, Any]:
            from geo.coords import to_wgs84
            from geo.geocoder import reverse_geocode

            lon, lat, crs = point_args(self)
            wlon_a, wlat_a = to_wgs84(lon, lat, crs)
            wlon, wlat = float(wlon_a), float(wlat_a)

            def run(conn: Connection) -> dict[str, Any]:
                rev = reverse_geocode(conn, wlon, wlat)
                out = self.app.locators.get(conn).locate(wlon, wlat).as_dict()
                out.update({"label": rev.label, "level": rev.level, "address": rev.address,
                            "label_distance_m": None if rev.distance_m is None
                            else round(rev.distance_m, 1)})
                return out
            return dict(await self.in_db(run))
        await self.answer(work)


class RouteHandler(GeoHandler):
    """ETA and distance by road between two points, drive or walk, with the path."""

    async def get(self) -> None:
        async def work() -> dict[str, Any]:
            from geo.coords import to_wgs84
            from geo.routing import route

            crs = (self.get_query_argument("crs", "wgs84") or "wgs84").lower()
            if crs not in CRS_NAMES:
                raise BadInput("crs", f"参数 crs 只能是 {'、'.join(CRS_NAMES)}")
            profile = self.get_query_argument("profile", "drive")
            if profile not in self.app.graphs:
                raise BadInput("profile", "参数 profile 只能是 drive（车行）或 walk（步行）")
            pts = []
            for end, label in (("from", "起点"), ("to", "终点")):
                lon = float_arg(self, f"{end}_lon", f"{label}经度")
                lat = float_arg(self, f"{end}_lat", f"{label}纬度")
                try:
                    check_lon_lat(lon, lat)
                except CoordinateError as exc:
                    raise BadInput(f"{end}_{exc.field or 'lon'}", str(exc)) from None
                wlon, wlat = to_wgs84(lon, lat, crs)
                pts.append((float(wlon), float(wlat)))

            def run(conn: Connection) -> dict[str, Any]:
                graph = self.app.graphs[profile].get(conn)
                r = route(graph, pts[0], pts[1])
                finite = math.isfinite(r.eta_s)
                return {
                    "eta_s": round(r.eta_s, 1) if finite else None,
                    "distance_m": round(r.distance_m, 1) if finite else None,
                    "road_s": None if math.isnan(r.road_s) else round(r.road_s, 1),
                    "method": r.method, "profile": profile,
                    "geometry": shapely.geometry.mapping(r.geometry) if not r.geometry.is_empty
                    else None,
                }
            return dict(await self.in_db(run))
        await self.answer(work)


def geo_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/locate", LocateHandler, args),
        (r"/api/v1/addresses", AddressesHandler, args),
        (r"/api/v1/route", RouteHandler, args),
        (r"/api/v1/geocode", GeocodeHandler, args),
        (r"/api/v1/reverse", ReverseHandler, args),
    ]
