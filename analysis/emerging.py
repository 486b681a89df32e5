"""Emerging hotspots: each area's weekly Gi* classes and a Mann-Kendall trend, as one pattern.

The one owner of the scheme (after ArcGIS's Emerging Hot Spot Analysis, with spatial neighbours
only, week by week). Given T weekly Gi* results (oldest first, the last the final week) for an
area, "hot" in a week means a Gi* class ≥ 1 (90 %), "cold" ≤ -1, and the trend is a
Mann-Kendall test on the area's weekly Gi* z-scores, significant at ``alpha`` (default 0.05):

==========  ==========================================================================
新兴热点    hot in the final week only, never hot before
连续热点    a single unbroken run of ≥ 2 hot weeks ending with the final week, never hot
            before the run, hot in < 90 % of the weeks
加剧热点    hot in ≥ 90 % of the weeks including the final one, z rising significantly
持续热点    hot in ≥ 90 % of the weeks including the final one, no significant trend
消退热点    hot in ≥ 90 % of the weeks including the final one, z falling significantly
零星热点    hot in the final week, hot on and off before, < 90 % of the weeks, never cold
振荡热点    hot in the final week, cold in some earlier week, < 90 % of the weeks hot
历史热点    not hot in the final week, hot in ≥ 90 % of the weeks
==========  ==========================================================================

and the same eight for cold (冷点) with hot and cold swapped and "rising" read as "more
intensely cold" (z falling). Anything else is 无显著模式.

The Mann-Kendall test is :func:`scipy.stats.kendalltau` of the series against the week number:
with time untied, Kendall's S is the Mann-Kendall S and tau-b's asymptotic variance is the
Mann-Kendall variance with its tie correction (counts and z-scores tie often), so z and p are the
Mann-Kendall ones without the continuity correction. scipy is kept up to date with the rest of
the stack; ``pymannkendall`` (last release January 2023) would add a dependency for the same S.
A constant series has no trend (p = 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

SHARE = 0.9  # "90 % of the weeks"
PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
            "oscillating", "historical")
_HOT = {"new": "新兴热点", "consecutive": "连续热点", "intensifying": "加剧热点",
        "persistent": "持续热点", "diminishing": "消退热点", "sporadic": "零星热点",
        "oscillating": "振荡热点", "historical": "历史热点"}
LABELS: dict[str, str] = {**{f"hot_{k}": v for k, v in _HOT.items()},
                          **{f"cold_{k}": v.replace("热点", "冷点") for k, v in _HOT.items()},
                          "none": "无显著模式"}
MIN_WEEKS, MAX_WEEKS = 8, 12


@dataclass(frozen=True)
class Trend:
    tau: float
    z: float
    p: float

    @property
    def direction(self) -> int:
        return 0 if self.tau == 0 else (1 if self.tau > 0 else -1)


def mann_kendall(series: ArrayLike) -> Trend:
    """Mann-Kendall trend of ``series`` (oldest first) through :func:`scipy.stats.kendalltau`."""
    y = np.asarray(series, dtype=float)
    if len(y) < 3 or np.ptp(y) == 0:
        return Trend(0.0, 0.0, 1.0)
    t = np.arange(len(y))
    res = stats.kendalltau(t, y, variant="b", method="asymptotic")
    tau, p = float(res.statistic), float(res.pvalue)
    # the z behind p: the Mann-Kendall statistic's sign with the normal quantile of p
    z = float(np.sign(tau) * stats.norm.isf(p / 2.0)) if p > 0 else float(np.sign(tau) * 40.0)
    return Trend(tau, z, p)


def _pattern(hot: np.ndarray, cold: np.ndarray, trend: int) -> str | None:
    """The hot-side pattern of one area (``hot``/``cold``: weekly booleans, oldest first;
    ``trend``: +1 rising significantly, -1 falling, 0 none), or None."""
    n = len(hot)
    share = hot.sum() / n
    if not hot[-1]:
        return "historical" if share >= SHARE else None
    if share >= SHARE:
        return {1: "intensifying", -1: "diminishing"}.get(trend, "persistent")
    before = hot[:-1]
    if not before.any():
        return "new"
    run = n - 1
    while run > 0 and hot[run - 1]:
        run -= 1
    if not hot[:run].any():  # one unbroken run at the end, of ≥ 2 weeks
        return "consecutive"
    return "oscillating" if cold[:-1].any() else "sporadic"


def classify(classes: ArrayLike, z: ArrayLike, *, alpha: float = 0.05) -> str:
    """The pattern key (see :data:`LABELS`) of one area from its weekly Gi* ``classes``
    (-3 … 3) and ``z`` (oldest first)."""
    k = np.asarray(classes)
    if not MIN_WEEKS <= len(k) <= MAX_WEEKS:
        raise ValueError(f"需要 {MIN_WEEKS}–{MAX_WEEKS} 周的序列，实为 {len(k)} 周")
    trend = mann_kendall(z)
    sig = trend.direction if trend.p < alpha else 0
    hot, cold = k >= 1, k <= -1
    found = _pattern(hot, cold, sig)
    if found:
        return f"hot_{found}"
    found = _pattern(cold, hot, -sig)  # colder: z falling
    return f"cold_{found}" if found else "none"


def emerging(ids: Sequence[object], weekly_classes: np.ndarray, weekly_z: np.ndarray, *,
             alpha: float = 0.05) -> list[dict[str, object]]:
    """Each area's pattern from (weeks × areas) Gi* classes and z-scores, oldest week first."""
    out = []
    for j, area in enumerate(ids):
        key = classify(weekly_classes[:, j], weekly_z[:, j], alpha=alpha)
        trend = mann_kendall(weekly_z[:, j])
        out.append({"id": area, "pattern": key, "label": LABELS[key],
                    "final_class": int(weekly_classes[-1, j]),
                    "hot_weeks": int((weekly_classes[:, j] >= 1).sum()),
                    "cold_weeks": int((weekly_classes[:, j] <= -1).sum()),
                    "trend_tau": round(trend.tau, 4), "trend_p": round(trend.p, 5)})
    return out
