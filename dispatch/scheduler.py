"""One scheduler per deployment: whoever holds a PostgreSQL advisory lock runs the clocks.

Every server process may start a :class:`Scheduler`; only the one whose dedicated connection
holds ``pg_try_advisory_lock(LOCK_KEY)`` ticks. If that process dies its connection closes,
the lock is freed, and another process takes over at its next try. Besides the clocks, the
leader runs the deployment's periodic ``jobs`` each tick (the weekly report: each job decides
itself whether it is due, cheaply, and must be safe to run twice).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from dispatch.commands import RunClocks
from dispatch.results import TickReport

LOCK_KEY = 0x4651_5343  # "FQSC"
log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, engine: Engine, run: Callable[[RunClocks], TickReport], *,
                 interval_s: float = 5.0, limit: int = 500,
                 jobs: Sequence[Callable[[], object]] = ()) -> None:
        self.engine = engine
        self.run = run
        self.jobs = tuple(jobs)
        self.interval_s = interval_s
        self.limit = limit
        self._conn: Connection | None = None
        self._down = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_tick: float | None = None
        """``time.monotonic()`` when this process last ran the clocks as the leader."""

    @property
    def leading(self) -> bool:
        return self._conn is not None

    def try_lead(self) -> bool:
        """Hold the lock (checking the held connection is alive), or try to take it.

        With the database down this answers False (and says so once per outage): the
        dead connection is closed and given back to the pool, never kept."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                log.warning("scheduler: lost the database connection; giving up the lead")
                self._drop()
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as exc:
            if not self._down:
                log.warning("scheduler: database unreachable, clocks paused: %s",
                            str(exc).splitlines()[0][:200])
            self._down = True
            return False
        if self._down:
            log.warning("scheduler: database back, clocks resume")
            self._down = False
        try:
            if conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}):
                self._conn = conn
                return True
        except DBAPIError:
            self._down = True
        conn.close()
        return False

    def tick(self) -> TickReport:
        if not self.try_lead():
            return TickReport(ran=False)
        report = self.run(RunClocks(limit=self.limit))
        self.last_tick = time.monotonic()
        for job in self.jobs:
            try:
                job()
            except Exception:  # one failing job neither stops the clocks nor the others
                log.exception("scheduler job %r failed", job)
        return report

    def _drop(self) -> None:
        """Give up the lock and the connection; on a dead connection (whose unlock raises
        ``PendingRollbackError``, and whose lock died with it) just close it."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if not conn.invalidated:
                with contextlib.suppress(SQLAlchemyError):
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        finally:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()

    def start(self) -> None:
        """Tick every ``interval_s`` in a daemon thread until :meth:`stop`."""
        def loop() -> None:
            while not self._stop.wait(self.interval_s):
                try:
                    report = self.tick()
                    if report.processed:
                        log.info("clocks: %s", report.as_dict())
                except Exception:  # keep the clock alive across a bad tick
                    log.exception("scheduler tick failed")

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="dispatch-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._drop()
