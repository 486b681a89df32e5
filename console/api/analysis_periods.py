"""研判 figures over a chosen period (/api/v1/analysis/figures, /ranking): 环比/同比, breakdowns,
the fair ranking, cut to the reader's jurisdiction as every statistics face is.

Thin: the period, comparison and grouping are checked here (a bad value is a 400 naming its
field in Chinese), the area decided by :meth:`console.api.stats.StatsHandler.scoped` (another
street refused and audited), the figures computed by :mod:`analysis.periods`. Staff names in a
unit or mediator breakdown are masked for readers who read figures, not people
(:func:`dispatch.access.masks_staff`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from analysis import periods
from analysis.periods import Period, PeriodError
from console.api.analysis import AnalysisHandler
from console.api.geo import BadInput
from console.bootstrap import App
from dispatch.access import masks_staff
from dispatch.model import BEIJING
from dispatch.privacy import mask_name
from dispatch.stats import CHILD
from dispatch.stats_scope import Scope

STAFF = ("unit", "mediator")  # the breakdowns naming people


class PeriodHandler(AnalysisHandler):
    """``from``/``to`` as :class:`analysis.periods.Period` takes them (default the last 30 days
    to today, Beijing), the area as the statistics take it."""

    def chosen_period(self) -> Period:
        try:
            return Period.parse(self.get_query_argument("from", None),
                                self.get_query_argument("to", None),
                                today=datetime.now(BEIJING).date())
        except PeriodError as exc:
            raise BadInput(exc.field, str(exc)) from None

    def choice(self, name: str, allowed: dict[str, str] | tuple[str, ...]) -> str | None:
        raw = self.get_query_argument(name, None) or None
        if raw is not None and raw not in allowed:
            labels = (f"{k}（{v}）" for k, v in allowed.items()) if isinstance(allowed, dict) \
                else iter(allowed)
            raise BadInput(name, f"参数 {name} 须为 {'、'.join(labels)} 之一")
        return raw

    def masked(self, rows: list[dict[str, Any]], by: str | None) -> list[dict[str, Any]]:
        if by not in STAFF or not masks_staff(self.who):
            return rows
        return [{**r, "name": mask_name(r["name"])} for r in rows]


class FiguresHandler(PeriodHandler):
    """The period's figures; ``compare=prev|yoy`` adds the base period and the change, ``by``
    a breakdown (street, community, grid, category, channel, unit, mediator)."""

    async def get(self) -> None:
        def parse() -> Any:
            period, against = self.chosen_period(), self.choice("compare", periods.AGAINST)
            if against:
                try:
                    period.against(against)
                except PeriodError:
                    raise BadInput("compare", f"参数 compare：{periods.AGAINST[against]}的对比期超出"
                                   f"可查询范围（{periods.EARLIEST} 至 {periods.LATEST}）") from None
            return period, against, self.category(), self.choice("by", periods.BREAKDOWNS)

        def work(conn: Connection, scope: Scope, a: Any) -> dict[str, Any]:
            period, against, category, by = a
            if against:
                got = periods.compare(conn, scope, period, against=against, category=category)
            else:
                got = {"against": None, "against_label": None,
                       "current": periods.figures(conn, scope, period, category=category),
                       "base": None, "change": None, "definitions": periods.DEFINITIONS}
            rows = None if by is None else self.masked(
                periods.breakdown(conn, scope, period, by=by, category=category), by)
            return {"period": period.as_dict(), "scope": scope.as_dict(), "category": category,
                    **got, "compared": periods.COMPARED, "by": by,
                    "by_label": periods.BREAKDOWNS.get(by or ""), "breakdown": rows}
        await self.run(parse, work)


class RankingHandler(PeriodHandler):
    """The fair ranking of the period (``by`` street, community, grid, unit or mediator;
    default the level below the reader's area), with its method stated."""

    async def get(self) -> None:
        def parse() -> Any:
            return self.chosen_period(), self.choice("by", periods.RANK_BY)

        def work(conn: Connection, scope: Scope, a: Any) -> dict[str, Any]:
            period, by = a
            by = by or CHILD.get(scope.level, "grid")
            got = periods.fair_ranking(conn, scope, period, by=by)
            return {**got, "ranked": self.masked(got["ranked"], by),
                    "unranked": self.masked(got["unranked"], by)}
        await self.run(parse, work)


def period_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [(r"/api/v1/analysis/figures", FiguresHandler, args),
            (r"/api/v1/analysis/ranking", RankingHandler, args)]
