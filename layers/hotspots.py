"""The 研判 map layers: Gi* hotspot classes and emerging-hotspot patterns as styled GeoJSON.

Pure functions of an analysis answer (:mod:`console.api.analysis`'s FeatureCollections) in,
a FeatureCollection with a Leaflet ``style`` per feature and the legend out. Colours and labels
are the analysis room's own (:mod:`analysis.gistar`, :mod:`analysis.hotspots`): one source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.emerging import LABELS as PATTERN_LABELS
from analysis.gistar import CLASS_COLOURS, CLASS_LABELS
from analysis.hotspots import PATTERN_COLOURS

OUTLINE = "#636363"
# the stronger the confidence, the more opaque: a 90 % class must not shout like a 99 % one
OPACITY = {3: 0.75, 2: 0.6, 1: 0.45, 0: 0.0}


def hotspot_layer(answer: Mapping[str, Any], *, significant_only: bool = True) -> dict[str, Any]:
    """Gi* classes (-3 … 3) styled for the map; with ``significant_only`` class 0 is left out."""
    feats = []
    for f in answer.get("features", ()):
        k = int(f["properties"]["class"])
        if significant_only and k == 0:
            continue
        style = {"color": OUTLINE, "weight": 0.4, "fillColor": CLASS_COLOURS[k],
                 "fillOpacity": OPACITY[abs(k)]}
        feats.append({**f, "properties": {**f["properties"], "style": style}})
    present = {int(f["properties"]["class"]) for f in feats}
    legend = [{"class": k, "label": CLASS_LABELS[k], "colour": CLASS_COLOURS[k]}
              for k in (3, 2, 1, -1, -2, -3) if k in present or not significant_only]
    return {"type": "FeatureCollection", "name": "hotspots", "label": "热点分析（Gi*）",
            "legend": legend, "features": feats}


def emerging_layer(answer: Mapping[str, Any]) -> dict[str, Any]:
    """Emerging-hotspot patterns styled for the map ("none" left out), hot patterns first in
    the legend."""
    feats = []
    for f in answer.get("features", ()):
        key = str(f["properties"]["pattern"])
        if key == "none":
            continue
        style = {"color": OUTLINE, "weight": 0.4, "fillColor": PATTERN_COLOURS[key],
                 "fillOpacity": 0.7}
        feats.append({**f, "properties": {**f["properties"], "style": style}})
    present = {str(f["properties"]["pattern"]) for f in feats}
    legend = [{"pattern": k, "label": v, "colour": PATTERN_COLOURS[k]}
              for k, v in PATTERN_LABELS.items() if k in present]
    return {"type": "FeatureCollection", "name": "emerging", "label": "新兴热点",
            "legend": legend, "features": feats}


def hotspot_map_layers(url: str, *, api_base: str = "/api/v1") -> list[dict[str, Any]]:
    """LeafletMap layer configs for the 研判 page, bottom to top: roads, street and community
    outlines, and the Gi* classes fetched from ``url`` (an ``/analysis/hotspots`` query),
    coloured by class as :func:`hotspot_layer` colours them (class 0 left clear)."""
    base = api_base.rstrip("/")
    classes = {str(k): {"label": CLASS_LABELS[k], "fillColor": CLASS_COLOURS[k],
                        "fillOpacity": OPACITY[abs(k)]} for k in (3, 2, 1, 0, -1, -2, -3)}
    return [
        {"name": "roads", "label": "道路", "kind": "line", "visible": True, "min_zoom": None,
         "url": f"{base}/layers/roads.geojson?merge=class", "legend": False,
         "style": {"color": "#9aa3ad", "weight": 1.0, "opacity": 0.8}},
        {"name": "hotspots", "label": "热点分析（Gi*）", "kind": "polygon", "url": url,
         "visible": True, "min_zoom": None,
         "style": {"color": OUTLINE, "weight": 0.4, "fillOpacity": 0.0, "by": "class",
                   "classes": classes}},
        {"name": "communities", "label": "社区界", "kind": "polygon", "visible": True,
         "min_zoom": None, "url": f"{base}/layers/communities.geojson",
         "style": {"color": "#2471a3", "weight": 1.2, "fillOpacity": 0.0}},
        {"name": "streets", "label": "街道界", "kind": "polygon", "visible": True,
         "min_zoom": None, "url": f"{base}/layers/streets.geojson",
         "style": {"color": "#2c3e50", "weight": 2.5, "fillOpacity": 0.0, "dashArray": "6 4"}},
    ]
