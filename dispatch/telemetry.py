"""Unit telemetry rules: pings in any CRS to WGS-84, which ping is newer, hostile pings, staleness,
and unit status changes.

A ping may carry the device's fix time ``at`` and a device counter ``seq``. The unit's current
position is the newest accepted fix: newer by ``seq`` when both the ping and the last accepted
fix carry one (a device clock may be wrong; its counter only goes up, except when the device
restarts), else by ``at``. Older pings are kept in the track history but do not move the unit.
An exact replay (same unit, fix time and point) is recorded once. A fix time in the future
beyond the policy's tolerance, before 2000 (a device clock never set), or a point far outside
the territory is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from dispatch import vocab
from dispatch.errors import InvalidCommand, InvalidTransition
from geo.coords import CRS_NAMES, check_lon_lat, to_wgs84
from geo.errors import CoordinateError

CRSES = CRS_NAMES
EARLIEST_FIX = datetime(2000, 1, 1, tzinfo=UTC)
MAX_SEQ = 2**63 - 1
MAX_ACCURACY_M = 100_000  # a fix claimed less precise than 100 km is no fix
M_PER_DEG = 111_320.0
OLDER = "旧于已有位置"
SAME_TIME = "与已有位置同一时刻，以先到者为准"
REPLAY = "重复上报，已忽略"


@dataclass(frozen=True)
class Fix:
    """A position fix's order keys: the fix time and the device counter (if any)."""

    at: datetime | None
    seq: int | None = None


def to_wgs84_point(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """The ping's point in WGS-84, or :class:`InvalidCommand` naming the bad input."""
    try:
        check_lon_lat(lon, lat)
        x, y = to_wgs84(lon, lat, crs)
    except CoordinateError as err:
        raise InvalidCommand(str(err), field=err.field or "lon") from err
    return float(x), float(y)


def check_crs(crs: str) -> str:
    if crs not in CRSES:
        raise InvalidCommand(f"未知坐标系：{crs}（{'/'.join(CRSES)}）", field="crs")
    return crs


def check_accuracy(accuracy_m: float | None) -> float | None:
    """The device's claimed accuracy in metres: absent, or finite in 0 to :data:`MAX_ACCURACY_M`."""
    if accuracy_m is None:
        return None
    if not math.isfinite(accuracy_m) or not 0 <= accuracy_m <= MAX_ACCURACY_M:
        raise InvalidCommand(f"定位精度（accuracy_m）须在 0 到 {MAX_ACCURACY_M} 米之间",
                             field="accuracy_m")
    return float(accuracy_m)


def check_fix(at: datetime | None, seq: int | None, now: datetime, *, future_s: float
              ) -> Fix:
    """The ping's fix (the server's ``now`` when the device sent no time), or a refusal
    naming ``at`` or ``seq``."""
    if seq is not None and not 0 <= seq <= MAX_SEQ:
        raise InvalidCommand(f"设备序号（seq）须为 0 到 {MAX_SEQ} 的整数", field="seq")
    if at is None:
        return Fix(now, seq)
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidCommand("定位时间（at）须带时区，如 2026-11-23T10:00:00+08:00", field="at")
    if at < EARLIEST_FIX:
        raise InvalidCommand("定位时间（at）早于 2000 年，设备时钟未校准", field="at")
    ahead = (at - now).total_seconds()
    if ahead > future_s:
        raise InvalidCommand(f"定位时间（at）比服务器时间晚 {ahead:.0f} 秒（容差 {future_s:.0f} 秒），"
                             "请校准设备时钟", field="at")
    return Fix(at, seq)


def is_newer(new: Fix, last: Fix, *, reset_s: float) -> bool:
    """Whether ``new`` replaces the unit's last accepted fix as its current position.

    The repository's conditional UPDATE states the same rule in SQL (it decides under
    concurrency); tests hold the two together.
    """
    if last.at is None:
        return True
    assert new.at is not None
    if new.seq is not None and last.seq is not None and new.seq != last.seq:
        restarted = (new.at - last.at).total_seconds() > reset_s
        return new.seq > last.seq or restarted
    return last.at < new.at


def why_not_newer(new: Fix, last: Fix) -> str:
    """The Chinese reason a ping did not move the unit."""
    if new.at == last.at and (new.seq is None or new.seq == last.seq):
        return SAME_TIME
    return OLDER


def outside_m(lon: float, lat: float, bounds: tuple[float, float, float, float] | None
              ) -> float:
    """Metres from the point to the territory's box (minlon, minlat, maxlon, maxlat); 0 inside."""
    if bounds is None:
        return 0.0
    x0, y0, x1, y1 = bounds
    dx = max(x0 - lon, 0.0, lon - x1) * math.cos(math.radians(min(abs(lat), 89.0)))
    dy = max(y0 - lat, 0.0, lat - y1)
    return M_PER_DEG * math.hypot(dx, dy)


def check_inside(lon: float, lat: float, bounds: tuple[float, float, float, float] | None, *,
                 limit_m: float) -> float:
    """Metres outside the territory's box, refused (naming ``lon`` or ``lat``) past
    ``limit_m``: a point that far off is a wrong CRS, swapped axes or a spoofed device."""
    off = outside_m(lon, lat, bounds)
    if off > limit_m:
        assert bounds is not None
        field = "lon" if not bounds[0] <= lon <= bounds[2] else "lat"
        raise InvalidCommand(f"位置（lon/lat）在辖区范围外约 {off / 1000:.0f} 公里（允许 "
                             f"{limit_m / 1000:.0f} 公里以内），请检查坐标与坐标系（crs）",
                             field=field, outside_m=round(off))
    return off


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
