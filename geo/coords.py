"""WGS-84 ⇄ GCJ-02 ⇄ BD-09 conversion, with exact iterative inverses, and input checks."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.errors import CoordinateError

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
CRS_NAMES = ("wgs84", "gcj02", "bd09", "cgcs2000")
LON_LIMIT, LAT_LIMIT = 180.0, 90.0  # |lon| and |lat| at most

F64 = NDArray[np.float64]


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """The coarse box the GCJ-02 standard shifts; outside it coordinates pass unchanged."""
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon_a > 72.004) & (lon_a < 137.8347) & (lat_a > 0.8293) & (lat_a < 55.8271)


def _delta(lon: F64, lat: F64) -> tuple[F64, F64]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[F64, F64]:
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon_a, lat_a)
    inside = in_china(lon_a, lat_a)
    return np.where(inside, lon_a + dlon, lon_a), np.where(inside, lat_a + dlat, lat_a)


def _invert(forward: Callable[[F64, F64], tuple[F64, F64]], lon: ArrayLike, lat: ArrayLike,
            *, first_lon: float, first_lat: float, tol_deg: float, max_iter: int
            ) -> tuple[F64, F64]:
    """Solve forward(x) = target by fixed-point iteration; the shifts are smooth and small."""
    tlon, tlat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    xlon, xlat = tlon - first_lon, tlat - first_lat
    for _ in range(max_iter):
        flon, flat = forward(xlon, xlat)
        elon, elat = flon - tlon, flat - tlat
        xlon, xlat = xlon - elon, xlat - elat
        if np.all(np.abs(elon) < tol_deg) and np.all(np.abs(elat) < tol_deg):
            break
    return xlon, xlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10,
                   max_iter: int = 30) -> tuple[F64, F64]:
    """Exact inverse by fixed-point iteration (the one-step inverse is off by up to ~4 m)."""
    return _invert(wgs84_to_gcj02, lon, lat, first_lon=0.0, first_lat=0.0, tol_deg=tol_deg,
                   max_iter=max_iter)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[F64, F64]:
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10,
                  max_iter: int = 30) -> tuple[F64, F64]:
    """Exact inverse of :func:`gcj02_to_bd09` by fixed-point iteration."""
    return _invert(gcj02_to_bd09, lon, lat, first_lon=0.0065, first_lat=0.006, tol_deg=tol_deg,
                   max_iter=max_iter)


_WGS84_ALIASES = ("wgs84", "cgcs2000", "epsg4326", "epsg4490")


def _crs_name(crs: str) -> str:
    name = crs.lower().replace("-", "").replace("_", "").replace(":", "")
    if name in _WGS84_ALIASES:
        return "wgs84"
    if name in ("gcj02", "bd09"):
        return name
    raise CoordinateError(f"坐标系 “{crs}” 不受支持，可选：wgs84、gcj02、bd09、cgcs2000", field="crs")


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[F64, F64]:
    """Convert from ``crs`` (wgs84, cgcs2000, gcj02, bd09) to WGS-84.

    CGCS2000 and WGS-84 differ by centimetres at the epoch of use; both are taken as-is.
    """
    name = _crs_name(crs)
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if name == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[F64, F64]:
    """Convert WGS-84 to ``crs`` (the inverse of :func:`to_wgs84`)."""
    name = _crs_name(crs)
    if name == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if name == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def check_lon_lat(lon: float, lat: float) -> None:
    """Refuse out-of-range values; name a probable lat/lon swap without applying it."""
    for value, name in ((lon, "lon"), (lat, "lat")):
        if not math.isfinite(value):
            raise CoordinateError(f"{name} 不是有效数字", field=name)
    if not -LAT_LIMIT <= lat <= LAT_LIMIT or not -LON_LIMIT <= lon <= LON_LIMIT:
        hint = ""
        if -LAT_LIMIT <= lon <= LAT_LIMIT and -LON_LIMIT <= lat <= LON_LIMIT:
            hint = f"；疑似经纬度颠倒，是否应为 lon={lat}, lat={lon}？"
        field = "lat" if not -LAT_LIMIT <= lat <= LAT_LIMIT else "lon"
        raise CoordinateError(f"{field} 超出范围（经度 -180~180，纬度 -90~90）{hint}", field=field)
    if bool(in_china(lat, lon)) and not bool(in_china(lon, lat)):
        raise CoordinateError(
            f"坐标 ({lon}, {lat}) 不在中国境内，疑似经纬度颠倒：是否应为 lon={lat}, lat={lon}？",
            field="lon")
