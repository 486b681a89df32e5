"""The map's layers: Chinese labels, geometry kind, drawing order and styles by attribute."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LayerSpec:
    """How one layer is drawn; ``colour_by`` picks a feature property for point colours."""

    name: str
    label: str
    kind: str  # polygon | line | point
    style: dict[str, Any]
    min_zoom: int | None = None
    visible: bool = True
    colour_by: str | None = None
    colours: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


FACILITY_COLOURS = {
    "governance_centre": "#c0392b", "mediation_room": "#e67e22", "mediation_studio": "#d35400",
    "police_station": "#1f4e9c", "police_office": "#3f7fd9", "judge_workstation": "#6c3483",
    "circuit_court": "#8e44ad", "legal_aid": "#16a085",
}
FACILITY_LABELS = {
    "governance_centre": "综治中心", "mediation_room": "调解室", "mediation_studio": "调解工作室",
    "police_station": "派出所", "police_office": "警务室", "judge_workstation": "法官工作室",
    "circuit_court": "巡回审判点", "legal_aid": "法律援助",
}
UNIT_STATUS_COLOURS = {
    "available": "#27ae60", "assigned": "#f39c12", "en_route": "#e67e22", "on_scene": "#c0392b",
    "off_duty": "#95a5a6",
}
INCIDENT_PRIORITY_COLOURS = {"1": "#c0392b", "2": "#e67e22", "3": "#f1c40f", "4": "#7f8c8d"}

# minutes band label -> colour (layers/coverage.py sets each road's band)
COVERAGE_COLOURS = {"5分钟内": "#1a9850", "5-10分钟": "#91cf60", "10-15分钟": "#fee08b",
                    "15-30分钟": "#fc8d59", "30分钟以上": "#d73027"}

LAYERS: dict[str, LayerSpec] = {s.name: s for s in (
    LayerSpec("roads", "道路", "line", {"color": "#9aa3ad", "weight": 1.2, "opacity": 0.9}),
    LayerSpec("streets", "街道", "polygon",
              {"color": "#2c3e50", "weight": 3, "fillOpacity": 0.0, "dashArray": "6 4"}),
    LayerSpec("communities", "社区", "polygon",
              {"color": "#2471a3", "weight": 2, "fillColor": "#5dade2", "fillOpacity": 0.06}),
    LayerSpec("grids", "网格", "polygon",
              {"color": "#28b463", "weight": 1, "fillColor": "#58d68d", "fillOpacity": 0.05}),
    LayerSpec("micro_grids", "微网格", "polygon",
              {"color": "#a9cce3", "weight": 0.6, "fillOpacity": 0.0}, min_zoom=15),
    LayerSpec("police_grids", "警格", "polygon",
              {"color": "#1f4e9c", "weight": 2, "fillOpacity": 0.0, "dashArray": "2 4"},
              visible=False),
    LayerSpec("facilities", "服务设施", "point", {"radius": 6, "weight": 1, "fillOpacity": 0.9},
              colour_by="kind", colours=FACILITY_COLOURS, labels=FACILITY_LABELS),
    LayerSpec("units", "力量", "point", {"radius": 4, "weight": 1, "fillOpacity": 0.9},
              visible=False, colour_by="status", colours=UNIT_STATUS_COLOURS),
    LayerSpec("coverage", "力量覆盖（15分钟）", "line", {"weight": 3, "opacity": 0.85},
              visible=False, colour_by="band", colours=COVERAGE_COLOURS),
    LayerSpec("incidents", "事件", "point", {"radius": 6, "weight": 2, "fillOpacity": 0.8},
              colour_by="priority", colours=INCIDENT_PRIORITY_COLOURS),
)}


def feature_collection(name: str, features: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection for layer ``name``; point features get a ``colour``."""
    spec = LAYERS[name]
    if spec.colour_by:
        default = spec.style.get("color", "#555555")
        for f in features:
            key = str(f["properties"].get(spec.colour_by))
            f["properties"]["colour"] = spec.colours.get(key, default)
    return {"type": "FeatureCollection", "name": name, "label": spec.label, "features": features}
