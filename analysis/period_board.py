"""The wall's panels over a chosen period: trend bins, category mix, area ranking and grid heat.

Every number is the period's own definition (:mod:`analysis.periods`): the trend's bins add up to
the period's 受理 and 办结, the mix is the category breakdown's 受理, the ranking the breakdown one
level down (with the areas that had no case), the heat each grid's 受理. A period longer than the
wall's 31 bars is drawn in weeks (7-day bins from its first day), past 31 weeks in calendar months.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from analysis import periods
from analysis import queries_periods as qp
from analysis.periods import Period
from dispatch.stats import CHILD, rate
from dispatch.stats_scope import Scope

BARS = 31  # the most bars the wall's trend chart draws
BIN_LABELS = {"day": "按日", "week": "按周", "month": "按月"}


def bin_kind(days: int) -> str:
    """Days while they fit the chart, then weeks, then months."""
    return "day" if days <= BARS else "week" if days <= BARS * 7 else "month"


def bins(period: Period, today: date) -> list[tuple[date, date]]:
    """The trend's bins ``(first, last)`` of the period, none after ``today`` (the days to come
    hold nothing yet); the last bin may be short."""
    end = min(period.end, today)
    kind, out, d = bin_kind(period.days), [], period.start
    while d <= end:
        if kind == "day":
            last = d
        elif kind == "week":
            last = d + timedelta(days=6)
        else:
            nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
            last = nxt - timedelta(days=1)
        out.append((d, min(last, end)))
        d = last + timedelta(days=1)
    return out


def bin_label(first: date, last: date, kind: str) -> str:
    if kind == "month":
        return f"{first.month}月"
    return f"{first.month}/{first.day}"


def trend(counts: dict[date, tuple[int, int]], period: Period, today: date
          ) -> list[dict[str, Any]]:
    """The bins with their 受理 (``reported``) and 办结 (``resolved``); a bin holding today is
    ``partial`` (it runs up to now)."""
    kind = bin_kind(period.days)
    out = []
    for first, last in bins(period, today):
        rep = res = 0
        d = first
        while d <= last:
            a, b = counts.get(d, (0, 0))
            rep, res, d = rep + a, res + b, d + timedelta(days=1)
        out.append({"day": first.isoformat(), "to": last.isoformat(),
                    "label": bin_label(first, last, kind), "reported": rep, "resolved": res,
                    "partial": first <= today <= last})
    return out


def mix(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The category breakdown as the wall's mix: 受理 per category, largest first, with shares."""
    got = [r for r in rows if r["received"] > 0]
    total = sum(r["received"] for r in got)
    got.sort(key=lambda r: (-r["received"], str(r["key"])))
    return [{"category": r["key"], "label": r["name"], "count": r["received"],
             "share": rate(r["received"], total)} for r in got]


def ranking(conn: Connection, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """The areas one level below ``scope`` with the period's figures, most received first; an
    area with no case in the period is listed with zeros (none below a grid)."""
    child = CHILD.get(scope.level)
    if child is None:
        return []
    rows = periods.breakdown(conn, scope, period, by=child)
    seen = {r["key"] for r in rows if r["key"] is not None}
    rows = [r for r in rows if r["key"] is not None]
    rows += [{"key": a["key"], "name": a["name"], "code": a["code"], "received": 0, "done": 0,
              "overdue": 0, "closure_rate": None, "satisfaction_rate": None}
             for a in qp.areas(conn, scope, child) if a["key"] not in seen]
    return [{"level": child, "id": int(r["key"]), "code": r["code"], "name": r["name"],
             "received": r["received"], "done": r["done"], "overdue": r["overdue"],
             "closure_rate": r["closure_rate"], "satisfaction": r["satisfaction_rate"]}
            for r in rows]


def board(conn: Connection, scope: Scope, period: Period, *, floor: Scope, today: date
          ) -> dict[str, Any]:
    """What the wall shows for a chosen period: the figures of ``scope``, its trend, mix and
    ranking, and the 受理 of every grid of the reader's ``floor`` (the map's heat)."""
    start, end = period.instants()
    kind = bin_kind(period.days)
    return {"period": {**period.as_dict(), "bin": kind, "bin_label": BIN_LABELS[kind],
                       "running": period.start <= today <= period.end},
            "scope": scope.as_dict(),
            "figures": periods.figures(conn, scope, period),
            "trend": trend(qp.daily_counts(conn, scope, start, end), period, today),
            "categories": mix(periods.breakdown(conn, scope, period, by="category")),
            "ranking": ranking(conn, scope, period),
            "grids": qp.grid_received(conn, floor, start, end)}
