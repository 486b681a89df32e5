"""The map wall's figures in two tiers: what a change moves at once, and what moves slowly.

A change (a case registered, signed for, closed) moves today's counts, the open and overdue
counts, today's bar of the trend and the list of open cases at once: those come from open cases
and the last two days' rows (:func:`live`, a few ms at city scale). The rolling 7- and 30-day
rates and times, the ranking, the category mix and the earlier days of the trend scan a month of
cases (:func:`wall_snapshot`, ~200 ms at city scale on an idle machine, several times that on a
busy one) and each single change moves them by a fraction of a percent. The wall's hub
(``console.live.stats_hub``) computes the first after every burst of changes and the second at most
every few seconds; :func:`with_live` lays the fresh counts over the last full snapshot.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from dispatch.stats import Scope, area, open_cases, overview
from dispatch.stats_board import wall_board
from dispatch.stats_rows import tune

LIVE_COUNTS = ("intake_today", "intake_24h", "resolved_today", "open", "open_urgent",
               "sign_overdue", "close_overdue", "overdue")
LIST_LIMIT = 12  # open cases listed on the wall's panel
WHOLE = Scope()  # the whole territory


def wall_snapshot(conn: Connection, scope: Scope = WHOLE, *, days: int = 30) -> dict[str, Any]:
    """Everything the wall's panels show for one scope (one transaction: one ``now()``)."""
    tune(conn)
    board = wall_board(conn, scope, days=days)
    out = {"scope": area(conn, scope), "overview": board["overview"], "trend": board["trend"],
           "categories": board["categories"], "ranking": board["ranking"],
           "window_days": int(days)}
    out["cases"] = open_cases(conn, scope, limit=LIST_LIMIT)
    return out


def live(conn: Connection, scope: Scope = WHOLE) -> dict[str, Any]:
    """The figures a single change moves: today's and the open counts, the listed open cases."""
    tune(conn)
    counts = overview(conn, scope, windows=())
    return {"overview": {k: counts[k] for k in ("now", "today_start", *LIVE_COUNTS)},
            "cases": open_cases(conn, scope, limit=LIST_LIMIT)}


def with_live(board: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """``board`` (a :func:`wall_snapshot`) with the counts and the list of ``fresh`` (a
    :func:`live` computed later): the overview's counts, the list of open cases, and today's bar
    of the trend (reported today = 今日受理, 办结 today = resolved today: the same definitions).
    A ``fresh`` from another day than the board's leaves the trend as it is."""
    view = fresh["overview"]
    out = {**board, "overview": {**board["overview"], **view}, "cases": fresh["cases"]}
    trend_rows = board.get("trend") or []
    if trend_rows and board["overview"]["today_start"] == view["today_start"]:
        last = trend_rows[-1]
        if last.get("partial"):
            out["trend"] = [*trend_rows[:-1], {**last, "reported": view["intake_today"],
                                               "resolved": view["resolved_today"]}]
    return out
