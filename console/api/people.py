"""People's records faces (/api/v1/analysis/people, /subsidy, /subsidy.xlsx): per mediator and grid
worker figures with stars, and the monthly 个案补贴 statement as JSON and Excel.

Cut to the reader's jurisdiction as every 研判 face (:meth:`StatsHandler.scoped`: another area
refused 403 and audited). The people's figures are for whoever reads statistics (``wall``); the
subsidy statement, money per named person, only for :func:`dispatch.access.reads_subsidy`
(administrators, 市级值班长 and 领导; a street dispatcher is refused and audited).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection

from analysis import people, subsidy
from analysis.queries_people import statement_rows
from console.api.analysis import AnalysisHandler
from console.api.geo import BadInput
from console.exports.subsidy_xlsx import subsidy_workbook
from dispatch import stats
from dispatch.access import reads_subsidy
from dispatch.model import BEIJING
from dispatch.policy import Policy
from dispatch.stats_scope import Scope

MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeopleHandler(AnalysisHandler):
    """``role`` mediator (default) or grid_worker over ``from``/``to`` (default the last 30
    days), in the reader's area (``street``/``community``/``grid``)."""

    async def get(self) -> None:
        def parse() -> Any:
            role = self.get_query_argument("role", "mediator") or "mediator"
            if role not in people.ROLES:
                raise BadInput("role", "参数 role 须为 mediator（人民调解员）或 grid_worker（网格员）")
            return (role, *self.period())

        def work(conn: Connection, scope: Scope, a: Any) -> dict[str, Any]:
            role, start, end = a
            policy = self.app.dispatch.policy()
            stars = policy.stars
            rows = people.records(conn, scope, start, end, role=role, stars=stars)
            return {"scope": scope.as_dict(), "from": start.date().isoformat(),
                    "to": (end - timedelta(days=1)).date().isoformat(), "role": role,
                    "scheme": people.scheme_text(stars), "stars_policy": asdict(stars),
                    "definitions": people.DEFINITIONS, "subsidy": reads_subsidy(self.who),
                    "subsidy_priced": policy.subsidy.is_set,
                    "count": len(rows), "items": rows}
        await self.run(parse, work)


class SubsidyHandler(AnalysisHandler):
    """``month`` YYYY-MM (default last month, Beijing time); ``.xlsx`` for the workbook."""

    def month(self) -> str:
        raw = self.get_query_argument("month", None)
        if raw in (None, ""):
            first = datetime.now(BEIJING).date().replace(day=1)
            return (first - timedelta(days=1)).strftime("%Y-%m")
        if not MONTH.match(str(raw)):
            raise BadInput("month", "参数 month 须为年月（YYYY-MM，2000-01 至 2099-12）")
        return str(raw)

    async def get(self, xlsx: str | None = None) -> None:
        if not reads_subsidy(self.who):
            await self.deny("wall", "权限不足：个案补贴明细仅限管理员、市级值班长和领导查看")
            return
        policy: Policy = self.app.dispatch.policy()

        def work(conn: Connection, scope: Scope, month: Any) -> dict[str, Any]:
            start, end = subsidy.month_span(month)
            data = subsidy.statement(statement_rows(conn, scope, start, end), policy.subsidy)
            amounts = asdict(policy.subsidy)
            return {"month": month, "scope": scope.as_dict(),
                    "area": stats.area(conn, scope)["name"],
                    "scheme": subsidy.scheme_text(policy.subsidy), "amounts": amounts,
                    "fingerprint": subsidy.fingerprint(data, amounts), **data}

        got = await self.scoped(self.month)
        if got is None:
            return
        month, scope = got
        answer = await self.in_db(lambda conn: work(conn, scope, month))
        if not xlsx:
            self.send_json(answer)
            return
        body = await asyncio.to_thread(subsidy_workbook, answer, answer)  # off the loop
        name = f"个案补贴_{month}_{answer['area']}.xlsx"
        self.set_header("Content-Type", XLSX)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Disposition",
                        f"attachment; filename=\"subsidy-{month}.xlsx\"; "
                        f"filename*=UTF-8''{quote(name)}")
        self.finish(body)


def people_routes(app: Any) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/analysis/people", PeopleHandler, args),
        (r"/api/v1/analysis/subsidy(\.xlsx)?", SubsidyHandler, args),
    ]
