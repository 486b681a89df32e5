"""The home map's dispute layers: a grid-cell heat of historical cases, and open cases with the
deadline that runs for each (the browser pulses the ones past it).

Pure functions of rows in, GeoJSON dicts out. The heat bins points into square cells of
``cell_m`` metres on a local equirectangular plane (exact enough at city size: < 0.1 % error
over 20 km), counts them, and classes the counts by quantiles so a few hot cells do not wash
the rest out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from dispatch.clocks import running

HEAT_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
HEAT_LABELS = ("少", "较少", "中", "较多", "多")
EARTH_M = 6_371_008.8  # mean radius, metres
DEG_M = math.pi * EARTH_M / 180.0


def heat_cells(points: Iterable[Sequence[float]], *, cell_m: float = 250.0,
               min_count: int = 1) -> dict[str, Any]:
    """A FeatureCollection of square cells with ``count``, ``level`` (1-5) and ``colour``.

    ``points`` are (lon, lat) in WGS-84, optionally with a weight as third item. Cells are
    anchored at a multiple of ``cell_m`` so the same point always falls in the same cell.
    """
    if cell_m <= 0:
        raise ValueError("cell_m must be positive")
    pts = [(float(p[0]), float(p[1]), float(p[2]) if len(p) > 2 else 1.0) for p in points]
    if not pts:
        return _collection([], cell_m, ())
    lat0 = sum(p[1] for p in pts) / len(pts)
    dlat = cell_m / DEG_M
    dlon = cell_m / (DEG_M * math.cos(math.radians(lat0)))
    counts: dict[tuple[int, int], float] = {}
    for lon, lat, w in pts:
        key = (math.floor(lon / dlon), math.floor(lat / dlat))
        counts[key] = counts.get(key, 0.0) + w
    kept = {k: v for k, v in counts.items() if v >= min_count}
    breaks = quantile_breaks(list(kept.values()), classes=len(HEAT_COLOURS))
    feats = []
    for (i, j), count in sorted(kept.items()):
        x0, y0 = i * dlon, j * dlat
        level = 1 + sum(count > b for b in breaks)
        ring = [[round(x, 7), round(y, 7)] for x, y in (
            (x0, y0), (x0 + dlon, y0), (x0 + dlon, y0 + dlat), (x0, y0 + dlat), (x0, y0))]
        feats.append({"type": "Feature", "id": f"{i}_{j}",
                      "geometry": {"type": "Polygon", "coordinates": [ring]},
                      "properties": {"id": f"{i}_{j}", "count": round(count, 3),
                                     "level": str(level), "colour": HEAT_COLOURS[level - 1]}})
    return _collection(feats, cell_m, breaks)


def quantile_breaks(values: list[float], *, classes: int) -> tuple[float, ...]:
    """Upper bounds of the first ``classes - 1`` classes (ascending, distinct)."""
    if not values:
        return ()
    ordered = sorted(values)
    out: list[float] = []
    for k in range(1, classes):
        b = ordered[min(len(ordered) - 1, int(len(ordered) * k / classes))]
        if not out or b > out[-1]:
            out.append(b)
    if out and out[-1] >= ordered[-1]:
        out.pop()  # the top class must hold something
    return tuple(out)


def _collection(feats: list[dict[str, Any]], cell_m: float,
                breaks: Sequence[float]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "name": "heat", "label": "历史纠纷热力",
            "cell_m": cell_m, "breaks": list(breaks), "features": feats}


def running_deadline(state: str, sign_deadline: datetime | str | None,
                     close_deadline: datetime | str | None) -> tuple[str | None, Any]:
    """Which clock runs for a case in ``state`` and its deadline: ("sign", t) while sign-for is
    owed, ("close", t) while open, (None, None) once done (the wall's overdue rule)."""
    return running(state, sign_deadline, close_deadline)


def with_deadlines(features: Iterable[Mapping[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Open-case features with ``clock``, ``due`` (ISO time) and ``overdue`` at ``now``; the
    browser re-checks ``due`` against its clock so a case starts pulsing when its time passes."""
    out = []
    for f in features:
        props = dict(f.get("properties") or {})
        clock, due = running_deadline(str(props.get("state")), props.get("sign_deadline"),
                                      props.get("close_deadline"))
        due_dt = datetime.fromisoformat(due) if isinstance(due, str) else due
        props.update(clock=clock, due=due_dt.isoformat() if due_dt else None,
                     overdue=bool(due_dt and due_dt < now))
        out.append({**f, "properties": props})
    return out
