"""console.pages.wall_period: a chosen period's panels laid over the live snapshots."""

from __future__ import annotations

import threading
from typing import Any

from console.pages.wall import board_slices
from console.pages.wall_period import WallPeriod
from dispatch.stats import Scope

NOW = "2026-12-09T10:00:00+08:00"


class FakeHub:
    """The hub's cache: counts the computations, answers with a fixed period board."""

    def __init__(self) -> None:
        self.keys: list[Any] = []

    def cached(self, key: Any, compute: Any, *, max_age: float | None = None) -> Any:
        self.keys.append(key)
        return {"period": {"running": False, "bin": "day", "bin_label": "按日"},
                "figures": {"received": 7}, "trend": [{"day": "2026-11-01", "reported": 7}],
                "categories": [{"category": "neighbour", "count": 7}],
                "ranking": [{"id": 1, "received": 7}], "grids": {5: 7}}


def live_board(street: int | None = None) -> dict[str, Any]:
    return {"scope": {"level": "street" if street else "all", "street": street,
                      "community": None, "grid": None},
            "overview": {"now": NOW, "open": 3}, "trend": [{"day": "live"}],
            "categories": [{"category": "live"}], "ranking": [{"id": 9, "intake": 1}],
            "cases": [{"id": 42}], "window_days": 30}


def chosen(hub: FakeHub, scope: Scope) -> WallPeriod:
    done = threading.Event()
    period = WallPeriod(hub, Scope(), done.set)  # type: ignore[arg-type]
    period.choose({"type": "period", "from": "2026-11-01", "to": "2026-11-30"}, scope)
    assert done.wait(5)
    return period


def test_live_slices_pass_through_with_the_servers_quick_picks() -> None:
    period = WallPeriod(FakeHub(), Scope(), lambda: None)  # type: ignore[arg-type]
    board = live_board()
    got = period.overlay(board_slices(board), board)
    assert got["left"]["trend"] == [{"day": "live"}] and got["top"]["period"] is None
    assert got["top"]["today"] == "2026-12-09"
    assert [p["key"] for p in got["top"]["presets"]][:2] == ["week", "last_week"]
    assert period.grid_rows() is None


def test_a_chosen_period_replaces_the_period_panels_and_keeps_the_live_ones() -> None:
    hub = FakeHub()
    period = chosen(hub, Scope())
    board = live_board()
    for _ in range(2):  # every later live snapshot gets the same period laid over it
        got = period.overlay(board_slices(board), board)
        assert got["left"]["trend"] == [{"day": "2026-11-01", "reported": 7}]
        assert got["left"]["categories"] == [{"category": "neighbour", "count": 7}]
        assert got["right"]["ranking"] == [{"id": 1, "received": 7}]
        assert got["top"]["period"]["figures"] == {"received": 7}
        assert got["top"]["period"]["label"] == "2026年11月"
        assert got["right"]["cases"] == [{"id": 42}]  # live
        assert got["top"]["overview"]["open"] == board["overview"]["open"]  # live
        board = {**board, "overview": {**board["overview"], "open": 4}}
    assert period.grid_rows() == [{"id": 5, "intake": 7}]
    assert len(hub.keys) == 1


def test_another_area_reads_the_period_again_and_shows_loading_meanwhile() -> None:
    hub = FakeHub()
    period = chosen(hub, Scope())
    board = live_board(street=2)
    got = period.overlay(board_slices(board), board)  # the street's period not read yet
    assert got["left"]["period"]["loading"] and got["left"]["trend"] == []
    assert got["right"]["ranking"] == []


def test_a_refused_period_says_why_and_live_comes_back_in_one_message() -> None:
    period = chosen(FakeHub(), Scope())
    period.choose({"type": "period", "from": "2024-01-01", "to": "2026-11-30"}, Scope())
    board = live_board()
    got = period.overlay(board_slices(board), board)
    assert "统计期最长 366 天" in got["top"]["period"]["error"]
    period.choose({"type": "period"}, Scope())
    got = period.overlay(board_slices(board), board)
    assert got["top"]["period"] is None and got["left"]["trend"] == [{"day": "live"}]
