"""The weekly 研判 report's content for one area and period, as JSON-ready figures and map shapes.

One function, :func:`assemble`, gathers what a leader's weekly analysis reviews: the summary
figures with 环比/同比 (:mod:`analysis.periods`), the daily trend, the Gi* hotspots over the
micro-grids (their polygons kept apart for the PDF's map), the category mix, repeats and the
民转刑 watch list, the fair ranking of the areas below, overdue and 督办 cases, and notable
cases. Nothing personal leaves it: titles and texts go through
:func:`dispatch.privacy.mask_incident`, addresses are masked, parties appear only as keyed-hash
pair labels (:mod:`analysis.identity`), never a name, phone or ID number.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection, text

from analysis import periods
from analysis import queries as q
from analysis import report_queries as rq
from analysis.gistar import CLASS_LABELS, gi_star
from analysis.hotspots import MicroGrids
from analysis.repeats import near_repeats, repeat_addresses, repeat_parties
from analysis.watch import watch_list
from dispatch.model import BEIJING
from dispatch.privacy import mask_address, mask_incident, party_names
from dispatch.stats_scope import Scope
from geo.cache import SignatureCache, table_signature

REPEAT_DAYS = 30  # repeats are looked for over the 30 days ending with the period
CHILD = {"all": "street", "district": "street", "street": "community", "community": "grid"}
TOP = 20


@dataclass(frozen=True)
class Report:
    """The figures (JSON, archived with the report) and the map's shapes: (Gi* class, rings of
    (lon, lat)) per micro-grid, only for drawing."""

    figures: dict[str, Any]
    shapes: list[tuple[int, list[list[tuple[float, float]]]]] = field(default_factory=list)


def week_before(today: date) -> tuple[date, date]:
    """Monday to Sunday of the calendar week before ``today``'s week."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


def _codes(group: dict[str, Any]) -> list[str]:
    return [str(c["code"]) for c in group.get("cases", [])]


Rings = list[list[tuple[float, float]]]


@dataclass(frozen=True)
class MapBase:
    """A scope's micro-grids with their weights, their polygons simplified for the map, and the
    scope's outline: built once per scope and process, rebuilt when the territory changes."""

    grids: MicroGrids
    simple: dict[int, Any]  # micro-grid id -> simplified polygon (rings made when drawn)
    outline: Rings


def rings_of(geoms: Sequence[Any]) -> list[Rings]:
    """The exterior rings of each (multi)polygon as (lon, lat) tuples, in one vectorised pass
    (shapely's coordinates with their ring index, not a Python loop over shapes)."""
    out: list[Rings] = [[] for _ in geoms]
    if not len(geoms):
        return out
    parts, owner = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    coords, ring = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    if not len(coords):
        return out
    cuts = np.flatnonzero(np.diff(ring)) + 1
    for r, chunk in zip(ring[np.r_[0, cuts]].tolist(), np.split(coords, cuts), strict=True):
        out[int(owner[r])].append([(x, y) for x, y in chunk.tolist()])
    return out


def _build_base(scope: Scope) -> Any:
    def build(conn: Connection) -> MapBase | None:
        ids, polys = q.micro_grids(conn, scope)
        if len(ids) < 2:
            return None
        x0, y0, x1, y1 = shapely.total_bounds(polys)
        tol = float(max(x1 - x0, y1 - y0)) / 1500.0  # well under a printed point on A4
        simple = shapely.simplify(polys, tol, preserve_topology=True)
        area = q.outline(conn, scope)
        if area is None:  # no boundary drawn for the area: its micro-grids' union
            area = shapely.union_all(simple, grid_size=tol / 10)
        return MapBase(MicroGrids.build(ids, polys),
                       {int(i): g for i, g in zip(ids, simple, strict=True)},
                       rings_of([shapely.simplify(area, tol)])[0])
    return build


_BASES: dict[tuple[str, Scope], SignatureCache[Any]] = {}
_BASES_LOCK = threading.Lock()
# what a map base is made of: the micro-grids, and the areas whose boundaries outline a scope
BASE_TABLES = ("micro_grids", "grids", "communities", "streets", "districts")
BASE_CHECK_S = 5.0  # how often a process looks whether those tables changed (a cheap signature)


def map_base(conn: Connection, scope: Scope) -> MapBase | None:
    """The scope's :class:`MapBase` from the process's cache (None: fewer than 2 micro-grids)."""
    key = (str(conn.engine.url), scope)
    with _BASES_LOCK:
        if key not in _BASES:
            if len(_BASES) > 64:
                _BASES.clear()
            _BASES[key] = SignatureCache(_build_base(scope), table_signature(*BASE_TABLES),
                                         check_s=BASE_CHECK_S)
        cache = _BASES[key]
    return cache.get(conn)


def _hotspots(conn: Connection, scope: Scope, start: date, end: date
              ) -> tuple[dict[str, Any], list[tuple[int, Rings]]]:
    """Gi* of the period's cases per micro-grid; the map's shapes: the outline (class 0) and
    the micro-grids of a significant class (drawing all 7,708 of a city cost seconds)."""
    base = map_base(conn, scope)
    a, b = rq.instants(start, end)
    counts = q.micro_counts(conn, scope, a, b)
    if base is None:
        return {"micro_grids": 0, "cases": int(sum(counts.values())), "classes": {},
                "top": []}, []
    g = gi_star(counts, base.grids.g)
    classes: dict[str, int] = {}
    for k in g.classes.tolist():
        classes[str(int(k))] = classes.get(str(int(k)), 0) + 1
    ids = [int(str(i)) for i in g.ids]
    ks = [int(k) for k in g.classes.tolist()]
    order = [i for i in np.argsort(-g.z, kind="stable") if ks[i] > 0][:TOP]
    top_ids = [ids[i] for i in order]
    names: dict[int, str] = dict(conn.execute(
        text("SELECT id, name FROM micro_grids WHERE id = ANY(:ids)"),
        {"ids": top_ids}).all()) if top_ids else {}
    top = [{"micro_grid_id": ids[i], "name": names.get(ids[i], ""),
            "count": int(g.counts[i]), "z": round(float(g.z[i]), 2),
            "class": ks[i], "label": CLASS_LABELS[ks[i]]} for i in order]
    hot = [(i, k) for i, k in zip(ids, ks, strict=True) if k != 0]
    drawn = rings_of([base.simple[i] for i, _ in hot])
    shapes = [(0, base.outline)] + [(k, r) for (_, k), r in zip(hot, drawn, strict=True)]
    return {"micro_grids": len(ids), "cases": int(sum(counts.values())), "classes": classes,
            "top": top}, shapes


def _repeats(conn: Connection, scope: Scope, end: date, key: bytes) -> dict[str, Any]:
    a, b = rq.instants(end - timedelta(days=REPEAT_DAYS - 1), end)
    rows = q.repeat_rows(conn, scope, a, b)
    addresses = [{"address": mask_address(g["address"]), "count": g["count"], "open": g["open"],
                  "codes": _codes(g)} for g in repeat_addresses(rows, min_cases=3)[:TOP]]
    parties = [{"pair": g["pair"], "count": g["count"], "open": g["open"], "codes": _codes(g)}
               for g in repeat_parties(rows, key, min_cases=2)[:TOP]]
    near = [{"count": g["count"], "open": g["open"], "span_days": g["span_days"],
             "codes": _codes(g)} for g in near_repeats(rows)[:TOP]]
    return {"days": REPEAT_DAYS, "from": (end - timedelta(days=REPEAT_DAYS - 1)).isoformat(),
            "to": end.isoformat(), "addresses": addresses, "parties": parties, "near": near}


def _watch(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    rows = q.watch_rows(conn, scope, min_level=2)
    out = []
    for raw, item in zip(rows, watch_list(rows), strict=True):
        m = mask_incident({"title": item["title"], "risk_reasons": item["risk_reasons"]},
                          party_names(raw))
        out.append({"code": item["code"], "title": m["title"], "category": item["category_label"],
                    "risk": item["risk_label"], "risk_level": item["risk_level"],
                    "state": item["state_label"], "reasons": "；".join(m["risk_reasons"] or []),
                    "reported_at": str(item["reported_at"] or "")[:16].replace("T", " "),
                    "done": "；".join(item["done"])})
    return out


def _ranking(conn: Connection, scope: Scope, period: Any) -> dict[str, Any] | None:
    by = CHILD.get(scope.level)
    if by is None:
        return None
    return periods.fair_ranking(conn, scope, period, by=by)


def assemble(conn: Connection, scope: Scope, start: date, end: date, *, key: bytes,
             kind: str = "on_demand", requested_by: str = "") -> Report:
    """The report of ``scope`` over ``[start, end]`` (Beijing dates, inclusive)."""
    period = periods.Period(start, end)
    hot, shapes = _hotspots(conn, scope, start, end)
    now = conn.scalar(text("SELECT now()"))
    current = periods.figures(conn, scope, period)
    name = rq.area_name(conn, scope)
    figures: dict[str, Any] = {
        "title": f"{name}矛盾纠纷研判报告",
        "area": {**scope.as_dict(), "id": scope.area_id, "name": name},
        "period": {"from": start.isoformat(), "to": end.isoformat(),
                   "days": (end - start).days + 1, "label": period.label()},
        "kind": kind, "requested_by": requested_by,
        "made_at": (now if isinstance(now, datetime) else datetime.now(BEIJING))
        .astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"),
        "summary": {"prev": periods.compare(conn, scope, period, against="prev",
                                            current=current),
                    "yoy": periods.compare(conn, scope, period, against="yoy", current=current)},
        "trend": rq.daily(conn, scope, start, end),
        "hotspots": hot,
        "categories": rq.category_mix(conn, scope, start, end),
        "repeats": _repeats(conn, scope, end, key),
        "watch": _watch(conn, scope),
        "ranking": _ranking(conn, scope, period),
        "overdue": rq.overdue(conn, scope),
        "supervised": rq.supervised(conn, scope, start, end),
        "notable": rq.notable(conn, scope, start, end),
    }
    return Report(figures, shapes)
