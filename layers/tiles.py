"""Intranet XYZ tiles drawn in GCJ-02 under our WGS-84 data: how far to move each tile.

Our data stays WGS-84 everywhere (clicks, pushes, exports agree); a GCJ-02 tile instead is
moved by the shift at its centre: its content at GCJ-02 point g shows the place whose WGS-84
coordinates are ``gcj02_to_wgs84(g)``, so it is drawn that many pixels away. The shift varies
by tens of metres across a city (the standard's sine terms) but by well under a pixel across
one tile at any zoom, so one shift per tile is enough. Conversions are geo.coords' exact ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from geo.coords import gcj02_to_wgs84

TILE_PX = 256
TILE_CRS = ("wgs84", "gcj02")


def lonlat_to_px(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Web Mercator global pixel coordinates at zoom ``z`` (256 px tiles)."""
    size = TILE_PX * 2 ** z
    s = math.sin(math.radians(lat))
    return ((lon + 180.0) / 360.0 * size,
            (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * size)


def px_to_lonlat(x: float, y: float, z: int) -> tuple[float, float]:
    size = TILE_PX * 2 ** z
    lon = x / size * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / size))))
    return lon, lat


def tile_shift_px(z: int, x: int, y: int) -> tuple[float, float]:
    """Pixels to move GCJ-02 tile (z, x, y) so that it lies right under WGS-84 data."""
    cx, cy = (x + 0.5) * TILE_PX, (y + 0.5) * TILE_PX
    glon, glat = px_to_lonlat(cx, cy, z)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    wx, wy = lonlat_to_px(float(wlon), float(wlat), z)
    return wx - cx, wy - cy


TILE_ROUTE = "/tiles/{z}/{x}/{y}"
"""Where the console serves ``FQ_TILE_DIR`` (console/api/tiles.py): the default tile URL."""


@dataclass(frozen=True)
class TileSettings:
    """``FQ_TILE_URL`` (an XYZ template, e.g. ``http://tiles.intranet/{z}/{x}/{y}.png``;
    unset: no tiles, our own roads and blocks), ``FQ_TILE_CRS`` (wgs84 | gcj02) and
    ``FQ_TILE_DIR`` (a folder of ``{z}/{x}/{y}.png|jpg|webp`` the console serves itself at
    :data:`TILE_ROUTE`, which is then the URL unless ``FQ_TILE_URL`` says otherwise)."""

    url: str | None = None
    crs: str = "wgs84"
    dir: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TileSettings:
        """The settings in ``env``; a bad value raises ``ValueError`` (Chinese, naming it)."""
        url = (env.get("FQ_TILE_URL") or "").strip() or None
        crs = (env.get("FQ_TILE_CRS") or "wgs84").strip().lower()
        raw_dir = (env.get("FQ_TILE_DIR") or "").strip()
        if crs not in TILE_CRS:
            raise ValueError(f"FQ_TILE_CRS 只能是 wgs84 或 gcj02，而不是 “{crs}”")
        if url is not None and not all(k in url for k in ("{z}", "{x}", "{y}")):
            raise ValueError("FQ_TILE_URL 须为含 {z}、{x}、{y} 的瓦片地址模板")
        folder = Path(raw_dir).expanduser().resolve() if raw_dir else None
        if folder is not None and not folder.is_dir():
            raise ValueError(f"FQ_TILE_DIR 须为已存在的瓦片文件夹（{{z}}/{{x}}/{{y}}.png），"
                             f"而 “{raw_dir}” 不是")
        if url is None and folder is not None:
            url = TILE_ROUTE
        return cls(url=url, crs=crs, dir=folder)
