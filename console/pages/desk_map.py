"""The duty desk's map layers: the territory underneath, units and open cases on top."""

from __future__ import annotations

from typing import Any

from console.map import layer_config, territory_layers
from dispatch import vocab
from layers.registry import LAYERS


def desk_layers(api_base: str) -> list[dict[str, Any]]:
    """Territory underneath; units and open cases on top, filled by pushes from the hub."""
    live = []
    for name in ("units", "incidents"):
        cfg = layer_config(LAYERS[name], api_base=api_base)
        cfg.update(url=None, visible=True)
        live.append(cfg)
    units, cases = live
    units["style"]["classes"] = {k: {**v, "label": vocab.UNIT_STATUSES.get(k, k)}
                                 for k, v in units["style"]["classes"].items()}
    cases["label"] = "在办案件"
    cases["style"].update(radius=7, weight=2)
    cases["style"]["classes"] = {k: {**v, "label": f"{vocab.PRIORITIES[int(k)]}案件"}
                                 for k, v in cases["style"]["classes"].items()}
    territory = territory_layers(api_base)
    for cfg in territory:
        if cfg["name"] == "facilities":
            cfg["visible"] = False  # the desk watches cases and units; facilities on demand
    return territory + live
