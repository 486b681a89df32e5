"""The emerging-hotspot scheme on constructed weekly series, and its Mann-Kendall trend."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from shapely.geometry import box

from analysis.emerging import LABELS, classify, emerging, mann_kendall
from analysis.hotspots import MicroGrids, emerging_features

UP = list(range(12))
DOWN = list(range(12, 0, -1))
FLAT = [2.5] * 12


def _mk_reference(y: list[float]) -> tuple[float, float]:
    """Mann-Kendall S and its tie-corrected variance, from the textbook definition."""
    n = len(y)
    s = sum(np.sign(y[j] - y[i]) for i in range(n) for j in range(i + 1, n))
    _, ties = np.unique(y, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    return float(s), float(var)


@pytest.mark.parametrize("y", [[0, 1, 0, 2, 3, 1, 4, 3, 5, 4], [3, 3, 2, 2, 2, 1, 1, 0, 0, 0, 1, 0],
                               [1, 0, 2, 0, 1, 0, 2, 1]])
def test_mann_kendall_is_the_textbook_test_without_continuity_correction(y):
    s, var = _mk_reference(y)
    trend = mann_kendall(y)
    assert trend.p == pytest.approx(2 * stats.norm.sf(abs(s) / np.sqrt(var)), rel=1e-9)
    assert np.sign(trend.tau) == np.sign(s)


def test_a_constant_series_has_no_trend():
    assert mann_kendall([0] * 10).p == 1.0


@pytest.mark.parametrize(("classes", "z", "pattern"), [
    ([0] * 11 + [2], FLAT, "hot_new"),
    ([0] * 9 + [1, 2, 3], FLAT, "hot_consecutive"),
    ([2] * 12, UP, "hot_intensifying"),
    ([2] * 12, FLAT, "hot_persistent"),
    ([0] + [2] * 11, FLAT, "hot_persistent"),  # 11 of 12 weeks: 91.7 % ≥ 90 %
    ([2] * 12, DOWN, "hot_diminishing"),
    ([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1], FLAT, "hot_sporadic"),
    ([1, 0, -2, 0, 0, 0, 0, 0, 1, 0, 0, 1], FLAT, "hot_oscillating"),
    ([2] * 11 + [0], FLAT, "hot_historical"),
    ([0] * 11 + [-1], FLAT, "cold_new"),
    ([-3] * 12, DOWN, "cold_intensifying"),
    ([-3] * 12, UP, "cold_diminishing"),
    ([0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], FLAT, "none"),
    ([1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], FLAT, "hot_persistent"),  # a gap, 11/12 hot
    ([0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], FLAT, "hot_sporadic"),  # 10/12 hot, run broken
])
def test_each_pattern_of_the_scheme(classes, z, pattern):
    assert classify(classes, z) == pattern
    assert pattern in LABELS


def test_the_series_must_cover_8_to_12_weeks():
    with pytest.raises(ValueError, match="8–12"):
        classify([1] * 7, [0] * 7)
    with pytest.raises(ValueError):
        classify([1] * 13, [0] * 13)


def test_a_cluster_growing_week_by_week_is_an_intensifying_hotspot():
    polys = [box(i, j, i + 1, j + 1) for j in range(10) for i in range(10)]
    micro = MicroGrids.build(list(range(100)), polys)
    rng = np.random.default_rng(7)
    weeks = []
    for k in range(12):
        y = {i: float(v) for i, v in enumerate(rng.poisson(2.0, 100))}
        for i in (44, 45, 54, 55):
            y[i] += 1 + 1.5 * k  # hotter every week (hot from the second)
        for i in (77, 78, 87, 88):
            y[i] += 25 if k == 11 else 0  # hot in the final week only
        weeks.append(y)
    feats = {f["id"]: f["properties"] for f in emerging_features(micro.w, weeks, micro.geojson())}
    assert feats["44"]["pattern"] == "hot_intensifying", feats["44"]
    assert feats["77"]["pattern"] == "hot_new"
    assert "11" not in feats or feats["11"]["pattern"] != "hot_intensifying"
    rows = emerging([1, 2], np.array([[0, 0]] * 12), np.zeros((12, 2)))
    assert [r["pattern"] for r in rows] == ["none", "none"]
