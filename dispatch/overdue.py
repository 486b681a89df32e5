"""超期 (overdue): the one definition the wall, the period figures and the people's records count by.

A case is 超期 at an instant when its closing deadline (``close_deadline``, which an approved
延期 moves) has passed by then and it was not 办结 by the deadline: still open, reopened after
办结 (it is no longer 办结), or 办结 after the deadline. Its complement among the cases whose
deadline has passed is 按期办结 (:func:`on_time`). The instant is never later than the
database's ``now()``: a deadline still ahead is not 超期 whatever period is asked for.

Who uses it: :func:`dispatch.stats.window_columns` (按期 over a window; 超期 over a period in
:mod:`analysis.periods` is 期内到期 − 按期), ``CLOSE_OVERDUE`` in :mod:`dispatch.stats` (the
wall's live 超期: open cases past the deadline now) and :mod:`dispatch.mediator_stats` (a
person's 超期 among the cases sent to them). Pure SQL text over a case alias, no I/O.
"""

from __future__ import annotations

from dispatch.vocab import DONE_STATES, sql_list

DEFINITION = ("办结时限（批准的延期顺延时限）已过而未按期办结：至今未办结、办结后被重新处置，"
              "或办结时间晚于时限")
_DONE = sql_list(DONE_STATES)


def on_time(alias: str = "i") -> str:
    """SQL: the case is 办结 now, and was by its deadline (NULL-safe: false when unknown)."""
    a = alias
    return (f"COALESCE({a}.state IN {_DONE} AND {a}.resolved_at <= {a}.close_deadline, "
            "false)")


def late(alias: str = "i", *, by: str = "now()") -> str:
    """SQL: the case is 超期 as of ``by`` (an SQL instant; capped at ``now()``): its deadline
    is before ``by`` and not after now, and it was not 办结 by it (:func:`on_time`)."""
    a = alias
    return (f"({a}.close_deadline < {by} AND {a}.close_deadline <= now() "
            f"AND NOT {on_time(a)})")
