"""Statistics faces of the API (/api/v1/stats/...), answered from the process's StatsHub
(``console.live.stats_hub``), the same cache the map wall reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

from sqlalchemy import Connection

from console.api.auth_scope import visible_ids
from console.api.geo import BadInput, int_arg
from console.api.router import ApiHandler
from console.bootstrap import App
from console.live.stats_hub import stats_hub
from dispatch import stats, stats_live
from dispatch.access import area_floor, scope_of, sees_area
from dispatch.stats import Scope
from geo.queries import district_exists, district_of_street
from layers.wall import case_features, density_breaks, grid_features


def _district(conn: Connection, district_id: int) -> Scope:
    if district_exists(conn, district_id):
        return Scope(district=district_id)
    raise LookupError(f"区县 {district_id} 不存在")


# ---- HTTP faces --------------------------------------------------------------------------------

class OutsideJurisdiction(Exception):
    """A figure asked for an area the reader may not see (403, audited)."""


class StatsHandler(ApiHandler):
    """Scope from ``street`` / ``community`` / ``grid`` (the most specific wins, parents must
    agree), ``days`` 1-365 (default 30); answers come from the process's hub cache.

    Figures are cut to the reader's jurisdiction (:func:`dispatch.access.sees_area`): a street
    dispatcher without a scope gets its street's figures, and another street's are refused;
    field accounts and Open311 keys read no figures (the ``wall`` action)."""

    actions: ClassVar[dict[str, str]] = {"GET": "wall"}

    def initialize(self, app: App) -> None:
        super().initialize(app)
        self.hub = stats_hub(app)

    def scope_args(self, conn: Connection) -> Scope:
        given: dict[str, int] = {}
        for level in ("street", "community", "grid"):
            if self.get_query_argument(level, None) not in (None, ""):
                given[level] = int_arg(self, level, 0, 1, 2**31 - 1)
        if self.get_query_argument("district", None) not in (None, ""):
            given["district"] = int_arg(self, "district", 0, 1, 2**31 - 1)
        scope = self._asked(conn, given)
        area = {"street_id": scope.street, "community_id": scope.community,
                "grid_id": scope.grid}
        if scope.level == "district":  # a district: the whole territory's readers, or its own
            mine = scope_of(self.who)
            if not (mine.unrestricted or (mine.district_id == scope.district
                                          and mine.street_id is None)):
                raise OutsideJurisdiction(f"区县 {scope.district} 不在您的辖区内，不能查看其统计")
        elif not sees_area(self.who, area):
            names = {"street": "街道", "community": "社区", "grid": "网格", "all": "全市"}
            raise OutsideJurisdiction(
                f"{names[scope.level]} {scope.area_id or ''} 不在您的辖区内，不能查看其统计".replace(
                    "  ", " "))
        return scope

    def _asked(self, conn: Connection, given: dict[str, int]) -> Scope:
        if not given:  # the reader's own area: the whole territory, its district or street
            floor = area_floor(self.who)
            given = {lv: int(v) for lv in ("district", "street", "community", "grid")
                     if (v := floor.get(f"{lv}_id")) is not None}
        district = given.pop("district", None)
        if not given:
            return Scope() if district is None else _district(conn, district)
        level = [lv for lv in ("street", "community", "grid") if lv in given][-1]
        scope = stats.resolve_scope(conn, level, given[level])
        if scope is None:
            raise LookupError(f"{ {'street': '街道', 'community': '社区', 'grid': '网格'}[level]} "
                              f"{given[level]} 不存在")
        for lv, value in given.items():
            if getattr(scope, lv) != value:
                raise BadInput(lv, f"参数 {lv}={value} 与 {level}={given[level]} 的上级不符")
        if district is not None:
            if district_of_street(conn, scope.street) != district:
                raise BadInput("district", f"参数 district={district} 与 {level}={given[level]} "
                               "的上级不符")
            scope = replace(scope, district=district)
        return scope

    async def scoped(self, parse: Callable[[], Any]) -> tuple[Any, Scope] | None:
        """The request's own arguments (``parse()``) and the area it reads, or None once the
        refusal is sent: a bad value 400, an unknown area 404, another jurisdiction 403 (audited)."""
        try:
            args = parse()
            scope = await self.in_db(self.scope_args)
        except BadInput as exc:
            self.send_error_json(400, "bad_value", str(exc), exc.field)
            return None
        except LookupError as exc:
            self.send_error_json(404, "no_area", str(exc))
            return None
        except OutsideJurisdiction as exc:
            await self.deny("wall", f"权限不足：{exc}")
            return None
        return args, scope

    async def answer(self, work: Callable[[Scope, int], Any]) -> None:
        """Parse scope and days, run ``work(scope, days)`` off the event loop, send its answer."""
        got = await self.scoped(lambda: int_arg(self, "days", 30, 1, 365))
        if got is not None:
            days, scope = got
            self.send_json(await asyncio.to_thread(work, scope, days))

    def stat(self, fn: Callable[..., Any], scope: Scope, **kw: Any) -> Any:
        return self.hub.cached((fn.__name__, scope, tuple(sorted(kw.items()))),
                               lambda c: fn(c, scope, **kw))


class OverviewHandler(StatsHandler):
    async def get(self) -> None:
        await self.answer(lambda s, _d: {"scope": self.stat(stats.area, s),
                                         "overview": self.stat(stats.overview, s),
                                         "definitions": definitions()})


class TrendHandler(StatsHandler):
    async def get(self) -> None:
        await self.answer(lambda s, d: {"days": d, "trend": self.stat(stats.trend, s, days=d)})


class CategoriesHandler(StatsHandler):
    async def get(self) -> None:
        await self.answer(lambda s, d: {"days": d,
                                        "categories": self.stat(stats.categories, s, days=d)})


class RankingHandler(StatsHandler):
    """The areas one level below the scope (``/stats/streets``: always the streets)."""

    def initialize(self, app: App, top: bool = False) -> None:
        super().initialize(app)
        self.top = top

    async def get(self) -> None:
        def work(scope: Scope, days: int) -> dict[str, Any]:
            floor = area_floor(self.who)
            scope = Scope() if self.top else scope
            areas = self.stat(stats.ranking, scope, days=days)
            if self.top and floor:  # the streets' ranking: the reader's own street(s) only
                mine = scope_of(self.who)
                areas = [a for a in areas if mine.covers_street(a.get("id"))]
            return {"days": days, "level": stats.CHILD.get(scope.level), "areas": areas}
        await self.answer(work)


class WallHandler(StatsHandler):
    """What a wall shows for a scope: the same cached snapshot the wall sessions get."""

    async def get(self) -> None:
        await self.answer(lambda s, d: self.hub.board(s) if d == self.hub.days
                          else self.stat(stats_live.wall_snapshot, s, days=d))


class DefinitionsHandler(StatsHandler):
    async def get(self) -> None:
        self.send_json({"definitions": definitions(), "note": stats.PERIOD_NOTE,
                        "timezone": stats.TZ})


class HubHandler(StatsHandler):
    """For support staff: how many walls this process feeds and how much it has computed."""

    async def get(self) -> None:
        self.send_json({"subscribers": self.hub.subscribers, "computations": self.hub.computations,
                        "cached": len(self.hub._cache), "interval_s": self.hub.interval,
                        "listening": self.hub.listening})


class HeatHandler(StatsHandler):
    """``heat.geojson``: every grid with its 30-day intake class (``breaks=2,5,9`` fixes the class
    bounds, as a wall's legend does); ``overdue.geojson``: grids with overdue cases now;
    ``cases.geojson``: open cases, points rounded, nothing personal."""

    async def get(self, which: str) -> None:
        try:
            breaks = self.breaks_arg()
        except BadInput as exc:
            self.send_error_json(400, "bad_value", str(exc), exc.field)
            return

        def work() -> dict[str, Any]:
            heat = self.hub.heat()
            shapes = self.hub.grid_shapes()
            if area_floor(self.who):  # grids outside the reader's jurisdiction: left out
                shapes = [f for f in shapes if sees_area(self.who, {
                    "street_id": f["properties"].get("street_id"),
                    "community_id": f["properties"].get("community_id"),
                    "grid_id": f["properties"].get("id")})]
                ids = {int(f["id"]) for f in shapes}
                heat = {**heat, "grids": [r for r in heat["grids"] if int(r["id"]) in ids]}
            if which == "cases":
                feats = list(case_features(heat["cases"]).values())
                with self.app.engine.connect() as conn:  # only the caller's jurisdiction
                    seen = visible_ids(conn, self.who, (_cid(f) for f in feats))
                return {"type": "FeatureCollection", "name": "cases",
                        "features": [f for f in feats if _cid(f) in seen]}
            b = breaks if breaks is not None else density_breaks(
                r["intake"] for r in heat["grids"])
            density, overdue = grid_features(shapes, heat["grids"], b)
            chosen = density if which == "heat" else overdue
            return {"type": "FeatureCollection", "name": which, "breaks": list(b),
                    "days": self.hub.days, "features": list(chosen.values())}
        self.send_json(await asyncio.to_thread(work), content_type="application/geo+json")

    def breaks_arg(self) -> tuple[int, ...] | None:
        raw = self.get_query_argument("breaks", None)
        if raw is None:
            return None
        try:
            values = tuple(int(v) for v in raw.split(",") if v.strip())
        except ValueError:
            raise BadInput("breaks", "参数 breaks 须为逗号分隔的递增正整数") from None
        if len(values) > 8 or any(v < 1 for v in values) or list(values) != sorted(set(values)):
            raise BadInput("breaks", "参数 breaks 须为至多 8 个递增正整数")
        return values


def _cid(feature: dict[str, Any]) -> int:
    return int(str(feature["id"]).lstrip("c"))


def definitions() -> list[dict[str, str]]:
    return [{"key": f.key, "label": f.label, "definition": f.definition, "short": f.short}
            for f in stats.FIGURES]


def stats_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/stats/overview", OverviewHandler, args),
        (r"/api/v1/stats/trend", TrendHandler, args),
        (r"/api/v1/stats/categories", CategoriesHandler, args),
        (r"/api/v1/stats/ranking", RankingHandler, args),
        (r"/api/v1/stats/streets", RankingHandler, {**args, "top": True}),
        (r"/api/v1/stats/wall", WallHandler, args),
        (r"/api/v1/stats/definitions", DefinitionsHandler, args),
        (r"/api/v1/stats/hub", HubHandler, args),
        (r"/api/v1/stats/(heat|overdue|cases)\.geojson", HeatHandler, args),
    ]
