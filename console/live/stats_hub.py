"""The StatsHub behind the statistics API (``console.api.stats``) and the map wall.

One per server process: it caches each statistic per scope for a few seconds, so ten walls and a
dozen API clients cost one computation per interval, and one background thread recomputes what
subscribed wall sessions show and hands it to them (DESIGN.md, "five things that hurt" #4).
Sessions receive snapshots through a callback they schedule on their own document.

After a change the figures come in two tiers (``dispatch.stats_live``): the counts, today's bar
and the open cases at once (debounced, at most every ``MIN_GAP_S``); the month-long rates,
ranking and mix at most every ``SLOW_GAP_S`` while changes stream. A change after a quiet spell
moves both at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from console.bootstrap import App
from console.live.hub_base import Hub, per_app
from console.live.notify import fan_out
from dispatch import stats, stats_live, stats_rows
from dispatch.stats import Scope
from geo.db import libpq_url
from geo.queries import territory_layer

log = logging.getLogger(__name__)
INTERVAL_S = 5.0
KEEP_S = 600.0  # cache entries unused this long are dropped: the cache stays bounded
SHAPES_MAX_AGE_S = 600.0  # territory outlines change only on import
DEBOUNCE_S, MIN_GAP_S = 0.1, 0.6  # after a NOTIFY: wait for the burst; at most ~1.7 refreshes/s
SLOW_GAP_S = 3.0  # the month-long figures at most this often while changes stream
# no figure on the wall depends on where a unit stands, nor on a resident report not yet a case
IGNORED = frozenset({"unit_moved", "resident_reported", "resident_decided"})


@dataclass
class _Sub:
    scope: Scope
    deliver: Callable[[dict[str, Any]], None]


class StatsHub(Hub[_Sub]):
    """Cached statistics and one refresh thread per process (started by the first subscriber,
    ended with the last; console.live.hub_base)."""

    thread_name = "wall-stats"

    def __init__(self, engine: Engine, *, interval: float = INTERVAL_S, days: int = 30,
                 conninfo: str | None = None, slow_gap: float = SLOW_GAP_S,
                 reads: Callable[[], Engine] | None = None,
                 settled: Callable[[float], Engine] | None = None) -> None:
        super().__init__(conninfo)  # None: no listener, the interval only (always the primary's)
        self.engine = engine
        # the figures are read where console.read_side says (the replica while it keeps up);
        # after a change, from the replica only once it has replayed it (``settled``)
        self.reads = reads or (lambda: engine)
        self.settled = settled
        self._pinned = threading.local()
        self.interval = interval
        self.days = days
        self.slow_gap = slow_gap
        self._dirty = False
        self._last_refresh = 0.0
        self._slow_owed = False  # a change not yet in the month-long figures
        self._last_slow = 0.0
        self._cache: dict[Hashable, tuple[float, Any]] = {}
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self.computations = 0  # how many statistics were computed (tests, diagnostics)

    # ---- cache ------------------------------------------------------------------------------
    def cached(self, key: Hashable, compute: Callable[[Connection], Any], *,
               max_age: float | None = None) -> Any:
        """``compute(conn)`` at most once per ``max_age`` seconds per key, process-wide."""
        age = self.interval if max_age is None else max_age
        with self._lock:
            hit = self._cache.get(key)
            if hit and time.monotonic() - hit[0] < age:
                return hit[1]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # a second caller for the same key waits for the first's answer
            with self._lock:
                hit = self._cache.get(key)
                if hit and time.monotonic() - hit[0] < age:
                    return hit[1]
            with (getattr(self._pinned, "engine", None) or self.reads()).connect() as conn:
                stats_rows.tune(conn)  # no JIT for these aggregates (dispatch.stats_rows)
                value = compute(conn)
            now = time.monotonic()
            with self._lock:
                self.computations += 1
                self._cache[key] = (now, value)
                for k in [k for k, (t, _) in self._cache.items() if now - t > KEEP_S]:
                    self._cache.pop(k, None)
                    self._key_locks.pop(k, None)
            return value

    def board(self, scope: Scope, *, max_age: float | None = None,
              live_age: float | None = None) -> dict[str, Any]:
        """What a wall's panels show: the full snapshot (at most ``max_age`` old) with the counts
        and open cases at most ``live_age`` old laid over it (``dispatch.stats_live``)."""
        full = self.cached(("wall", scope, self.days),
                           lambda c: stats_live.wall_snapshot(c, scope, days=self.days),
                           max_age=max_age)
        fresh = self.cached(("live", scope), lambda c: stats_live.live(c, scope),
                            max_age=max_age if live_age is None else live_age)
        return stats_live.with_live(full, fresh)

    def shape(self, scope: Scope) -> dict[str, Any]:
        return dict(self.cached(("shape", scope), lambda c: stats.area(c, scope, shape=True),
                                max_age=SHAPES_MAX_AGE_S))

    def heat(self, *, max_age: float | None = None, cases_age: float | None = None
             ) -> dict[str, Any]:
        """Territory-wide: every grid's intake, open and overdue (at most ``max_age`` old), and
        the open cases, masked (at most ``cases_age`` old)."""
        grids = self.cached(("grid_heat", self.days),
                            lambda c: stats.grid_heat(c, days=self.days), max_age=max_age)
        cases = self.cached(("open_cases",), stats.open_cases,
                            max_age=max_age if cases_age is None else cases_age)
        return {"grids": grids, "cases": cases}

    def grid_shapes(self) -> list[dict[str, Any]]:
        return list(self.cached(("grid_shapes",), lambda c: territory_layer(c, "grids"),
                                max_age=SHAPES_MAX_AGE_S))

    # ---- subscriptions ----------------------------------------------------------------------
    def subscribe(self, scope: Scope, deliver: Callable[[dict[str, Any]], None]) -> int:
        """``deliver({"board", "shape", "heat"})`` is called from the hub's thread every interval
        (and soon after :meth:`rescope`); ``{"error": ...}`` when the database fails."""
        token = self._add(_Sub(scope, deliver))
        self._wake.set()
        return token

    def rescope(self, token: int, scope: Scope) -> None:
        with self._lock:
            if token in self._subs:
                self._subs[token].scope = scope
        self._wake.set()

    def _run(self) -> None:
        while True:
            wait = self.interval
            if self._slow_owed:  # wake when the month-long figures may be computed again
                wait = min(wait, max(0.0, self._last_slow + self.slow_gap - time.monotonic()))
            self._wake.wait(wait)
            self._wake.clear()
            with self._lock:
                if self._ending():
                    return
                subs = list(self._subs.values())
            force = self._dirty
            if force:  # a change was committed: let a burst land, then refresh what it moved
                time.sleep(max(DEBOUNCE_S, MIN_GAP_S - (time.monotonic() - self._last_refresh)))
                self._dirty = False
                self._slow_owed = True
            slow = self._slow_owed and time.monotonic() - self._last_slow >= self.slow_gap
            if slow:
                self._slow_owed = False
                self._last_slow = time.monotonic()
            self._last_refresh = time.monotonic()
            self.refresh(subs, force=force or slow, slow=slow)

    def _notified(self, payload: str) -> None:
        """From the process's listener (console.live.notify): a change was committed."""
        try:
            kind = json.loads(payload).get("type")
        except (ValueError, AttributeError):
            kind = None
        if kind in IGNORED:
            return
        self._dirty = True
        self._wake.set()

    def refresh(self, subs: list[_Sub], *, force: bool = False, slow: bool = True) -> None:
        """Compute once per distinct scope, then hand each subscriber its snapshot. ``force``:
        after a change, the counts and open cases again even if cached, and with ``slow`` the
        month-long figures too (otherwise those come from the cache while fresh enough)."""
        periodic = self.interval * 0.9
        live_age = 0.0 if force else periodic
        full_age = periodic if not force else 0.0 if slow else KEEP_S
        payloads: dict[Scope, dict[str, Any]] = {}
        try:
            # after a change: a replica that has not replayed it yet would show the old figures
            # until the next refresh, so this refresh reads the primary instead
            self._pinned.engine = self.settled(1.0) if force and self.settled else None
            heat = self.heat(max_age=full_age, cases_age=live_age)
            if force:  # the map's points first (~10 ms at city scale), the figures after them
                self._deliver_all(subs, lambda _sub: {"heat": heat, "early": True})
            for sub in subs:
                if sub.scope not in payloads:
                    payloads[sub.scope] = {"board": self.board(sub.scope, max_age=full_age,
                                                               live_age=live_age),
                                           "shape": self.shape(sub.scope), "heat": heat}
        except Exception as exc:  # the database is down or busy: say so, try again next time
            log.warning("wall statistics failed: %s", exc)
            error = {"error": f"数据暂不可用（{type(exc).__name__}），稍后自动重试"}
            payloads = dict.fromkeys({s.scope for s in subs}, error)
        finally:
            self._pinned.engine = None
        self._deliver_all(subs, lambda sub: payloads[sub.scope])

    @staticmethod
    def _deliver_all(subs: list[_Sub], payload: Callable[[_Sub], dict[str, Any]]) -> None:
        fan_out(subs, lambda sub: sub.deliver(payload(sub)), "wall delivery")


_HUBS: dict[int, tuple[App, StatsHub]] = {}
_HUBS_LOCK = threading.Lock()


def stats_hub(app: App) -> StatsHub:
    """The process's hub for ``app``, made on first use (never at import)."""
    return per_app(_HUBS, _HUBS_LOCK, app,
                   lambda a: StatsHub(a.engine, conninfo=libpq_url(a.engine), reads=a.read_engine,
                                      settled=a.reads.settled if a.reads else None))
