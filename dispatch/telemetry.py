"""Unit telemetry rules: pings in any CRS to WGS-84, staleness, and unit status changes."""

from __future__ import annotations

from datetime import datetime

from dispatch import vocab
from dispatch.errors import InvalidCommand, InvalidTransition
from geo.coords import check_lon_lat, to_wgs84
from geo.errors import CoordinateError


def to_wgs84_point(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """The ping's point in WGS-84, or :class:`InvalidCommand` naming the bad input."""
    try:
        check_lon_lat(lon, lat)
        x, y = to_wgs84(lon, lat, crs)
    except CoordinateError as err:
        raise InvalidCommand(str(err), field=err.field or "lon") from err
    return float(x), float(y)


def is_stale(last_seen_at: datetime | None, now: datetime, limit_s: float) -> bool:
    return last_seen_at is None or (now - last_seen_at).total_seconds() > limit_s


def check_status(current: str, new: str, active_load: int) -> None:
    """Refuse unknown statuses, and going off duty or available with cases in hand."""
    if new not in vocab.UNIT_STATUSES:
        names = "、".join(f"{k}（{v}）" for k, v in vocab.UNIT_STATUSES.items())
        raise InvalidCommand(f"未知的单位状态：{new}；可选：{names}", field="status")
    if new == current:
        return
    if new == "off_duty" and active_load:
        raise InvalidTransition(f"尚有 {active_load} 件在办案件，不能下班；请先办结或改派",
                                status=current, to=new)
    if new in ("en_route", "on_scene", "assigned") and not active_load:
        raise InvalidTransition(f"没有在办案件，不能改为「{vocab.UNIT_STATUSES[new]}」",
                                status=current, to=new)
