"""Statistics faces of the API (/api/v1/stats/...) and the StatsHub behind them and the map wall.

The hub is one per server process: it caches each statistic per scope for a few seconds, so ten
walls and a dozen API clients cost one computation per interval, and one background thread
recomputes what subscribed wall sessions show and hands it to them (DESIGN.md, "five things that
hurt" #4). Sessions receive snapshots through a callback they schedule on their own document.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from console.api import ApiHandler
from console.api_geo import BadInput, int_arg
from console.auth_scope import visible_ids
from console.bootstrap import App
from console.hub_base import Hub, per_app
from console.notify import fan_out
from dispatch import stats
from dispatch.stats import Scope
from geo.db import libpq_url
from geo.queries import territory_layer
from layers.wall import case_features, density_breaks, grid_features

log = logging.getLogger(__name__)
INTERVAL_S = 5.0
KEEP_S = 600.0  # cache entries unused this long are dropped: the cache stays bounded
SHAPES_MAX_AGE_S = 600.0  # territory outlines change only on import
DEBOUNCE_S, MIN_GAP_S = 0.1, 0.6  # after a NOTIFY: wait for the burst; at most ~1.7 refreshes/s
IGNORED = frozenset({"unit_moved"})  # no figure on the wall depends on where a unit stands


@dataclass
class _Sub:
    scope: Scope
    deliver: Callable[[dict[str, Any]], None]


class StatsHub(Hub[_Sub]):
    """Cached statistics and one refresh thread per process (started by the first subscriber,
    ended with the last; console.hub_base)."""

    thread_name = "wall-stats"

    def __init__(self, engine: Engine, *, interval: float = INTERVAL_S, days: int = 30,
                 conninfo: str | None = None) -> None:
        super().__init__(conninfo)  # None: no listener, the interval only
        self.engine = engine
        self.interval = interval
        self.days = days
        self._dirty = False
        self._last_refresh = 0.0
        self._cache: dict[Hashable, tuple[float, Any]] = {}
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self.computations = 0  # how many statistics were computed (tests, diagnostics)

    # ---- cache ------------------------------------------------------------------------------
    def cached(self, key: Hashable, compute: Callable[[Connection], Any], *,
               max_age: float | None = None) -> Any:
        """``compute(conn)`` at most once per ``max_age`` seconds per key, process-wide."""
        age = self.interval if max_age is None else max_age
        with self._lock:
            hit = self._cache.get(key)
            if hit and time.monotonic() - hit[0] < age:
                return hit[1]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # a second caller for the same key waits for the first's answer
            with self._lock:
                hit = self._cache.get(key)
                if hit and time.monotonic() - hit[0] < age:
                    return hit[1]
            with self.engine.connect() as conn:
                value = compute(conn)
            now = time.monotonic()
            with self._lock:
                self.computations += 1
                self._cache[key] = (now, value)
                for k in [k for k, (t, _) in self._cache.items() if now - t > KEEP_S]:
                    self._cache.pop(k, None)
                    self._key_locks.pop(k, None)
            return value

    def board(self, scope: Scope, *, max_age: float | None = None) -> dict[str, Any]:
        return dict(self.cached(("wall", scope, self.days),
                                lambda c: stats.wall_snapshot(c, scope, days=self.days),
                                max_age=max_age))

    def shape(self, scope: Scope) -> dict[str, Any]:
        return dict(self.cached(("shape", scope), lambda c: stats.area(c, scope, shape=True),
                                max_age=SHAPES_MAX_AGE_S))

    def heat(self, *, max_age: float | None = None) -> dict[str, Any]:
        """Territory-wide: every grid's intake, open and overdue, and the open cases (masked)."""
        def compute(conn: Connection) -> dict[str, Any]:
            return {"grids": stats.grid_heat(conn, days=self.days),
                    "cases": stats.open_cases(conn)}
        return dict(self.cached(("heat", self.days), compute, max_age=max_age))

    def grid_shapes(self) -> list[dict[str, Any]]:
        return list(self.cached(("grid_shapes",), lambda c: territory_layer(c, "grids"),
                                max_age=SHAPES_MAX_AGE_S))

    # ---- subscriptions ----------------------------------------------------------------------
    def subscribe(self, scope: Scope, deliver: Callable[[dict[str, Any]], None]) -> int:
        """``deliver({"board", "shape", "heat"})`` is called from the hub's thread every interval
        (and soon after :meth:`rescope`); ``{"error": ...}`` when the database fails."""
        token = self._add(_Sub(scope, deliver))
        self._wake.set()
        return token

    def rescope(self, token: int, scope: Scope) -> None:
        with self._lock:
            if token in self._subs:
                self._subs[token].scope = scope
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            with self._lock:
                if self._ending():
                    return
                subs = list(self._subs.values())
            force = self._dirty
            if force:  # a change was committed: let a burst land, at most one refresh a second
                time.sleep(max(DEBOUNCE_S, MIN_GAP_S - (time.monotonic() - self._last_refresh)))
                self._dirty = False
            self._last_refresh = time.monotonic()
            self.refresh(subs, force=force)

    def _notified(self, payload: str) -> None:
        """From the process's listener (console.notify): a change was committed."""
        try:
            kind = json.loads(payload).get("type")
        except (ValueError, AttributeError):
            kind = None
        if kind in IGNORED:
            return
        self._dirty = True
        self._wake.set()

    def refresh(self, subs: list[_Sub], *, force: bool = False) -> None:
        """Compute once per distinct scope (again even if cached, with ``force``), then hand each
        subscriber its snapshot."""
        fresh = 0.0 if force else self.interval * 0.9
        payloads: dict[Scope, dict[str, Any]] = {}
        try:
            heat = self.heat(max_age=fresh)
            if force:  # the map's points first (~30 ms at city scale), the figures after them
                self._deliver_all(subs, lambda _sub: {"heat": heat, "early": True})
            for sub in subs:
                if sub.scope not in payloads:
                    payloads[sub.scope] = {"board": self.board(sub.scope, max_age=fresh),
                                           "shape": self.shape(sub.scope), "heat": heat}
        except Exception as exc:  # the database is down or busy: say so, try again next time
            log.warning("wall statistics failed: %s", exc)
            error = {"error": f"数据暂不可用（{type(exc).__name__}），稍后自动重试"}
            payloads = dict.fromkeys({s.scope for s in subs}, error)
        self._deliver_all(subs, lambda sub: payloads[sub.scope])

    @staticmethod
    def _deliver_all(subs: list[_Sub], payload: Callable[[_Sub], dict[str, Any]]) -> None:
        fan_out(subs, lambda sub: sub.deliver(payload(sub)), "wall delivery")


_HUBS: dict[int, tuple[App, StatsHub]] = {}
_HUBS_LOCK = threading.Lock()


def stats_hub(app: App) -> StatsHub:
    """The process's hub for ``app``, made on first use (never at import)."""
    return per_app(_HUBS, _HUBS_LOCK, app,
                   lambda a: StatsHub(a.engine, conninfo=libpq_url(a.engine)))


# ---- HTTP faces --------------------------------------------------------------------------------

class StatsHandler(ApiHandler):
    """Scope from ``street`` / ``community`` / ``grid`` (the most specific wins, parents must
    agree), ``days`` 1-365 (default 30); answers come from the process's hub cache."""

    def initialize(self, app: App) -> None:
        super().initialize(app)
        self.hub = stats_hub(app)

    def scope_args(self, conn: Connection) -> Scope:
        given: dict[str, int] = {}
        for level in ("street", "community", "grid"):
            if self.get_query_argument(level, None) not in (None, ""):
                given[level] = int_arg(self, level, 0, 1, 2**31 - 1)
        if not given:
            return Scope()
        level = [lv for lv in ("street", "community", "grid") if lv in given][-1]
        scope = stats.resolve_scope(conn, level, given[level])
        if scope is None:
            raise LookupError(f"{ {'street': '街道', 'community': '社区', 'grid': '网格'}[level]} "
                              f"{given[level]} 不存在")
        for lv, value in given.items():
            if getattr(scope, lv) != value:
                raise BadInput(lv, f"参数 {lv}={value} 与 {level}={given[level]} 的上级不符")
        return scope

    async def answer(self, work: Callable[[Scope, int], Any]) -> None:
        """Parse scope and days, run ``work(scope, days)`` off the event loop, send its answer."""
        try:
            days = int_arg(self, "days", 30, 1, 365)
            scope = await self.in_db(self.scope_args)
        except BadInput as exc:
            self.send_error_json(400, "bad_value", str(exc), exc.field)
            return
        except LookupError as exc:
            self.send_error_json(404, "no_area", str(exc))
            return
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
            scope = Scope() if self.top else scope
            return {"days": days, "level": stats.CHILD.get(scope.level),
                    "areas": self.stat(stats.ranking, scope, days=days)}
        await self.answer(work)


class WallHandler(StatsHandler):
    """What a wall shows for a scope: the same cached snapshot the wall sessions get."""

    async def get(self) -> None:
        await self.answer(lambda s, d: self.hub.board(s) if d == self.hub.days
                          else self.stat(stats.wall_snapshot, s, days=d))


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
            if which == "cases":
                feats = list(case_features(heat["cases"]).values())
                with self.app.engine.connect() as conn:  # only the caller's jurisdiction
                    seen = visible_ids(conn, self.who, (_cid(f) for f in feats))
                return {"type": "FeatureCollection", "name": "cases",
                        "features": [f for f in feats if _cid(f) in seen]}
            b = breaks if breaks is not None else density_breaks(
                r["intake"] for r in heat["grids"])
            density, overdue = grid_features(self.hub.grid_shapes(), heat["grids"], b)
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
