"""研判 faces of the API (/api/v1/analysis/...): hotspots, emerging hotspots, repeats, watch list.

Thin: parameters checked here, the reader's area decided as the statistics decide it
(:class:`console.api.stats.StatsHandler`: a street's reader gets its street, another street is
refused and audited), the counts read by :mod:`analysis.queries`, the answers computed by the
analysis room. Leaders (and everyone who reads cases masked) get no personal data: addresses
masked, titles and reasons through :func:`dispatch.privacy.mask_incident`, parties only ever as
keyed hashes (the key: ``<state dir>/analysis.key``, made once per deployment, mode 0600).
"""

from __future__ import annotations

import os
import secrets
import threading
import weakref
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from analysis import queries as q
from analysis.hotspots import CELL_SIZES, Cells, MicroGrids, emerging_features, features
from analysis.repeats import near_repeats, repeat_addresses, repeat_parties
from analysis.watch import watch_list
from console.api.analysis_cache import cached
from console.api.geo import BadInput, int_arg
from console.api.jurisdiction import cut_risk, outside
from console.api.stats import StatsHandler
from console.bootstrap import App
from dispatch.access import masks_incident
from dispatch.limits import PERIOD_DAYS
from dispatch.model import BEIJING
from dispatch.privacy import mask_address, mask_incident, party_names
from dispatch.stats_scope import Scope
from dispatch.vocab import CATEGORIES
from geo.cache import SignatureCache, table_signature
from layers.hotspots import hotspot_layer

MAX_DAYS = PERIOD_DAYS  # dispatch.limits: the longest period asked for
METHOD = ("Getis-Ord Gi*（PySAL esda.G_Local，star=True，二元邻接权重含自身，正态近似）："
          "z>0 为热点、z<0 为冷点，按双侧 p 值分 90%/95%/99% 置信；微网格按共点相邻（Queen），"
          "方格按 {size} 米方格八邻域。")
_AREAS: weakref.WeakKeyDictionary[Engine, dict[tuple[Any, ...], SignatureCache[Any]]] = \
    weakref.WeakKeyDictionary()
_AREAS_LOCK = threading.Lock()
_KEYS: dict[Path, bytes] = {}


def party_key(state_dir: Path) -> bytes:
    """This deployment's HMAC key for party identities, created on first use."""
    path = state_dir / "analysis.key"
    if path not in _KEYS:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        key = path.read_bytes()
        if len(key) < 16:
            raise RuntimeError(f"{path} 不是有效的研判密钥")
        _KEYS[path] = key
    return _KEYS[path]


def _areas(engine: Engine, conn: Connection, kind: str, scope: Scope, size: int) -> Any:
    """The scope's micro-grids or cells with their weights, rebuilt when the territory changes."""
    with _AREAS_LOCK:
        caches = _AREAS.setdefault(engine, {})
        key = (kind, scope, size)
        if key not in caches:
            if len(caches) > 64:
                caches.clear()

            def build(c: Connection) -> Any:
                if kind == "micro":
                    ids, polys = q.micro_grids(c, scope)
                    return MicroGrids.build(ids, polys) if ids else None
                area = q.study_area(c, scope)
                return Cells.build(area, size_m=size) if area is not None else None
            caches[key] = SignatureCache(build, table_signature("micro_grids", "grids"))
        cache = caches[key]
    return cache.get(conn)


class AnalysisHandler(StatsHandler):
    """Scope as the statistics take it; ``from``/``to`` (YYYY-MM-DD, Beijing, inclusive; the
    last 30 days by default), ``category``."""

    def date_arg(self, name: str, default: date) -> date:
        raw = self.get_query_argument(name, None)
        if raw in (None, ""):
            return default
        try:
            value = date.fromisoformat(str(raw))
        except ValueError:
            raise BadInput(name, f"参数 {name} 须为日期（YYYY-MM-DD）") from None
        if not date(2000, 1, 1) <= value <= date(2099, 12, 31):
            raise BadInput(name, f"参数 {name} 须在 2000-01-01 至 2099-12-31 之间")
        return value

    def period(self, *, days: int = 30) -> tuple[datetime, datetime]:
        today = datetime.now(BEIJING).date()
        end = self.date_arg("to", today)
        start = self.date_arg("from", end - timedelta(days=days - 1))
        if start > end:
            raise BadInput("from", "参数 from 不能晚于 to")
        if (end - start).days + 1 > MAX_DAYS:
            raise BadInput("from", f"统计期最长 {MAX_DAYS} 天")
        return (datetime.combine(start, time(), BEIJING),
                datetime.combine(end + timedelta(days=1), time(), BEIJING))

    def category(self) -> str | None:
        raw = self.get_query_argument("category", None) or None
        if raw is not None and raw not in CATEGORIES:
            raise BadInput("category", f"参数 category 须为 {'、'.join(CATEGORIES)} 之一")
        return raw

    def grid_args(self) -> tuple[str, int]:
        # ``by``, not ``grid``: ``grid`` is the area (a 网格's id) as in every statistics face
        grid = self.get_query_argument("by", "micro") or "micro"
        if grid not in ("micro", "cell"):
            raise BadInput("by", "参数 by 须为 micro（微网格）或 cell（方格）")
        size = int_arg(self, "size", CELL_SIZES[0], min(CELL_SIZES), max(CELL_SIZES))
        if size not in CELL_SIZES:
            raise BadInput("size", f"参数 size 须为 {'、'.join(map(str, CELL_SIZES))} 之一")
        return grid, size

    async def run(self, parse: Callable[[], Any],
                  work: Callable[[Connection, Scope, Any], Any], *, geo: bool = False) -> None:
        got = await self.scoped(parse)
        if got is None:
            return
        args, scope = got
        answer = await self.in_read_db(lambda conn: work(conn, scope, args))
        self.send_json(answer, content_type="application/geo+json" if geo else "application/json")

    def _counts(self, conn: Connection, scope: Scope, grid: str, size: int, start: datetime,
                end: datetime, category: str | None) -> tuple[Any, dict[Any, float]]:
        areas = _areas(self.app.engine, conn, grid, scope, size)
        if areas is None:
            return None, {}
        if grid == "micro":
            return areas, q.micro_counts(conn, scope, start, end, category)
        return areas, areas.counts(*q.points(conn, scope, start, end, category))


def _meta(scope: Scope, grid: str, size: int, category: str | None) -> dict[str, Any]:
    return {"scope": scope.as_dict(), "by": grid, "size_m": size if grid == "cell" else None,
            "category": category, "method": METHOD.format(size=size)}


def _span(start: datetime, end: datetime) -> dict[str, str]:
    return {"from": start.date().isoformat(), "to": (end - timedelta(days=1)).date().isoformat()}


class HotspotsHandler(AnalysisHandler):
    """Gi* of the period's cases per micro-grid or square cell (``by``, ``size``); ``fdr=1``
    for the false-discovery-rate thresholds."""

    async def get(self) -> None:
        def parse() -> Any:
            return (*self.grid_args(), *self.period(), self.category(),
                    int_arg(self, "fdr", 0, 0, 1) == 1)

        def work(conn: Connection, scope: Scope, a: Any) -> dict[str, Any]:
            from analysis.gistar import gi_star

            grid, size, start, end, category, fdr = a
            areas, counts = self._counts(conn, scope, grid, size, start, end, category)
            feats = [] if areas is None else features(gi_star(counts, areas.g, fdr_correct=fdr),
                                                      areas.geojson())
            summary: dict[str, int] = {}
            for f in feats:
                summary[str(f["properties"]["class"])] = summary.get(
                    str(f["properties"]["class"]), 0) + 1
            styled = hotspot_layer({"features": feats}, significant_only=False)
            return {**styled, **_meta(scope, grid, size, category), **_span(start, end),
                    "fdr": fdr, "cases": int(sum(counts.values())), "classes": summary}
        await self.run(parse, work, geo=True)


class EmergingHandler(AnalysisHandler):
    """Each area's emerging-hotspot pattern over ``weeks`` (8-12, default 12) 7-day bins
    ending with ``to`` (default today); ``all=1`` keeps the areas with no pattern."""

    async def get(self) -> None:
        def parse() -> Any:
            _, end = self.period()
            return (*self.grid_args(), end, int_arg(self, "weeks", 12, 8, 12), self.category(),
                    int_arg(self, "all", 0, 0, 1) == 1)

        def work(conn: Connection, scope: Scope, a: Any) -> dict[str, Any]:
            # seconds of Gi* per answer: kept until the cases change (console.api.analysis_cache),
            # every area's; ``all=0`` reads the same answer without the areas of no pattern
            *key, keep_all = a
            whole = cached(self.app.engine, conn, ("emerging", scope, *key),
                           lambda c: answer(c, scope, (*key, True)))
            if keep_all:
                return whole
            return {**whole, "features": [f for f in whole["features"]
                                          if f["properties"]["pattern"] != "none"]}

        def answer(conn: Connection, scope: Scope, a: Any) -> dict[str, Any]:
            from analysis.emerging import LABELS

            grid, size, end, weeks, category, keep_all = a
            areas = _areas(self.app.engine, conn, grid, scope, size)
            if areas is None:
                series: list[dict[Any, float]] = []
            elif grid == "micro":
                series = q.weekly_micro_counts(conn, scope, end, weeks, category)
            else:
                series = [areas.counts(*pts) for pts in q.weekly_points(conn, scope, end, weeks,
                                                                        category)]
            feats = [] if areas is None else emerging_features(
                areas.w, series, areas.geojson(), only_patterns=not keep_all)
            start = end - timedelta(days=7 * weeks)
            return {"type": "FeatureCollection", "name": "emerging",
                    **_meta(scope, grid, size, category), **_span(start, end), "weeks": weeks,
                    "patterns": LABELS, "features": feats}
        await self.run(parse, work, geo=True)


class RepeatsHandler(AnalysisHandler):
    """``kind=address`` (≥ ``min`` cases, default 3), ``parties`` (pairs meeting ≥ ``min``
    times, default 2) or ``near`` (chained within ``radius`` m and ``days`` days; 200 m, 14 days)
    over the period (default the last 90 days); the ``limit`` largest groups (default 100)."""

    async def get(self) -> None:
        def parse() -> Any:
            kind = self.get_query_argument("kind", "address") or "address"
            if kind not in ("address", "parties", "near"):
                raise BadInput("kind", "参数 kind 须为 address、parties 或 near")
            return (kind, *self.period(days=90), self.category(),
                    int_arg(self, "min", 3 if kind == "address" else 2, 2, 100),
                    int_arg(self, "radius", 200, 10, 2000), int_arg(self, "days", 14, 1, 90),
                    int_arg(self, "limit", 100, 1, 1000))

        def work(conn: Connection, scope: Scope, a: Any) -> dict[str, Any]:
            kind, start, end, category, least, radius, days, limit = a
            rows = q.repeat_rows(conn, scope, start, end, category)
            if kind == "address":
                groups = repeat_addresses(rows, min_cases=least)
                hide = {int(r["id"]) for r in rows if masks_incident(self.who, r, ())}
                groups = [{**g, "address": mask_address(g["address"])}
                          if hide & set(g["case_ids"]) else g for g in groups]
            elif kind == "parties":
                groups = repeat_parties(rows, party_key(self.app.settings.state_dir),
                                        min_cases=least)
            else:
                groups = near_repeats(rows, radius_m=radius, days=days, min_cases=least)
            return {"kind": kind, **_span(start, end), "scope": scope.as_dict(),
                    "category": category, "min": least,
                    **({"radius_m": radius, "days": days} if kind == "near" else {}),
                    "total": len(groups), "groups": groups[:limit]}
        await self.run(parse, work)


class WatchHandler(AnalysisHandler):
    """Open cases at risk orange (``level=2``, default) or red (``level=3``) with what was done;
    masked for readers who read cases masked, earlier cases outside the reader's area left out."""

    async def get(self) -> None:
        def parse() -> Any:
            return int_arg(self, "level", 2, 2, 3)

        def work(conn: Connection, scope: Scope, level: Any) -> dict[str, Any]:
            rows = q.watch_rows(conn, scope, min_level=level)
            items = []
            for raw, item in zip(rows, watch_list(rows), strict=True):
                hidden = outside(conn, self.who, item["related_case_ids"])
                item = {**item, "risk_reasons": cut_risk(conn, self.who, item["risk_reasons"],
                                                         raw["risk_basis"]),
                        "related_case_ids": [i for i in item["related_case_ids"]
                                             if i not in hidden],
                        "related_elsewhere": bool(hidden)}
                if masks_incident(self.who, raw, raw["unit_ids"] or ()):
                    item = mask_incident(item, party_names(raw))
                items.append(item)
            return {"scope": scope.as_dict(), "level": level, "count": len(items),
                    "items": items}
        await self.run(parse, work)


def analysis_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/analysis/hotspots", HotspotsHandler, args),
        (r"/api/v1/analysis/emerging", EmergingHandler, args),
        (r"/api/v1/analysis/repeats", RepeatsHandler, args),
        (r"/api/v1/analysis/watch", WatchHandler, args),
    ]

