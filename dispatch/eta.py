"""Travel time from units to an incident behind a small Protocol; a straight-line stand-in.

The road-network provider lives in :mod:`dispatch.adapters.road_eta` (geo.routing); tests and
deployments without roads use :class:`StraightLineEta`, whose answers are flagged as estimates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

_R = 6_371_008.8


class Eta(NamedTuple):
    """Seconds and metres of one unit's way; ``method``: road | straight_line | unreachable.

    A named tuple: a city recommendation makes thousands per request, and these cost a third
    of a frozen dataclass and nothing to the garbage collector."""

    seconds: float
    metres: float
    method: str = "road"


class EtaProvider(Protocol):
    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        """One ETA per origin (lon, lat) to ``destination`` (lon, lat), in order."""
        ...


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * _R * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class StraightLineEta:
    """Great-circle distance × detour at a fixed speed: a stated estimate, never a road time."""

    drive_mps: float = 8.3
    walk_mps: float = 1.3
    detour: float = 1.3

    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        out = []
        for origin, foot in zip(origins, on_foot, strict=True):
            metres = haversine_m(origin, destination) * self.detour
            out.append(Eta(metres / (self.walk_mps if foot else self.drive_mps), metres,
                           "straight_line"))
        return out
