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
    """A scope's micro-grids with their weights, each one's simplified rings for the map, and
    the scope's outline: built once per scope and process, rebuilt when the territory changes
    (city: ~6 s of contiguity weights and ~2 s of geometry a report need not pay again)."""

    grids: MicroGrids
    rings: dict[int, Rings]
    outline: Rings


def _rings(geom: Any) -> Rings:
    return [[(float(x), float(y)) for x, y, *_ in p.exterior.coords]
            for p in getattr(geom, "geoms", [geom]) if not p.is_empty]


def _build_base(scope: Scope) -> Any:
    def build(conn: Connection) -> MapBase | None:
        ids, polys = q.micro_grids(conn, scope)
        if len(ids) < 2:
            return None
        x0, y0, x1, y1 = shapely.total_bounds(list(polys))
        tol = float(max(x1 - x0, y1 - y0)) / 1500.0  # well under a printed point on A4
        simple = shapely.simplify(list(polys), tol, preserve_topology=True)
        outline = shapely.simplify(shapely.union_all(simple, grid_size=tol / 10), tol)
        return MapBase(MicroGrids.build(ids, polys),
                       {int(i): _rings(g) for i, g in zip(ids, simple, strict=True)},
                       _rings(outline))
    return build


_BASES: dict[tuple[str, Scope], SignatureCache[Any]] = {}
_BASES_LOCK = threading.Lock()


def map_base(conn: Connection, scope: Scope) -> MapBase | None:
    """The scope's :class:`MapBase` from the process's cache (None: fewer than 2 micro-grids)."""
    key = (str(conn.engine.url), scope)
    with _BASES_LOCK:
        if key not in _BASES:
            if len(_BASES) > 64:
                _BASES.clear()
            _BASES[key] = SignatureCache(_build_base(scope),
                                         table_signature("micro_grids", "grids"))
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
    shapes = [(0, base.outline)] + [(k, base.rings[i]) for i, k in zip(ids, ks, strict=True)
                                    if k != 0]
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
    figures: dict[str, Any] = {
        "title": f"{rq.area_name(conn, scope)}矛盾纠纷研判报告",
        "area": {**scope.as_dict(), "id": scope.area_id, "name": rq.area_name(conn, scope)},
        "period": {"from": start.isoformat(), "to": end.isoformat(),
                   "days": (end - start).days + 1, "label": period.label()},
        "kind": kind, "requested_by": requested_by,
        "made_at": (now if isinstance(now, datetime) else datetime.now(BEIJING))
        .astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"),
        "summary": {"prev": periods.compare(conn, scope, period, against="prev"),
                    "yoy": periods.compare(conn, scope, period, against="yoy")},
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
