"""The map wall's layers as pure functions: grid heat (30-day intake, overdue now), open-case points,
the focus mask of a drilled-down area, drill-down from a map click, view fitting and feature diffs.

Colours are for a dark wall. Nothing personal goes into a feature: areas carry their name and code,
cases only their category, state, priority and a rounded point (see ``dispatch.stats.open_cases``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dispatch.stats import Scope

# Five classes of 30-day intake per grid, dark to bright blue: the ground the red sits on.
# (fill, outline, fill opacity); the legend shows the outline colour.
DENSITY_STYLES = (("#0c1a2c", "#1f3a5c", 0.25), ("#113a66", "#2a5d93", 0.55),
                  ("#175c99", "#3a7fc0", 0.65), ("#1f83c7", "#5aa9e6", 0.72),
                  ("#35b0ee", "#8fd6ff", 0.8))
# Grids with overdue cases now: 1, 2, 3 or more.
OVERDUE_STYLES: dict[str, dict[str, Any]] = {
    "1": {"label": "超期 1 件", "fillColor": "#ff8c1a", "color": "#ffb15c", "fillOpacity": 0.6},
    "2": {"label": "超期 2 件", "fillColor": "#ff4040", "color": "#ff8080", "fillOpacity": 0.7},
    "3": {"label": "超期 3 件及以上", "fillColor": "#e0001b", "color": "#ff5a6e",
          "fillOpacity": 0.85},
}
# Open cases by tone: overdue first, then urgent (priority 1-2), then the rest.
CASE_STYLES: dict[str, dict[str, Any]] = {
    "overdue": {"label": "超期在办", "fillColor": "#ff3b3b", "color": "#ffffff", "radius": 8},
    "urgent": {"label": "紧急、较急在办", "fillColor": "#ffb020", "color": "#1a1a1a", "radius": 6},
    "open": {"label": "一般在办", "fillColor": "#39d0ff", "color": "#0a1a2e", "radius": 4.5},
}
MAP_LEVELS = {"streets": "street", "communities": "community", "grids": "grid"}
"""Map layer name -> scope level, for drill-down from the areas a click falls in."""


def density_breaks(counts: Iterable[int], classes: int = len(DENSITY_STYLES)) -> tuple[int, ...]:
    """Upper bounds of the intake classes above "none": quantiles of the grids with any case.

    Class 0 is "no case"; classes 1 .. ``classes``-1 split the positive counts at equal
    quantiles, the last class open-ended. Bounds are whole numbers, strictly increasing.
    """
    positive = sorted(int(c) for c in counts if int(c) > 0)
    bounds: list[int] = []
    if not positive:
        return ()
    steps = classes - 1
    for k in range(1, steps):
        q = positive[min(len(positive) - 1, math.ceil(k * len(positive) / steps) - 1)]
        if (not bounds or q > bounds[-1]) and q < positive[-1]:
            bounds.append(q)
    return tuple(bounds)


def density_class(count: int, breaks: Sequence[int]) -> str:
    """"0" for no case, then "1".. by the first bound the count does not exceed."""
    if count <= 0:
        return "0"
    for i, upper in enumerate(breaks):
        if count <= upper:
            return str(i + 1)
    return str(len(breaks) + 1)


def density_labels(breaks: Sequence[int]) -> dict[str, str]:
    labels = {"0": "无案件"}
    low = 1
    for i, upper in enumerate(breaks):
        labels[str(i + 1)] = f"{low} 件" if upper == low else f"{low}–{upper} 件"
        low = upper + 1
    labels[str(len(breaks) + 1)] = f"{low} 件及以上"
    return labels


def overdue_class(count: int) -> str | None:
    """None for a grid with nothing overdue, else "1", "2" or "3" (three or more)."""
    return None if count <= 0 else str(min(int(count), 3))


def case_tone(case: Mapping[str, Any]) -> str:
    if case.get("overdue"):
        return "overdue"
    return "urgent" if int(case.get("priority") or 9) <= 2 else "open"


def grid_features(shapes: Iterable[Mapping[str, Any]], heat: Iterable[Mapping[str, Any]],
                  breaks: Sequence[int]) -> tuple[dict[str, dict[str, Any]],
                                                  dict[str, dict[str, Any]]]:
    """Density features of every grid and overdue features of grids with overdue cases, by id.

    ``shapes`` are grid GeoJSON features (``geo.queries.territory_layer(conn, "grids")``);
    ``heat`` rows come from ``dispatch.stats.grid_heat``.
    """
    counts = {int(r["id"]): r for r in heat}
    density: dict[str, dict[str, Any]] = {}
    overdue: dict[str, dict[str, Any]] = {}
    for shape in shapes:
        gid = int(shape["id"])
        props = shape.get("properties") or {}
        row = counts.get(gid, {})
        intake, n_open, n_over = (int(row.get(k, 0)) for k in ("intake", "open", "overdue"))
        base = {"id": gid, "name": props.get("name"), "code": props.get("code"),
                "community_id": props.get("community_id"), "street_id": props.get("street_id"),
                "intake": intake, "open": n_open, "overdue": n_over}
        key = str(gid)
        density[key] = {"type": "Feature", "id": key, "geometry": shape["geometry"],
                        "properties": {**base, "heat": density_class(intake, breaks)}}
        cls = overdue_class(n_over)
        if cls is not None:
            overdue[key] = {"type": "Feature", "id": key, "geometry": shape["geometry"],
                            "properties": {**base, "heat": cls}}
    return density, overdue


def case_features(cases: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Point features of open cases (already masked), by id; the tooltip names kind and state."""
    out: dict[str, dict[str, Any]] = {}
    for c in cases:
        if c.get("lon") is None or c.get("lat") is None:
            continue
        key = f"c{int(c['id'])}"
        tone = case_tone(c)
        out[key] = {"type": "Feature", "id": key,
                    "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]},
                    "properties": {"id": key, "tone": tone,
                                   "name": f"{c.get('category_label', '')} · "
                                           f"{c.get('state_label', '')}"
                                           + (" · 超期" if tone == "overdue" else "")}}
    return out


def focus_features(area: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The mask dimming everything outside a drilled-down area, and its outline; none for all."""
    if not area.get("level") or area["level"] == "all" or not area.get("outline"):
        return []
    return [{"type": "Feature", "id": "mask", "geometry": area["mask"],
             "properties": {"id": "mask", "role": "mask"}},
            {"type": "Feature", "id": "outline", "geometry": area["outline"],
             "properties": {"id": "outline", "role": "outline", "name": area.get("name")}}]


def _classes(styles: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: dict(v) for k, v in styles.items()}


def wall_layers(breaks: Sequence[int], *, api_base: str = "/api/v1",
                period: str | None = None) -> list[dict[str, Any]]:
    """LeafletMap layer configs for the wall, bottom to top (console.map.LeafletMap.layers).
    With ``period`` (its Chinese label) the grids' heat is that fixed period's 受理, pushed by
    the page (no URL); without, the live 30 days, fetched."""
    base = api_base.rstrip("/")
    labels = density_labels(breaks)
    # the same class bounds for the fetched layer as for this legend, even as the data moves
    heat_url = (None if period else
                f"{base}/stats/heat.geojson?breaks={','.join(str(int(b)) for b in breaks)}")
    density = {str(i): {"label": labels[str(i)], "fillColor": DENSITY_STYLES[i][0],
                        "color": DENSITY_STYLES[i][1], "fillOpacity": DENSITY_STYLES[i][2]}
               for i in range(len(breaks) + 2)}
    return [
        {"name": "roads", "label": "道路", "kind": "line",
         "url": f"{base}/layers/roads.geojson?merge=class",
         "visible": True, "min_zoom": None, "legend": False,
         "style": {"color": "#2b3f5c", "weight": 1.2, "opacity": 0.9}},
        {"name": "grids", "label": f"网格 · {period or '近30日'}受理", "kind": "polygon",
         "url": heat_url, "visible": True, "min_zoom": None,
         "style": {"weight": 0.8, "opacity": 0.9, "by": "heat",
                   "classes": density}},
        {"name": "communities", "label": "社区界", "kind": "polygon",
         "url": f"{base}/layers/communities.geojson", "visible": True, "min_zoom": None,
         "style": {"color": "#5d8fc4", "weight": 1.6, "fillOpacity": 0.0}},
        {"name": "streets", "label": "街道界", "kind": "polygon",
         "url": f"{base}/layers/streets.geojson", "visible": True, "min_zoom": None,
         "style": {"color": "#9cc9ff", "weight": 3.2, "fillOpacity": 0.0, "dashArray": "8 5"}},
        {"name": "overdue", "label": "超期网格（当前）", "kind": "polygon", "url": None,
         "visible": True, "min_zoom": None,
         "style": {"weight": 2.5, "by": "heat", "classes": _classes(OVERDUE_STYLES)}},
        {"name": "focus", "label": "所选区域", "kind": "polygon", "url": None, "visible": True,
         "min_zoom": None, "legend": False,
         "style": {"by": "role", "classes": {
             "mask": {"fillColor": "#02060d", "fillOpacity": 0.62, "weight": 0},
             "outline": {"color": "#3de0ff", "weight": 4, "fillOpacity": 0.0}}}},
        {"name": "cases", "label": "在办事件（位置已模糊）", "kind": "point", "url": None,
         "visible": True, "min_zoom": None,
         "style": {"weight": 1.5, "fillOpacity": 0.95, "by": "tone",
                   "classes": _classes(CASE_STYLES)}},
    ]


def case_places(cases: Iterable[Mapping[str, Any]]) -> dict[str, Scope]:
    """Case point feature id -> the street › community › grid the case lies in."""
    out: dict[str, Scope] = {}
    for c in cases:
        ids = [c.get("street_id"), c.get("community_id"), c.get("grid_id")]
        cut = ids.index(None) if None in ids else 3
        out[f"c{int(c['id'])}"] = Scope(*ids[:cut])
    return out


def click_chain(hits: Iterable[Mapping[str, Any]],
                places: Mapping[str, Scope] | None = None) -> Scope:
    """The street › community › grid a map click fell in, from LeafletMap's ``last_click`` hits;
    a click on a case point (``places``: :func:`case_places`) counts as one in the case's grid."""
    hits = list(hits)
    for hit in hits:
        if hit.get("layer") == "cases" and places and str(hit.get("id")) in places:
            return places[str(hit.get("id"))]
    found: dict[str, int] = {}
    for hit in hits:
        level = MAP_LEVELS.get(str(hit.get("layer")))
        if level is None or level in found:
            continue
        try:
            found[level] = int(str(hit.get("id")))
        except ValueError:
            continue
    ids: list[int | None] = []
    for level in ("street", "community", "grid"):
        if level not in found:
            break
        ids.append(found[level])
    return Scope(*ids)


def drill(scope: Scope, hits: Iterable[Mapping[str, Any]],
          places: Mapping[str, Scope] | None = None) -> Scope | None:
    """Where a click on the map takes the wall, or None to stay.

    Inside the current area: one level down (all → street → community → grid). Outside it: the
    clicked area at the same level (another street, community or grid). Clicks outside every
    area, or inside the current grid, change nothing.
    """
    chain = click_chain(hits, places)
    d = scope.depth
    if chain.depth == 0:
        return None
    inside = chain.depth >= d and chain.prefix(d) == scope
    target = min(d + 1, 3) if inside else max(d, 1)
    new = chain.prefix(min(target, chain.depth))
    return None if new == scope else new


def fit_view(bbox: Sequence[float], width_px: int, height_px: int, *, pad: float = 0.05,
             right_px: int = 0, min_zoom: int = 3, max_zoom: int = 18
             ) -> tuple[tuple[float, float], int]:
    """Centre (lat, lon) and the largest whole Web-Mercator zoom showing ``bbox`` (lon/lat) whole
    in the map's free part: ``right_px`` on the right are taken by the legend, so the area is
    centred in what is left (the centre returned is the map's, shifted accordingly)."""
    lon0, lat0, lon1, lat1 = (float(v) for v in bbox)

    def merc_y(lat: float) -> float:
        s = math.sin(math.radians(max(min(lat, 85.0), -85.0)))
        return 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)

    dx = max(abs(lon1 - lon0) / 360.0, 1e-9)
    dy = max(abs(merc_y(lat0) - merc_y(lat1)), 1e-9)
    free_w = max(width_px - right_px, 1) * (1.0 - 2 * pad)
    zoom = math.floor(min(math.log2(free_w / (256 * dx)),
                          math.log2(height_px * (1.0 - 2 * pad) / (256 * dy))))
    zoom = int(max(min_zoom, min(max_zoom, zoom)))
    shift_lon = (right_px / 2) / (256 * 2**zoom) * 360.0
    return ((lat0 + lat1) / 2, (lon0 + lon1) / 2 + shift_lon), zoom


def diff(sent: Mapping[str, str], current: Mapping[str, Mapping[str, Any]]
         ) -> tuple[list[dict[str, Any]], list[str], dict[str, str]]:
    """What to upsert and remove so a map showing ``sent`` shows ``current``.

    ``sent`` maps feature id -> signature of what the browser has; returns the features whose
    signature changed or are new, the ids gone, and the new signatures. Geometry of an id is
    taken as fixed (areas do not move; a case's rounded point is part of its properties' key).
    """
    sigs = {k: signature(f) for k, f in current.items()}
    upserts = [dict(current[k]) for k, s in sigs.items() if sent.get(k) != s]
    removed = [k for k in sent if k not in current]
    return upserts, removed, sigs


def signature(feature: Mapping[str, Any]) -> str:
    geom = feature.get("geometry") or {}
    point = geom.get("coordinates") if geom.get("type") == "Point" else None
    return json.dumps([feature.get("properties"), point], sort_keys=True, default=str)
