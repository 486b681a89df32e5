"""A server process's scheduler for the leader tests: the product's loop, on a clock the test moves.

Run as ``python -m tests.integration.dispatch.scheduler_process URL START CLOCK_FILE NAME``:
``bootstrap()`` over ``URL`` and a :class:`Scheduler` of its ``handle`` ticking every 0.05 s, its connections
named ``NAME`` (``application_name``, so the test sees in ``pg_locks`` which process leads), and
"now" = ``START`` (ISO) plus the seconds written in ``CLOCK_FILE``. One line per tick on stdout:
``tick <ran> <processed>``. It runs until killed or its stdin closes.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

from dispatch.bootstrap import bootstrap
from dispatch.commands import RunClocks
from dispatch.eta import StraightLineEta
from dispatch.results import TickReport
from dispatch.scheduler import Scheduler
from geo import db

INTERVAL_S = 0.05


class FileClock:
    """``start`` plus the offset (seconds) the test last wrote to ``path``."""

    def __init__(self, start: datetime, path: Path) -> None:
        self.start, self.path = start, path

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=float(self.path.read_text() or 0))


def main(argv: list[str]) -> int:
    url, start, clock_file, name = argv
    engine = db.make_engine(url, connect_args={"application_name": name})
    app = bootstrap(engine, clock=FileClock(datetime.fromisoformat(start), Path(clock_file)),
                    eta=StraightLineEta(), policy_check_s=0)
    out = threading.Lock()

    def run(cmd: RunClocks) -> TickReport:
        report: TickReport = app.handle(cmd)
        with out:
            print(f"tick {report.ran} {report.processed}", flush=True)
        return report

    scheduler = Scheduler(app.engine, run, interval_s=INTERVAL_S)  # as Dispatch.scheduler()
    scheduler.start()
    sys.stdin.read()  # the test closes stdin to stop it gently (kill -9 is the other way)
    scheduler.stop()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
