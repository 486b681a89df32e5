"""Grid-cell heat of historical cases and the running deadline of open ones."""

from datetime import UTC, datetime, timedelta

import pytest

from layers.heat import HEAT_COLOURS, heat_cells, quantile_breaks, running_deadline, with_deadlines


def test_points_in_one_cell_are_counted_together_and_cells_are_squares_of_cell_m():
    fc = heat_cells([(84.8701, 45.6001), (84.8702, 45.6002), (84.9, 45.62)], cell_m=250)
    counts = sorted(f["properties"]["count"] for f in fc["features"])
    assert counts == [1, 2]
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    height_m = (ring[2][1] - ring[0][1]) * 111_195
    assert height_m == pytest.approx(250, rel=1e-3)
    assert fc["features"][0]["properties"]["colour"] in HEAT_COLOURS


def test_the_same_point_always_lands_in_the_same_cell():
    a = heat_cells([(84.87, 45.60)])["features"][0]["id"]
    b = heat_cells([(84.87, 45.60), (84.87, 45.60), (84.871, 45.601)])["features"]
    assert a in {f["id"] for f in b}


def test_classes_spread_counts_and_the_hottest_cell_is_top_class():
    pts = [(84.80 + i * 0.01, 45.6) for i in range(10) for _ in range(i + 1)]
    fc = heat_cells(pts, cell_m=200)
    levels = {f["properties"]["count"]: int(f["properties"]["level"]) for f in fc["features"]}
    assert levels[10] == 5 and levels[1] == 1
    assert sorted(levels.values()) == [levels[k] for k in sorted(levels)]


def test_weights_empty_input_and_bad_cell():
    assert heat_cells([])["features"] == []
    assert heat_cells([(84.87, 45.6, 2.5)])["features"][0]["properties"]["count"] == 2.5
    with pytest.raises(ValueError):
        heat_cells([(84.87, 45.6)], cell_m=0)
    assert quantile_breaks([3, 3, 3], classes=5) == ()


def test_the_running_deadline_follows_the_state():
    t1, t2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC)
    assert running_deadline("assigned", t1, t2) == ("sign", t1)
    assert running_deadline("acknowledged", t1, t2) == ("close", t2)
    assert running_deadline("resolved", t1, t2) == (None, None)


def test_overdue_is_marked_against_now():
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    feats = [{"type": "Feature", "properties": {
        "state": "assigned", "sign_deadline": (now - timedelta(minutes=1)).isoformat(),
        "close_deadline": (now + timedelta(days=3)).isoformat()}},
        {"type": "Feature", "properties": {
            "state": "on_scene", "sign_deadline": now - timedelta(minutes=1),
            "close_deadline": now + timedelta(days=3)}}]
    out = with_deadlines(feats, now)
    assert [f["properties"]["overdue"] for f in out] == [True, False]
    assert out[1]["properties"]["clock"] == "close"
    assert "overdue" not in feats[0]["properties"]
