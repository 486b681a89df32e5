"""Figures over any chosen period (Beijing dates), compared 环比/同比, broken down, ranked fairly.

What is counted is the wall's definition (:mod:`dispatch.stats`, :mod:`dispatch.stats_evidence`):
the same aggregate columns, over ``[start 00:00, end+1 00:00)`` Beijing time cut at the database's
now() instead of a rolling window. 超期 over a period: the cases whose 办结时限 fell in the period
that are 超期 by the one definition (:mod:`dispatch.overdue`), counted as 期内到期 − 按期.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Connection

from analysis import queries_periods as qp
from dispatch import overdue, stats
from dispatch import stats_evidence as evidence
from dispatch import stats_resident as resident
from dispatch.limits import PERIOD_DAYS
from dispatch.model import BEIJING
from dispatch.stats_scope import Scope
from dispatch.vocab import CATEGORIES, CHANNELS, UNIT_TYPES

MAX_DAYS = PERIOD_DAYS  # the longest period a figure is asked for (dispatch.limits)
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
MIN_CASES = 10  # fair ranking: fewer cases received in the period and a row is not ranked
MIN_RATE_BASE = 5  # fair ranking: a rate whose denominator is smaller is left out of the score
BREAKDOWNS: dict[str, str] = {"street": "街道", "community": "社区", "grid": "网格",
                              "category": "类别", "channel": "渠道", "unit": "处置力量",
                              "mediator": "调解员"}
RANK_BY = ("street", "community", "grid", "unit", "mediator")
AGAINST = {"prev": "环比", "yoy": "同比"}
DEFINITIONS: dict[str, str] = {
    "received": "统计期内登记受理的案件数（并案的重复件不计）",
    "done": f"统计期内办结的案件数：{evidence.RESOLVED_DEFINITION}，办结时间在期内",
    "success": f"期内办结案件中{evidence.SUCCESS_DEFINITION}数",
    "success_rate": "调解成功 ÷ 期内办结",
    "due": "办结时限在统计期内（且已到）的案件数",
    "overdue": f"办结时限在期内（且已到）的案件中超期的案件数：{overdue.DEFINITION}",
    "on_time_rate": "按期办结 ÷ 期内到期",
    "satisfaction_rate": "期内由回访人记录（注明回访人与方式）并评分的回访中评4–5分的比例",
    "resident_rate": resident.DEFINITION,
    "sign_minutes": "期内签收的案件，自受理至签收的平均用时（分钟）",
    "arrive_minutes": "期内到场的案件，自受理至到场的平均用时（分钟）",
    "by_channel": "期内受理案件按来源渠道的件数",
}
COMPARED: dict[str, str] = {  # key → kind: a count, a rate (change in 百分点) or minutes
    "received": "count", "done": "count", "success": "count", "overdue": "count",
    "success_rate": "rate", "on_time_rate": "rate", "satisfaction_rate": "rate",
    "resident_rate": "rate", "sign_minutes": "minutes", "arrive_minutes": "minutes"}


class PeriodError(ValueError):
    """A period that cannot be asked for; ``field`` names the parameter (``from`` or ``to``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


@dataclass(frozen=True)
class Period:
    """Beijing calendar days ``start`` to ``end``, both inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        for name, value in (("from", self.start), ("to", self.end)):
            if not isinstance(value, date) or isinstance(value, datetime):
                raise PeriodError(name, f"参数 {name} 须为日期（YYYY-MM-DD）")
            if not EARLIEST <= value <= LATEST:
                raise PeriodError(name, f"参数 {name} 须在 {EARLIEST} 至 {LATEST} 之间")
        if self.start > self.end:
            raise PeriodError("from", "参数 from 不能晚于 to")
        if self.days > MAX_DAYS:
            raise PeriodError("from", f"统计期最长 {MAX_DAYS} 天")

    @classmethod
    def parse(cls, start: str | None, end: str | None, *, today: date, days: int = 30) -> Period:
        """From the API's ``from``/``to`` text (either may be empty: ``to`` today, ``from``
        ``days`` days before ``to``); a bad value raises :class:`PeriodError` naming it."""
        def one(name: str, raw: str | None) -> date | None:
            if raw in (None, ""):
                return None
            try:
                return date.fromisoformat(str(raw))
            except ValueError:
                raise PeriodError(name, f"参数 {name} 须为日期（YYYY-MM-DD）") from None
        to = one("to", end) or today
        return cls(one("from", start) or to - timedelta(days=days - 1), to)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> int | None:
        """How many whole calendar months the period is, or None if it is not whole months."""
        if self.start.day != 1 or self.end != _month_end(self.end.year, self.end.month):
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Period:
        """The period of the same length just before (环比); whole months give the months before
        (上月 for a month, the quarter before for a quarter)."""
        k = self.months
        if k is not None:
            y, m = _add_months(self.start.year, self.start.month, -k)
            ey, em = _add_months(self.start.year, self.start.month, -1)
            return Period(date(y, m, 1), _month_end(ey, em))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_before(self) -> Period:
        """The same dates a year earlier (同比); 29 February becomes the 28th, and whole months
        stay whole months."""
        if self.months is not None:
            return Period(self.start.replace(year=self.start.year - 1),
                          _month_end(self.end.year - 1, self.end.month))

        def back(d: date) -> date:
            return d.replace(year=d.year - 1, day=min(d.day, 28) if d.month == 2 and d.day == 29
                             else d.day)
        return Period(back(self.start), back(self.end))

    def against(self, which: Literal["prev", "yoy"]) -> Period:
        return self.previous() if which == "prev" else self.year_before()

    def label(self) -> str:
        """The period in Chinese: 2026年11月, 2026年第4季度, 2026年, or the two dates."""
        s, e, k = self.start, self.end, self.months
        if k == 1:
            return f"{s.year}年{s.month}月"
        if k == 3 and s.month % 3 == 1:
            return f"{s.year}年第{(s.month + 2) // 3}季度"
        if k == 12 and s.month == 1:
            return f"{s.year}年"
        if s == e:
            return f"{s.year}年{s.month}月{s.day}日"
        tail = f"{e.month}月{e.day}日" if e.year == s.year else f"{e.year}年{e.month}月{e.day}日"
        return f"{s.year}年{s.month}月{s.day}日至{tail}（{self.days}天）"

    def instants(self) -> tuple[datetime, datetime]:
        """``[start 00:00, end+1 00:00)`` in Beijing time."""
        return (datetime.combine(self.start, time(), BEIJING),
                datetime.combine(self.end + timedelta(days=1), time(), BEIJING))

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": self.days,
                "label": self.label()}


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    """The period's figures from one aggregate row (:func:`dispatch.stats.window_columns`)."""
    w = stats.suffix_figures(row, qp.SUFFIX)
    return {"received": w["intake"], "done": w["resolved"], "success": w["mediated"],
            "success_rate": w["success_rate"], "due": w["due"], "on_time": w["on_time"],
            "overdue": w["due"] - w["on_time"], "on_time_rate": w["on_time_rate"],
            "closure_rate": w["closure_rate"], "rated": w["rated"],
            "satisfied": w["satisfied"], "satisfaction_rate": w["satisfaction"],
            "satisfaction_mean": w["satisfaction_mean"], "signed": w["signed"],
            "sign_minutes": w["sign_minutes"], "sign_median_minutes": w["sign_median_minutes"],
            "sign_on_time_rate": w["sign_on_time_rate"], "arrived": w["arrived"],
            "arrive_minutes": w["arrive_minutes"],
            "arrive_median_minutes": w["arrive_median_minutes"]}


def figures(conn: Connection, scope: Scope, period: Period, *,
            category: str | None = None) -> dict[str, Any]:
    """The summary of the period in the scope (one category, or all)."""
    start, end = period.instants()
    row = qp.period_rows(conn, scope, start, end, category=category)[0]
    channels = qp.channel_counts(conn, scope, start, end, category=category)
    return {"period": period.as_dict(), "scope": scope.as_dict(), "category": category,
            **_summary(row),
            **resident.ratings(conn, scope, start=start, end=end, category=category),
            "by_channel": [{"channel": k, "label": label, "count": channels.get(k, 0)}
                           for k, label in CHANNELS.items()]}


def change(current: float | None, base: float | None) -> dict[str, float | None]:
    """``abs`` current − base (百分点 for rates), ``pct`` that as a percentage of base; None
    where either side is missing, ``pct`` None where base is 0."""
    if current is None or base is None:
        return {"abs": None, "pct": None}
    diff = round(float(current) - float(base), 1)
    return {"abs": int(diff) if isinstance(current, int) and isinstance(base, int) else diff,
            "pct": None if base == 0 else round(100.0 * (float(current) - float(base))
                                                 / float(base), 1)}


def changes(current: dict[str, Any], base: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """:func:`change` of every compared figure (:data:`COMPARED`), with its kind."""
    return {k: {**change(current.get(k), base.get(k)), "kind": kind}
            for k, kind in COMPARED.items()}


def compare(conn: Connection, scope: Scope, period: Period, *, against: Literal["prev", "yoy"],
            category: str | None = None, current: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """The period's figures beside those of the period before (``prev``, 环比) or a year
    before (``yoy``, 同比), and the change; ``current``, when given, is the period's own
    :func:`figures` already counted (a report compares one period twice)."""
    if against not in AGAINST:
        raise ValueError(f"unknown comparison {against!r}")
    if current is None:
        current = figures(conn, scope, period, category=category)
    base = figures(conn, scope, period.against(against), category=category)
    return {"against": against, "against_label": AGAINST[against], "current": current,
            "base": base, "change": changes(current, base), "definitions": DEFINITIONS}


def _name(by: str, row: dict[str, Any]) -> str:
    key = row.get("key")
    if by in ("category", "channel"):
        return (CATEGORIES if by == "category" else CHANNELS).get(str(key), str(key))
    return "未定位" if key is None else str(row.get("name") or key)


def breakdown(conn: Connection, scope: Scope, period: Period, *, by: str,
              category: str | None = None) -> list[dict[str, Any]]:
    """The period's figures per street, community, grid, category, channel, unit or mediator
    (every unit sent to the case, declined ones not), most cases received first."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}")
    start, end = period.instants()
    out = []
    for row in qp.period_rows(conn, scope, start, end, by=by, category=category):
        item = {"by": by, "key": row["key"], "name": _name(by, row), "code": row.get("code"),
                **_summary(row)}
        if "unit_type" in row:
            item["unit_type"] = row["unit_type"]
            item["unit_type_label"] = UNIT_TYPES.get(row["unit_type"], row["unit_type"])
        out.append(item)
    out.sort(key=lambda r: (-r["received"], -r["done"], str(r["code"] or r["name"])))
    return out


RATES = (("on_time_rate", "due", "按期办结率"), ("success_rate", "done", "调解成功率"),
         ("satisfaction_rate", "rated", "满意度"))
METHOD = (f"按比率排名，不按数量：综合得分为按期办结率、调解成功率（{evidence.SUCCESS_SHORT}）、"
          f"满意度三项的平均（某项分母少于 {MIN_RATE_BASE} 件时该项不计入）；期内受理少于 "
          f"{MIN_CASES} 件，或三项均不足以计分的，不参与排名并注明原因；参与者按受理量分大、中、"
          "小三档（各约三分之一，不足 6 个时不分档），档内另排名次，以便同量级相比。")


def score(row: dict[str, Any]) -> tuple[float | None, list[str]]:
    """The mean of the rates whose denominators reach :data:`MIN_RATE_BASE`, and their names."""
    used = [(row[k], label) for k, base, label in RATES
            if row.get(k) is not None and row[base] >= MIN_RATE_BASE]
    if not used:
        return None, []
    return round(sum(v for v, _ in used) / len(used), 1), [label for _, label in used]


def rank_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Ranked and unranked rows (pure: the maths behind :func:`fair_ranking`)."""
    ranked, unranked = [], []
    for r in rows:
        s, used = score(r)
        if r["received"] < MIN_CASES:
            unranked.append({**r, "reason": f"期内受理 {r['received']} 件，少于 {MIN_CASES} 件"})
        elif s is None:
            unranked.append({**r, "reason": f"办结、到期与回访均少于 {MIN_RATE_BASE} 件，无可计分项"})
        else:
            ranked.append({**r, "score": s, "scored_by": used})
    by_volume = sorted(ranked, key=lambda r: (-r["received"], str(r["code"] or r["name"])))
    n = len(by_volume)
    for i, r in enumerate(by_volume):
        r["tier"] = "全部" if n < 6 else ("大", "中", "小")[min(2, 3 * i // n)]
    ranked.sort(key=lambda r: (-r["score"], str(r["code"] or r["name"])))
    for i, r in enumerate(ranked):
        r["rank"] = (ranked[i - 1]["rank"] if i and ranked[i - 1]["score"] == r["score"]
                     else i + 1)
        same = [x for x in ranked[:i] if x["tier"] == r["tier"]]
        r["tier_rank"] = (same[-1]["tier_rank"] if same and same[-1]["score"] == r["score"]
                          else len(same) + 1)
    unranked.sort(key=lambda r: (-r["received"], str(r["code"] or r["name"])))
    return {"ranked": ranked, "unranked": unranked}


def fair_ranking(conn: Connection, scope: Scope, period: Period, *,
                 by: str = "street") -> dict[str, Any]:
    """Rank the period's streets (communities, grids, units, mediators) by rates, not volume:
    a minimum case count, volume tiers, and the method stated (:data:`METHOD`)."""
    if by not in RANK_BY:
        raise ValueError(f"unknown ranking {by!r}")
    rows = breakdown(conn, scope, period, by=by)
    if by in qp.AREA_LISTS:  # an area with no case is listed too (不参与排名: 受理 0 件)
        seen = {r["key"] for r in rows}
        rows += [{"by": by, **a, **_summary({})} for a in qp.areas(conn, scope, by)
                 if a["key"] not in seen]
    return {"period": period.as_dict(), "scope": scope.as_dict(), "by": by,
            "by_label": BREAKDOWNS[by], "min_cases": MIN_CASES, "min_rate_base": MIN_RATE_BASE,
            "method": METHOD, **rank_rows(rows)}
