"""When demo disputes happen, and how long each step of their handling takes."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np

TZ = timezone(timedelta(hours=8))  # Beijing time, as the centres' clocks show
DAY, HOUR, MINUTE = 86_400.0, 3_600.0, 60.0
TZ_OFFSET = 8 * HOUR

SPRING_FESTIVAL = {  # 春节 (lunar new year's day)
    2021: date(2021, 2, 12), 2022: date(2022, 2, 1), 2023: date(2023, 1, 22),
    2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
    2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13),
    2030: date(2030, 2, 3), 2031: date(2031, 1, 23), 2032: date(2032, 2, 11),
}
# Hour-of-day profiles (local time) per intake channel: windows keep office hours,
# the hotline and the app run round the clock with an evening tail.
_OFFICE = [0] * 8 + [0.6, 4, 5.5, 5, 2, 1.5, 3, 4.5, 4.5, 1.5] + [0] * 6
HOURS: dict[str, list[float]] = {
    "hotline": [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 3, 5, 5.5, 5, 3.5, 3, 4.5, 5,
                      4.8, 4, 3.2, 3, 2.8, 2, 1.2, 0.5],
    "walk_in": _OFFICE,
    "referral": _OFFICE,
    "grid_report": [0.1] * 7 + [0.3, 2, 5, 5.5, 5, 2, 1.5, 3, 4.5, 5, 3, 1.5, 1, 0.8, 0.5,
                                0.2, 0.1],
    "app": [0.4, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 4, 4, 3.5, 3.2, 3.5, 3.8, 3.8,
            3.5, 3.5, 4, 4.5, 4.2, 2.5, 1],
}
WEEKDAYS: dict[str, list[float]] = {  # Monday first
    "hotline": [1.1, 1.05, 1, 1, 1, 0.85, 0.8],
    "walk_in": [1.25, 1.1, 1.05, 1, 1.05, 0.35, 0.25],
    "referral": [1.1, 1.1, 1.1, 1.1, 1, 0.1, 0.05],
    "grid_report": [1.1, 1.1, 1.05, 1.05, 1, 0.6, 0.5],
    "app": [1, 1, 1, 1, 1, 1.05, 1.05],
}
# Seasons that move some kinds more: wages before the new year (年关), summer noise,
# family rows after the holiday.
SEASON_GROUP = {"labour": "yearend", "construction": "yearend", "debt": "yearend",
                "neighbour": "summer", "family": "family", "marriage": "family"}


def to_seconds(t: datetime) -> float:
    """Epoch seconds of ``t``; a naive datetime is taken as Beijing time."""
    return (t if t.tzinfo else t.replace(tzinfo=TZ)).timestamp()


def _day_weights(days: list[date], channel: str, group: str) -> np.ndarray:
    w = np.array([WEEKDAYS[channel][d.weekday()] for d in days], dtype=float)
    for i, d in enumerate(days):
        sf = SPRING_FESTIVAL.get(d.year)
        nxt = SPRING_FESTIVAL.get(d.year + 1)
        f = 1.0
        for festival in (sf, nxt):
            if festival is None:
                continue
            delta = (d - festival).days
            if -28 <= delta <= -3:
                f *= 2.4 if group == "yearend" else 1.25
            elif -2 <= delta <= 6:
                f *= 0.55
            elif 7 <= delta <= 30 and group == "family":
                f *= 1.4
        if (d.month, d.day) >= (6, 15) and d.month <= 8:
            f *= 1.35 if group == "summer" else 1.12
        if d.month == 10 and d.day <= 7:  # National Day holiday
            f *= 0.7
        w[i] *= f
    return w


def reported_times(rng: np.random.Generator, end_s: float, categories: np.ndarray,
                   channels: np.ndarray) -> np.ndarray:
    """Epoch seconds in the 365 days before ``end_s``, shaped by day, week, season and hour."""
    start_s = end_s - 365 * DAY
    first = datetime.fromtimestamp(start_s, TZ).date()
    last = datetime.fromtimestamp(end_s, TZ).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    midnight = np.array([datetime(d.year, d.month, d.day, tzinfo=TZ).timestamp() for d in days])
    groups = np.array([SEASON_GROUP.get(c, "base") for c in categories.tolist()])
    out = np.empty(len(categories))
    for ch in np.unique(channels):
        hours = np.array(HOURS[str(ch)], dtype=float)
        for grp in np.unique(groups):
            idx = np.flatnonzero((channels == ch) & (groups == grp))
            if not len(idx):
                continue
            wd = _day_weights(days, str(ch), str(grp))
            todo = idx
            for _ in range(8):  # redraw the few that fall outside the window
                d = rng.choice(len(days), size=len(todo), p=wd / wd.sum())
                h = rng.choice(24, size=len(todo), p=hours / hours.sum())
                t = midnight[d] + h * HOUR + rng.random(len(todo)) * HOUR
                out[todo] = t
                bad = (t < start_s) | (t >= end_s)
                todo = todo[bad]
                if not len(todo):
                    break
            out[todo] = np.clip(out[todo], start_s, end_s - 1)
    return out


def lognormal(rng: np.random.Generator, median: float | np.ndarray,
              sigma: float | np.ndarray, n: int) -> np.ndarray:
    """Positive durations around ``median`` (same unit), spread ``sigma`` in log space."""
    return np.asarray(median) * np.exp(rng.normal(0.0, sigma, n))
