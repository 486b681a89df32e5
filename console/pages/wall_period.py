"""The wall's chosen period: which panels show a fixed period, and reading them off the event loop.

Live (the default): every panel follows the hub's rolling snapshots. A chosen period: the period
cards, the trend, the category mix, the ranking and the map's grid heat show that period (computed
once in a worker thread through the hub's cache, i.e. the read side; a period running to today is
read again every :data:`REFRESH_S`), laid over each live snapshot so no live patch replaces them;
today's counts, the open and overdue counts, the open cases and the overdue grids stay live.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from analysis import period_board
from analysis.periods import Period, PeriodError
from analysis.presets import presets
from console.live.stats_hub import StatsHub
from dispatch.model import BEIJING
from dispatch.stats import Scope

log = logging.getLogger(__name__)
REFRESH_S = 300.0  # a period running to today is read again this often (its today moves)


def beijing_today(board: dict[str, Any] | None = None) -> date:
    """Today in Beijing, by the database's clock when a snapshot carries it."""
    now = ((board or {}).get("overview") or {}).get("now")
    at = datetime.fromisoformat(now) if now else datetime.now(BEIJING)
    return at.astimezone(BEIJING).date()


class WallPeriod:
    """One wall session's chosen period (None: live) and its computed panels for the area on
    screen. ``ready()`` is called on the worker thread when a computation ends (the session
    hands it to its own document)."""

    def __init__(self, hub: StatsHub, floor: Scope, ready: Callable[[], None]) -> None:
        self.hub = hub
        self.floor = floor
        self.ready = ready
        self.period: Period | None = None
        self.board: dict[str, Any] | None = None  # for (self.scope, self.period)
        self.scope: Scope | None = None
        self.error = ""
        self.read_at = 0.0
        self._asked = 0
        self._lock = threading.Lock()

    # ---- choosing ---------------------------------------------------------------------------
    def choose(self, msg: dict[str, Any], scope: Scope) -> None:
        """``{"type": "period", "from", "to"}`` (both empty: back to live)."""
        if not msg.get("from") and not msg.get("to"):
            self.period, self.board, self.error = None, None, ""
            with self._lock:
                self._asked += 1
            return
        try:
            period = Period.parse(msg.get("from"), msg.get("to"), today=beijing_today())
        except PeriodError as exc:
            self.error = str(exc)
            return
        self.error = ""
        if period != self.period:
            self.period, self.board = period, None
        self.load(scope)

    def load(self, scope: Scope, *, again: bool = False) -> None:
        """Compute the period's panels for ``scope`` in a worker thread (the hub's cache: one
        computation per scope and period however many walls ask)."""
        period = self.period
        if period is None:
            return
        with self._lock:
            self._asked += 1
            n = self._asked
        self.scope = scope
        age = 0.0 if again else REFRESH_S
        key = ("period", scope, self.floor, period.start, period.end)

        def work() -> None:
            try:
                got = self.hub.cached(key, lambda c: period_board.board(
                    c, scope, period, floor=self.floor, today=beijing_today()), max_age=age)
                error = ""
            except Exception as exc:  # the database is down or busy: say so on the wall
                log.warning("wall period failed: %s", exc)
                got, error = None, f"统计期数据暂不可用（{type(exc).__name__}），请稍后重选"
            with self._lock:
                if n != self._asked:
                    return  # another period or area was asked for meanwhile
                self.board, self.error, self.read_at = got, error, time.monotonic()
            self.ready()
        threading.Thread(target=work, name="wall-period", daemon=True).start()

    def follow(self, scope: Scope) -> None:
        """A snapshot arrived for ``scope``: read the period again for a new area, or when a
        period running to today is older than :data:`REFRESH_S`."""
        if self.period is None:
            return
        if scope != self.scope:
            self.board = None
            self.load(scope)
        elif (self.board is not None and self.board["period"]["running"]
              and time.monotonic() - self.read_at > REFRESH_S):
            self.load(scope, again=True)

    # ---- what the panels show ---------------------------------------------------------------
    def head(self) -> dict[str, Any]:
        """The period as the panels state it."""
        if self.period is None:
            return {}
        b = self.board
        return {**self.period.as_dict(), "loading": b is None and not self.error,
                "error": self.error,
                **({"bin": b["period"]["bin"], "bin_label": b["period"]["bin_label"],
                    "running": b["period"]["running"]} if b else {})}

    def overlay(self, slices: dict[str, dict[str, Any]], board: dict[str, Any]
                ) -> dict[str, dict[str, Any]]:
        """The live ``slices`` with the chosen period's panels laid over them."""
        today = beijing_today(board)
        top = {**slices["top"], "presets": presets(today), "today": today.isoformat()}
        if self.period is None:
            return {**slices, "top": {**top, "period": {"error": self.error} if self.error
                                      else None}}
        head = self.head()
        b = self.board if self.board is not None and self.scope == self._scope_of(board) \
            else None
        if b is None:
            head["loading"] = not self.error
        return {"top": {**top, "period": {**head, "figures": b and b["figures"]}},
                "left": {**slices["left"], "period": head, "trend": b["trend"] if b else [],
                         "categories": b["categories"] if b else [], "days": self.period.days},
                "right": {**slices["right"], "period": head,
                          "ranking": b["ranking"] if b else [], "days": self.period.days}}

    @staticmethod
    def _scope_of(board: dict[str, Any]) -> Scope:
        s = board["scope"]
        return Scope(s.get("street"), s.get("community"), s.get("grid"), district=s.get("district"))

    def grid_rows(self) -> list[dict[str, Any]] | None:
        """The map's heat rows for the period (``[{id, intake}]``), None when live or not read."""
        if self.period is None or self.board is None:
            return None
        return [{"id": k, "intake": v} for k, v in self.board["grids"].items()]
