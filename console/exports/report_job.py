"""Making a 研判 report (assemble, render PDF and Excel, archive, audit) now or on the schedule.

:func:`make_report` serves both the API (``POST /api/v1/reports``) and :class:`WeeklyReports`,
the scheduler's job: at the policy's weekday and Beijing time (``report_weekday``,
``report_time``, default Monday 07:30) it makes the calendar week before's report for the whole
territory and each street (``report_areas``), once: the archive's unique index on weekly
reports turns a second attempt (a restart, a second leader after a lost lock) into nothing.
The work runs in its own thread, so the clocks keep ticking while a city's reports are drawn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from analysis.report import assemble, week_before
from analysis.report_queries import street_scopes
from analysis.report_tables import tables
from console.exports.report_pdf import render_report
from console.exports.report_xlsx import render_report_xlsx
from dispatch.adapters.report_repo import add_report
from dispatch.model import BEIJING
from dispatch.policy import Policy
from dispatch.stats_scope import Scope
from dispatch.views_reports import weekly_done

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"
RETRY_S = 600.0  # a failed batch is tried again this long after (not at every 5 s tick)


def make_report(engine: Engine, scope: Scope, start: date, end: date, *, kind: str, who: str,
                key: bytes, fonts: Path | None) -> tuple[int | None, dict[str, Any]]:
    """Make and archive one report; (its id, its figures). The id is None when it is a weekly
    report already archived (then nothing was stored)."""
    with engine.connect() as conn:
        rep = assemble(conn, scope, start, end, key=key, kind=kind, requested_by=who)
    tabs = tables(rep.figures)  # the PDF's tables are the workbook's sheets: made once
    pdf = render_report(rep.figures, rep.shapes, cache_dir=fonts, tabs=tabs)
    xlsx = render_report_xlsx(rep.figures, tabs)
    with engine.begin() as conn:
        rid = add_report(conn, kind=kind, start=start, end=end, scope=scope,
                         area_name=str(rep.figures["area"]["name"]), requested_by=who,
                         figures=rep.figures, pdf=pdf, xlsx=xlsx)
    return rid, rep.figures


def due_week(now: datetime, policy: Policy) -> tuple[date, date]:
    """The week whose report is due at ``now``: the calendar week before the week of the latest
    scheduled moment (weekday, time in Beijing) not after ``now``."""
    local = now.astimezone(BEIJING)
    hh, mm = (int(x) for x in policy.report_time.split(":"))
    moment = local.replace(hour=hh, minute=mm, second=0, microsecond=0) + timedelta(
        days=policy.report_weekday - local.isoweekday())
    if moment > local:
        moment -= timedelta(days=7)
    return week_before(moment.date())


class WeeklyReports:
    """The scheduler's weekly-report job (see the module's note); call it every tick."""

    def __init__(self, engine: Engine, *, policy: Callable[[], Policy],
                 key: Callable[[], bytes], fonts: Path | None,
                 clock: Callable[[], datetime] = lambda: datetime.now(BEIJING)) -> None:
        self.engine = engine
        self.policy = policy
        self.key = key
        self.fonts = fonts
        self.clock = clock
        self.done: tuple[date, date] | None = None  # the week all of whose reports exist
        self._worker: threading.Thread | None = None
        self._failed: float | None = None  # monotonic time of the last failed batch
        self.made: list[int] = []

    def areas(self, policy: Policy) -> list[Scope]:
        out = [Scope()] if "all" in policy.report_areas else []
        if "street" in policy.report_areas:
            with self.engine.connect() as conn:
                out += street_scopes(conn)
        return out

    def __call__(self) -> None:
        policy = self.policy()
        week = due_week(self.clock(), policy)
        if week == self.done or (self._worker is not None and self._worker.is_alive()):
            return
        if self._failed is not None and time.monotonic() - self._failed < RETRY_S:
            return
        self._worker = threading.Thread(target=self.run, args=(week, policy),
                                        name="weekly-reports", daemon=True)
        self._worker.start()

    def run(self, week: tuple[date, date], policy: Policy) -> list[int]:
        """Make the week's missing reports (synchronously); the ids made."""
        made: list[int] = []
        for scope in self.areas(policy):
            with self.engine.connect() as conn:
                if weekly_done(conn, week[0], week[1], scope):
                    continue
            try:
                rid, _ = make_report(self.engine, scope, week[0], week[1], kind="weekly",
                                     who=SCHEDULER, key=self.key(), fonts=self.fonts)
            except Exception:  # retried (the areas still missing) after RETRY_S
                log.exception("weekly report for %s failed", scope.as_dict())
                self._failed = time.monotonic()
                self.made += made
                return made
            if rid is not None:
                made.append(rid)
                log.info("weekly report %s made for %s, %s to %s", rid, scope.as_dict(), *week)
        self.made += made
        self.done, self._failed = week, None
        return made

    def wait(self, timeout: float = 600.0) -> None:
        """Until the running batch (if any) is over (tests, shutdown)."""
        if self._worker is not None:
            self._worker.join(timeout)
