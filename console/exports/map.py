"""Self-contained HTML maps (folium) of a case, a street or a view, for briefings offline.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from five CDN hosts by default; here
the map carries only our vendored Leaflet, inlined, and draws with circle markers and GeoJSON
(no icon images, no plugins), so the file opens with no network at all. Nothing personal goes
in: cases by number, kind, state and priority only.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import folium
from branca.element import Element

from console.map import STATIC_DIR
from dispatch import vocab
from layers.registry import INCIDENT_PRIORITY_COLOURS

LEAFLET_DIR = STATIC_DIR / "vendor" / "leaflet"
NOTE = "示意：网格与微网格为示意数据"
AREA_STYLES = {
    "street": {"color": "#2c3e50", "weight": 3, "fillOpacity": 0.0, "dashArray": "6 4"},
    "community": {"color": "#2471a3", "weight": 2, "fillColor": "#5dade2", "fillOpacity": 0.06},
    "grid": {"color": "#28b463", "weight": 1, "fillColor": "#58d68d", "fillOpacity": 0.08},
    "micro_grid": {"color": "#1f618d", "weight": 1.5, "fillColor": "#a9cce3",
                   "fillOpacity": 0.15},
}


@lru_cache(maxsize=1)
def _leaflet() -> tuple[str, str]:
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    # A literal </script> or </style> inside the code would end the inlined element early.
    return js.replace("</script", "<\\/script"), css.replace("</style", "<\\/style")


class OfflineMap(folium.Map):
    """A folium map whose only library is our Leaflet, inlined into the page."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("tiles", None)
        kwargs.setdefault("prefer_canvas", True)
        super().__init__(**kwargs)
        self.default_js = []  # read at render time: no CDN links at all
        self.default_css = []
        js, css = _leaflet()
        header = self.get_root().header  # type: ignore[attr-defined]
        header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline", index=0)
        header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline", index=1)
        header.add_child(Element(
            "<style>html,body{margin:0;height:100%;font-family:'Noto Sans CJK SC',sans-serif}"
            ".fq-note{position:absolute;z-index:1000;top:10px;left:50%;transform:translateX(-50%);"
            "background:#8a6d0b;color:#fff;padding:4px 12px;border-radius:14px;font-size:13px}"
            ".fq-title{position:absolute;z-index:1000;top:10px;left:56px;background:#fff;"
            "padding:6px 12px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);"
            "font-size:15px;font-weight:700}</style>"), name="fq_css")


def _area(m: folium.Map, features: Iterable[Mapping[str, Any]], kind: str, label: str) -> None:
    feats = [{"type": "Feature", "geometry": f["geometry"],
              "properties": {"name": (f.get("properties") or {}).get("name") or "",
                             "code": (f.get("properties") or {}).get("code") or ""}}
             for f in features]
    if not feats:
        return
    style = AREA_STYLES[kind]
    folium.GeoJson({"type": "FeatureCollection", "features": feats}, name=label,
                   style_function=lambda _f, s=style: s,
                   tooltip=folium.GeoJsonTooltip(fields=["name", "code"],
                                                 aliases=["名称", "编码"])).add_to(m)


def _case_marker(m: Any, case: Mapping[str, Any], *, big: bool = False) -> None:
    props = case.get("properties", case)
    lon, lat = (case["geometry"]["coordinates"] if "geometry" in case
                else (case["lon"], case["lat"]))
    priority = int(props.get("priority") or 3)
    text = "<br>".join(html.escape(s) for s in (
        f"案件 {props.get('code') or props.get('id')}",
        f"类别：{vocab.CATEGORIES.get(str(props.get('category')), '')}",
        f"状态：{vocab.INCIDENT_STATES.get(str(props.get('state')), '')}",
        f"优先级：{vocab.PRIORITIES.get(priority, '')}"))
    folium.CircleMarker(
        [lat, lon], radius=10 if big else 6, color="#ffffff", weight=2, fill=True,
        fill_color=INCIDENT_PRIORITY_COLOURS.get(str(priority), "#555555"), fill_opacity=0.9,
        # a tooltip, not a folium.Popup: folium builds popups with jQuery, which we leave out
        tooltip=folium.Tooltip(text, sticky=False)).add_to(m)


def _finish(m: folium.Map, title: str, bounds: list[list[float]] | None) -> str:
    m.get_root().html.add_child(Element(  # type: ignore[attr-defined]
        f'<div class="fq-title">{html.escape(title)}</div><div class="fq-note">{NOTE}</div>'))
    m.get_root().header.add_child(Element(  # type: ignore[attr-defined]
        f"<title>{html.escape(title)}</title>"), name="fq_title")
    if bounds:
        m.fit_bounds(bounds, padding=(20, 20))
    name = m.get_name()
    # Leaflet's default prefix links to leafletjs.com; an offline briefing links nowhere.
    m.get_root().script.add_child(Element(  # type: ignore[attr-defined]
        f"document.addEventListener('DOMContentLoaded', () => {{ if ({name}.attributionControl)"
        f" {{ {name}.attributionControl.setPrefix('Leaflet') }} }})"))
    folium.LayerControl(collapsed=False).add_to(m)
    return str(m.get_root().render())


def _bounds(features: Iterable[Mapping[str, Any]]) -> list[list[float]] | None:
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if c and isinstance(c[0], int | float):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        else:
            for sub in c:
                walk(sub)

    for f in features:
        walk(f["geometry"]["coordinates"])
    return [[min(ys), min(xs)], [max(ys), max(xs)]] if xs else None


def case_map(case: Mapping[str, Any], *, grid: list[dict[str, Any]],
             micro_grid: list[dict[str, Any]]) -> str:
    """One case with its grid and micro-grid."""
    m = OfflineMap(location=[case["lat"], case["lon"]], zoom_start=16)
    _area(m, grid, "grid", "网格")
    _area(m, micro_grid, "micro_grid", "微网格")
    _case_marker(m, case, big=True)
    return _finish(m, f"案件 {case.get('code')} 位置图", _bounds(grid) or None)


def area_map(title: str, *, outline: list[dict[str, Any]], parts: list[dict[str, Any]],
             cases: list[dict[str, Any]], outline_kind: str = "street",
             parts_kind: str = "community", bounds: list[list[float]] | None = None) -> str:
    """An area (a street with its communities, or a view with its grids) and its open cases."""
    first = bounds or _bounds(outline) or _bounds(parts) or [[45.6, 84.87], [45.6, 84.87]]
    centre = [(first[0][0] + first[1][0]) / 2, (first[0][1] + first[1][1]) / 2]
    m = OfflineMap(location=centre, zoom_start=14)
    _area(m, parts, parts_kind, {"community": "社区", "grid": "网格"}.get(parts_kind, "区域"))
    _area(m, outline, outline_kind, {"street": "街道"}.get(outline_kind, "区域"))
    group = folium.FeatureGroup(name=f"在办案件（{len(cases)}）").add_to(m)
    for case in cases:
        _case_marker(group, case)
    return _finish(m, title, first)
