"""What an operator's monitoring reads from the database: the clocks' backlog and the NOTIFY queue."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Connection, text

# the partial index ix_incident_timers_due (processed_at IS NULL) answers both from its head
_BACKLOG = text(
    "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(due_at)), 0) "
    "FROM incident_timers WHERE processed_at IS NULL AND due_at <= now()")


class OpsFigures(NamedTuple):
    clocks_overdue: int
    """Clock stages due and not fired yet."""
    oldest_overdue_s: float
    """How long the oldest of them has been due (0 when none): the scheduler's lag."""
    notify_queue_usage: float
    """``pg_notification_queue_usage()``: 0-1, the share of the NOTIFY queue a slow listener holds."""


def ops_figures(conn: Connection) -> OpsFigures:
    row: Any = conn.execute(_BACKLOG).one()
    count, oldest = row[0], row[1]
    usage = conn.scalar(text("SELECT pg_notification_queue_usage()"))
    return OpsFigures(int(count), float(oldest), float(usage or 0.0))
