"""The coverage layer: roads coloured by how soon the nearest available unit can be there."""

from __future__ import annotations

from typing import Any

from layers.registry import COVERAGE_COLOURS

BANDS: tuple[tuple[float, str, str], ...] = tuple(
    (limit, COVERAGE_COLOURS[label], label) for limit, label in (
        (5.0, "5分钟内"), (10.0, "5-10分钟"), (15.0, "10-15分钟"), (30.0, "15-30分钟"),
        (float("inf"), "30分钟以上")))


def band(minutes: float) -> tuple[str, str]:
    """(colour, Chinese label) of the band ``minutes`` falls in."""
    for limit, colour, label in BANDS:
        if minutes <= limit:
            return colour, label
    return BANDS[-1][1], BANDS[-1][2]


def coverage_features(roads: list[dict[str, Any]], minutes_by_edge: dict[int, float], *,
                      within: float) -> list[dict[str, Any]]:
    """Road features reached within ``within`` minutes, each with its minutes and colour."""
    out = []
    for feature in roads:
        minutes = minutes_by_edge.get(int(feature["id"]))
        if minutes is None or minutes > within:
            continue
        colour, label = band(minutes)
        props = feature["properties"]
        props.update({"minutes": round(minutes, 1), "colour": colour, "band": label})
        out.append(feature)
    return out
